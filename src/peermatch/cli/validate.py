"""``peermatch validate``: check the inputs and summarise the population, without solving."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from peermatch.cli.common import (
    EXIT_INFEASIBLE,
    fail,
    input_options,
    read_input,
)

__all__ = ["validate"]


@click.command()
@input_options
def validate(
    participants: Path,
    history: Path | None,
    facilitators: Path | None,
    previous: tuple[Path, ...],
    config: Path | None,
    locks: Path | None,
    pairs: Path | None,
    avoid_previous_organisations: bool,
) -> None:
    """Check the input files and summarise the population, without solving.

    Exit 0 when the input is valid and no quick check proves it unsolvable;
    1 with every problem as file:row:column: message; 3 when a pre-solve
    check proves that no solution exists (the diagnosis names the rule and
    the people or organisations in conflict).
    """
    from peermatch.presolve import presolve_checks
    from peermatch.summary import population_summary, render_rich, render_text

    problem = read_input(
        participants,
        history,
        facilitators,
        previous,
        config,
        locks,
        pairs,
        avoid_previous_organisations,
    )
    summary = population_summary(problem)
    if sys.stdout.isatty():
        from rich.console import Console

        render_rich(summary, Console())
    else:
        click.echo(render_text(summary))
    diagnoses = presolve_checks(problem)
    if diagnoses:
        fail(
            "\n".join(f"cannot be solved: {d}" for d in diagnoses),
            EXIT_INFEASIBLE,
        )
    click.echo("\ninput is valid; no pre-solve check found the program infeasible")
