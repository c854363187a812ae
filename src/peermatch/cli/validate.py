"""``peermatch validate``: check the inputs and summarise the population, without solving."""

from __future__ import annotations

import sys

import click

from peermatch.cli.common import (
    EXIT_INFEASIBLE,
    InputFiles,
    fail,
    input_options,
    read_input,
)

__all__ = ["validate"]


@click.command()
@input_options
def validate(
    inputs: InputFiles,
) -> None:
    """Check the input files and summarise the population, without solving.

    Exit 0 when the input is valid and no quick check proves it unsolvable;
    1 with every problem as file:row:column: message; 3 when a pre-solve
    check proves that no solution exists (the diagnosis names the rule and
    the people or organisations in conflict).
    """
    from peermatch.presolve import presolve_checks
    from peermatch.summary import population_summary, render_rich, render_text

    problem = read_input(inputs)
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
