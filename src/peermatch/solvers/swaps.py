"""Moves and swaps of single people between cohorts: a fast local search between neighbourhoods.

One CP-SAT neighbourhood step (:mod:`peermatch.solvers.search.lns`) costs a
few tenths of a second, so in 60 s a program of 1,000 people (126 cohorts)
gets about 150 of them and most cohorts are re-formed only a handful of
times. Yet much of the cost is single same-value pairs that one swap with a
cohort elsewhere removes. This search tries exactly that, at a few
microseconds per candidate: the change in cost of moving one person, or of
swapping two, follows from per-cohort value counts, and only a move that
would be taken is checked against the rules.

A move is taken only when both cohorts it changes keep every hard rule of a
cohort, as the model and :func:`peermatch.violations` state them:

- sizes within ``min_size .. max_size``;
- at most ``max_per_organisation`` members of one organisation;
- no linked pair (history, reporting lines, ``apart`` pairs);
- levels within ``max_level_gap``; every similarity attribute shared;
- a meeting option anchored where the cohort must meet (the members' zone
  when they all share one, else the program's) admits every member and,
  with facilitators, the cohort's facilitator, who shares no organisation
  or history with a member; a facilitator leading several cohorts can still
  stagger their sessions (:func:`peermatch.solvers.finish.stagger`);
- ``[limits]``, ``[presence]``, ``[required]`` and ``[closeness]``.

The rules and the counts behind the cost changes are those of the one
:class:`~peermatch.solvers.cohort_state.CohortState` the greedy start uses too.

People of a group (locks, ``together`` pairs) never move alone, so groups
stay whole; once single moves stall, a group moves as one unit
(:mod:`peermatch.solvers.group_moves`). Facilitators stay with their
cohorts (the neighbourhood steps re-assign them). The solve's result is re-checked by the independent
checker like every other.

Budget: every candidate looked at is charged :data:`EVAL_COST` seconds,
every rule check :data:`CHECK_COST` and every stagger :data:`STAGGER_COST`,
so in deterministic mode a descent stops after the same work on any
machine; in wall-clock mode the clock decides.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from peermatch.solvers.cohort_state import CohortState
from peermatch.solvers.group_moves import group_move, hot_groups
from peermatch.solvers.instance import FormationInstance

__all__ = ["CHECK_COST", "EVAL_COST", "GROUP_EVAL_COST", "STAGGER_COST", "SwapBudget", "descend"]

#: Seconds charged per candidate move evaluated (about what CPython takes for one).
EVAL_COST = 5e-6
#: Seconds charged per rule check of a move that would be taken.
CHECK_COST = 3e-5
#: Seconds charged per stagger (a facilitator leading several cohorts).
STAGGER_COST = 5e-4
#: Seconds charged per group exchange priced (several people's values at once).
GROUP_EVAL_COST = 2e-5
#: Candidates drawn per person tried.
SAMPLE = 48


@dataclass
class SwapBudget:
    """How long one descent may run, and what it spent.

    Attributes
    ----------
    limit
        Seconds (charged seconds when ``deterministic``) this descent may spend.
    deterministic
        Count charged seconds instead of the clock.
    stall
        Stop after this many people tried in a row without an improvement.
    spent
        Seconds spent so far (charged, or by the clock).
    on_improve
        Called with the cost change of every improving move.
    stop
        Polled before every person tried: ``True`` ends the descent at once
        (the search passes :func:`peermatch.interrupts.requested`, so Ctrl-C
        and SIGTERM stop it).
    """

    limit: float
    deterministic: bool = True
    stall: int = 2000
    spent: float = 0.0
    began: float = field(default_factory=time.monotonic)
    stop: Callable[[], bool] | None = None
    #: Called with the cost change of every improving move (progress reports).
    on_improve: Callable[[int], None] | None = None

    def charge(self, seconds: float) -> None:
        """Count ``seconds`` of work (deterministic), or read the clock."""
        if self.deterministic:
            self.spent += seconds
        else:
            self.spent = time.monotonic() - self.began

    def over(self) -> bool:
        """Whether the limit is reached (or ``stop`` says so)."""
        return self.spent >= self.limit or (self.stop is not None and self.stop())


@dataclass(frozen=True)
class _Move:
    """Person ``i`` leaves cohort ``a`` for ``b``; with ``j``, a swap (``j`` goes to ``a``)."""

    delta: int
    i: int
    a: int
    b: int
    j: int | None

    def after(self, state: CohortState) -> dict[int, list[int]]:
        """The two cohorts' members after the move."""
        a = [x for x in state.cohorts[self.a] if x != self.i]
        b = [x for x in state.cohorts[self.b] if x != self.j] + [self.i]
        if self.j is not None:
            a.append(self.j)
        return {self.a: a, self.b: b}


