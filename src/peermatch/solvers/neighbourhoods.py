"""Which cohorts one neighbourhood step frees: the choosers of the neighbourhood search.

A step of :mod:`peermatch.solvers.search.lns` re-forms a few cohorts with
CP-SAT, so what it can gain is decided before the model is built: by which
cohorts it frees. Each chooser here answers that for one situation:

- :func:`around_person`: a left-out person and the cohorts that come closest
  to taking them;
- :func:`around_option`: a left-out person, one meeting option of theirs,
  and the cohorts with most members who could meet there with them (room
  for a *new* cohort when no existing one can take them);
- :func:`around_room`: a left-out person held out by their organisation, the
  cohorts with room for it, and the cohorts between them in seniority (a
  chain of colleagues moving one level band at a time);
- :func:`around_leaderless`: a cohort without a facilitator, cohorts led by
  someone who could lead it, and its neighbours in seniority;
- :func:`around_excess`: a cohort holding more people of one value than a
  balanced spread allows, and cohorts short of that value that its people
  can reach (what binds the cost once everything is placed);
- :func:`around_cohort`: a cohort and its nearest neighbours in seniority.

Pure bookkeeping on a :class:`~peermatch.solvers.instance.FormationInstance`
and lists of member indices; nothing here imports a solver.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from peermatch.params import NeighbourhoodParams
from peermatch.rules import Rule
from peermatch.solvers.instance import FormationInstance

__all__ = [
    "around_cohort",
    "around_excess",
    "around_leaderless",
    "around_option",
    "around_person",
    "around_room",
    "mean_level",
    "over_full",
]


def mean_level(inst: FormationInstance, members: Sequence[int]) -> float:
    """The mean seniority level of ``members``."""
    return sum(inst.levels[i] for i in members) / len(members)


def around_cohort(
    inst: FormationInstance, current: list[list[int]], pivot: int, rng: random.Random, size: int
) -> list[int]:
    """The pivot cohort and the cohorts nearest to it in seniority (so people can move)."""
    level = mean_level(inst, current[pivot])
    ranked = sorted(
        range(len(current)),
        key=lambda k: (k != pivot, abs(mean_level(inst, current[k]) - level), rng.random()),
    )
    return sorted(ranked[:size])


def around_leaderless(
    inst: FormationInstance,
    current: list[list[int]],
    facs: list[int | None],
    pivot: int,
    rng: random.Random,
    size: int,
) -> list[int]:
    """A cohort without a facilitator, cohorts led by those who could lead it, and its neighbours.

    Freeing a facilitator means re-forming a cohort they lead; the neighbours in
    seniority let members change places when nobody is neutral for the pivot.
    """
    need = 0
    for i in current[pivot]:
        need |= 1 << i
    could = 0
    for o in inst.options:
        if o.mask & need == need:
            could |= o.facilitator_mask
    led = [k for k, f in enumerate(facs) if f is not None and could >> f & 1]
    rng.shuffle(led)
    chosen = {pivot, *led[: max(1, size // 2)]}
    for k in around_cohort(inst, current, pivot, rng, size):
        if len(chosen) >= size:
            break
        chosen.add(k)
    return sorted(chosen)


def around_person(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    rng: random.Random,
    size: int,
    max_extra: int,
) -> tuple[list[int], list[int]]:
    """Cohorts that could take a left-out person but for one or two members, and that person.

    Cohorts are ranked by how close they come to taking the person: sharing a
    meeting option, levels within reach, room for their organisation, no link
    to them (then at random). The best half of the neighbourhood is those that
    come closest; the rest are the best-ranked of those held back only by the
    person's organisation or links, since moving those members out (into the
    first half) is what makes room. Regression (issue 11): at n = 100,000 one
    organisation held 12,500 people for 12,780 cohorts, so only a few dozen
    cohorts could take one of them, and picking among all that share an option
    at random (1,582 of them) never found one in 38 steps.
    """
    u = left[rng.randrange(len(left))]
    mine = _option_bits(inst, [u])
    lv, org, links = inst.levels[u], inst.org_of[u], inst.conflict_sets[u]

    def rank(k: int) -> tuple[int, int, int, float]:
        members = current[k]
        shared = mine & _option_bits(inst, members)
        levels = [inst.levels[i] for i in members] + [lv]
        # A [closeness] band counts as the level gap does, a [limits] value as the organisation.
        held = (
            {rule for rule, _ in inst.placement.blockers(u, members)} if inst.placement else set()
        )
        reach = max(levels) - min(levels) <= inst.max_level_gap and Rule.CLOSENESS not in held
        blocked = (
            sum(inst.org_of[i] == org for i in members) >= inst.max_per_org
            or any(i in links for i in members)
            or Rule.LIMITS in held
        )
        return (0 if shared else 1, 0 if reach else 1, 1 if blocked else 0, rng.random())

    keys = {k: rank(k) for k in range(len(current))}
    ranked = sorted(keys, key=keys.__getitem__)
    half = max(2, size // 2)
    chosen = set(ranked[:half])
    # Held back by organisation or links only (options and levels fit): their members
    # in the way can move into the cohorts above.
    blockers = [k for k in ranked[half:] if keys[k][:3] == (0, 0, 1)]
    for k in blockers:
        if len(chosen) >= size:
            break
        chosen.add(k)
    for k in ranked[half:]:
        if len(chosen) >= size:
            break
        chosen.add(k)
    return sorted(chosen), _taken_in(inst, left, u, max_extra)


def _taken_in(inst: FormationInstance, left: list[int], u: int, max_extra: int) -> list[int]:
    """The left-out people a step around ``u`` takes in: ``u``, then others within their reach."""
    lv = inst.levels[u]
    near = [i for i in left if i != u and abs(inst.levels[i] - lv) <= inst.max_level_gap]
    return [u, *near[: max_extra - 1]]


def around_option(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    rng: random.Random,
    size: int,
    max_extra: int,
) -> tuple[list[int], list[int]]:
    """Cohorts that could give members to a new cohort at one meeting option of a left-out person.

    When every cohort that could take a left-out person is held by the rest
    of its members' slots, the exchange that places them is a new cohort:
    the left-out people who can meet at one option, plus members of other
    cohorts who can meet there too and are within reach of their levels.
    The option is drawn among the person's three options (led, with
    facilitators, by someone free then) admitting most left-out people in
    reach; the cohorts are those with most members it admits in reach (then
    at random). Regression (issue 25): with scarce common slots (n = 120,
    seed 1) the greedy start left six people out of 14 cohorts, and
    ejection chains into the existing cohorts placed the last ones only
    after 80 deterministic seconds.
    """
    u = left[rng.randrange(len(left))]
    lv, gap = inst.levels[u], inst.max_level_gap
    led = bool(inst.problem.facilitators)

    def reach(i: int) -> bool:
        return abs(inst.levels[i] - lv) <= gap

    near = [i for i in left if reach(i)]
    scored = []
    for c in inst.options_of[u]:
        option = inst.options[c]
        if led and not option.facilitator_mask:
            continue
        scored.append((-sum(option.admits(i) for i in near), rng.random(), c))
    if not scored:
        return around_person(inst, current, left, rng, size, max_extra)
    scored.sort()
    option = inst.options[scored[rng.randrange(min(3, len(scored)))][2]]
    ranked = sorted(
        range(len(current)),
        key=lambda k: (-sum(option.admits(i) and reach(i) for i in current[k]), rng.random()),
    )
    extra = [u, *[i for i in near if i != u and option.admits(i)][: max_extra - 1]]
    return sorted(ranked[:size]), extra


def around_room(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    rng: random.Random,
    size: int,
    max_extra: int,
) -> tuple[list[int], list[int]]:
    """Cohorts with room for a left-out person's organisation, the cohorts that could take
    the person, and the cohorts between them in seniority.

    When every cohort within the person's level reach already holds as many
    of their organisation as ``max_per_organisation`` allows and the cohorts
    with room are levels away, the exchange that places them moves one
    colleague per level band down (or up) the ladder: every cohort of that
    path must be freed at once. The hosts are the person's nearest cohorts
    in seniority (a third of the neighbourhood), the room cohort is the one
    nearest in seniority among those with room (drawn among ties), and the
    rest are the cohorts whose mean level lies between, nearest to the
    host's level first. Regression (issue 25): facilitators at capacity (n =
    110, seed 0) left a level-4 person out, every cohort of levels 3-5 held
    one of their 14 colleagues, and the one cohort without one was of levels
    1-2; no step freed the three cohorts of that path together.
    """
    u = left[rng.randrange(len(left))]
    lv, org = inst.levels[u], inst.org_of[u]
    room = [
        k for k, members in enumerate(current)
        if sum(inst.org_of[i] == org for i in members) < inst.max_per_org
    ]  # fmt: skip
    if not room:
        return around_option(inst, current, left, rng, size, max_extra)
    means = [mean_level(inst, members) for members in current]
    target = min(room, key=lambda k: (abs(means[k] - lv), rng.random()))
    hosts = sorted(range(len(current)), key=lambda k: (abs(means[k] - lv), rng.random()))
    chosen = [target, *(k for k in hosts[: max(2, size // 3)] if k != target)]
    lo, hi = sorted((means[target], float(lv)))
    between = sorted(
        (k for k in range(len(current)) if k not in chosen and lo <= means[k] <= hi),
        key=lambda k: (abs(means[k] - lv), rng.random()),
    )
    chosen += between[: max(0, size - len(chosen))]
    for k in around_cohort(inst, current, target, rng, len(current)):
        if len(chosen) >= size:
            break
        if k not in chosen:
            chosen.append(k)
    return sorted(chosen[:size]), _taken_in(inst, left, u, max_extra)


# NeighbourhoodParams.excess_pool: cohorts short of the value ranked per neighbourhood, at
# most (a seeded sample beyond): ranking reads every member's options, which at n = 100,000
# (12,500 cohorts) would cost more than the step.
_EXCESS_POOL = NeighbourhoodParams().excess_pool


def _option_bits(inst: FormationInstance, members: Sequence[int]) -> int:
    """The meeting options every one of ``members`` can attend, as bits."""
    common = -1
    for i in members:
        bits = 0
        for c in inst.options_of[i]:
            bits |= 1 << c
        common &= bits
    return common


def over_full(
    inst: FormationInstance, current: Sequence[Sequence[int]]
) -> list[tuple[int, int, int]]:
    """Where the cost exceeds the balanced spread: ``(cohort, attribute, value)`` triples.

    Moving one holder of a value from a cohort holding ``c`` of them to one
    holding ``d`` removes ``c - 1 - d`` same-value pairs, so a value makes the
    fewest pairs (the spread :meth:`FormationInstance.lower_bound` counts)
    exactly when the cohorts' counts of it differ by at most one. A cohort
    holding at least two more than the cohort holding fewest is *over-full*
    in that value. Only weighted attributes count. An empty list means every
    value is spread as evenly as the bound assumes.
    """
    out: list[tuple[int, int, int]] = []
    for a, (w, values, totals) in enumerate(
        zip(inst.attribute_weights, inst.value_of, inst.value_counts, strict=True)
    ):
        if not w:
            continue
        held = [[0] * len(totals) for _ in current]
        for k, members in enumerate(current):
            for i in members:
                if (v := values[i]) is not None:
                    held[k][v] += 1
        for v in range(len(totals)):
            least = min((h[v] for h in held), default=0)
            out.extend((k, a, v) for k, h in enumerate(held) if h[v] >= least + 2)
    return out


def around_excess(
    inst: FormationInstance,
    current: list[list[int]],
    excess: Sequence[tuple[int, int, int]],
    rng: random.Random,
    size: int,
    allowed: set[int] | None = None,
    excess_pool: int = _EXCESS_POOL,
) -> list[int]:
    """An over-full cohort (see :func:`over_full`) and cohorts that could take its surplus.

    The pivot is a random triple of ``excess``. The other cohorts are those
    holding at least two fewer of the pivot's value, ranked by whether
    one of the pivot's holders of the value could join them (within
    ``max_level_gap`` of all their members, and a meeting option all of them
    share), then by closeness in seniority; the rest of the
    neighbourhood, if they are too few, is the pivot's nearest neighbours in
    seniority. Once swap descents stall, a random cohort and its neighbours
    rarely hold a move that lowers the cost (at n = 1,000: one improving
    step in 60); here the freed cohorts are chosen so that one exists in
    the relaxation at least. With ``allowed``, only those cohorts are chosen
    (the parallel search's neighbourhoods are disjoint). At most
    ``excess_pool`` cohorts are ranked
    (:attr:`~peermatch.params.NeighbourhoodParams.excess_pool`).
    """
    pivot, a, v = excess[rng.randrange(len(excess))]
    values = inst.value_of[a]
    # A holder moving from the pivot to a cohort with at most this many removes a pair.
    room = sum(values[i] == v for i in current[pivot]) - 2
    holders = [(inst.levels[i], _option_bits(inst, [i])) for i in current[pivot] if values[i] == v]
    gap = inst.max_level_gap
    level = mean_level(inst, current[pivot])

    def rank(k: int) -> tuple[int, float, float]:
        levels = [inst.levels[i] for i in current[k]]
        lo, hi, bits = min(levels), max(levels), _option_bits(inst, current[k])
        reach = any(max(hi, h) - min(lo, h) <= gap and bits & mine for h, mine in holders)
        return (0 if reach else 1, abs(mean_level(inst, current[k]) - level), rng.random())

    short = [
        k
        for k, members in enumerate(current)
        if k != pivot
        and (allowed is None or k in allowed)
        and sum(values[i] == v for i in members) <= room
    ]
    if len(short) > excess_pool:
        short = rng.sample(short, excess_pool)
    chosen = {pivot, *sorted(short, key=rank)[: size - 1]}
    for k in around_cohort(inst, current, pivot, rng, len(current)):
        if len(chosen) >= size:
            break
        if allowed is None or k in allowed:
            chosen.add(k)
    return sorted(chosen)
