"""The neighbourhood around a left-out person: the cohorts that come closest to taking them."""

from __future__ import annotations

import random
from types import SimpleNamespace

from peermatch.solvers import neighbourhoods as lns
from peermatch.solvers.placement_rules import PlacementRules


def _instance(orgs: list[int], levels: list[int], options: list[list[int]]) -> SimpleNamespace:
    """What _around_person reads of an instance (a stand-in: the ranking is pure bookkeeping)."""
    n = len(orgs)
    return SimpleNamespace(
        options_of=options, levels=levels, org_of=orgs, max_level_gap=1, max_per_org=1,
        conflict_sets=[frozenset() for _ in range(n)], placement=PlacementRules(),
    )  # fmt: skip


def test_the_only_cohorts_without_the_persons_organisation_are_always_chosen() -> None:
    # Regression (issue 11): one organisation sat in 12,500 of 12,780 cohorts; its left-out
    # members could only join the few others, and a random pick among all cohorts sharing
    # an option never found them. Here: 40 cohorts of 4, org 0 in all but cohorts 7 and 23.
    cohorts = [[4 * k + m for m in range(4)] for k in range(40)]
    orgs = [
        0 if m == 0 and k not in (7, 23) else 1 + 4 * k + m for k in range(40) for m in range(4)
    ]
    u = 160  # the left-out person, of organisation 0
    orgs.append(0)
    levels = [1] * 161
    options = [[0]] * 161
    inst = _instance(orgs, levels, options)
    for seed in range(20):
        chosen, extra = lns.around_person(inst, cohorts, [u], random.Random(seed), 6, 4)  # type: ignore[arg-type]
        assert {7, 23} <= set(chosen) and len(chosen) == 6 and extra == [u]


def test_cohorts_out_of_reach_by_option_or_level_come_last() -> None:
    cohorts = [[3 * k, 3 * k + 1, 3 * k + 2] for k in range(10)]
    orgs = list(range(31))
    u = 30
    levels = [1] * 30 + [1]
    # Cohorts 0-4 meet at option 0, cohorts 5-9 at option 1; the person only at option 0.
    options = [[0] if i < 15 else [1] for i in range(30)] + [[0]]
    # Cohort 2 is senior (level 5), out of the person's reach.
    for i in (6, 7, 8):
        levels[i] = 5
    inst = _instance(orgs, levels, options)
    chosen, _ = lns.around_person(inst, cohorts, [u], random.Random(0), 4, 1)  # type: ignore[arg-type]
    assert set(chosen) == {0, 1, 3, 4}
