"""Placement first: the neighbourhood that makes room for a left-out person (an ejection chain).

A person left out by the warm start fits no cohort as it stands: in each
cohort some members are in the way (someone of their organisation, someone
they are linked to, someone outside their level band, someone who cannot
meet at any slot they can, or simply a full cohort). :func:`blockers` names,
for one person and one cohort, the fewest members whose leaving would let
the person in (each cause counted on its own, so it is a close estimate,
not a minimum over all causes together). :func:`around_unplaced` then
builds the neighbourhood as an *ejection chain*: the cohorts that come
closest to taking the person (the *hosts*), then for each member in the way
the cohorts that come closest to taking *them*, and so on for a few links.
Re-forming those cohorts together with CP-SAT finds the exchange that
places the person when one exists within them, which freeing a random
cohort and its neighbours in seniority almost never does (a Senior Director
of a sponsor organisation whose only possible cohort held a colleague:
issue 25).

Pure bookkeeping on a :class:`~peermatch.solvers.instance.FormationInstance`;
nothing here imports a solver.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from peermatch.solvers.instance import FormationInstance
from peermatch.solvers.neighbourhoods import around_cohort

__all__ = ["CHAIN_POOL", "around_compatible", "around_unplaced", "blockers", "compatible"]

#: Cohorts scored per member in the way, at most (a seeded sample beyond): scoring reads
#: every member, which at n = 100,000 (12,500 cohorts) would cost more than the step.
#: The left-out person's own hosts are always scored over every cohort.
CHAIN_POOL = 256


def _option_bits(inst: FormationInstance, i: int) -> int:
    bits = 0
    for c in inst.options_of[i]:
        bits |= 1 << c
    return bits


def blockers(inst: FormationInstance, person: int, members: Sequence[int]) -> tuple[int, ...]:
    """The members of a cohort in the way of ``person`` joining it (empty: they fit as it stands).

    Parameters
    ----------
    inst
        The instance.
    person
        Who would join.
    members
        The cohort's members (``person`` among them is ignored).

    Returns
    -------
    tuple of int
        The union, over the causes, of the fewest members each cause needs
        to leave: organisation-mates beyond ``max_per_org - 1``; members
        linked to the person; members outside the level window (of width
        ``max_level_gap``, containing the person's level) that keeps most;
        members who cannot attend the meeting option (among the person's)
        that most members can; the members in the way of the placement rules
        (:func:`_rule_blockers`); and, when the cohort would still be over
        ``max_size``, its most senior-distant remaining member.
    """
    others = [m for m in members if m != person]
    out: set[int] = set()
    org = inst.org_of[person]
    mates = [m for m in others if inst.org_of[m] == org]
    out.update(mates[: max(0, len(mates) - inst.max_per_org + 1)])
    links = inst.conflict_sets[person]
    out.update(m for m in others if m in links)
    lv, gap = inst.levels[person], inst.max_level_gap
    windows = [
        [m for m in others if not lo <= inst.levels[m] <= lo + gap]
        for lo in range(lv - gap, lv + 1)
    ]
    narrowest: list[int] = min(windows, key=len)
    out.update(narrowest)
    mine = inst.options_of[person]
    if mine:
        bits = {m: _option_bits(inst, m) for m in others}
        lacking = [[m for m in others if not bits[m] >> c & 1] for c in mine]
        fewest: list[int] = min(lacking, key=len)
        out.update(fewest)
    if inst.placement:
        out.update(_rule_blockers(inst, person, others))
    rest = [m for m in others if m not in out]
    if len(rest) >= inst.max_size and rest:
        out.add(max(rest, key=lambda m: (abs(inst.levels[m] - lv), m)))
    return tuple(sorted(out))


def _rule_blockers(inst: FormationInstance, person: int, others: Sequence[int]) -> set[int]:
    """Members in the way of ``person`` under ``[limits]`` and ``[closeness]``.

    Members sharing the person's value of a ``[limits]`` column beyond N - 1,
    and members outside the ``[closeness]`` band (of width D, containing the
    person's number) that keeps most. Without them, a host whose members all
    sit in another company-size band looked as close as one a single member
    away, and the chain freed cohorts that could never take the person.
    ``[presence]`` and ``[required]`` ask for someone *more*, not fewer, so
    they name nobody (the step's sub-model brings the people they need).
    """
    rules, out = inst.placement, set()
    for rule in rules.limits:
        v = rule.values[person]
        if v is not None:
            same = [m for m in others if rule.values[m] == v]
            out.update(same[: max(0, len(same) - rule.bound + 1)])
    for band in rules.closeness:
        x, width = band.numbers[person], band.band
        # The best window starts at x - D or at a member's number between x - D and x.
        starts = {x - width} | {
            band.numbers[m] for m in others if x - width <= band.numbers[m] <= x
        }
        windows: list[list[int]] = [
            [m for m in others if not lo <= band.numbers[m] <= lo + width] for lo in sorted(starts)
        ]
        fewest: list[int] = min(windows, key=len)
        out.update(fewest)
    return out


def _hosts(
    inst: FormationInstance,
    current: Sequence[Sequence[int]],
    person: int,
    candidates: Sequence[int],
    rng: random.Random,
    count: int,
) -> list[tuple[int, tuple[int, ...]]]:
    """The ``count`` cohorts of ``candidates`` with the fewest members in ``person``'s way."""
    scored = []
    for k in candidates:
        if person in current[k]:
            continue
        found = blockers(inst, person, current[k])
        scored.append((len(found), rng.random(), k, found))
    scored.sort()
    return [(k, found) for _, _, k, found in scored[:count]]


def around_unplaced(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    rng: random.Random,
    size: int,
    max_extra: int,
    depth: int = 3,
) -> tuple[list[int], list[int]]:
    """An ejection chain around a left-out person: the cohorts to free and the people to take in.

    Parameters
    ----------
    inst, current
        The instance and its cohorts (member lists).
    left
        The people left out; one of them (at random) is the chain's start.
    rng
        The search's random source (ties and the person are drawn from it).
    size
        Cohorts to free, at most.
    max_extra
        People left out to take in, at most (the chosen person first, then
        others within their level reach).
    depth
        Links of the chain: hosts of the person, then cohorts for the
        members in their way, and so on.

    Returns
    -------
    chosen, extra
        Cohort indices (sorted) and the left-out people the step takes in.
    """
    u = left[rng.randrange(len(left))]
    everyone = range(len(current))
    chosen: list[int] = []
    # The person's hosts take a third of the neighbourhood; each member in their way
    # brings the cohort that comes closest to taking them, and so on down the chain.
    frontier: list[int] = []
    for k, found in _hosts(inst, current, u, everyone, rng, max(2, size // 3)):
        chosen.append(k)
        frontier.extend(found)
    for _ in range(depth - 1):
        if len(chosen) >= size or not frontier:
            break
        following: list[int] = []
        for person in frontier:
            if len(chosen) >= size:
                break
            pool = [k for k in everyone if k not in chosen]
            if len(pool) > CHAIN_POOL:
                pool = rng.sample(pool, CHAIN_POOL)
            for k, found in _hosts(inst, current, person, pool, rng, 1):
                chosen.append(k)
                following.extend(found)
        frontier = following
    if len(chosen) < size and chosen:
        for k in around_cohort(inst, current, chosen[0], rng, size + len(chosen)):
            if len(chosen) >= size:
                break
            if k not in chosen:
                chosen.append(k)
    lv = inst.levels[u]
    near = [i for i in left if i != u and abs(inst.levels[i] - lv) <= inst.max_level_gap]
    return sorted(chosen[:size]), [u, *near[: max_extra - 1]]


def compatible(inst: FormationInstance, u: int, j: int) -> bool:
    """Whether ``u`` and ``j`` could share a cohort, as a pair: levels within the gap,
    other organisations (or room for two), no link, a shared meeting option, the same
    similarity values, and, under the placement rules, ``[closeness]`` numbers within
    the band and distinct ``[limits]`` values (when N is 1)."""
    if abs(inst.levels[u] - inst.levels[j]) > inst.max_level_gap:
        return False
    if inst.max_per_org < 2 and inst.org_of[u] == inst.org_of[j]:
        return False
    if j in inst.conflict_sets[u] or not _option_bits(inst, u) & _option_bits(inst, j):
        return False
    if any(v[u] != v[j] for v in inst.similarity):
        return False
    rules = inst.placement
    if any(abs(b.numbers[u] - b.numbers[j]) > b.band for b in rules.closeness):
        return False
    return not any(
        r.bound < 2 and r.values[u] is not None and r.values[u] == r.values[j] for r in rules.limits
    )


def around_compatible(
    inst: FormationInstance,
    current: list[list[int]],
    left: list[int],
    size: int,
    *,
    rng: random.Random,
    max_extra: int,
) -> tuple[list[int], list[int]]:
    """The cohorts holding most of the people a left-out person could share a cohort with.

    The ejection chain asks which cohorts come closest to taking the person as
    they stand; under the placement rules the answer is often none, while a
    *new* cohort could form around the person from the members of a few cohorts
    (at n = 300 with every rule, three men of level 1 and company size 4 stayed
    out: their planted cohort-mates sat in four cohorts that the chain never
    freed together). Cohorts are ranked by how many of their members are
    :func:`compatible` with the person (ties at random); the step takes in the
    person and the others left out whom the person is compatible with.

    Returns
    -------
    chosen, extra
        Cohort indices (sorted) and the left-out people the step takes in.
    """
    u = left[rng.randrange(len(left))]
    scored = sorted(
        (-sum(compatible(inst, u, m) for m in members), rng.random(), k)
        for k, members in enumerate(current)
    )
    chosen = sorted(k for _, _, k in scored[:size])
    near = [i for i in left if i != u and compatible(inst, u, i)]
    return chosen, [u, *near[: max_extra - 1]]
