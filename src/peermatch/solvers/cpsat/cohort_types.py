"""Cohort types, slot classes and classes of people: the cells of the typed bound's model.

What they are, and why counting a solution's cohorts and people in them keeps
the bound valid, is proved in :mod:`peermatch.solvers.cpsat.typed_bound`
(which builds the linear program on them). Nothing here imports OR-Tools.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass

from peermatch.solvers.instance import FormationInstance

__all__ = [
    "MAX_CELLS",
    "MAX_TYPES",
    "SHARES",
    "Key",
    "Slots",
    "Type",
    "cliques",
    "group_units",
    "person_classes",
    "slot_classes",
]

#: At most this many (class, type) cells: coarser slot classes are tried above it, and the
#: model is not built if even one class per zone has more. 3,000 cells solve in about a
#: second (n = 300, scarce slots: 2,619 cells 0.9 s, 4,651 cells 3.0 s, 7,296 cells 7.2 s).
MAX_CELLS = 3_000
#: Cells before the dominated types are dropped may be this many times MAX_CELLS.
PRUNED = 4
#: How much of an option's people a slot class must hold for the option to join it, tried
#: in turn until the model has at most MAX_CELLS cells (1: only subsets merge).
SHARES = (1.0, 0.9, 0.75, 0.5, 0.0)
#: Above this many types (before dropping the dominated ones) the model is not built either.
MAX_TYPES = 3_000
#: Organisations with fewer people than this share of the cohorts (times max_per_org) are not
#: told apart: their per-cohort limit hardly binds across types, and classes stay few.
ORG_SHARE = 4

Type = tuple[int, int]  # (band start, option)
#: (level, values, (large organisation, clique) or -1 each, types).
Key = tuple[int, tuple[int, ...], tuple[int, int], tuple[Type, ...]]


def _or_blank(value: int | None) -> int:
    """-1 for a blank value: it never equals anything, so it never makes a pair."""
    return -1 if value is None else value


def _floor(inst: FormationInstance, per_cohort: int) -> int:
    """Sets of people no larger than this are not told apart (their limit hardly binds)."""
    cohorts = max(1, -(-inst.n // inst.max_size))
    return max(2 * per_cohort, cohorts * per_cohort // ORG_SHARE)


def _large_orgs(inst: FormationInstance) -> set[int]:
    """The organisations big enough for their per-cohort limit to bind across types."""
    floor = _floor(inst, inst.max_per_org)
    return {o for o, count in Counter(inst.org_of).items() if count > floor}


def cliques(inst: FormationInstance) -> dict[int, int]:
    """Person -> clique: large sets of people no two of whom may share a cohort.

    Greedy, from the links (reporting lines, earlier cohorts: an earlier cohort's
    alumni are a clique) and the locks (people locked to different cohorts). At most
    one of a clique is in any cohort, so at most ``n[t]`` of it in type ``t``.
    Skipped (empty) on programs with very many links, where it would not be cheap.
    """
    floor, out, number = _floor(inst, 1), {}, 0
    if len(inst.conflicts) > MAX_CELLS:
        return {}
    sets = inst.conflict_sets
    for i in sorted(range(inst.n), key=lambda i: (-len(sets[i]), i)):
        if i in out or len(sets[i]) < floor:
            continue
        clique = [i]
        for j in sorted(sets[i]):
            if j not in out and all(j in sets[k] for k in clique):
                clique.append(j)
        if len(clique) > floor:
            out.update(dict.fromkeys(clique, number))
            number += 1
    firsts: dict[str, int] = {}
    for members, lock in zip(inst.groups, inst.group_locks, strict=True):
        if lock and members[0] not in out:
            firsts.setdefault(lock, members[0])
    if len(firsts) > floor:
        out.update(dict.fromkeys(firsts.values(), number))
    return out


@dataclass(frozen=True)
class Slots:
    """Open options merged into slot classes: ``of`` option -> class, each class's zone and
    facilitators (those free in one of its options, with capacity)."""

    of: dict[int, int]
    zones: tuple[str, ...]
    free: tuple[int, ...]


def slot_classes(inst: FormationInstance, share: float) -> Slots:
    """The options that can host a cohort, merged into classes of one zone.

    An option can host a cohort if it admits ``min_size`` people and, with facilitators,
    frees one with capacity. Largest first, an option joins the first class of its zone
    that already holds ``share`` of its people (``share`` 1 merges subsets only, 0 makes
    one class per zone); a class admits whom any of its options admits.
    """
    leaders = sum(1 << j for j, cap in enumerate(inst.facilitator_capacity) if cap > 0)
    use_fac = bool(inst.problem.facilitators)
    of: dict[int, int] = {}
    zones: list[str] = []
    masks: list[int] = []
    free: list[int] = []
    order = sorted(range(len(inst.options)), key=lambda c: -inst.options[c].mask.bit_count())
    for c in order:
        option = inst.options[c]
        size, fac = option.mask.bit_count(), option.facilitator_mask & leaders if use_fac else 0
        if size < inst.min_size or (use_fac and not fac):
            continue
        for r, zone in enumerate(zones):
            if zone == option.zone and (masks[r] & option.mask).bit_count() >= share * size:
                break
        else:
            r = len(zones)
            zones.append(option.zone)
            masks.append(0)
            free.append(0)
        of[c] = r
        masks[r] |= option.mask
        free[r] |= fac
    return Slots(of, tuple(zones), tuple(free))


def _types_of(inst: FormationInstance, i: int, starts: list[int], slots: Slots) -> tuple[Type, ...]:
    """The (band start, slot class) types person ``i`` may join."""
    level, zone = inst.levels[i], inst.tz_of[i]
    bands = [b for b in starts if b <= level <= b + inst.max_level_gap]
    where = {slots.of[c] for c in inst.options_of[i] if c in slots.of}
    kinds = sorted(r for r in where if slots.zones[r] in (inst.program_zone, zone))
    return tuple((b, r) for b in bands for r in kinds)


def _key(
    inst: FormationInstance,
    i: int,
    large: set[int],
    clique_of: dict[int, int],
    types: tuple[Type, ...],
) -> Key:
    """Person ``i``'s class key, with the types given."""
    values = tuple(_or_blank(vals[i]) for vals in inst.value_of)
    org = inst.org_of[i] if inst.org_of[i] in large else -1
    return (inst.levels[i], values, (org, clique_of.get(i, -1)), types)


