"""``peermatch mdgp``: solve one MDGPLIB instance from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from peermatch.executor import default_workers
from peermatch.mdgp.bks import BksRecord, load_bks
from peermatch.mdgp.instance import read_mdgp
from peermatch.mdgp.solve import SEARCH_METHODS, solve_mdgp

__all__ = ["DEFAULT_TIME_LIMIT_S", "MAX_DEFAULT_WORKERS", "mdgp"]

#: Time limit used when ``bks.csv`` has no reference time for the instance.
DEFAULT_TIME_LIMIT_S = 10.0
#: Without ``--workers``: one search per core, at most this many (as ``peermatch run``).
MAX_DEFAULT_WORKERS = 8


def _bks_record(name: str) -> BksRecord | None:
    # The table is a convenience: a missing or broken one must not stop a solve.
    try:
        return load_bks().get(name)
    except (OSError, ValueError):
        return None


@click.command(name="mdgp")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--time-limit",
    type=click.FloatRange(min=0, min_open=True),
    default=None,
    help="Seconds; default: the instance's reference time in bks.csv, else 10.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=None,
    help="Cores: independent searches side by side, best kept (CP-SAT workers on n <= 30). "
    f"Default: one per core, at most {MAX_DEFAULT_WORKERS}; 1 for single-core comparisons.",
)
@click.option(
    "--search",
    type=click.Choice(SEARCH_METHODS),
    default="memetic",
    show_default=True,
    help="Primal search on instances too large for CP-SAT (n > 30).",
)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON object with the groups.")
def mdgp(
    file: Path,
    time_limit: float | None,
    seed: int,
    workers: int | None,
    search: str,
    as_json: bool,
) -> None:
    """Solve the maximally diverse grouping problem instance FILE (MDGPLIB format)."""
    try:
        instance = read_mdgp(file)
    except (OSError, ValueError) as exc:
        # ValueError messages already read "file:line: problem".
        msg = str(exc) if isinstance(exc, ValueError) else f"{file}: {exc.strerror or exc}"
        click.echo(f"error: {msg}", err=True)
        sys.exit(1)
    record = _bks_record(file.stem)
    if time_limit is None:
        ref = record.reference_time_limit_s if record is not None else None
        time_limit = ref if ref is not None else DEFAULT_TIME_LIMIT_S
    # A 16-core machine gets 16 searches, as in `peermatch run`.
    workers = workers or min(default_workers(), MAX_DEFAULT_WORKERS)
    result = solve_mdgp(
        instance,
        time_limit=time_limit,
        seed=seed,
        workers=workers,
        best_known=record.bks if record is not None else None,
        search=search,
    )
    if as_json:
        payload = {
            "instance": result.instance,
            "n": instance.n,
            "m": instance.m,
            "objective": result.objective,
            "best_known": result.best_known,
            "gap_percent": result.gap_percent,
            "best_bound": result.best_bound,
            "status": result.status,
            "time_limit_s": time_limit,
            "workers": workers,
            "runtime_s": result.runtime_s,
            "groups": [list(g) for g in result.groups],
        }
        click.echo(json.dumps(payload))
        return
    click.echo(f"instance:   {result.instance} (n={instance.n}, m={instance.m}, {instance.kind})")
    click.echo(f"objective:  {result.objective:.6f} ({result.status.lower()})")
    if result.best_bound is not None:
        click.echo(f"bound:      {result.best_bound:.6f}")
    if result.best_known is not None and result.gap_percent is not None:
        click.echo(f"best known: {result.best_known:.6f} (gap {result.gap_percent:.3f}%)")
    click.echo(f"runtime:    {result.runtime_s:.2f} s (limit {time_limit:g} s, {workers} workers)")
