"""From member lists to a full solution: slots, staggered facilitators, ids and reasons."""

from __future__ import annotations

from itertools import islice

from peermatch.availability import parse_availability
from peermatch.model import (
    CohortRules,
    Facilitator,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
)
from peermatch.schedule import Slot
from peermatch.solution import cohort_ids
from peermatch.solvers.finish import (
    assign_facilitators,
    cohort_slots,
    finish_solution,
    unassigned_reason,
)
from peermatch.solvers.instance import build_instance
from peermatch.violations import violations


def _people(n: int, **kw: object) -> tuple[Participant, ...]:
    return tuple(
        Participant(id=f"p{i}", name="P", email=f"p{i}@x.org", organisation=f"O{i}", level=2, **kw)  # type: ignore[arg-type]
        for i in range(n)
    )


def _config(cadence: int = 3) -> ProgramConfig:
    return ProgramConfig(
        cohort=CohortRules(min_size=3, max_size=4, target_size=3),
        schedule=ScheduleRules(cadence_weeks=cadence, sessions=2, duration_minutes=60),
    )


def _one_slot_facilitator(cap: int) -> Facilitator:
    return Facilitator(
        id="f",
        name="F",
        email="f@x.org",
        availability=parse_availability("Mon 10:00-11:00"),
        max_cohorts=cap,
    )


def test_cohorts_sharing_a_facilitator_are_staggered_by_week() -> None:
    # One facilitator, free one hour a week, leads three cohorts: only the week
    # offsets (cadence 3: offsets 0, 1, 2) keep their sessions apart.
    problem = ProblemData(
        participants=_people(9), facilitators=(_one_slot_facilitator(3),), config=_config(3)
    )
    inst = build_instance(problem)
    cohorts = [[0, 1, 2], [3, 4, 5], [6, 7, 8]]
    solution = finish_solution(inst, cohorts)
    assert [str(v) for v in violations(problem, solution)] == []
    assert [c.facilitator_id for c in solution.cohorts] == ["f", "f", "f"]
    assert sorted(c.slot.week_offset for c in solution.cohorts) == [0, 1, 2]  # type: ignore[union-attr]
    assert {(c.slot.weekday, c.slot.start_minute) for c in solution.cohorts} == {(0, 600)}  # type: ignore[union-attr]


def test_a_clash_that_cannot_be_staggered_is_left_for_the_checker() -> None:
    # Cadence 2 offers two week offsets for three cohorts: imposed on the facilitator,
    # the clash is left as it is and the checker must see it.
    problem = ProblemData(
        participants=_people(9), facilitators=(_one_slot_facilitator(3),), config=_config(2)
    )
    inst = build_instance(problem)
    solution = finish_solution(inst, [[0, 1, 2], [3, 4, 5], [6, 7, 8]], facilitators=[0, 0, 0])
    broken = list(violations(problem, solution))
    assert broken and {v.rule for v in broken} == {"facilitator"}
    assert all("two sessions at once" in v.message for v in broken)


def test_facilitators_chosen_by_finish_never_clash() -> None:
    # Same program, facilitators left to finish: the cohort that cannot be fitted in
    # goes without a facilitator (which the search then repairs), never double-booked.
    problem = ProblemData(
        participants=_people(9), facilitators=(_one_slot_facilitator(3),), config=_config(2)
    )
    inst = build_instance(problem)
    solution = finish_solution(inst, [[0, 1, 2], [3, 4, 5], [6, 7, 8]])
    assert sum(c.facilitator_id is None for c in solution.cohorts) == 1
    broken = list(violations(problem, solution))
    assert [v.message for v in broken] == ["no facilitator"]


def test_facilitators_by_flow_respect_organisations_and_capacity() -> None:
    hosts = (
        Facilitator(id="fa", name="A", email="a@x.org", organisation="O0"),
        Facilitator(id="fb", name="B", email="b@x.org"),
    )
    problem = ProblemData(participants=_people(6), facilitators=hosts, config=_config())
    inst = build_instance(problem)
    # fa may not lead p0's cohort; each leads one cohort.
    assert assign_facilitators(inst, [[0, 1, 2], [3, 4, 5]]) == [1, 0]
    assert assign_facilitators(inst, [[3, 4, 5], [0, 1, 2]]) == [0, 1]
    # Three cohorts, two seats: one goes without.
    assert sorted(assign_facilitators(inst, [[0], [1], [2]]), key=str) == [0, 1, None]


def test_slot_preference_earliest_week_day_then_nearest_ten() -> None:
    problem = ProblemData(participants=_people(3), config=_config())
    inst = build_instance(problem)
    best = cohort_slots(inst, [0, 1, 2], None)
    assert best[0] == Slot(zone="Europe/London", weekday=0, start_minute=600)
    # Everyone defaults to Mon-Fri 09:00-17:00: 60-minute sessions start 09:00..16:00.
    assert {s.weekday for s in best} == {0, 1, 2, 3, 4}
    assert min(s.start_minute for s in best) == 540 and max(s.start_minute for s in best) == 960


