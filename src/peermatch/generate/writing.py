"""Writing a population in the contract's formats: the CSV files, ``program.toml`` and the planted reference."""

from __future__ import annotations

import json
from pathlib import Path

from peermatch.availability import (
    format_availability,
)
from peermatch.model import (
    ProgramConfig,
    ScheduleRules,
)

__all__ = ["program_toml", "write_population"]

from peermatch.generate.population import Population


def _csv_rows(population: Population) -> dict[str, tuple[list[str], list[list[str]]]]:
    problem = population.problem
    participants = [
        [
            p.id,
            p.name,
            p.email,
            p.organisation,
            p.level_label or str(p.level),
            p.industry or "",
            p.function or "",
            p.manager_id or "",
            p.timezone or "",
            format_availability(p.availability) if p.availability else "",
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
    history = [[h.a, h.b, h.relation] for h in problem.history]
    return {
        "participants.csv": (
            ["id", "name", "email", "organisation", "level", "industry", "function",
             "manager_id", "timezone", "availability"],
            participants,
        ),
        "history.csv": (["person_a", "person_b", "relation"], history),
        "facilitators.csv": (
            ["id", "name", "email", "organisation", "timezone", "availability", "max_cohorts"],
            facilitators,
        ),
    }  # fmt: skip


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def program_toml(config: ProgramConfig) -> str:
    """``config`` as a ``program.toml`` text that reads back to an equal :class:`ProgramConfig`."""
    c, s, v = config.cohort, config.schedule, config.solver
    default = ScheduleRules()
    tables: list[tuple[str, dict[str, object]]] = [
        ("program", {"name": config.program.name, "id": config.program.id}),
        (
            "cohort",
            {
                "min_size": c.min_size,
                "max_size": c.max_size,
                "target_size": c.target_size,
                "max_per_organisation": c.max_per_organisation,
                "max_level_gap": c.max_level_gap,
                **({"levels": list(c.levels)} if c.levels else {}),
            },
        ),
        ("diversity", dict(config.diversity or {})),
        ("similarity", {"attributes": list(config.similarity)}),
        (
            "schedule",
            {
                "start_date": s.start_date.isoformat(),
                "cadence_weeks": s.cadence_weeks,
                "sessions": s.sessions,
                "duration_minutes": s.duration_minutes,
                "timezone": s.timezone,
                "default_availability": format_availability(s.default_availability),
                "blackout_dates": [
                    r.first.isoformat()
                    if r.first == r.last
                    else f"{r.first.isoformat()}..{r.last.isoformat()}"
                    for r in s.blackout_dates
                ],
                **({"topics": list(s.topics)} if s.topics else {}),
                **(
                    {"slot_minutes": s.slot_minutes}
                    if s.slot_minutes != default.slot_minutes
                    else {}
                ),
            },
        ),
        (
            "solver",
            {
                "time_limit_seconds": v.time_limit_seconds,
                "seed": v.seed,
                **({"workers": v.workers} if v.workers is not None else {}),
            },
        ),
        ("calendar", {"mode": config.calendar.mode}),
    ]
    lines = ["# Written by peermatch generate.", ""]
    for name, table in tables:
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        lines.append("")
    return "\n".join(lines)


def write_population(population: Population, out_dir: str | Path) -> list[Path]:
    """Write ``participants.csv``, ``history.csv``, ``facilitators.csv`` and ``program.toml``.

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
    path.write_text(program_toml(population.problem.config), encoding="utf-8")
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
