"""Quick proofs that a problem cannot be solved, before any solver runs.

Each check is a necessary condition for every participant to be placed in a
cohort that meets the hard rules. When one fails, :func:`presolve_checks`
returns a :class:`~peermatch.rules.Diagnosis` that names the
:class:`~peermatch.rules.Rule` and the people or organisations in conflict, in
an organiser's words (the message names the ``program.toml`` key). An empty list proves nothing: the solver may still find
the problem infeasible for subtler reasons.

The checks (by rule, and the setting they come from)
----------------------------------------------------
``size`` (``min_size``)
    Fewer participants than ``min_size``: no cohort can be formed.
``organisation`` (``max_per_organisation``)
    At most ``n // min_size`` cohorts can exist, so an organisation can place
    at most ``cohorts * max_per_organisation`` people.
``level`` (``max_level_gap``)
    A person at level ``l`` can only share a cohort with people inside some
    band of ``max_level_gap + 1`` consecutive levels containing ``l``. When
    every such band holds fewer than ``min_size`` people who could sit
    together (at most ``max_per_organisation`` per organisation), that
    person cannot be placed.
``availability``
    A person must share at least one weekly slot (every session of the
    series, on its real dates) with ``min_size - 1`` others.
``neutrality`` (later waves, ``--previous``)
    The members of an earlier cohort must all be in different cohorts now:
    there must be as many cohorts as an earlier cohort has members here; and
    a cohort holds at most one person of each group of mutually linked people,
    so when a level's bands hold fewer groups than ``min_size`` nobody at that
    level can be placed (see :mod:`peermatch.waves`).
``facilitator`` (facilitators.csv, ``max_cohorts``)
    With facilitators, ``ceil(n / max_size)`` cohorts are needed and each
    needs one facilitator; their ``max_cohorts`` must add up to that many.
``blackout`` (``blackout_dates``)
    The blackout dates swallow every weekday's series of sessions.
``required`` (``[required] column = [values]``)
    Fewer holders of the values than the ``ceil(n / max_size)`` cohorts needed.
``presence`` (``[presence] column = N``)
    A value held by fewer than N participants: its holders could never be
    placed without being (nearly) the only one in their cohort.
``closeness`` (``[closeness] column = D``)
    A person whom no band of width D containing their value gives ``min_size``
    people (themselves included) cannot be placed.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import Counter, defaultdict

from peermatch.levels import DEFAULT_LADDER
from peermatch.model import ProblemData, closeness_value
from peermatch.rules import Diagnosis, Rule, listed
from peermatch.schedule import series_dates
from peermatch.slots import SlotTable, slot_table

__all__ = ["Diagnosis", "level_name", "presolve_checks"]


def level_name(problem: ProblemData, level: int) -> str:
    """A level as an organiser wrote it: ``3 (Senior Manager)`` or just ``3``."""
    ladder = problem.config.cohort.levels
    if ladder and level <= len(ladder):
        return f"{level} ({ladder[level - 1]})"
    if not ladder and level <= len(DEFAULT_LADDER):
        return f"{level} ({DEFAULT_LADDER[level - 1][0]})"
    return str(level)


def _size(problem: ProblemData) -> list[Diagnosis]:
    rules = problem.config.cohort
    n = len(problem.participants)
    if n >= rules.min_size:
        return []
    return [
        Diagnosis(
            Rule.SIZE,
            f"there are {n} participants but a cohort needs at least min_size = "
            f"{rules.min_size}: no cohort can be formed",
            tuple(p.id for p in problem.participants),
        )
    ]


def _organisations(problem: ProblemData) -> list[Diagnosis]:
    rules = problem.config.cohort
    n = len(problem.participants)
    cohorts = n // rules.min_size
    capacity = cohorts * rules.max_per_organisation
    members: dict[str, list[str]] = defaultdict(list)
    for p in problem.participants:
        members[p.organisation].append(p.id)
    out = []
    for org, ids in sorted(members.items()):
        if len(ids) > capacity:
            out.append(
                Diagnosis(
                    Rule.ORGANISATION,
                    f"{org} has {len(ids)} participants, but {n} people make at most "
                    f"{cohorts} cohorts of min_size = {rules.min_size}, which hold at most "
                    f"{capacity} people of one organisation (max_per_organisation = "
                    f"{rules.max_per_organisation}): {len(ids) - capacity} of {org} cannot be "
                    f"placed ({listed(ids)})",
                    tuple(ids),
                    (org,),
                )
            )
    return out


def _levels(problem: ProblemData) -> list[Diagnosis]:
    rules = problem.config.cohort
    gap = rules.max_level_gap
    by_level: dict[int, list[str]] = defaultdict(list)
    org_level: Counter[tuple[str, int]] = Counter()
    for p in problem.participants:
        by_level[p.level].append(p.id)
        org_level[(p.organisation, p.level)] += 1

    def seats(low: int) -> tuple[int, int]:
        """People in levels low..low+gap, and how many of them could sit together."""
        per_org: Counter[str] = Counter()
        for (org, level), count in org_level.items():
            if low <= level <= low + gap:
                per_org[org] += count
        total = sum(per_org.values())
        return total, sum(min(c, rules.max_per_organisation) for c in per_org.values())

    out = []
    for level in sorted(by_level):
        bands = [seats(low) for low in range(max(1, level - gap), level + 1)]
        best_total = max(t for t, _ in bands)
        best_seats = max(s for _, s in bands)
        if best_seats >= rules.min_size:
            continue
        band = f"levels {max(1, level - gap)}..{level + gap}" if gap else f"level {level}"
        why = (
            f"only {best_total} participants"
            if best_total < rules.min_size
            else f"only {best_seats} participants from different organisations "
            f"(max_per_organisation = {rules.max_per_organisation})"
        )
        ids = by_level[level]
        message = (
            f"{len(ids)} participants at level {level_name(problem, level)} can only share "
            f"a cohort with people at most max_level_gap = {gap} level(s) away ({band}), and there are "
            f"{why} within any such band, fewer than min_size = {rules.min_size}"
        )
        out.append(Diagnosis.naming(Rule.LEVEL, message, ids))
    return out


def _waves(problem: ProblemData) -> list[Diagnosis]:
    """What earlier waves make impossible (see :mod:`peermatch.waves`)."""
    from peermatch.waves import wave_checks

    return wave_checks(problem)


def _availability(problem: ProblemData, table: SlotTable) -> list[Diagnosis]:
    rules = problem.config
    need = rules.cohort.min_size - 1
    lonely: list[str] = []
    nowhere: list[str] = []
    for i, p in enumerate(problem.participants):
        companions = table.companions(i)
        if companions < 0:
            nowhere.append(p.id)
        elif companions < need:
            lonely.append(p.id)
    out = []
    minutes = rules.schedule.duration_minutes
    if nowhere:
        out.append(
            Diagnosis.naming(
                Rule.AVAILABILITY,
                f"{len(nowhere)} participants are free for no weekly slot of "
                f"{minutes} minutes on every session date (check their availability, time "
                f"zone and the blackout dates)",
                nowhere,
            )
        )
    if lonely:
        out.append(
            Diagnosis.naming(
                Rule.AVAILABILITY,
                f"{len(lonely)} participants share no weekly slot of {minutes} minutes with "
                f"at least {need} others (min_size = {rules.cohort.min_size})",
                lonely,
            )
        )
    return out


def _facilitators(problem: ProblemData) -> list[Diagnosis]:
    if not problem.facilitators:
        return []
    rules = problem.config.cohort
    n = len(problem.participants)
    needed = -(-n // rules.max_size)
    capacity = sum(f.max_cohorts for f in problem.facilitators)
    if needed <= capacity:
        return []
    return [
        Diagnosis(
            Rule.FACILITATOR,
            f"{n} participants need at least {needed} cohorts of at most max_size = "
            f"{rules.max_size}, but the facilitators can lead only {capacity} in all "
            f"(the sum of max_cohorts): {listed(f.id for f in problem.facilitators)}",
            tuple(f.id for f in problem.facilitators),
        )
    ]


def _placement(problem: ProblemData) -> list[Diagnosis]:
    """[required], [presence] and [closeness]: the cheap proofs (see the module docstring)."""
    config, people = problem.config, problem.participants
    rules = config.cohort
    found: list[Diagnosis] = []
    needed = -(-len(people) // rules.max_size)
    for column, wanted in sorted(config.required.items()):
        wanted_ci = {w.casefold() for w in wanted}
        holders = [p.id for p in people if (p.attribute(column) or "").casefold() in wanted_ci]
        if len(holders) < needed:
            found.append(
                Diagnosis(
                    Rule.REQUIRED,
                    f"[required] {column} = {list(wanted)}: {len(holders)} participant(s) hold "
                    f"one ({listed(holders) or 'nobody'}) but at least {needed} cohorts are "
                    f"needed for {len(people)} participants (max_size = {rules.max_size})",
                    tuple(holders),
                )
            )
    for column, least in sorted(config.presence.items()):
        by_value: dict[str, list[str]] = defaultdict(list)
        for p in people:
            if (value := p.attribute(column)) is not None:
                by_value[value].append(p.id)
        for value, ids in sorted(by_value.items()):
            if len(ids) < least:
                who = (
                    f"{ids[0]} is the only participant"
                    if len(ids) == 1
                    else (f"only {listed(ids)} have")
                )
                found.append(
                    Diagnosis(
                        Rule.PRESENCE,
                        f"{who} with {column} {value}: under [presence] {column} = {least} "
                        f"they cannot be placed without being fewer than {least} in a cohort",
                        tuple(ids),
                    )
                )
    for column, band in sorted(config.closeness.items()):
        found += _closeness(problem, column, band)
    return found


def _closeness(problem: ProblemData, column: str, band: float) -> list[Diagnosis]:
    """People whom no band of width ``band`` around their value gives min_size people."""
    values = sorted(
        (x, p.id)
        for p in problem.participants
        if (x := closeness_value(p.attribute(column))) is not None
    )
    numbers = [x for x, _ in values]
    starts = sorted(set(numbers))
    # People in each band [start, start + band] (a best band starts at someone's value).
    within = [bisect_right(numbers, s + band + 1e-9) - bisect_left(numbers, s) for s in starts]
    need = problem.config.cohort.min_size
    alone = []
    for x, pid in values:
        lo = bisect_left(starts, x - band - 1e-9)
        hi = bisect_right(starts, x)
        if max(within[lo:hi], default=0) < need:
            alone.append(pid)
    if not alone:
        return []
    return [
        Diagnosis(
            Rule.CLOSENESS,
            f"{listed(alone)}: fewer than min_size = {need} participants have a {column} "
            f"within {band:g} of theirs ([closeness] {column} = {band:g})",
            tuple(alone),
        )
    ]


def presolve_checks(problem: ProblemData, table: SlotTable | None = None) -> list[Diagnosis]:
    """Return every proven reason why ``problem`` cannot be solved (empty if none is found).

    Parameters
    ----------
    problem
        The validated problem.
    table
        Its slot table, when the caller has already computed it
        (``slots.slot_table(problem)``); computed here otherwise.

    Returns
    -------
    list of Diagnosis
        In a fixed order: size, organisations, levels, later waves, facilitators,
        placement rules (required, presence, closeness), availability.

    Examples
    --------
    >>> from peermatch.model import Participant, ProblemData
    >>> people = [Participant(id=f"p{i}", name="P", email="p@x.org", organisation=f"O{i}", level=1)
    ...           for i in range(3)]
    >>> [d.rule.value for d in presolve_checks(ProblemData(participants=people))]
    ['size']
    """
    found = _size(problem)
    if found:
        # The other checks would only repeat, in more words, that there are too few people.
        return found
    found += _organisations(problem)
    found += _levels(problem)
    found += _waves(problem)
    found += _facilitators(problem)
    found += _placement(problem)
    # The slot table quietly drops a series the blackouts swallow, so when they
    # swallow every weekday's series, say so here (availability would only be blamed).
    rules = problem.config.schedule
    errors: list[str] = []
    for weekday in range(7):
        try:
            series_dates(rules, weekday)
            break
        except ValueError as exc:
            errors.append(str(exc))
    else:
        return [
            *found,
            Diagnosis(Rule.BLACKOUT, f"the sessions cannot be scheduled: {errors[0]}"),
        ]
    try:
        if table is None:
            # The first week's slots alone usually show that everyone has company;
            # only when they do not is the full (staggered) table worth its cost,
            # since fewer slots could only make the check claim too much.
            table = slot_table(problem, offsets=1)
            if problem.facilitators and _availability(problem, table):
                table = slot_table(problem)
    except ValueError as exc:
        # schedule raises when blackout dates swallow a session for months.
        return [*found, Diagnosis(Rule.BLACKOUT, f"the sessions cannot be scheduled: {exc}")]
    found += _availability(problem, table)
    return found
