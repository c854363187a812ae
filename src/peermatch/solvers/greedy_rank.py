"""The greedy start's ranking of cohorts for one person, in one pass.

The static greedy (parts of more than ``dynamic_order_limit`` people) asks, for
each person, every cohort's score and keeps the cheapest that fits. Asked one
method call at a time (``_may_join``, ``option_mask``, ``reach``,
``pair_delta``), that loop was most of the warm start at n = 100,000 (about
1.2 ms a person). Here the person's own values are looked up once and the
cohorts are scanned with local names; the cheap tests and the score are the
very same expressions, evaluated in the same order, so every score is the same
float bit for bit and the ranking (score, then cohort index) is unchanged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from peermatch.params import GreedyParams
from peermatch.solvers.instance import SIZE_WEIGHT

if TYPE_CHECKING:
    from peermatch.solvers.greedy_state import GreedyState

__all__ = ["ranked_cohorts"]


def ranked_cohorts(
    state: GreedyState, i: int, params: GreedyParams, bands: bool
) -> list[tuple[float, int]]:
    """``(score, cohort)`` of every cohort ``i`` may join (``GreedyState._may_join``), sorted.

    Parameters
    ----------
    state
        The greedy's cohort state.
    i
        The person to place.
    params
        The greedy's weights.
    bands
        Whether ``[closeness]`` rules add their band terms to the score.

    Returns
    -------
    list of (float, int)
        The same list as sorting ``(score(i, k), k)`` over the cohorts that pass
        ``_may_join(i, k)``.
    """
    inst = state.inst
    opts_i, org, lv = state.opts[i], inst.org_of[i], inst.levels[i]
    max_size, max_org, gap = inst.max_size, inst.max_per_org, inst.max_level_gap
    target, min_size = inst.target_size, inst.min_size
    reach_weight, level_weight, fill_bonus = (
        params.reach_weight,
        params.level_weight,
        params.fill_bonus,
    )
    # The person's (attribute, value, weight) for each weighted attribute they have a value of,
    # in pair_delta's order, so the integer sum is the same.
    mine = [
        (a, v, inst.attribute_weights[a])
        for a in state.weighted
        if (v := inst.value_of[a][i]) is not None
    ]
    shared_of, orgs, lo, hi = state.shared, state.orgs, state.lo, state.hi
    values, planned, reach, known = state.values, state.planned, state.reach, state._reach
    ranked: list[tuple[float, int]] = []
    for k, members in enumerate(state.cohorts):
        size = len(members)
        shared = shared_of[k]
        if size >= max_size or not shared & opts_i:
            continue
        if orgs[k].get(org, 0) >= max_org:
            continue
        if members and max(hi[k], lv) - min(lo[k], lv) > gap:
            continue
        # reach() memoised by mask; its cache asked here without the method call.
        joint = shared & opts_i
        before, after = known.get(shared), known.get(joint)
        lost = (reach(shared) if before is None else before) - (
            reach(joint) if after is None else after
        )
        counts = values[k]
        pairs = 0
        for a, v, w in mine:
            pairs += w * counts[a].get(v, 0)
        score = (
            reach_weight * lost
            + pairs
            + level_weight * abs(planned[k] - lv)
            + SIZE_WEIGHT * max(0, size + 1 - target)
            - (fill_bonus if size < min_size else 0)
            + 10 * size
            + (level_weight * (state.band_widening(i, k) + state.off_band(i, k)) if bands else 0)
        )
        ranked.append((score, k))
    ranked.sort()
    return ranked


def swap_gain(state: GreedyState, i: int, j: int, ki: int, kj: int) -> int:
    """The pair cost a swap of ``i`` (in ``ki``) and ``j`` (in ``kj``) removes.

    Equal to ``-state.pairs_delta(ki, i, j) - state.pairs_delta(kj, j, i)``
    (integers, so summed per attribute it is the same number); the greedy
    descent asks it for 60 partners of every person.
    """
    inst, values = state.inst, state.values
    counts_i, counts_j = values[ki], values[kj]
    weights = inst.attribute_weights
    change = 0
    for a in state.weighted:
        column = inst.value_of[a]
        vi, vj = column[i], column[j]
        if vi == vj:
            continue
        ci, cj = counts_i[a], counts_j[a]
        step = 0
        if vi is not None:
            step += ci[vi] - 1 - cj.get(vi, 0)
        if vj is not None:
            step += cj[vj] - 1 - ci.get(vj, 0)
        change += weights[a] * step
    return change
