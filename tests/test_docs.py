"""The manual's examples run: every ``peermatch ...`` command shown in a
``console`` or ``bash`` block of README.md or docs/**/*.md, every ``>>>``
example of the pages, and an API reference that names every public name.

A command ends with the exit status its page states: 0, or the ``# exit N``
comment at the end of its line. ``text`` blocks are synopses (placeholders such
as ``PARTICIPANTS``) and are not run. Commands run in a temporary folder holding
a copy of ``data/examples`` and an earlier run's output folder ``out`` (so that
``peermatch explain out P001`` works on any page), with time limits cut to a
couple of seconds and ``--deterministic`` where the command solves, so that the
outcome does not depend on how busy the machine is.
"""

from __future__ import annotations

import doctest
import re
import shlex
import shutil
from contextlib import chdir
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import peermatch
from peermatch.cli import main

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs"
MANUAL = [REPO / "README.md", *sorted(DOCS.rglob("*.md"))]

#: Seconds of search for every command the docs show (their own limits are 20 or 60).
SHORT_LIMIT = 0.5
#: A fenced block: its language and its body.
FENCE = re.compile(
    r"^(?P<indent>[ \t]*)```(?P<lang>[\w-]*)[^\n]*\n(?P<body>.*?)^(?P=indent)```", re.M | re.S
)
EXIT_NOTE = re.compile(r"#\s*exit\s+(\d+)\s*$")
EXAMPLE_FILES = ("participants.csv", "history.csv", "facilitators.csv", "program.toml")


@dataclass(frozen=True)
class Example:
    """One command of the manual: where it is, its words, and the exit status it states."""

    page: str
    line: int
    argv: tuple[str, ...]
    exit_code: int

    def __str__(self) -> str:
        return f"{self.page}:{self.line}: peermatch {' '.join(self.argv)}"


def _commands_in(line: str) -> list[str]:
    """The ``peermatch ...`` commands of a shell line (``a && peermatch run ...`` gives the last)."""
    return [part.strip() for part in line.split("&&") if part.strip().startswith("peermatch ")]


def examples(path: Path) -> list[Example]:
    """Every runnable command in the console and bash blocks of one page, in page order."""
    text = path.read_text(encoding="utf-8")
    page = str(path.relative_to(REPO))
    found: list[Example] = []
    for block in FENCE.finditer(text):
        lang = block["lang"]
        if lang not in ("console", "bash", "sh", "shell"):
            continue
        first_line = text.count("\n", 0, block.start("body")) + 1
        for offset, raw in enumerate(block["body"].splitlines()):
            line = raw.strip()
            if lang == "console":
                if not line.startswith("$ "):
                    continue  # the command's output
                line = line[2:]
            note = EXIT_NOTE.search(line)
            for command in _commands_in(line):
                words = shlex.split(command, comments=True)
                found.append(
                    Example(
                        page, first_line + offset, tuple(words[1:]), int(note[1]) if note else 0
                    )
                )
    return found


def _option_names(command: click.Command) -> set[str]:
    return {name for param in command.params for name in getattr(param, "opts", ())}


def shortened(argv: tuple[str, ...]) -> list[str]:
    """The command with a short time limit, and a reproducible one where it solves."""
    args = list(argv)
    command = main.commands.get(args[0]) if args else None
    if command is None:
        return args
    options = _option_names(command)
    if "--time-limit" in args:
        at = args.index("--time-limit") + 1
        args[at] = str(min(float(args[at]), SHORT_LIMIT))
    elif "--time-limit" in options and args[0] != "mdgp":
        args += ["--time-limit", str(SHORT_LIMIT)]
    if "--deterministic" in options and "--deterministic" not in args:
        args.append("--deterministic")
    return args


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``data/examples`` and an earlier run of it in ``out``, as the pages assume."""
    root = tmp_path_factory.mktemp("manual")
    shutil.copytree(REPO / "data" / "examples", root / "data" / "examples")
    runner = CliRunner()
    inputs = [str(Path("data/examples") / name) for name in EXAMPLE_FILES]
    argv = ["run", inputs[0], "--history", inputs[1], "--facilitators", inputs[2]]
    argv += ["--config", inputs[3], "--out", "out", "-q"]
    with chdir(root):
        result = runner.invoke(main, shortened(tuple(argv)))
    assert result.exit_code == 0, result.output
    return root


PAGES_WITH_COMMANDS = [p for p in MANUAL if examples(p)]


def _solves(path: Path) -> bool:
    return any(e.argv and e.argv[0] in ("run", "repair") for e in examples(path))


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(p, id=str(p.relative_to(REPO)), marks=[pytest.mark.slow] if _solves(p) else [])
        for p in PAGES_WITH_COMMANDS
    ],
)
def test_every_command_of_the_page_ends_as_documented(
    path: Path, workspace: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "work"
    shutil.copytree(workspace, folder)
    runner = CliRunner()
    with chdir(folder):
        for example in examples(path):
            result = runner.invoke(main, shortened(example.argv))
            assert result.exit_code == example.exit_code, f"{example}\n{result.output}"


def test_the_manual_shows_commands_to_run() -> None:
    # The extraction itself: the pages that must hold examples do, with their exits.
    commands = {e.argv[0] for p in MANUAL for e in examples(p) if e.argv}
    assert {"run", "validate", "explain", "report", "repair", "generate"} <= commands
    stated = [e for p in MANUAL for e in examples(p) if e.exit_code]
    assert stated, "no example states a non-zero exit"
    readme = examples(REPO / "README.md")
    assert readme and readme[0].argv[0] == "run"  # the set-up line's command


PAGES_WITH_DOCTESTS = [
    p for p in MANUAL[1:] if re.search(r"^>>> ", p.read_text(encoding="utf-8"), re.M)
]


@pytest.mark.parametrize(
    "path", PAGES_WITH_DOCTESTS, ids=[str(p.relative_to(REPO)) for p in PAGES_WITH_DOCTESTS]
)
def test_the_pages_examples_run(path: Path) -> None:
    # README.md is collected by pytest itself (--doctest-glob=README.md).
    failed, attempted = doctest.testfile(
        str(path), module_relative=False, optionflags=doctest.ELLIPSIS, verbose=False
    )
    assert attempted > 0
    assert failed == 0, f"{failed} of {attempted} examples of {path.name} failed (see above)"


def test_every_public_name_is_in_the_api_reference() -> None:
    directives = set()
    for page in sorted((DOCS / "api").glob("*.md")):
        directives |= set(re.findall(r"^::: peermatch\.(\w+)\s*$", page.read_text(), re.M))
    missing = sorted(set(peermatch.__all__) - directives)
    assert not missing, f"not in docs/api/*.md as '::: peermatch.NAME': {missing}"


def test_every_reference_page_is_in_the_nav() -> None:
    nav = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for page in sorted((DOCS / "api").glob("*.md")):
        assert f"api/{page.name}" in nav, f"docs/api/{page.name} is not in mkdocs.yml's nav"
