"""A small, solver-free program with a known solution, for the report and explain tests.

Two cohorts of eight (A and B), two facilitators, people in three time zones,
one history pair across the cohorts (p1 in A, p9 in B) and hostile text in
names, organisations, industries and topics.
"""

from __future__ import annotations

from datetime import date

from peermatch.model import (
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
)
from peermatch.schedule import Slot, session_times
from peermatch.solution import Cohort, Result, Solution, Status

SCRIPT = "<script>alert('x')</script>"
QUOTES = 'O\'Brien "Bob" & Co'
FORMULA = '=HYPERLINK("http://evil.example","click")'
ZONES = ("Europe/London", "America/New_York", "Europe/Berlin")
INDUSTRIES = ("Retail", "Banking", SCRIPT, "Energy")
FUNCTIONS = ("HR", "Finance", "Sales", "IT", "Legal", "Operations", "Marketing", "R&D")


def sample_problem(*, history: bool = True) -> ProblemData:
    people = [
        Participant(
            id=f"p{i}",
            name={1: SCRIPT, 2: QUOTES, 3: FORMULA}.get(i, f"Person {i}"),
            email=f"p{i}@example.org",
            organisation=f"Org {i}" if i != 4 else f"{SCRIPT} Ltd",
            level=2 + i % 2,
            industry=INDUSTRIES[i % 4],
            function=FUNCTIONS[i % 8],
            timezone=ZONES[i % 3],
        )
        for i in range(1, 17)
    ]
    rules = ScheduleRules(
        start_date=date(2027, 1, 11),
        sessions=4,
        duration_minutes=120,
        default_availability="Mon-Fri 08:00-18:00",
        topics=[SCRIPT, "Feedback & candour"],
    )
    links = (HistoryLink(a="p1", b="p9", relation="former colleagues"),) if history else ()
    return ProblemData(
        participants=people,
        facilitators=(
            Facilitator(id="f1", name="Finn <b>One</b>", email="f1@coach.example"),
            Facilitator(id="f2", name="Fay Two", email="f2@coach.example", organisation="Coach Co"),
        ),
        history=links,
        config=ProgramConfig(program=ProgramInfo(name=f"Circles {SCRIPT}", id="c"), schedule=rules),
    )


def sample_result(problem: ProblemData | None = None) -> tuple[ProblemData, Result]:
    problem = problem or sample_problem()
    rules = problem.config.schedule
    slot = Slot(zone="Europe/London", weekday=1, start_minute=14 * 60)
    cohorts = tuple(
        Cohort(
            id=cid,
            members=tuple(f"p{i}" for i in members),
            slot=slot,
            facilitator_id=fid,
            sessions=session_times(rules, slot),
        )
        for cid, members, fid in (("A", range(1, 9), "f1"), ("B", range(9, 17), "f2"))
    )
    result = Result(
        status=Status.FEASIBLE,
        objective=4250.0,
        best_bound=4000.0,
        gap=0.0588,
        runtime=1.5,
        solution=Solution(cohorts=cohorts),
    )
    return problem, result
