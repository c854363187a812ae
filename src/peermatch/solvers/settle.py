"""Make the greedy start's cohorts keep ``[presence]`` and ``[required]``.

Those two rules can only be met by a complete cohort (its first woman is
always alone for a moment), so the greedy start builds cohorts first and then
settles them here: for every cohort that breaks one, swaps with people of
other cohorts who hold the value it lacks (or who share the lone holder's
value) are tried, and a move or swap is taken when both cohorts keep every other rule and
the breaches of the two cohorts fall. A cohort that loses its lone holders
is brought back to ``min_size`` from the people out or from cohorts that can
spare one. What still breaks a rule afterwards
is taken out (lone holders, or the whole cohort when it has no required
member); whoever is out then joins a cohort that keeps every rule with
them, when one does, and the rest are listed as unplaced, for the search's
start repair.
"""

from __future__ import annotations

from peermatch.solvers.cohort_state import CohortState

__all__ = ["breaches", "settle"]

#: People tried per cohort to mend, at most (an even sample of those who could help).
_CANDIDATES = 400


def breaches(state: CohortState, k: int) -> int:
    """How far cohort ``k`` is from keeping ``[presence]`` and ``[required]`` (0: it keeps them).

    A value held by c of N needed adds N - c; a required rule with no holder
    adds N + 1 (N the largest [presence] bound, else 1), so that bringing in
    the first holder counts as progress even when [presence] then wants a second.
    """
    if not state.cohorts[k]:
        return 0
    rules = state.rules
    deficit = sum(
        rule.bound - n
        for counts, rule in zip(state.presence_counts[k], rules.presence, strict=True)
        for n in counts.values()
        if 0 < n < rule.bound
    )
    most = max((rule.bound for rule in rules.presence), default=1)
    return deficit + (most + 1) * sum(1 for held in state.holders[k] if held < 1)


