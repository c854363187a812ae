"""Quality figures of a solution, independent of any solver.

:func:`cohort_metrics` describes each cohort and the whole solution in the
organiser's terms (how many industries meet in a cohort, how evenly, how many
hours a week its members share); :func:`diversity_cost` recomputes the exact
objective the CP-SAT model minimises, so that a solver's reported objective
can be checked against the cohorts it returns.

Conventions
-----------
- Diversity attributes are those of :attr:`ProblemData.diversity_weights`.
  A blank value is no value: it never counts as equal to another blank, adds
  nothing to the distinct count and is left out of the entropy.
- *Best* figures are what the population allows for one cohort of the same
  size on its own: ``best_distinct = min(size, values in the population)``
  and ``best_entropy`` is the entropy of the most even split of ``size``
  people over the population's values, no value used more often than the
  population holds it (water-filling). They are upper bounds for that cohort,
  not necessarily reachable by every cohort at once.
- Entropies are Shannon entropies in bits.
- *Common hours* approximate the weekly time all members are available at
  once: each member's weekly windows are shifted into the cohort's zone (its
  slot's zone, else the zone :func:`~peermatch.violations.anchor_zone`
  picks) using the UTC offsets of the cohort's first session date (the
  program's start date when the cohort has no sessions), intersected at
  one-minute resolution and summed. Daylight-saving changes later in the
  series are ignored.

Every figure returned is a plain ``int``, ``float``, ``str``, ``None``,
``list`` or ``dict``, so the result can go straight into ``json.dumps``.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

from peermatch.availability import Window
from peermatch.model import Participant, ProblemData
from peermatch.solution import Cohort, Solution
from peermatch.violations import anchor_zone

__all__ = [
    "best_entropy",
    "cohort_metrics",
    "common_hours",
    "diversity_cost",
    "entropy_bits",
    "even_split",
    "same_value_pairs",
]

_WEEK = 7 * 1440


def entropy_bits(counts: Iterable[int]) -> float:
    """Shannon entropy (bits) of a split given by its counts; 0 for an empty split.

    >>> entropy_bits([2, 2])
    1.0
    """
    values = [c for c in counts if c > 0]
    total = sum(values)
    if total == 0:
        return 0.0
    # Adding 0.0 turns the -0.0 of a one-value split into 0.0 for JSON readers.
    return float(-sum(c / total * math.log2(c / total) for c in values)) + 0.0


def even_split(size: int, caps: Iterable[int]) -> list[int]:
    """The most even split of ``size`` items over values holding at most ``caps`` items each.

    Small caps are filled first; the rest is shared as evenly as integers allow.
    The result majorises every other feasible split from below, so it maximises
    entropy (and distinct count). If ``size`` exceeds ``sum(caps)`` the caps are returned.

    >>> even_split(5, [1, 10, 10])
    [1, 2, 2]
    """
    ordered = sorted(c for c in caps if c > 0)
    out: list[int] = []
    left = size
    for i, cap in enumerate(ordered):
        share = left // (len(ordered) - i)
        if cap <= share:
            out.append(cap)
            left -= cap
        else:
            rest = len(ordered) - i
            base, extra = divmod(left, rest)
            out.extend(base + (1 if j < extra else 0) for j in range(rest))
            left = 0
            break
    return out


def best_entropy(size: int, caps: Iterable[int]) -> float:
    """Entropy (bits) of :func:`even_split`: the most diverse a cohort of ``size`` can be."""
    return entropy_bits(even_split(size, caps))


def same_value_pairs(values: Iterable[str | None]) -> int:
    """Pairs of equal, non-blank values: the diversity objective's count for one attribute."""
    counts = Counter(v for v in values if v is not None)
    return sum(c * (c - 1) // 2 for c in counts.values())


def diversity_cost(problem: ProblemData, solution: Solution) -> float:
    """The solver's objective, recomputed from the cohorts alone.

    ``sum over attributes a of round(1000 * w_a) * (same-value member pairs of a
    within cohorts) + 1000 * sum over cohorts of |size - target_size|``, blank
    values never counting as equal. Unassigned people cost nothing here.

    Parameters
    ----------
    problem
        Supplies the weights (:attr:`ProblemData.diversity_weights`) and the target size.
    solution
        Its cohorts' members; ids that are not participants are ignored for the
        attribute terms but count towards the size.

    Returns
    -------
    float
        A whole number, as a float (the CP-SAT objective's type).
    """
    weights = {a: round(1000 * w) for a, w in problem.diversity_weights.items()}
    target = problem.config.cohort.target_size
    cost = 0
    for cohort in solution.cohorts:
        people = _people(problem, cohort.members)
        for attr, weight in weights.items():
            cost += weight * same_value_pairs(p.attribute(attr) for p in people)
        cost += 1000 * abs(len(cohort.members) - target)
    return float(cost)


def cohort_metrics(problem: ProblemData, solution: Solution) -> dict[str, Any]:
    """Per-cohort and overall quality figures (see the module docstring for definitions).

    Parameters
    ----------
    problem
        The problem the solution belongs to.
    solution
        Cohorts (slots and sessions optional) and unassigned people.

    Returns
    -------
    dict
        ``{"cohorts": [...], "overall": {...}}``. Each cohort has ``id``,
        ``size``, ``facilitator_id``, ``level_min``, ``level_max``,
        ``level_spread``, ``common_hours`` and ``attributes`` mapping each
        diversity attribute to ``distinct``, ``best_distinct``, ``entropy``,
        ``best_entropy`` and ``same_pairs``. ``overall`` has ``cohorts``,
        ``placed``, ``unassigned``, ``size_min``, ``size_max``, ``size_mean``,
        ``size_spread``, ``level_spread_mean``, ``level_spread_max``,
        ``common_hours_mean``, ``common_hours_min``, ``diversity_cost`` and
        ``attributes`` mapping each attribute to the mean and min of the
        cohort figures (``distinct_mean``, ``distinct_min``,
        ``best_distinct_mean``, ``entropy_mean``, ``entropy_min``,
        ``best_entropy_mean``) and the total ``same_pairs``. Means and mins
        are ``None`` when there is no cohort.
    """
    attrs = list(problem.diversity_weights)
    population = {
        a: Counter(v for p in problem.participants if (v := p.attribute(a)) is not None)
        for a in attrs
    }
    cohorts: list[dict[str, Any]] = []
    for cohort in solution.cohorts:
        people = _people(problem, cohort.members)
        size = len(cohort.members)
        levels = [p.level for p in people]
        per_attr: dict[str, dict[str, Any]] = {}
        for a in attrs:
            values = [p.attribute(a) for p in people]
            counts = Counter(v for v in values if v is not None)
            per_attr[a] = {
                "distinct": len(counts),
                "best_distinct": min(size, len(population[a])),
                "entropy": entropy_bits(counts.values()),
                "best_entropy": best_entropy(size, population[a].values()),
                "same_pairs": same_value_pairs(values),
            }
        cohorts.append(
            {
                "id": cohort.id,
                "size": size,
                "facilitator_id": cohort.facilitator_id,
                "level_min": min(levels) if levels else None,
                "level_max": max(levels) if levels else None,
                "level_spread": max(levels) - min(levels) if levels else 0,
                "common_hours": common_hours(problem, cohort),
                "attributes": per_attr,
            }
        )
    placed = len({m for c in solution.cohorts for m in c.members})
    sizes = [c["size"] for c in cohorts]
    overall: dict[str, Any] = {
        "cohorts": len(cohorts),
        "placed": placed,
        "unassigned": len({u.participant_id for u in solution.unassigned}),
        "size_min": min(sizes, default=None),
        "size_max": max(sizes, default=None),
        "size_mean": _mean(sizes),
        "size_spread": max(sizes) - min(sizes) if sizes else 0,
        "level_spread_mean": _mean(c["level_spread"] for c in cohorts),
        "level_spread_max": max((c["level_spread"] for c in cohorts), default=None),
        "common_hours_mean": _mean(c["common_hours"] for c in cohorts),
        "common_hours_min": _min(c["common_hours"] for c in cohorts),
        "diversity_cost": diversity_cost(problem, solution),
        "attributes": {
            a: {
                "distinct_mean": _mean(c["attributes"][a]["distinct"] for c in cohorts),
                "distinct_min": _min(c["attributes"][a]["distinct"] for c in cohorts),
                "best_distinct_mean": _mean(c["attributes"][a]["best_distinct"] for c in cohorts),
                "entropy_mean": _mean(c["attributes"][a]["entropy"] for c in cohorts),
                "entropy_min": _min(c["attributes"][a]["entropy"] for c in cohorts),
                "best_entropy_mean": _mean(c["attributes"][a]["best_entropy"] for c in cohorts),
                "same_pairs": sum(c["attributes"][a]["same_pairs"] for c in cohorts),
            }
            for a in attrs
        },
    }
    return {"cohorts": cohorts, "overall": overall}


def common_hours(problem: ProblemData, cohort: Cohort) -> float:
    """Hours a week all members of ``cohort`` are available at once (see the module docstring)."""
    people = _people(problem, cohort.members)
    if not people:
        return 0.0
    zone = cohort.slot.zone if cohort.slot else anchor_zone(problem, [p.id for p in people])
    day = cohort.sessions[0].start.date() if cohort.sessions else problem.config.schedule.start_date
    ref = _offset(zone, day)
    shared: np.ndarray | None = None
    for key in {(problem.timezone_of(p), problem.availability_of(p)) for p in people}:
        week = _week_mask(key[1], _offset(key[0], day) - ref)
        shared = week.copy() if shared is None else shared & week
    assert shared is not None
    return float(int(shared.sum()) / 60)


def _people(problem: ProblemData, members: Sequence[str]) -> list[Participant]:
    return [problem.participants[problem.index[m]] for m in members if m in problem.index]


@lru_cache(maxsize=4096)
def _offset(zone: str, day: date) -> int:
    """UTC offset of ``zone`` at noon on ``day``, in minutes."""
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(zone))
    delta = moment.utcoffset()
    assert delta is not None
    return int(delta.total_seconds() // 60)


@lru_cache(maxsize=4096)
def _week_mask(windows: tuple[Window, ...], shift: int) -> np.ndarray:
    """Minutes of the reference week covered by ``windows`` of a zone ``shift`` minutes ahead."""
    mask = np.zeros(_WEEK, dtype=bool)
    for w in windows:
        # Local time t in a zone `shift` minutes ahead is t - shift in the reference zone.
        lo = w.day * 1440 + w.start - shift
        hi = w.day * 1440 + w.end - shift
        for a, b in _wrap(lo, hi):
            mask[a:b] = True
    mask.flags.writeable = False
    return mask


def _wrap(lo: int, hi: int) -> list[tuple[int, int]]:
    lo_m, span = lo % _WEEK, hi - lo
    if lo_m + span <= _WEEK:
        return [(lo_m, lo_m + span)]
    return [(lo_m, _WEEK), (0, lo_m + span - _WEEK)]


def _mean(values: Iterable[float | int]) -> float | None:
    vals = list(values)
    return float(sum(vals) / len(vals)) if vals else None


def _min(values: Iterable[float | int]) -> float | int | None:
    return min(values, default=None)