def _candidates(
    state: CohortState, i: int, pool: Sequence[int], rng: random.Random, budget: SwapBudget
) -> list[_Move]:
    """Improving (negative ``delta``) and neutral moves of ``i`` towards a sample of ``pool``."""
    a = state.where[i]
    shrink = len(state.cohorts[a]) > state.inst.min_size
    out = state.pairs_delta(a, i, None) + state.size_delta(a, -1)
    found: list[_Move] = []
    seen: set[int] = set()
    for _ in range(min(SAMPLE, len(pool))):
        j = pool[rng.randrange(len(pool))]
        b = state.where[j]
        if b == a:
            continue
        delta = state.pairs_delta(a, i, j) + state.pairs_delta(b, j, i)
        if delta <= 0:
            found.append(_Move(delta, i, a, b, j))
        if shrink and b not in seen and len(state.cohorts[b]) < state.inst.max_size:
            seen.add(b)
            moved = out + state.pairs_delta(b, None, i) + state.size_delta(b, 1)
            if moved <= 0:
                found.append(_Move(moved, i, a, b, None))
    budget.charge(EVAL_COST * SAMPLE)
    return sorted(found, key=lambda m: m.delta)


def _take(state: CohortState, moves: list[_Move], budget: SwapBudget) -> _Move | None:
    """The first move (best first) both cohorts allow; neutral ones only when nothing improves."""
    for m in moves:
        if m.delta == 0 and m is not moves[0]:
            break  # one neutral try at most: a plateau step, not a search of the plateau
        budget.charge(CHECK_COST)
        if not (state.fits(m.a, m.i, m.j) and state.fits(m.b, m.j, m.i)):
            continue
        if state.facs is not None and any(
            len(state.led.get(f, ())) > 1
            for f in {state.facs[m.a], state.facs[m.b]}
            if f is not None
        ):
            budget.charge(STAGGER_COST)
            if not state.staggers(m.after(state)):
                continue
        state.apply(m.a, m.i, m.j)
        state.apply(m.b, m.j, m.i)
        return m
    return None


def _pools(inst: FormationInstance, state: CohortState) -> dict[int, list[int]]:
    """Movable people (in a cohort, in no group) by level."""
    out: dict[int, list[int]] = {}
    for i in sorted(state.where):
        if i not in inst.group_of:
            out.setdefault(inst.levels[i], []).append(i)
    return out


def descend(
    inst: FormationInstance,
    cohorts: Sequence[Sequence[int]],
    facs: Sequence[int | None] | None,
    rng: random.Random,
    budget: SwapBudget,
) -> tuple[list[list[int]], int]:
    """Improve ``cohorts`` by single moves and swaps until it stalls or the budget is spent.

    Parameters
    ----------
    inst
        The flat instance.
    cohorts
        A complete grouping's cohorts (kept: the result is a copy).
    facs
        Their facilitators (``None`` without facilitators); they stay with their cohorts.
    rng
        Draws the people tried and their candidates (seeded: the descent is reproducible).
    budget
        The limit and the stall count; ``budget.spent`` says what was used.

    Returns
    -------
    tuple
        The cohorts (same order; members changed) and the number of improving moves.
    """
    state = CohortState(inst, [list(c) for c in cohorts], list(facs) if facs is not None else None)
    pools = _pools(inst, state)
    gap = inst.max_level_gap
    # People whose level suits a cohort spanning lo..hi, per window (there are few windows).
    windows: dict[tuple[int, int], list[int]] = {}
    improved = tried = 0
    grouped = False  # whether whole groups were tried since single people last moved
    while not budget.over():
        hot = []
        if tried < budget.stall:
            hot = [i for lv in sorted(pools) for i in pools[lv] if state.hot(i)]
            budget.charge(EVAL_COST * len(state.where))
        if not hot:
            # Single people are stuck: whole groups get one pass (pricing one costs a
            # cohort sweep, so never while single moves still pay), and single people
            # another round after a group moved.
            if not inst.groups or grouped:
                break
            grouped, tried = True, 0
            moved = _group_pass(state, pools, rng, budget)
            if not moved:
                break
            improved += moved
            continue
        rng.shuffle(hot)
        for i in hot:
            if budget.over() or tried >= budget.stall:
                break
            if not state.hot(i):
                continue
            tried += 1
            levels = [inst.levels[x] for x in state.cohorts[state.where[i]] if x != i]
            if not levels:
                continue
            lo, hi = max(levels) - gap, min(levels) + gap
            if (lo, hi) not in windows:
                windows[lo, hi] = [j for lv in range(lo, hi + 1) for j in pools.get(lv, ())]
            pool = windows[lo, hi]
            move = _take(state, _candidates(state, i, pool, rng, budget), budget)
            if move is not None and move.delta < 0:
                improved += 1
                tried, grouped = 0, False
                if budget.on_improve is not None:
                    budget.on_improve(move.delta)
    return state.cohorts, improved


def _group_pass(
    state: CohortState, pools: dict[int, list[int]], rng: random.Random, budget: SwapBudget
) -> int:
    """One try of every group with a clash (:func:`~peermatch.solvers.group_moves.group_move`);
    the improving moves."""
    movable = {i for pool in pools.values() for i in pool}
    hot = hot_groups(state.inst, state)
    rng.shuffle(hot)
    improved = 0
    for g in hot:
        if budget.over():
            break
        delta, priced = group_move(state, g, movable, rng)
        budget.charge(GROUP_EVAL_COST * priced + CHECK_COST)
        if delta < 0:
            improved += 1
            if budget.on_improve is not None:
                budget.on_improve(delta)
    return improved
