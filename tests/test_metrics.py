"""Quality metrics and the diversity cost, checked against hand computations."""

from __future__ import annotations

import itertools
import json
import math
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers import make_participant
from peermatch.bench.baselines import random_baseline
from peermatch.generate import generate_population
from peermatch.metrics import (
    best_entropy,
    cohort_metrics,
    common_hours,
    diversity_cost,
    entropy_bits,
    even_split,
    same_value_pairs,
)
from peermatch.model import CohortRules, Participant, ProblemData, ProgramConfig
from peermatch.schedule import SessionTime
from peermatch.solution import Cohort, Solution, Unassigned
from strategies import problems


def _person(pid: str, org: str, **kw: Any) -> Participant:
    return make_participant(pid, **{"organisation": org, "level": 1, **kw})


@pytest.fixture
def tiny() -> tuple[ProblemData, Solution]:
    people = [
        _person("a", "O1", industry="Bank", function="HR", level=1, availability="Mon 09:00-12:00"),
        _person(
            "b",
            "O2",
            industry="Bank",
            function="HR",
            level=2,
            timezone="Europe/Paris",
            availability="Mon 10:00-14:00",
        ),
        _person("c", "O3", industry="Retail", level=2),
        _person("d", "O4", industry="Energy", level=3),
        _person("e", "O5", function="Sales", level=1),
        _person(
            "f",
            "O6",
            function="Sales",
            level=1,
            timezone="America/New_York",
            availability="Mon 08:00-10:00",
        ),
    ]
    problem = ProblemData(
        participants=tuple(people),
        config=ProgramConfig(
            cohort=CohortRules(min_size=2, max_size=4, target_size=3),
            diversity={"industry": 1.0, "function": 0.5},
        ),
    )
    solution = Solution(
        cohorts=(Cohort(id="X", members=("a", "b", "c", "d")), Cohort(id="Y", members=("e", "f")))
    )
    return problem, solution


def test_entropy_of_known_splits() -> None:
    assert entropy_bits([2, 2]) == 1.0
    assert entropy_bits([1, 1, 1, 1]) == 2.0
    assert entropy_bits([2, 1, 1]) == 1.5
    assert entropy_bits([5]) == 0.0
    assert str(entropy_bits([5])) == "0.0"  # not -0.0
    assert entropy_bits([]) == 0.0
    assert entropy_bits([1, 2, 0]) == pytest.approx(
        -(1 / 3) * math.log2(1 / 3) - (2 / 3) * math.log2(2 / 3)
    )


def test_even_split_respects_caps() -> None:
    assert even_split(4, [2, 1, 1]) == [1, 1, 2]
    assert even_split(2, [2, 1, 1]) == [1, 1, 0]
    assert even_split(8, [100] * 3) == [3, 3, 2]
    assert even_split(7, [1, 1, 10]) == [1, 1, 5]
    assert even_split(9, [2, 3]) == [2, 3]  # more people than values can hold
    assert best_entropy(8, [100] * 8) == 3.0
    assert best_entropy(8, [1] * 20) == 3.0
    assert best_entropy(6, [3, 100]) == 1.0


def test_same_value_pairs_ignore_blanks() -> None:
    assert same_value_pairs(["A", "A", "A", None, None, "B"]) == 3
    assert same_value_pairs([None, None]) == 0


def test_cohort_metrics_by_hand(tiny: tuple[ProblemData, Solution]) -> None:
    problem, solution = tiny
    m = cohort_metrics(problem, solution)
    x, y = m["cohorts"]
    assert (x["id"], x["size"], y["size"]) == ("X", 4, 2)
    assert x["attributes"]["industry"] == {
        "distinct": 3,  # Bank, Bank, Retail, Energy
        "best_distinct": 3,  # the population has 3 industries
        "entropy": 1.5,
        "best_entropy": 1.5,  # 1-1-2 is the most even split of 4 over (Bank 2, Retail 1, Energy 1)
        "same_pairs": 1,
    }
    assert x["attributes"]["function"] == {
        "distinct": 1,
        "best_distinct": 2,
        "entropy": 0.0,
        "best_entropy": 1.0,
        "same_pairs": 1,  # a-b share HR; c and d are blank, which never counts as equal
    }
    assert y["attributes"]["industry"] == {
        "distinct": 0,
        "best_distinct": 2,
        "entropy": 0.0,
        "best_entropy": 1.0,
        "same_pairs": 0,
    }
    assert y["attributes"]["function"]["same_pairs"] == 1
    assert (x["level_min"], x["level_max"], x["level_spread"]) == (1, 3, 2)
    assert y["level_spread"] == 0
    # X: a Mon 09-12 London, b Mon 10-14 Paris = 09-13 London, c/d default Mon-Fri 09-17.
    assert x["common_hours"] == 3.0
    # Y: f Mon 08-10 New York = 13-15 London in January, inside e's default window.
    assert y["common_hours"] == 2.0
    o = m["overall"]
    assert (o["cohorts"], o["placed"], o["unassigned"]) == (2, 6, 0)
    assert (o["size_min"], o["size_max"], o["size_mean"], o["size_spread"]) == (2, 4, 3.0, 2)
    assert (o["level_spread_mean"], o["level_spread_max"]) == (1.0, 2)
    assert (o["common_hours_mean"], o["common_hours_min"]) == (2.5, 2.0)
    assert o["attributes"]["industry"]["distinct_mean"] == 1.5
    assert o["attributes"]["industry"]["distinct_min"] == 0
    assert o["attributes"]["industry"]["entropy_mean"] == 0.75
    assert o["attributes"]["industry"]["best_entropy_mean"] == 1.25
    assert o["attributes"]["function"]["same_pairs"] == 2
    assert o["diversity_cost"] == 4000.0


