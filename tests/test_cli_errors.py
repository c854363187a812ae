"""User errors: typed library exceptions, the same message on the command line, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import PARTICIPANT_HEADER, REPO, participant_lines
from peermatch import InputError, PeermatchError, read_problem
from peermatch.cli import main
from peermatch.io.writers import OutputError, check_output_dir

Writer = Callable[..., Path]
GOOD = [PARTICIPANT_HEADER, *participant_lines(8)]


def cli(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stderr


# (name, files, options) of each class of bad input and the exit status it gets.
BAD_INPUTS = {
    "bad cells": ({"p.csv": [*GOOD, "p9,,not-mail,O,Grand Poobah,,,,Mars/Base,Mon 9 to 5"]}, [], 1),
    "missing column": ({"p.csv": ["id,name,email,level", "a,A,a@x.org,1"]}, [], 1),
    "ragged row": ({"p.csv": [*GOOD, "p9,Smith, Jo,p9@x.org,O,2,,,,,"]}, [], 1),
    "binary file": ({"p.csv": bytes(range(256))}, [], 1),
    "utf-16 file": ({"p.csv": "\n".join(GOOD).encode("utf-16")}, [], 1),
    "semicolons": ({"p.csv": [line.replace(",", ";") for line in GOOD]}, [], 1),
    "unclosed quote": ({"p.csv": [*GOOD, 'p9,"Jo,p9@x.org,O,2,,,,,', "p10,A,a@x.org,O,2,,,,,"]}, [], 1),
    "header only": ({"p.csv": [PARTICIPANT_HEADER]}, [], 1),
    "empty file": ({"p.csv": b""}, [], 1),
    "duplicate ids": ({"p.csv": [*GOOD, "p0,Again,a@x.org,O,2,,,,,"]}, [], 1),
    "manager cycle": ({"p.csv": [PARTICIPANT_HEADER, "a,A,a@x.org,O,1,,,b,,", "b,B,b@x.org,P,1,,,a,,"]}, [], 1),
    "unknown history id": ({"p.csv": GOOD, "h.csv": ["person_a,person_b", "p0,ghost"]}, ["--history", "h.csv"], 1),
    "bad toml": ({"p.csv": GOOD, "c.toml": "[cohort\nmin_size = 3\n"}, ["--config", "c.toml"], 1),
    "bad config value": ({"p.csv": GOOD, "c.toml": "[cohort]\nmin_size = 'seven'\n"}, ["--config", "c.toml"], 1),
    "date out of range": ({"p.csv": GOOD, "c.toml": "[schedule]\nstart_date = 9999-12-31\n"}, ["--config", "c.toml"], 1),
    "directory as file": ({"p.csv": GOOD, "d/x": "x"}, ["--history", "d"], 2),
    "missing file": ({"p.csv": GOOD}, ["--history", "nowhere.csv"], 2),
}  # fmt: skip


def _setup(write_file: Writer, files: dict[str, object]) -> None:
    for name, content in files.items():
        write_file(name, content)


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_each_class_of_bad_input_exits_with_its_status_and_no_traceback(
    write_file: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    files, options, status = BAD_INPUTS[case]
    _setup(write_file, files)
    monkeypatch.chdir(tmp_path)
    for command in (["validate"], ["run", "--out", "out", "--time-limit", "2", "-q"]):
        code, stderr = cli(*command, "p.csv", *options)
        assert code == status, (case, command, stderr)
        assert "Traceback" not in stderr
        assert stderr.strip()
        assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("case", sorted(k for k, v in BAD_INPUTS.items() if v[2] == 1))
def test_the_library_raises_the_message_the_cli_prints(
    write_file: Writer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    files, options, _ = BAD_INPUTS[case]
    _setup(write_file, files)
    monkeypatch.chdir(tmp_path)
    kwargs = {
        "history" if o == "--history" else "config": v
        for o, v in zip(options[::2], options[1::2], strict=True)
    }
    with pytest.raises(InputError) as info:
        read_problem("p.csv", **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, PeermatchError) and info.value.exit_code == 1
    _, stderr = cli("validate", "p.csv", *options)
    count = len(info.value.problems)
    assert stderr.endswith(f"{info.value}\n{count} problem(s) found; nothing was changed.\n")


def test_output_folder_errors_are_typed_with_the_usage_status(tmp_path: Path) -> None:
    (tmp_path / "thesis.docx").write_text("precious")
    with pytest.raises(OutputError) as info:
        check_output_dir(tmp_path)
    assert isinstance(info.value, PeermatchError) and info.value.exit_code == 2


def test_debug_shows_the_traceback_with_the_same_message_and_status(write_file: Writer) -> None:
    people = write_file("p.csv", [*GOOD, "p0,Again,a@x.org,O,2,,,,,"])
    code, plain = cli("validate", people)
    debug_code, debug = cli("--debug", "validate", people)
    assert code == debug_code == 1
    assert "Traceback" not in plain
    assert "Traceback (most recent call last)" in debug and "InputError" in debug
    assert debug.endswith(plain)


def _python(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    return subprocess.run(
        [sys.executable, "-m", "peermatch", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_real_process_prints_no_traceback_unless_debug(write_file: Writer) -> None:
    people = write_file("p.csv", [*GOOD, "p9,P9,p9@x.org,O,Grand Poobah,,,,,"])
    config = write_file("c.toml", "[cohort]\nmin_size = 'seven'\n")
    plain = _python("validate", str(people), "--config", str(config))
    assert plain.returncode == 1
    assert "Traceback" not in plain.stderr
    assert f"{people}:10:level: unknown level title" in plain.stderr
    assert f"{config}:2:cohort.min_size: must be a whole number" in plain.stderr
    debug = _python("--debug", "validate", str(people), "--config", str(config))
    assert debug.returncode == 1
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.endswith(plain.stderr)
