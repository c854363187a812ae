"""The ``peermatch`` command line: read, solve, write, summarise.

Exit status (the contract): 0 done; 1 invalid input; 2 usage error;
3 proven infeasible; 4 no solution found within the time limit.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

__all__ = ["EXIT_INFEASIBLE", "EXIT_INVALID", "EXIT_NO_SOLUTION", "EXIT_OK", "EXIT_USAGE", "main"]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4

_existing = click.Path(exists=True, dir_okay=False, path_type=Path)


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The contract's input options, shared by ``run`` and ``validate``."""
    decorators = [
        click.argument("participants", type=_existing),
        click.option(
            "--history", type=_existing, help="history.csv: pairs who must never share a cohort."
        ),
        click.option("--facilitators", type=_existing, help="facilitators.csv."),
        click.option(
            "--previous",
            type=_existing,
            multiple=True,
            help="cohorts.csv of an earlier wave (repeatable): its cohort-mates count as shared history.",
        ),
        click.option("--config", type=_existing, help="program.toml (every key has a default)."),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``; never a traceback."""
    click.echo(message, err=True)
    sys.exit(code)


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="peermatch")
def main() -> None:
    """Form peer-coaching cohorts and schedule their sessions."""


# --- validate (issue 2) -------------------------------------------------------

# --- run (issue 3) -------------------------------------------------------------

# --- generate (issue 5) ---------------------------------------------------------

# --- mdgp (issue 5) -------------------------------------------------------------
