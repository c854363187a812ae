"""The import graph: no cycles (counting imports inside functions), and OR-Tools only when solving."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import networkx as nx

import peermatch

SRC = Path(peermatch.__file__).resolve().parent


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _import_graph() -> nx.DiGraph:
    """Module -> every peermatch module it imports, anywhere in its body (functions included).

    ``from package import name`` counts as importing ``package.name`` when that is a
    module, else ``package``; a package's ``__init__`` is what ``import package`` runs.
    """
    modules = {_module_name(p): p for p in SRC.rglob("*.py")}
    graph = nx.DiGraph()
    for name, path in modules.items():
        graph.add_node(name)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join([*anchor, base] if base else anchor)
                targets = [
                    f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                    for alias in node.names
                ]
            for target in targets:
                if target in modules and target != name:
                    graph.add_edge(name, target)
    return graph


def test_the_import_graph_has_no_cycles() -> None:
    graph = _import_graph()
    assert graph.number_of_edges() > 50  # the graph really was read
    # A package importing its own submodules (its __init__ re-exporting them) is no cycle
    # unless a submodule imports the package back.
    cycles = [c for c in nx.simple_cycles(graph) if len(c) > 1]
    assert cycles == [], cycles[:5]


def test_the_graph_sees_imports_inside_functions() -> None:
    graph = _import_graph()
    # cli/run.py imports the solver only inside the run command.
    assert graph.has_edge("peermatch.cli.run", "peermatch.solvers.cpsat")


def _loaded_after(code: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-c", code + "\nimport sys\nprint(' '.join(sorted(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return set(done.stdout.split())


def test_import_and_read_problem_do_not_load_ortools(examples_dir: Path) -> None:
    loaded = _loaded_after(
        "import peermatch\n"
        f"problem = peermatch.read_problem({str(examples_dir / 'participants.csv')!r},"
        f" history={str(examples_dir / 'history.csv')!r},"
        f" facilitators={str(examples_dir / 'facilitators.csv')!r},"
        f" config={str(examples_dir / 'program.toml')!r})\n"
        "assert len(problem.participants) == 120\n"
        "from peermatch.presolve import presolve_checks\n"
        "assert presolve_checks(problem) == []"
    )
    assert "peermatch.io" in loaded and "peermatch.presolve" in loaded
    assert not any(m == "ortools" or m.startswith("ortools.") for m in loaded)


def test_validate_and_help_do_not_load_ortools(examples_dir: Path) -> None:
    loaded = _loaded_after(
        "from click.testing import CliRunner\n"
        "from peermatch.cli import main\n"
        "runner = CliRunner()\n"
        "assert runner.invoke(main, ['--help']).exit_code == 0\n"
        f"assert runner.invoke(main, ['validate', {str(examples_dir / 'participants.csv')!r}]).exit_code == 0"
    )
    assert "peermatch.summary" in loaded
    assert "ortools" not in loaded


def test_the_first_solve_loads_ortools() -> None:
    loaded = _loaded_after(
        "import peermatch\n"
        "people = [peermatch.Participant(id=f'p{i}', name='P', email='p@x.org',"
        " organisation=f'O{i}', level=1) for i in range(8)]\n"
        "result = peermatch.solve(peermatch.ProblemData(participants=people),"
        " peermatch.SolveParams(time_limit=2, workers=1))\n"
        "assert result.solution is not None"
    )
    assert "ortools" in loaded
