"""One cohort-id scheme: runs, repairs, locks and planted references all draw from ``cohort_ids``."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from peermatch.model import CohortRules, Participant, ProblemData, ProgramConfig
from peermatch.repair import PreviousCohort, PreviousRun
from peermatch.schedule import Slot, session_times
from peermatch.solution import cohort_ids
from peermatch.solvers.instance import build_instance
from peermatch.solvers.repair_finish import finish_repair
from peermatch.violations import violations


@given(
    count=st.integers(min_value=1, max_value=2000),
    taken=st.sets(st.integers(min_value=1, max_value=3000), max_size=20),
)
def test_ids_have_one_width_skip_the_taken_and_sort_as_text(count: int, taken: set[int]) -> None:
    width = max(2, len(str(count)), *(len(str(n)) for n in taken))
    used = {f"C{n:0{width}d}" for n in taken}
    ids = list(islice(cohort_ids(count, used), count))
    assert len(set(ids)) == count and not set(ids) & used
    # New ids are as wide as the count and every taken id need: one width in all.
    assert {len(i) for i in [*ids, *used]} == {width + 1}
    assert ids == sorted(ids)


def test_a_wider_taken_id_sets_the_width() -> None:
    assert next(cohort_ids(5, {"C001", "Team-A", "C7"})) == "C002"
    assert next(cohort_ids(5, {"Team-A"})) == "C01"


def _hundred_cohorts_of_seven() -> tuple[ProblemData, PreviousRun]:
    """707 people (everyone in their own organisation): 100 full earlier cohorts and 7 joiners."""
    people = tuple(
        Participant(id=f"P{i:04d}", name="P", email=f"p{i}@x.org", organisation=f"O{i}", level=1)
        for i in range(707)
    )
    config = ProgramConfig(cohort=CohortRules(min_size=7, max_size=7, target_size=7))
    problem = ProblemData(participants=people, config=config)
    slot = Slot(zone="Europe/London", weekday=0, start_minute=600)
    sessions = session_times(config.schedule, slot)
    earlier = tuple(
        PreviousCohort(
            id=f"C{k + 1:03d}",
            members=tuple(p.id for p in people[7 * k : 7 * k + 7]),
            facilitator_id=None,
            sessions=sessions,
            slot=slot,
            calendar=None,
        )
        for k in range(100)
    )
    return problem, PreviousRun(folder=Path("earlier"), cohorts=earlier)


def test_a_repair_of_more_than_99_cohorts_keeps_one_id_width() -> None:
    # The repair's last step, without its model: the earlier 100 cohorts stay,
    # the seven joiners form a new one (model cohort 100 >= the earlier 100).
    problem, earlier = _hundred_cohorts_of_seven()
    inst = build_instance(problem)
    cohorts = [[problem.index[m] for m in c.members] for c in earlier.cohorts]
    cohorts.append(list(range(700, 707)))
    solution = finish_repair(inst, earlier, cohorts, [None] * 101, [True] * 100 + [False])
    assert not list(violations(problem, solution))
    ids = [c.id for c in solution.cohorts]
    # C101, not C01 beside C001..C100.
    assert set(ids) == {f"C{k:03d}" for k in range(1, 102)}