def test_diversity_cost_by_hand(tiny: tuple[ProblemData, Solution]) -> None:
    problem, solution = tiny
    # X: 1 industry pair * 1000 + 1 function pair * 500 + |4 - 3| * 1000 = 2500
    # Y: 0 + 1 function pair * 500 + |2 - 3| * 1000 = 1500
    assert diversity_cost(problem, solution) == 4000.0
    # A weight that rounds to zero drops its attribute from the cost.
    light = problem.replace(
        config=problem.config.model_copy(
            update={"diversity": {"industry": 1.0, "function": 0.0004}}
        )
    )
    assert diversity_cost(light, solution) == 3000.0


def test_unassigned_and_empty(tiny: tuple[ProblemData, Solution]) -> None:
    problem, _ = tiny
    solution = Solution(
        cohorts=(Cohort(id="X", members=("a", "c")),),
        unassigned=tuple(Unassigned(participant_id=p, reason="test") for p in "bdef"),
    )
    m = cohort_metrics(problem, solution)
    assert (m["overall"]["placed"], m["overall"]["unassigned"]) == (2, 4)
    empty = cohort_metrics(problem, Solution(cohorts=()))
    assert empty["overall"]["cohorts"] == 0
    assert empty["overall"]["size_mean"] is None
    assert empty["overall"]["attributes"]["industry"]["entropy_mean"] is None
    json.dumps(empty)


def test_common_hours_follow_the_first_session_date_and_wrap_the_week() -> None:
    london = ZoneInfo("Europe/London")
    people = (
        _person("a", "O1"),  # default Mon-Fri 09:00-17:00 London
        _person(
            "s", "O2", timezone="Asia/Singapore", availability="Mon 16:00-18:00; Mon 00:00-02:00"
        ),
        _person("z", "O3", availability="Sun 15:00-17:00"),
    )
    problem = ProblemData(participants=people)
    # Singapore is 8 h ahead in January: Mon 16-18 is 08-10 London, one hour shared.
    assert common_hours(problem, Cohort(id="W", members=("a", "s"))) == 1.0
    # ...and 7 h ahead in July: 09-11 London, two hours shared.
    start = datetime(2027, 7, 5, 9, tzinfo=london)
    july = SessionTime(number=1, start=start, end=start + timedelta(hours=1))
    assert common_hours(problem, Cohort(id="S", members=("a", "s"), sessions=(july,))) == 2.0
    # Mon 00-02 Singapore is Sun 16-18 London: it wraps to the end of the week.
    assert common_hours(problem, Cohort(id="Z", members=("s", "z"))) == 1.0


def _brute_cost(problem: ProblemData, solution: Solution) -> float:
    """The objective from first principles: every pair, every attribute, field by field."""
    by_id = {p.id: p for p in problem.participants}
    if problem.config.diversity is None:
        names = [a for a in ("industry", "function") if any(getattr(p, a) for p in by_id.values())]
        weights = dict.fromkeys(names, 1.0)
    else:
        weights = {a: w for a, w in problem.config.diversity.items() if w > 0}

    def value(pid: str, attr: str) -> str | None:
        p = by_id[pid]
        if attr == "level":
            return str(p.level)
        if attr in ("industry", "function", "organisation", "timezone"):
            return getattr(p, attr) or None
        return p.attributes.get(attr) or None

    total = 0
    for cohort in solution.cohorts:
        for a, b in itertools.combinations(cohort.members, 2):
            for attr, w in weights.items():
                va, vb = value(a, attr), value(b, attr)
                if va is not None and va == vb:
                    total += round(w * 1000)
        total += abs(len(cohort.members) - problem.config.cohort.target_size) * 1000
    return float(total)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_diversity_cost_matches_brute_force(data: st.DataObject) -> None:
    problem = data.draw(problems())
    ids = [p.id for p in problem.participants]
    groups = data.draw(st.lists(st.integers(0, 3), min_size=len(ids), max_size=len(ids)))
    cohorts = tuple(
        Cohort(id=f"c{g}", members=tuple(i for i, h in zip(ids, groups, strict=True) if h == g))
        for g in sorted(set(groups))
    )
    solution = Solution(cohorts=cohorts)
    assert diversity_cost(problem, solution) == _brute_cost(problem, solution)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_diversity_cost_matches_brute_force_on_generated(seed: int) -> None:
    pop = generate_population(150, seed, planted=True, difficulty="hard")
    assert pop.planted is not None
    for solution in (pop.planted, random_baseline(pop.problem, seed)):
        assert diversity_cost(pop.problem, solution) == _brute_cost(pop.problem, solution)


def test_metrics_are_plain_json() -> None:
    pop = generate_population(120, 5, planted=True)
    assert pop.planted is not None
    m = cohort_metrics(pop.problem, pop.planted)
    assert json.loads(json.dumps(m)) == m

    def walk(x: Any) -> None:
        if isinstance(x, dict):
            assert all(isinstance(k, str) for k in x)
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert x is None or type(x) in (int, float, str, bool), type(x)

    walk(m)
    for c in m["cohorts"]:
        for figures in c["attributes"].values():
            assert figures["distinct"] <= figures["best_distinct"]
            assert figures["entropy"] <= figures["best_entropy"] + 1e-9
        assert c["common_hours"] >= 3.0  # the planted sessions last 3 hours
