"""``peermatch.repair``: the library's repair, without the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

import peermatch
from peermatch.errors import InputError
from peermatch.model import CohortRules, Participant, ProblemData, ProgramConfig
from peermatch.params import SolveParams
from peermatch.previous_run import PreviousCohort, PreviousRun, RepairResult
from peermatch.schedule import Slot, session_times
from peermatch.solution import Status
from peermatch.violations import violations

CONFIG = ProgramConfig(cohort=CohortRules(min_size=4, max_size=5, target_size=4))


def _people(ids: list[int]) -> ProblemData:
    people = tuple(
        Participant(id=f"P{i:02d}", name="P", email=f"p{i}@x.org", organisation=f"O{i}", level=1)
        for i in ids
    )
    return ProblemData(participants=people, config=CONFIG)


def _earlier() -> PreviousRun:
    slot = Slot(zone="Europe/London", weekday=1, start_minute=600)
    sessions = session_times(CONFIG.schedule, slot)
    return PreviousRun(
        folder=Path("earlier"),
        cohorts=tuple(
            PreviousCohort(
                id=f"C0{k + 1}",
                members=tuple(f"P{i:02d}" for i in range(4 * k, 4 * k + 4)),
                facilitator_id=None,
                sessions=sessions,
                slot=slot,
                calendar=None,
            )
            for k in range(2)
        ),
    )


def test_a_leaver_and_a_joiner_move_nobody_else() -> None:
    # P03 leaves, P08 joins: both cohorts can stay as they are (sizes 4..5).
    problem = _people([0, 1, 2, 4, 5, 6, 7, 8])
    params = SolveParams(time_limit=5, seed=0, workers=1)
    repaired = peermatch.repair(problem, _earlier(), params)
    assert isinstance(repaired, RepairResult)
    result = repaired.result
    assert result.status in (Status.OPTIMAL, Status.FEASIBLE) and result.solution is not None
    assert list(violations(problem, result.solution)) == []
    kinds = {(c.participant_id, c.change) for c in repaired.changes}
    assert kinds == {("P03", "left"), ("P08", "joined")}
    assert {c.id for c in result.solution.cohorts} == {"C01", "C02"}
    assert result.stats.previous_run is not None and result.stats.previous_run.moved == 0
    # Deterministic by default, like solve(): the same call gives the same cohorts.
    again = peermatch.repair(problem, _earlier(), params)
    assert again.result.solution == result.solution


def test_a_folder_that_is_no_earlier_run_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        peermatch.repair(_people(list(range(8))), tmp_path)
