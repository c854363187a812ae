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
  stagger their sessions (:func:`peermatch.solvers.finish.stagger`).

People of a group (locks, ``together`` pairs) never move, so groups stay
whole. Facilitators stay with their cohorts (the neighbourhood steps
re-assign them). The solve's result is re-checked by the independent
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

from peermatch.solvers.finish import stagger
from peermatch.solvers.instance import SIZE_WEIGHT, FormationInstance

__all__ = ["CHECK_COST", "EVAL_COST", "STAGGER_COST", "SwapBudget", "descend"]

#: Seconds charged per candidate move evaluated (about what CPython takes for one).
EVAL_COST = 5e-6
#: Seconds charged per rule check of a move that would be taken.
CHECK_COST = 3e-5
#: Seconds charged per stagger (a facilitator leading several cohorts).
STAGGER_COST = 5e-4
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


def _tally(values: Sequence[int | None], members: Sequence[int]) -> dict[int, int]:
    out: dict[int, int] = {}
    for i in members:
        v = values[i]
        if v is not None:
            out[v] = out.get(v, 0) + 1
    return out


class _State:
    """Cohorts with their value and organisation counts, kept up to date by moves."""

    def __init__(
        self, inst: FormationInstance, cohorts: list[list[int]], facs: list[int | None] | None
    ):
        self.inst, self.cohorts, self.facs = inst, cohorts, facs
        self.where = {i: k for k, c in enumerate(cohorts) for i in c}
        self.attrs = [
            (w, values)
            for w, values in zip(inst.attribute_weights, inst.value_of, strict=True)
            if w
        ]
        self.counts = [[_tally(values, c) for _, values in self.attrs] for c in cohorts]
        self.orgs = [_tally(inst.org_of, c) for c in cohorts]
        # Options as bits: a cohort can meet where the AND of its members' bits,
        # its anchor zone's and its facilitator's leaves one.
        self.opts = [0] * inst.n
        for i, mine in enumerate(inst.options_of):
            for c in mine:
                self.opts[i] |= 1 << c
        self.zone_opts: dict[str, int] = {}
        self.fac_opts = [0] * len(inst.facilitator_capacity)
        for c, o in enumerate(inst.options):
            self.zone_opts[o.zone] = self.zone_opts.get(o.zone, 0) | 1 << c
            fm = o.facilitator_mask
            while fm:
                low = fm & -fm
                self.fac_opts[low.bit_length() - 1] |= 1 << c
                fm ^= low
        self.led: dict[int, list[int]] = {}
        for k, f in enumerate(facs or ()):
            if f is not None:
                self.led.setdefault(f, []).append(k)

    def pairs_delta(self, k: int, out: int | None, into: int | None) -> int:
        """Change in cohort ``k``'s weighted same-value pairs when ``out`` leaves, ``into`` joins."""
        total = 0
        for (w, values), counts in zip(self.attrs, self.counts[k], strict=True):
            vo = values[out] if out is not None else None
            vi = values[into] if into is not None else None
            if vo == vi:
                continue
            change = 0
            if vo is not None:
                change -= counts[vo] - 1
            if vi is not None:
                change += counts.get(vi, 0)
            total += w * change
        return total

    def size_delta(self, k: int, change: int) -> int:
        """Change in cohort ``k``'s size term when it grows by ``change``."""
        size, target = len(self.cohorts[k]), self.inst.target_size
        return SIZE_WEIGHT * (abs(size + change - target) - abs(size - target))

    def hot(self, i: int) -> bool:
        """Whether person ``i`` shares a value with a cohort-mate, or their cohort is off-size."""
        k = self.where[i]
        if len(self.cohorts[k]) != self.inst.target_size:
            return True
        for (_, values), counts in zip(self.attrs, self.counts[k], strict=True):
            v = values[i]
            if v is not None and counts[v] > 1:
                return True
        return False

    def apply(self, k: int, out: int | None, into: int | None) -> None:
        """Remove ``out`` from and add ``into`` to cohort ``k`` (counts and membership)."""
        if out is not None:
            self.cohorts[k].remove(out)
            for (_, values), counts in zip(self.attrs, self.counts[k], strict=True):
                v = values[out]
                if v is not None:
                    counts[v] -= 1
            self.orgs[k][self.inst.org_of[out]] -= 1
        if into is not None:
            self.cohorts[k].append(into)
            self.where[into] = k
            for (_, values), counts in zip(self.attrs, self.counts[k], strict=True):
                v = values[into]
                if v is not None:
                    counts[v] = counts.get(v, 0) + 1
            o = self.inst.org_of[into]
            self.orgs[k][o] = self.orgs[k].get(o, 0) + 1

    def fits(self, k: int, out: int | None, into: int | None) -> bool:
        """Whether cohort ``k`` without ``out`` and with ``into`` keeps every per-cohort rule
        (the facilitator's stagger over several cohorts is :meth:`staggers`)."""
        inst = self.inst
        members = [i for i in self.cohorts[k] if i != out]
        if into is not None:
            org = inst.org_of[into]
            if self.orgs[k].get(org, 0) - (out is not None and inst.org_of[out] == org) >= (
                inst.max_per_org
            ):
                return False
            if any(self.where.get(o) == k and o != out for o in inst.conflict_sets[into]):
                return False
            mate = members[0] if members else into
            if any(v[into] is None or v[into] != v[mate] for v in inst.similarity):
                return False
            members.append(into)
        if not inst.min_size <= len(members) <= inst.max_size:
            return False
        levels = [inst.levels[i] for i in members]
        if max(levels) - min(levels) > inst.max_level_gap:
            return False
        zones = {inst.tz_of[i] for i in members}
        zone = zones.pop() if len(zones) == 1 else inst.program_zone
        can = self.zone_opts.get(zone, 0)
        f = self.facs[k] if self.facs is not None else None
        if f is not None:
            if into is not None and into in inst.facilitator_conflicts[f]:
                return False
            can &= self.fac_opts[f]
        for i in members:
            can &= self.opts[i]
            if not can:
                return False
        return True

    def staggers(self, changed: dict[int, list[int]]) -> bool:
        """Whether every facilitator of a changed cohort who leads several can still stagger them."""
        if self.facs is None:
            return True
        for f in sorted({f for k in changed if (f := self.facs[k]) is not None}):
            led = self.led.get(f, [])
            if len(led) > 1:
                cohorts = [changed.get(k, self.cohorts[k]) for k in led]
                if stagger(self.inst, cohorts, f) is None:
                    return False
        return True


