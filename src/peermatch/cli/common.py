"""What every command shares: exit codes (the contract's), :func:`fail`,
the input options and :func:`read_input`.

Every command module imports these from here, never from the package
:mod:`peermatch.cli`, which imports the command modules: no import cycle.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from peermatch.rules import Violation

__all__ = [
    "EXIT_DELIVERY",
    "EXIT_INFEASIBLE",
    "EXIT_INVALID",
    "EXIT_NO_SOLUTION",
    "EXIT_OK",
    "EXIT_REJECTED",
    "EXIT_USAGE",
    "fail",
    "input_options",
    "read_input",
    "rejected",
    "table_path",
]

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INFEASIBLE, EXIT_NO_SOLUTION = 0, 1, 2, 3, 4
#: A solution was found but the independent checker rejected it (a solver bug).
EXIT_REJECTED = 5
#: ``invite`` stopped delivering partway (the ledger holds what was accepted).
EXIT_DELIVERY = 6


def fail(message: str, code: int) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code``; never a traceback."""
    click.echo(message, err=True)
    sys.exit(code)


_existing = click.Path(exists=True, dir_okay=False, path_type=Path)


class TablePath(click.ParamType):
    """An input table: an existing CSV file, or ``book.xlsx`` / ``book.xlsx#Sheet``.

    The workbook part must exist; the sheet is checked when the table is read
    (an unknown sheet is an input problem listing the sheets, exit 1).
    """

    name = "file"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        from peermatch.io.workbook import split_sheet

        if isinstance(value, Path):
            return value
        split = split_sheet(str(value))
        path = split[0] if split is not None else Path(value)
        _existing.convert(str(path), param, ctx)
        return Path(value)


#: Every table option's type: a CSV file or an Excel workbook's sheet.
table_path = TablePath()


def input_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The contract's input options, shared by ``run`` and ``validate``."""
    decorators = [
        click.argument("participants", type=table_path),
        click.option(
            "--history", type=table_path, help="history.csv: pairs who must never share a cohort."
        ),
        click.option(
            "--facilitators", type=table_path, help="facilitators.csv (or book.xlsx#Sheet)."
        ),
        click.option(
            "--previous",
            type=table_path,
            multiple=True,
            help="cohorts.csv of an earlier wave (repeatable): its cohort-mates count as shared history.",
        ),
        click.option("--config", type=_existing, help="program.toml (every key has a default)."),
        click.option(
            "--locks", type=table_path, help="locks.csv: participant_id, cohort_id (hard)."
        ),
        click.option(
            "--pairs", type=table_path, help="pairs.csv: person_a, person_b, rule together|apart."
        ),
        click.option(
            "--avoid-previous-organisations",
            is_flag=True,
            help="Also keep alumni (--previous) away from their earlier cohort-mates' organisations.",
        ),
    ]
    for decorator in reversed(decorators):
        func = decorator(func)
    return func


def read_input(
    participants: Path,
    history: Path | None,
    facilitators: Path | None,
    previous: tuple[Path, ...],
    config: Path | None,
    locks: Path | None = None,
    pairs: Path | None = None,
    avoid_previous_organisations: bool = False,
) -> Any:
    """Read the input files; an :class:`~peermatch.errors.InputError` propagates.

    The command group prints its problems and exits 1 (see
    :mod:`peermatch.cli.errors`). Warnings (an Excel Windows-1252 export, an
    empty optional file) go to stderr first as ``file:row:column: warning: ...``
    and do not change the exit status.
    """
    import warnings

    from peermatch.io import InputWarning, read_problem

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", InputWarning)
        try:
            problem = read_problem(
                participants,
                history=history,
                facilitators=facilitators,
                previous=previous,
                config=config,
                locks=locks,
                pairs=pairs,
            )
        finally:
            for w in caught:
                if issubclass(w.category, InputWarning):
                    click.echo(str(w.message), err=True)
    if avoid_previous_organisations:
        from peermatch.waves import avoid_previous_organisations as avoid

        problem = avoid(problem)
    return problem


def rejected(broken: Sequence[Violation]) -> NoReturn:
    """A solution the independent checker rejects is a solver bug: say so, write nothing."""
    fail(
        "internal error: the solver found a solution that breaks rules it must keep "
        "(please report this):\n" + "\n".join(str(v) for v in broken) + "\nnothing was written",
        EXIT_REJECTED,
    )


# --- generate (issue 5) ---------------------------------------------------------
