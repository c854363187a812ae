"""Split a large program into parts by level band and time-zone region.

People sorted by (level, time zone) are cut into ``parts`` contiguous runs of
equal size, so each part is one level band within which zones stay together:
cohorts formed inside a part have close levels and shared hours. Groups that
must share a cohort (locks, together pairs) move as one unit.

A cut can put most of one organisation into one part: with ``m`` =
``max_per_organisation``, a part that forms ``c`` cohorts holds at most
``m * c`` people of an organisation, so :func:`balance_organisations` then
swaps the excess out, each time with the person of another organisation
nearest in level in a part that has room, until every part satisfies
``count <= m * fewest_cohorts(part)``. ``fewest_cohorts`` is the smallest
number of cohorts the part's size allows, so the condition holds however
many cohorts the part ends up forming.
"""

from __future__ import annotations

from collections import Counter

from peermatch.solvers.instance import FormationInstance

__all__ = ["balance_organisations", "fewest_cohorts", "planned_cohorts", "split_parts"]


def fewest_cohorts(inst: FormationInstance, size: int) -> int:
    """The fewest cohorts ``size`` people can form (at most ``max_size`` each)."""
    return -(-size // inst.max_size)


def planned_cohorts(inst: FormationInstance, size: int) -> int:
    """The cohorts the greedy start plans for ``size`` people: sizes nearest the target.

    The same choice as :func:`peermatch.solvers.greedy` makes before any
    organisation asks for more (the larger count on a tie).
    """
    counts = [c for c in range(fewest_cohorts(inst, size), size // inst.min_size + 1) if c > 0]
    if not counts:
        return fewest_cohorts(inst, size)
    return min(counts, key=lambda c: (abs(size - c * inst.target_size), -c))


def _units(inst: FormationInstance) -> list[list[int]]:
    """People as units: each group whole, everyone else alone; sorted by level then zone."""
    seen: set[int] = set()
    units: list[list[int]] = []
    group_of = inst.group_of if inst.groups else {}
    for i in range(inst.n):
        if i in seen:
            continue
        unit = sorted(inst.groups[group_of[i]]) if i in group_of else [i]
        seen.update(unit)
        units.append(unit)
    units.sort(key=lambda u: (inst.levels[u[0]], inst.tz_of[u[0]], u[0]))
    return units


def split_parts(inst: FormationInstance, parts: int) -> list[list[int]]:
    """``parts`` level-band / time-zone parts of about equal size, organisations balanced."""
    parts = max(1, min(parts, inst.n // max(1, inst.min_size)))
    units = _units(inst)
    share = inst.n / parts
    out: list[list[int]] = [[] for _ in range(parts)]
    placed = 0
    for unit in units:
        p = min(parts - 1, int(placed / share))
        out[p].extend(unit)
        placed += len(unit)
    out = [sorted(p) for p in out if p]
    return balance_organisations(inst, out)


def balance_organisations(inst: FormationInstance, parts: list[list[int]]) -> list[list[int]]:
    """Swap people between parts until no part holds more of an organisation than it can seat.

    Only people outside groups are swapped. Where no swap is possible (an
    organisation larger than the whole program can seat) the parts are left
    as they are: the whole-program search, which sees everyone, has the last
    word on ``max_per_organisation``.
    """
    parts = [list(p) for p in parts]
    grouped = set(inst.group_of) if inst.groups else set()
    m = inst.max_per_org
    cap = [m * fewest_cohorts(inst, len(p)) for p in parts]
    counts = [Counter(inst.org_of[i] for i in p) for p in parts]
    for a in range(len(parts)):
        for org, count in sorted(counts[a].items()):
            while count > cap[a]:
                swap = _best_swap(inst, parts, counts, cap, a, org, grouped)
                if swap is None:
                    break
                i, b, j = swap
                parts[a].remove(i)
                parts[b].remove(j)
                parts[a].append(j)
                parts[b].append(i)
                counts[a][org] -= 1
                counts[b][org] += 1
                counts[b][inst.org_of[j]] -= 1
                counts[a][inst.org_of[j]] += 1
                count -= 1
    # An organisation with a seat in nearly every cohort (a sponsor) is over every part's
    # fewest cohorts, so no swap above was possible. Each part's greedy start then planned
    # a cohort per person of it, 12,816 cohorts for 12,500 facilitator seats at n = 100,000
    # (issue 25). It is evened out against the cohorts each part plans instead.
    planned = [m * planned_cohorts(inst, len(p)) for p in parts]
    for org in sorted(
        {o for a in range(len(parts)) for o, k in counts[a].items() if k > planned[a]}
    ):
        _even_out(inst, parts, counts, (cap, planned), org, grouped)
    return [sorted(p) for p in parts]


def _even_out(
    inst: FormationInstance,
    parts: list[list[int]],
    counts: list[Counter[int]],
    caps: tuple[list[int], list[int]],
    org: int,
    grouped: set[int],
) -> None:
    """Swap ``org``'s people out of parts holding more than they plan cohorts, in place.

    Each excess person goes to the nearest part (in level order) with room for
    ``org``, swapped with the person there nearest in level whose organisation
    stays within ``cap`` (the fewest-cohorts cap) in the part it joins. One
    swap scans one part, so this is linear in the parts' size per person moved.
    """
    cap, planned = caps
    under = [b for b in range(len(parts)) if counts[b][org] < planned[b]]
    for a in range(len(parts)):
        while counts[a][org] > planned[a] and under:
            b = min(under, key=lambda b: (abs(b - a), b))
            movers = sorted(
                (i for i in parts[a] if inst.org_of[i] == org and i not in grouped),
                key=lambda i: (inst.levels[i], i),
            )
            takers = [
                j
                for j in parts[b]
                if inst.org_of[j] != org and j not in grouped and counts[a][inst.org_of[j]] < cap[a]
            ]
            if not movers or not takers:
                under.remove(b)
                continue
            i = movers[-1] if b > a else movers[0]
            j = min(takers, key=lambda j: (abs(inst.levels[i] - inst.levels[j]), j))
            parts[a].remove(i)
            parts[b].remove(j)
            parts[a].append(j)
            parts[b].append(i)
            for part, gone, came in ((a, i, j), (b, j, i)):
                counts[part][inst.org_of[gone]] -= 1
                counts[part][inst.org_of[came]] += 1
            if counts[b][org] >= planned[b]:
                under.remove(b)


def _best_swap(
    inst: FormationInstance,
    parts: list[list[int]],
    counts: list[Counter[int]],
    cap: list[int],
    a: int,
    org: int,
    grouped: set[int],
) -> tuple[int, int, int] | None:
    """(person of ``org`` in part ``a``, part ``b``, person of another organisation in ``b``)."""
    movers = [i for i in parts[a] if inst.org_of[i] == org and i not in grouped]
    if not movers:
        return None
    # The mover nearest the part's far end in level keeps the bands tight; one pass over
    # the other parts keeps a swap linear in n.
    i = movers[-1]
    best: tuple[int, int, int] | None = None
    for b in range(len(parts)):
        if b == a or counts[b][org] >= cap[b]:
            continue
        for j in parts[b]:
            o = inst.org_of[j]
            if o == org or j in grouped or counts[a][o] >= cap[a]:
                continue
            key = (abs(inst.levels[i] - inst.levels[j]), b, j)
            if best is None or key < best:
                best = key
    return None if best is None else (i, best[1], best[2])