def _wanted(state: CohortState, k: int) -> list[int]:
    """People elsewhere whose arrival (or whose cohort) could mend cohort ``k``."""
    rules, out = state.rules, set()
    for r, req in enumerate(rules.required):
        if state.holders[k][r] < 1:
            out |= {i for i, h in enumerate(req.holds) if h}
    for counts, rule in zip(state.presence_counts[k], rules.presence, strict=True):
        for v, n in counts.items():
            if 0 < n < rule.bound:
                holders = {i for i, x in enumerate(rule.values) if x == v}
                out |= holders
                # Cohorts already holding v could take a lone holder in a swap.
                out |= {
                    m for h in holders if h in state.where for m in state.cohorts[state.where[h]]
                }
    found = sorted(i for i in out if i in state.where and state.where[i] != k)
    # An even sample keeps a large part's settling linear in its size.
    return found[:: max(1, len(found) // _CANDIDATES)]


def _swap_mends(state: CohortState, k: int, m: int, p: int) -> bool:
    """Swap ``m`` (in k) with ``p`` (elsewhere) when both cohorts allow it and breaches fall."""
    t = state.where[p]
    if not (state.fits(k, m, p, building=True) and state.fits(t, p, m, building=True)):
        return False
    before = breaches(state, k) + breaches(state, t)
    state.apply(k, m, p)
    state.apply(t, p, m)
    if breaches(state, k) + breaches(state, t) < before:
        return True
    state.apply(k, p, m)
    state.apply(t, m, p)
    return False


def _move_mends(state: CohortState, k: int, p: int) -> bool:
    """Move ``p`` into cohort ``k`` when both cohorts have room for it and breaches fall."""
    inst, t = state.inst, state.where[p]
    if len(state.cohorts[k]) >= inst.max_size or len(state.cohorts[t]) <= inst.min_size:
        return False
    if not state.fits(k, None, p, building=True):
        return False
    before = breaches(state, k) + breaches(state, t)
    state.remove(p)
    state.add(p, k)
    if breaches(state, k) + breaches(state, t) < before:
        return True
    state.remove(p)
    state.add(p, t)
    return False


def _take_in(state: CohortState, k: int, unplaced: list[int]) -> None:
    """Add people left out to cohort ``k`` while it has room and its breaches fall."""
    for p in sorted(unplaced):
        if not breaches(state, k) or len(state.cohorts[k]) >= state.inst.max_size:
            return
        if not state.fits(k, None, p, building=True):
            continue
        before = breaches(state, k)
        state.add(p, k)
        if breaches(state, k) < before:
            unplaced.remove(p)
        else:
            state.remove(p)


def _fill(state: CohortState, k: int, unplaced: list[int]) -> None:
    """Bring cohort ``k`` back to min_size from the unplaced, or from cohorts that can spare one."""
    inst = state.inst
    for p in [*sorted(unplaced), *sorted(state.where)]:
        if len(state.cohorts[k]) >= inst.min_size:
            return
        t = state.where.get(p)
        if t == k or (t is not None and len(state.cohorts[t]) <= inst.min_size):
            continue
        if not (state.fits(k, None, p, building=True) and state.counts_ok(k, None, p)):
            continue
        if t is not None and not state.counts_ok(t, p, None):
            continue
        if t is None:
            unplaced.remove(p)
        else:
            state.remove(p)
        state.add(p, k)


def settle(state: CohortState, unplaced: list[int], rounds: int = 3) -> list[int]:
    """Mend ``[presence]`` and ``[required]`` by swaps; take out what cannot be mended.

    Returns the unplaced people, ``unplaced`` and those taken out, sorted.
    """
    if not (state.rules.presence or state.rules.required):
        return unplaced
    unplaced = list(unplaced)
    for _ in range(rounds):
        broken = [k for k in range(len(state.cohorts)) if breaches(state, k)]
        if not broken:
            break
        for k in broken:
            _take_in(state, k, unplaced)
            for p in _wanted(state, k):
                if not breaches(state, k):
                    break
                if p in state.where and state.where[p] != k:
                    _move_mends(state, k, p) or any(
                        _swap_mends(state, k, m, p) for m in list(state.cohorts[k])
                    )
    still = list(unplaced)
    for k in range(len(state.cohorts)):
        if not breaches(state, k):
            continue
        lone = {
            i
            for i in state.cohorts[k]
            for counts, rule in zip(state.presence_counts[k], state.rules.presence, strict=True)
            if 0 < counts.get(rule.values[i] or 0, 0) < rule.bound and rule.values[i] is not None
        }
        for i in sorted(lone):
            state.remove(i)
            still.append(i)
        if not breaches(state, k):
            _fill(state, k, still)
        if breaches(state, k) or 0 < len(state.cohorts[k]) < state.inst.min_size:
            for i in list(state.cohorts[k]):
                state.remove(i)
                still.append(i)
    return _place(state, still)


def _place(state: CohortState, people: list[int]) -> list[int]:
    """Put whoever can join a complete cohort without breaking a rule there; return the rest.

    One by one first; then two people left out who hold the same ``[presence]``
    values into one cohort together (two men into a cohort of women, where
    either alone would be the only one); then one by one again, each in the
    place of a member who moves on to another cohort.
    """
    still = []
    for i in sorted(people):
        home = _home(state, i)
        if home is None:
            still.append(i)
        else:
            state.add(i, home)
    if state.rules.presence:
        still = _place_pairs(state, still)
    return [i for i in still if not _place_by_move(state, i)]


def _home(state: CohortState, i: int, skip: int | None = None) -> int | None:
    """A complete cohort (not ``skip``) that ``i`` can join keeping every rule there."""
    return next(
        (
            k
            for k, members in enumerate(state.cohorts)
            if members
            and k != skip
            and len(members) < state.inst.max_size
            and state.fits(k, None, i, building=True)
            and state.counts_ok(k, None, i)
        ),
        None,
    )


def _place_pairs(state: CohortState, people: list[int]) -> list[int]:
    """Place two of ``people`` with the same ``[presence]`` values into one cohort together."""
    rules, still = state.rules, list(people)
    for i in list(still):
        if i not in still:
            continue
        for j in still:
            if j == i or any(r.values[i] != r.values[j] for r in rules.presence):
                continue
            for k, members in enumerate(state.cohorts):
                if not members or len(members) + 2 > state.inst.max_size:
                    continue
                if not state.fits(k, None, i, building=True):
                    continue
                state.add(i, k)
                if state.fits(k, None, j, building=True):
                    state.add(j, k)
                    if not breaches(state, k):
                        break
                    state.remove(j)
                state.remove(i)
            else:
                continue
            still.remove(i)
            still.remove(j)
            break
    return still


def _place_by_move(state: CohortState, i: int) -> bool:
    """Put ``i`` in the place of a member who can join another cohort as it stands.

    At n = 300 with every placement rule this placed two of the eight people the
    greedy start left out.
    """
    for k, members in enumerate(state.cohorts):
        for m in list(members):
            if not state.fits(k, m, i):
                continue
            home = _home(state, m, skip=k)
            if home is not None:
                state.remove(m)
                state.add(i, k)
                state.add(m, home)
                return True
    return False
