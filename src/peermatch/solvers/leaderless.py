"""Lead every cohort: dissolve the cohorts no facilitator can lead into led cohorts with room.

The greedy start forms cohorts where their members can meet, without
looking at facilitators; the facilitators are matched to the cohorts
afterwards (:func:`~peermatch.solvers.finish.assign_facilitators`, a maximum
matching). When every facilitator seat is needed, a large program's start
then holds cohorts in slots and zones where every free facilitator is
already taken. The neighbourhood search repairs one such cohort per step,
too slow for hundreds (issue 25: n = 100,000 at ``--time-limit 300`` ended
with 279 cohorts no free facilitator could lead, and no answer).

:func:`lead_leaderless` repairs them at once: each leaderless cohort is
dissolved by moving its members, one at a time, into *led* cohorts with room
(below ``max_size``) that they can join keeping every per-cohort rule
(:meth:`~peermatch.solvers.cohort_state.CohortState.fits`: sizes,
organisations, links, levels, a meeting option admitting every member and
the cohort's facilitator, ``[limits]``, ``[presence]``, ``[required]``,
``[closeness]``) and whose facilitator can still stagger every cohort they
lead. Among the cohorts that take a member, the one adding least to the cost
is chosen; a member kept out only by organisation or a link may take the
place of the member who keeps them out, who is seated the same way (an
ejection chain of :data:`EJECTIONS` at most). A cohort some member of which
still fits nowhere is led along an alternating path instead: a facilitator
free for it leads another cohort, a facilitator free for that one leads a
third, ...; the first cohort on the path that can be dissolved is, and each
facilitator on the path moves one cohort up. Otherwise the cohort is left as
it was (the search repairs it), as is a cohort holding a lock or ``together``
group.

A member only ever joins a led cohort, and a facilitator only leaves a cohort
dissolved or one that the next facilitator on its path takes over, so the
number of led cohorts never falls and every repaired cohort is one
leaderless cohort fewer. Measured at n = 100,000 (facilitators at capacity,
the parts' greedy start: 12,782 cohorts for 12,500 seats, 294 leaderless; no clock):
203 dissolved, 24 led along a path, 67 left for the search.

Cost: candidates come from an index of led cohorts by the meeting options
their members share, so each member is tried only against the cohorts it
could meet with; near-linear in the people of the leaderless cohorts.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from peermatch.deadline import Deadline
from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.finish import _free_facilitators
from peermatch.solvers.instance import FormationInstance

__all__ = ["LeadRepair", "lead_leaderless"]


@dataclass(frozen=True)
class _Work:
    """The repair's state: the cohorts' counts, and the led cohorts by shared meeting option."""

    inst: FormationInstance
    state: CohortState
    index: dict[int, list[int]]


@dataclass(frozen=True)
class LeadRepair:
    """What :func:`lead_leaderless` returns."""

    cohorts: list[list[int]]
    facilitators: list[int | None]
    #: Leaderless cohorts dissolved into led ones.
    dissolved: int
    #: Leaderless cohorts given the facilitator of a led cohort dissolved in their place.
    handed_over: int
    #: Cohorts still without a facilitator.
    leaderless: int


def lead_leaderless(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    facilitators: Sequence[int | None],
    *,
    clock: Deadline | None = None,
    margin: float = 0.0,
) -> LeadRepair:
    """Dissolve each leaderless cohort into led cohorts with room, where every member fits.

    A cohort whose members cannot all be seated so is led along an alternating
    path ending in a led cohort that can (see the module docstring).

    Parameters
    ----------
    inst
        The flat instance (the whole program).
    cohorts, facilitators
        The cohorts (participant positions) and each one's facilitator
        (``None``: leaderless), as :func:`~peermatch.solvers.finish.assign_facilitators` gives.
    clock, margin
        Wall clock: no cohort is started once less than ``margin`` seconds are left.

    Returns
    -------
    LeadRepair
        The cohorts and facilitators after the repair (dissolved cohorts
        dropped, the others in their order), and the counts.
    """
    work = [list(c) for c in cohorts]
    facs = list(facilitators)
    broken = [k for k, f in enumerate(facs) if f is None]
    if not broken:
        return LeadRepair(work, facs, 0, 0, 0)
    state = CohortState(inst, work, facs)
    index = _option_index(state, facs)
    grouped = inst.group_of if inst.groups else {}
    w = _Work(inst, state, index)
    dissolved, handed = 0, 0
    # Dissolving first for every cohort, paths after: a path costs many dissolving
    # attempts, and under a wall clock the cheap repairs should all be made first
    # (n = 100,000 at --time-limit 300: one pass reached its margin with most undone).
    hard = []
    for k in broken:
        if clock is not None and clock.expired(margin):
            break
        if any(i in grouped for i in work[k]):
            continue  # a group moves as one; the search handles it
        if _dissolve(w, k, (k,)) is not None:
            dissolved += 1
        else:
            hard.append(k)
    for k in hard:
        if clock is not None and clock.expired(margin):
            break
        handed += _hand_over(w, k, grouped)
    keep = [k for k, members in enumerate(work) if members]
    left = len(broken) - dissolved - handed
    return LeadRepair([work[k] for k in keep], [facs[k] for k in keep], dissolved, handed, left)


def _option_index(state: CohortState, facs: Sequence[int | None]) -> dict[int, list[int]]:
    """Led cohorts by each meeting option all their members share."""
    index: dict[int, list[int]] = {}
    for k, f in enumerate(facs):
        if f is not None:
            _add_to_index(state, index, k)
    return index


def _dissolve(w: _Work, k: int, skip: tuple[int, ...]) -> list[tuple[int, int]] | None:
    """Move every member of cohort ``k`` into led cohorts (none of ``skip``), or none.

    Returns the moves made (person, the cohort they came from), or ``None``.
    """
    inst, state = w.inst, w.state
    # The member with the fewest options first: they have the fewest cohorts to go to.
    members = sorted(state.cohorts[k], key=lambda i: (len(inst.options_of[i]), i))
    moved: list[tuple[int, int]] = []
    for i in members:
        chain = _place(w, skip, i, EJECTIONS, [BUDGET])
        if chain is not None:
            done = len(moved)
            for j, target in chain:
                _move(state, j, target, moved)
            # Each link was checked alone; a facilitator leading two changed cohorts is
            # checked here for both at once.
            if len(chain) == 1 or state.staggers({t: state.cohorts[t] for _, t in chain}):
                continue
            _undo(state, moved, done)
        _undo(state, moved, 0)  # the cohort stays as it was, and so does every other
        return None
    return moved


def _hand_over(w: _Work, k: int, grouped: dict[int, int]) -> bool:
    """Lead cohort ``k`` by dissolving a led cohort at the end of an alternating path.

    For a cohort whose own members have nowhere to go: facilitator ``g1`` free
    for ``k`` leads ``c1``, ``g2`` free for ``c1`` leads ``c2``, ... Dissolving
    ``cN`` (its members into other led cohorts) lets ``gN`` lead ``c(N-1)``, ...,
    and ``g1`` lead ``k``: one cohort fewer, every other still led.
    """
    inst, state, index = w.inst, w.state, w.index
    facs = state.facs
    assert facs is not None
    parent: dict[int, tuple[int, int] | None] = {k: None}  # cohort -> (its g, cohort g takes)
    queue, tried = [k], 0
    for d in queue:
        for g in _free_facilitators(inst, state.cohorts[d]):
            for c in list(state.led.get(g, ())):
                if c in parent or len(parent) > REACH:
                    continue
                parent[c] = (g, d)
                queue.append(c)
                members = state.cohorts[c]
                if not members or any(i in grouped for i in members):
                    continue
                tried += 1
                if tried > HAND_OVERS:
                    return False
                if _shift(w, parent, c):
                    _add_to_index(state, index, k)
                    return True
    return False


def _shift(w: _Work, parent: dict[int, tuple[int, int] | None], c: int) -> bool:
    """Dissolve cohort ``c`` and move each facilitator on its path one cohort up (or nothing)."""
    state = w.state
    facs = state.facs
    assert facs is not None
    path: list[tuple[int, int, int]] = []  # (facilitator, cohort left, cohort taken)
    node = c
    while (step := parent[node]) is not None:
        path.append((step[0], node, step[1]))
        node = step[1]
    moved = _dissolve(w, c, (c, *(to for _, _, to in path)))
    if moved is None:
        return False
    for g, old, new in path:
        facs[old], facs[new] = None, g
        state.led[g] = [*(d for d in state.led[g] if d != old), new]
    if state.staggers({new: state.cohorts[new] for _, _, new in path}):
        return True
    for g, old, new in reversed(path):  # a facilitator's clock does not allow it: undo
        facs[new], facs[old] = None, g
        state.led[g] = [*(d for d in state.led[g] if d != new), old]
    _undo(state, moved, 0)
    return False


def _add_to_index(state: CohortState, index: dict[int, list[int]], k: int) -> None:
    mask = state.option_mask(k)
    while mask:
        low = mask & -mask
        index.setdefault(low.bit_length() - 1, []).append(k)
        mask ^= low


#: How many people a chain may eject to seat one member of a leaderless cohort.
EJECTIONS = 2
#: Led cohorts tried for dissolving in place of one leaderless cohort.
HAND_OVERS = 8
#: Cohorts an alternating path may reach from one leaderless cohort.
REACH = 200
#: Cohorts that could take a member compared for cost (at n = 100,000 thousands can: trying
#: them all took 0.45 s per member).
CHOICES = 16
#: Cohorts tried per member (the chains' search is otherwise exponential in their length).
BUDGET = 400


def _move(state: CohortState, i: int, target: int, moved: list[tuple[int, int]]) -> None:
    moved.append((i, state.where[i]))
    state.remove(i)
    state.add(i, target)


def _undo(state: CohortState, moved: list[tuple[int, int]], down_to: int) -> None:
    while len(moved) > down_to:
        j, origin = moved.pop()
        state.remove(j)
        state.add(j, origin)


def _place(
    w: _Work, skip: tuple[int, ...], i: int, depth: int, budget: list[int]
) -> list[tuple[int, int]] | None:
    """Moves (person, led cohort), in order, that seat ``i`` in a led cohort none of ``skip``.

    Either ``i`` joins a cohort with room, or ``i`` takes the place of a member
    ``j`` who keeps them out (organisation, link) and ``j`` is seated the same
    way, ``depth`` ejections at most.
    """
    inst, state = w.inst, w.state
    c = _best_cohort(w, skip, i)
    if c is not None:
        return [(i, c)]
    if depth == 0:
        return None
    org, links = inst.org_of[i], inst.conflict_sets[i]
    for c in _candidates(w, skip, i):
        budget[0] -= 1
        if budget[0] < 0:
            return None
        for j in [m for m in state.cohorts[c] if inst.org_of[m] == org or m in links]:
            if not state.fits(c, j, i):
                continue
            if not state.staggers({c: [m if m != j else i for m in state.cohorts[c]]}):
                continue
            rest = _place(w, (*skip, c), j, depth - 1, budget)
            if rest is not None:
                return [*rest, (i, c)]
    return None


def _candidates(w: _Work, skip: Sequence[int], i: int) -> Iterator[int]:
    """Led cohorts sharing a meeting option with ``i``, each once (lazily: most are never read)."""
    inst, index = w.inst, w.index
    seen = set(skip)
    for option in inst.options_of[i]:
        for c in index.get(option, ()):
            if c not in seen:
                seen.add(c)
                yield c


def _best_cohort(w: _Work, skip: Sequence[int], i: int) -> int | None:
    """A led cohort (none of ``skip``) ``i`` can join keeping every rule: of the first
    :data:`CHOICES` found, the one adding least cost."""
    inst, state = w.inst, w.state
    ranked: list[tuple[int, int]] = []
    level, gap = inst.levels[i], inst.max_level_gap
    org, cap = inst.org_of[i], inst.max_per_org
    for c in _candidates(w, skip, i):
        members = state.cohorts[c]
        if len(members) >= inst.max_size or state.orgs[c].get(org, 0) >= cap:
            continue
        if any(abs(inst.levels[m] - level) > gap for m in members):
            continue
        if state.fits(c, None, i):
            ranked.append((state.pair_delta(i, c) + state.size_delta(c, 1), c))
            if len(ranked) >= CHOICES:
                break
    for _, c in sorted(ranked):
        if state.staggers({c: [*state.cohorts[c], i]}):
            return c
    return None
