"""Writing a population in the contract's formats: the CSV files, ``program.toml`` and the planted reference.

``program.toml`` is written by :func:`peermatch.io.config.program_toml`, the one config writer."""

from __future__ import annotations

from pathlib import Path

from peermatch.availability import (
    format_availability,
)

__all__ = ["request_options", "write_population"]

from peermatch.generate._placement import COLUMNS
from peermatch.generate.population import Population
from peermatch.generate.shapes import PREVIOUS_FILE
from peermatch.io.config import program_toml
from peermatch.io.writers import participant_cells
from peermatch.waves import earlier_cohorts


def _csv_rows(population: Population) -> dict[str, tuple[list[str], list[list[str]]]]:
    problem = population.problem
    # The placement-rule columns (--placement-rules), as headers and as keys once read.
    extra = [
        (h, k) for h, k in COLUMNS.items() if any(k in p.attributes for p in problem.participants)
    ]
    participants = [
        [
            *participant_cells(p),
            p.manager_id or "",
            p.timezone or "",
            format_availability(p.availability) if p.availability else "",
            *(p.attributes.get(key, "") for _, key in extra),
        ]
        for p in problem.participants
    ]
    facilitators = [
        [
            f.id,
            f.name,
            f.email,
            f.organisation or "",
            f.timezone or "",
            format_availability(f.availability) if f.availability else "",
            str(f.max_cohorts),
        ]
        for f in problem.facilitators
    ]
    # The first wave of an alumni-wave shape goes to its own file, read with --previous.
    history = [[h.a, h.b, h.relation] for h in problem.history if h.source != PREVIOUS_FILE]
    tables = {
        "participants.csv": (
            ["id", "name", "email", "organisation", "level", "industry", "function",
             "manager_id", "timezone", "availability", *(h for h, _ in extra)],
            participants,
        ),
        "history.csv": (["person_a", "person_b", "relation"], history),
        "facilitators.csv": (
            ["id", "name", "email", "organisation", "timezone", "availability", "max_cohorts"],
            facilitators,
        ),
    }  # fmt: skip
    tables.update(_request_rows(population))
    return tables


def _request_rows(population: Population) -> dict[str, tuple[list[str], list[list[str]]]]:
    """locks.csv, pairs.csv and previous_cohorts.csv, each only when the population has some."""
    problem = population.problem
    out: dict[str, tuple[list[str], list[list[str]]]] = {}
    if problem.locks:
        rows = [[lock.participant_id, lock.cohort_id] for lock in problem.locks]
        out["locks.csv"] = (["participant_id", "cohort_id"], rows)
    if problem.pairs:
        rows = [[pair.a, pair.b, pair.rule] for pair in problem.pairs]
        out["pairs.csv"] = (["person_a", "person_b", "rule"], rows)
    earlier = {
        cid: sorted(members)
        for (source, cid), members in earlier_cohorts(problem).items()
        if source == PREVIOUS_FILE
    }
    if earlier:
        rows = [[cid, pid] for cid, members in sorted(earlier.items()) for pid in members]
        out[PREVIOUS_FILE] = (["cohort_id", "participant_id"], rows)
    return out


#: The request tables a shape may write, with the ``peermatch run`` option that reads each.
_REQUEST_OPTIONS = (
    ("--locks", "locks.csv"), ("--pairs", "pairs.csv"), ("--previous", PREVIOUS_FILE),
)  # fmt: skip


def request_options(folder: str | Path) -> list[str]:
    """The ``peermatch run`` options for the request tables a generated ``folder`` holds.

    >>> request_options("no-such-folder")
    []
    """
    return [
        part
        for flag, name in _REQUEST_OPTIONS
        if (Path(folder) / name).exists()
        for part in (flag, str(Path(folder) / name))
    ]


def write_population(population: Population, out_dir: str | Path) -> list[Path]:
    """Write ``participants.csv``, ``history.csv``, ``facilitators.csv`` and ``program.toml``.

    A population with locks, pairs or a first wave (the ``locks-together`` and
    ``alumni-wave`` shapes) also gets ``locks.csv``, ``pairs.csv`` or
    ``previous_cohorts.csv`` (for ``--locks``, ``--pairs`` and ``--previous``).

    The files follow the I/O contract, so ``peermatch validate`` reads them
    back to an equal :class:`ProblemData`. ``history.csv`` and
    ``facilitators.csv`` are written (header only) even when empty. A planted
    population also gets ``planted_cohorts.csv`` (``cohort_id, participant_id,
    facilitator_id, slot``): the hidden reference, in a file the readers ignore.

    Parameters
    ----------
    population
        What :func:`generate_population` returned.
    out_dir
        Folder to write into (created if missing; existing files are replaced).

    Returns
    -------
    list of pathlib.Path
        The files written, in order.
    """
    # The shared CSV writer neutralises formula triggers (see peermatch.io.safecsv),
    # and peermatch's readers undo it, so the files still read back equal.
    from peermatch.io.safecsv import Writer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, (header, rows) in _csv_rows(population).items():
        path = out / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = Writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    path = out / "program.toml"
    path.write_text(
        program_toml(population.problem.config, comment="Written by peermatch generate."),
        encoding="utf-8",
    )
    written.append(path)
    if population.planted is not None:
        path = out / "planted_cohorts.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = Writer(fh)
            writer.writerow(["cohort_id", "participant_id", "facilitator_id", "slot"])
            for c in population.planted.cohorts:
                for m in c.members:
                    writer.writerow([c.id, m, c.facilitator_id or "", str(c.slot or "")])
        written.append(path)
    return written