def group_units(
    inst: FormationInstance,
    slots: Slots,
    clique_of: dict[int, int],
    classes: Counter[Key],
    cells: int,
) -> tuple[Counter[Key], list[tuple[list[Key], tuple[Type, ...]]]]:
    """Together groups taken out of ``classes`` as units: (members' keys, the types all may join).

    ``classes`` are :func:`person_classes`' (types already pruned); a group may join a
    kept type only if each member may, which is where any cohort holding the group is
    counted. Groups that share most same-value pairs inside come first, until the
    model would have ``cells`` more cells; the others stay as people in their classes.
    Returns the classes left and the units.
    """
    starts, large = sorted(set(inst.levels)), _large_orgs(inst)
    kept = {t for key in classes for t in key[3]}
    left, units = Counter(classes), []
    ranked = sorted(
        (g for g in inst.groups if len(g) > 1),
        key=lambda g: (-_inside(inst, g), g),
    )
    for group in ranked:
        keys = []
        for i in group:
            types = tuple(t for t in _types_of(inst, i, starts, slots) if t in kept)
            keys.append(_key(inst, i, large, clique_of, types))
        common = tuple(t for t in keys[0][3] if all(t in key[3] for key in keys))
        if not common or _inside(inst, group) == 0 or len(common) > cells:
            continue
        cells -= len(common)
        for key in keys:
            left[key] -= 1
        units.append((keys, common))
    return +left, units


def _inside(inst: FormationInstance, group: tuple[int, ...]) -> int:
    """Weighted same-value pairs inside ``group``: whichever cohort holds it has them."""
    total = 0
    for weight, vals in zip(inst.attribute_weights, inst.value_of, strict=True):
        if weight > 0:
            counts = Counter(vals[i] for i in group if vals[i] is not None)
            total += weight * sum(c * (c - 1) // 2 for c in counts.values())
    return total


def person_classes(
    inst: FormationInstance, slots: Slots, clique_of: dict[int, int]
) -> Counter[Key] | None:
    """People grouped by level, values, large organisation, clique and types.

    ``None`` when there would be more than :data:`MAX_CELLS` class-type cells.
    """
    starts, large = sorted(set(inst.levels)), _large_orgs(inst)
    seen: dict[tuple[int, str, tuple[int, ...]], tuple[Type, ...]] = {}
    classes: Counter[Key] = Counter()
    cells = 0
    for i in range(inst.n):
        # People of one level, zone and set of options share their types: computed once.
        sig = (inst.levels[i], inst.tz_of[i], inst.options_of[i])
        types = seen.get(sig)
        if types is None:
            types = seen[sig] = _types_of(inst, i, starts, slots)
        key = _key(inst, i, large, clique_of, types)
        if key not in classes:
            cells += len(types)
            if cells > PRUNED * MAX_CELLS:
                return None  # hopeless even if most types turn out dominated: stop early
        classes[key] += 1
    kept = _kept_types(inst, classes, slots)
    if kept is None:
        return None
    pruned: Counter[Key] = Counter()
    for (level, values, apart, types), count in classes.items():
        pruned[level, values, apart, tuple(t for t in types if t in kept)] += count
    if sum(len(key[3]) for key in pruned) > MAX_CELLS:
        return None
    return pruned


def _kept_types(inst: FormationInstance, classes: Counter[Key], slots: Slots) -> set[Type] | None:
    """The types worth a variable (``None`` if more than :data:`MAX_TYPES`).

    A type that fewer than ``min_size`` people may join holds no cohort. A type
    whose people (and free facilitators) are a subset of another's is dropped:
    a cohort of it is counted in the larger one instead, which admits every
    member and the facilitator just as well (the band only matters through who
    may join, so types of different bands are compared too).
    """
    admits: dict[Type, int] = defaultdict(int)
    reach: Counter[Type] = Counter()
    for g, (key, count) in enumerate(classes.items()):
        for t in key[3]:
            admits[t] |= 1 << g
            reach[t] += count
    free = {t: slots.free[t[1]] for t in admits}
    order = sorted(
        (t for t in admits if reach[t] >= inst.min_size),
        key=lambda t: (-admits[t].bit_count(), -free[t].bit_count(), t),
    )
    if len(order) > MAX_TYPES:
        return None
    kept: list[Type] = []
    for t in order:
        a, f = admits[t], free[t]
        if not any(a & admits[k] == a and f & free[k] == f for k in kept):
            kept.append(t)
    return set(kept)