def test_ids_order_and_reasons() -> None:
    assert list(islice(cohort_ids(3), 3)) == ["C01", "C02", "C03"]
    hundred = list(islice(cohort_ids(100), 100))
    assert hundred[0] == "C001" and hundred[-1] == "C100"
    problem = ProblemData(participants=_people(8), config=_config())
    inst = build_instance(problem)
    # Cohorts are numbered by their members' ids, whatever order they come in.
    solution = finish_solution(inst, [[5, 4, 3], [2, 1, 0]], [7, 6], reasons={7: "asked to wait"})
    assert [c.members for c in solution.cohorts] == [("p0", "p1", "p2"), ("p3", "p4", "p5")]
    assert [c.id for c in solution.cohorts] == ["C01", "C02"]
    assert [(u.participant_id, u.reason) for u in solution.unassigned] == [
        ("p6", unassigned_reason(inst, 6, [[0, 1, 2], [3, 4, 5]])),
        ("p7", "asked to wait"),
    ]
    assert "organisation" not in solution.unassigned[0].reason
    assert solution.unassigned[0].reason  # both cohorts have room and no conflicts: a size reason
    assert list(violations(problem, solution)) == []


def test_reason_names_the_blocking_rule() -> None:
    crowd = (*_people(6), _people(7)[6].model_copy(update={"organisation": "O0", "level": 2}))
    problem = ProblemData(participants=crowd, config=_config())
    inst = build_instance(problem)
    # p6 (organisation O0) cannot join p0's cohort.
    assert (
        unassigned_reason(inst, 6, [[0, 1, 2], [3, 4, 5]]) == "fits no cohort: organisation limit"
    )
    late = (*crowd[:6], crowd[6].model_copy(update={"level": 4}))
    inst = build_instance(ProblemData(participants=late, config=_config()))
    assert "level gap" in unassigned_reason(inst, 6, [[0, 1, 2], [3, 4, 5]])


def test_matching_by_augmenting_paths_places_as_many_as_the_flow() -> None:
    # Regression (issue 11): the max-flow graph had an edge per cohort and free facilitator
    # (742 MB and 23 s at n = 10,000); large programs now match over candidate lists.
    import random

    from peermatch.solvers import finish

    rnd = random.Random(5)
    for _ in range(30):
        hosts = tuple(
            Facilitator(
                id=f"f{j}",
                name="F",
                email=f"f{j}@x.org",
                organisation=f"O{rnd.randrange(12)}",
                max_cohorts=rnd.randint(0, 2),
            )
            for j in range(rnd.randint(1, 6))
        )
        problem = ProblemData(participants=_people(12), facilitators=hosts, config=_config())
        inst = build_instance(problem)
        cohorts = [rnd.sample(range(12), rnd.randint(1, 3)) for _ in range(rnd.randint(1, 8))]
        by_flow = finish._flow(inst, cohorts)
        by_paths = finish._match(inst, cohorts)
        assert sum(f is not None for f in by_paths) == sum(f is not None for f in by_flow)
        for members, f in zip(cohorts, by_paths, strict=True):
            if f is not None:
                assert f in finish._free_facilitators(inst, members)
        for j, host in enumerate(hosts):
            assert by_paths.count(j) <= host.max_cohorts


def test_the_facilitators_do_not_depend_on_the_processs_string_hashes() -> None:
    # Regression: the max-flow graph's nodes were ("c", k) / ("f", j) tuples; preflow-push
    # keeps nodes in sets, ordered by string hashes that differ per process, so a
    # deterministic run gave other facilitators (sessions.csv) in another process.
    import os
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "from peermatch.generate import generate_population\n"
        "from peermatch.solvers.finish import assign_facilitators\n"
        "from peermatch.solvers.greedy import greedy_cohorts\n"
        "from peermatch.solvers.instance import build_instance\n"
        "inst = build_instance(generate_population(100, 0, planted=True).problem)\n"
        "print(assign_facilitators(inst, greedy_cohorts(inst, 0).cohorts))\n"
    )
    src = str(Path(__file__).resolve().parents[2] / "src")
    seen = set()
    for seed in ("0", "5", "9", "11"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": src}
        done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                              text=True, check=True)  # fmt: skip
        seen.add(done.stdout)
    assert len(seen) == 1


def test_the_reason_reads_the_slot_masks_once_not_once_per_cohort() -> None:
    # Regression (issue 28): at n = 10,000 the 20 people named as left out took 29 s
    # after the time limit, every cohort scanning every slot mask for a common slot.
    from dataclasses import replace

    class Counted(tuple):  # type: ignore[type-arg]
        reads = 0

        def __iter__(self):  # type: ignore[no-untyped-def]
            Counted.reads += 1
            return super().__iter__()

    problem = ProblemData(participants=_people(8), config=_config())
    inst = build_instance(problem)
    plain = unassigned_reason(inst, 6, [[0, 1, 2], [3, 4, 5]])
    counted = replace(inst, table=replace(inst.table, masks=Counted(inst.table.masks)))
    assert unassigned_reason(counted, 6, [[0, 1, 2], [3, 4, 5]]) == plain  # (warms caches)
    before = Counted.reads
    unassigned_reason(counted, 6, [[0, 1, 2], [3, 4, 5]])
    two = Counted.reads - before
    unassigned_reason(counted, 6, [[0, 1, 2], [3, 4, 5]] * 10)
    assert Counted.reads - before - two == two  # as many reads for twenty cohorts as for two
