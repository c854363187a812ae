"""``peermatch generate``: a synthetic population in the input formats."""

from __future__ import annotations

from pathlib import Path

import click

from peermatch.cli.common import out_option

__all__ = ["generate"]

# peermatch.generate.shapes.SHAPES, spelt out so that the command line loads without numpy
# (tests/test_shapes.py checks they agree).
_SHAPES = ("sponsor", "two-sponsors", "narrow-levels", "scarce-slots", "facilitators-at-capacity",
           "locks-together", "alumni-wave")  # fmt: skip


@click.command()
@click.option("--size", type=click.IntRange(min=1), required=True, help="Number of participants.")
@click.option(
    "--seed", type=click.IntRange(min=0), required=True, help="Random seed (same seed, same files)."
)
@out_option("Folder to write participants.csv, history.csv, facilitators.csv and program.toml to.")
@click.option(
    "--planted",
    is_flag=True,
    help="Build around a hidden feasible assignment (also written as planted_cohorts.csv).",
)
@click.option(
    "--difficulty",
    type=click.Choice(["easy", "normal", "hard"]),
    default="normal",
    show_default=True,
    help="Tighter availability, more history and bigger organisations as it rises.",
)
@click.option(
    "--shape",
    type=click.Choice(_SHAPES),
    help="A hard shape, planted (implies --planted; see peermatch.generate.shapes); "
    "locks-together also writes locks.csv and pairs.csv, alumni-wave previous_cohorts.csv.",
)
@click.option("--no-facilitators", is_flag=True, help="Generate no facilitators.csv rows.")
@click.option(
    "--placement-rules",
    is_flag=True,
    help="Add gender, market and company_size columns and a program.toml using [limits], "
    "[presence], [required] and [closeness] on them (kept by the planted assignment).",
)
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def generate(
    size: int,
    seed: int,
    out: Path,
    planted: bool,
    difficulty: str,
    shape: str | None,
    no_facilitators: bool,
    placement_rules: bool,
    force: bool,
) -> None:
    """Write a synthetic population in the input formats (for trials and benchmarks)."""
    import shutil
    import tempfile

    from peermatch.generate import generate_population, write_population
    from peermatch.generate.shapes import PREVIOUS_FILE, shaped_population

    if out.exists() and any(out.iterdir()) and not force:
        raise click.UsageError(f"{out} is not empty; use --force to write into it anyway")
    try:
        if shape is not None:
            planted = True
            population = shaped_population(shape, size, seed, facilitators=not no_facilitators)
        else:
            population = generate_population(
                size,
                seed,
                planted=planted,
                difficulty=difficulty,
                facilitators=not no_facilitators,
                placement_rules=placement_rules,
            )
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    out.mkdir(parents=True, exist_ok=True)
    # Write beside the target first so that a failure leaves no half-written set.
    with tempfile.TemporaryDirectory(dir=out, prefix=".generate-") as tmp:
        files = write_population(population, tmp)
        written = [Path(shutil.move(str(f), out / f.name)) for f in files]
    problem = population.problem
    # An alumni-wave's first wave is written to its own file, not to history.csv.
    history = sum(h.source != PREVIOUS_FILE for h in problem.history)
    click.echo(
        f"generated {len(problem.participants)} participants in "
        f"{len({p.organisation for p in problem.participants})} organisations, "
        f"{len(problem.facilitators)} facilitators, {history} history links "
        f"(seed {seed}, {shape or difficulty}{', planted' if planted else ''})"
    )
    if population.planted is not None:
        click.echo(f"planted reference: {len(population.planted.cohorts)} cohorts, no rule broken")
    rows = {
        "participants.csv": len(problem.participants),
        "history.csv": history,
        "facilitators.csv": len(problem.facilitators),
        "planted_cohorts.csv": len(problem.participants),
        "locks.csv": len(problem.locks),
        "pairs.csv": len(problem.pairs),
    }
    for path in written:
        count = f" ({rows[path.name]} rows)" if path.name in rows else ""
        click.echo(f"wrote {path}{count}")