@dataclass(frozen=True)
class _Move:
    """Person ``i`` leaves cohort ``a`` for ``b``; with ``j``, a swap (``j`` goes to ``a``)."""

    delta: int
    i: int
    a: int
    b: int
    j: int | None

    def after(self, state: _State) -> dict[int, list[int]]:
        """The two cohorts' members after the move."""
        a = [x for x in state.cohorts[self.a] if x != self.i]
        b = [x for x in state.cohorts[self.b] if x != self.j] + [self.i]
        if self.j is not None:
            a.append(self.j)
        return {self.a: a, self.b: b}


def _candidates(
    state: _State, i: int, pool: Sequence[int], rng: random.Random, budget: SwapBudget
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


def _take(state: _State, moves: list[_Move], budget: SwapBudget) -> _Move | None:
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


def _pools(inst: FormationInstance, state: _State) -> dict[int, list[int]]:
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
    state = _State(inst, [list(c) for c in cohorts], list(facs) if facs is not None else None)
    pools = _pools(inst, state)
    gap = inst.max_level_gap
    # People whose level suits a cohort spanning lo..hi, per window (there are few windows).
    windows: dict[tuple[int, int], list[int]] = {}
    improved = tried = 0
    while not budget.over() and tried < budget.stall:
        hot = [i for lv in sorted(pools) for i in pools[lv] if state.hot(i)]
        budget.charge(EVAL_COST * len(state.where))
        if not hot:
            break
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
                tried = 0
                if budget.on_improve is not None:
                    budget.on_improve(move.delta)
    return state.cohorts, improved
