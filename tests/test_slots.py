"""The vectorised slot table must agree with ``schedule.attends`` exactly.

``slots.slot_table`` converts every session with per-zone offset steps and
prefix sums; ``violations`` re-checks solutions with ``schedule.attends``,
one datetime at a time. If the two ever disagree the solver either misses
good cohorts or proposes ones the checker rejects, so they are compared
slot by slot and person by person on calendars chosen to be awkward:
series starting around daylight-saving changes in both hemispheres, a
half-hour zone, blackout dates and random windows.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings

from helpers import make_participant
from peermatch.availability import parse_availability
from peermatch.model import Facilitator, Participant, ProblemData, ProgramConfig, ScheduleRules
from peermatch.schedule import attends, session_times
from peermatch.slots import mask_members, slot_table
from strategies import schedule_problems


def _expected_mask(problem: ProblemData, slot, people, anchored: bool) -> int:  # type: ignore[no-untyped-def]
    try:
        sessions = session_times(problem.config.schedule, slot)
    except ValueError:  # blackouts swallow the series: nobody can attend it
        return 0
    mask = 0
    for i, person in enumerate(people):
        zone = problem.timezone_of(person)
        if anchored and slot.zone not in (problem.config.schedule.timezone, zone):
            continue
        if attends(problem.availability_of(person), zone, sessions):
            mask |= 1 << i
    return mask


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule_problems())
def test_slot_table_equals_attends_for_every_slot_and_person(problem: ProblemData) -> None:
    table = slot_table(problem)
    assert len(table.slots) == len(table.masks) == len(table.facilitator_masks)
    for slot, mask, fmask in zip(table.slots, table.masks, table.facilitator_masks, strict=True):
        want = _expected_mask(problem, slot, problem.participants, anchored=True)
        assert mask == want, (str(slot), bin(mask), bin(want))
        fwant = _expected_mask(problem, slot, problem.facilitators, anchored=False)
        assert fmask == fwant, (str(slot), bin(fmask), bin(fwant))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule_problems())
def test_classes_cover_every_slot_once(problem: ProblemData) -> None:
    table = slot_table(problem)
    classes = table.classes
    masks = [c.mask for c in classes]
    assert len(set(masks)) == len(masks)  # one class per distinct set
    assert set(masks) == {m for m in table.masks if m}
    for c in classes:
        assert {table.slots.index(s) for s in c.slots} == {
            k for k, m in enumerate(table.masks) if m == c.mask
        }
        assert c.members() == [i for i in range(len(problem.participants)) if c.mask >> i & 1]
        assert c.size == len(c.members())


def _person(pid: str, zone: str | None, avail: str | None) -> Participant:
    return make_participant(pid, level=1, timezone=zone, availability=avail)


def test_anchor_rule_and_the_march_gap_by_hand() -> None:
    # London program; one Londoner, one New Yorker free Mon 05:00-08:00 (New York).
    # Weekly from Mon 2027-03-15 for 2 sessions: both fall in the US/EU gap,
    # when 09:00 London is 05:00 New York.
    schedule = ScheduleRules(
        start_date="2027-03-15", cadence_weeks=1, sessions=2, duration_minutes=180
    )
    problem = ProblemData(
        participants=(
            _person("lon", "Europe/London", "Mon 09:00-12:00"),
            _person("nyc", "America/New_York", "Mon 05:00-08:00"),
            _person("del", "Asia/Kolkata", None),
        ),
        facilitators=(
            Facilitator(
                id="f",
                name="F",
                email="f@x.org",
                timezone="America/New_York",
                availability=parse_availability("Mon 05:00-08:00"),
            ),
        ),
        config=ProgramConfig(schedule=schedule),
    )
    table = slot_table(problem)
    by_slot = {
        (s.zone, s.weekday, s.start_minute, s.week_offset): (m, f)
        for s, m, f in zip(table.slots, table.masks, table.facilitator_masks, strict=True)
    }
    # With a facilitator the table offers the cadence's week offsets (here one).
    assert {s.week_offset for s in table.slots} == {0}
    assert by_slot[("Europe/London", 0, 540, 0)] == (0b011, 0b1)
    # The same moment anchored in New York admits only the New Yorker (and the facilitator).
    assert by_slot[("America/New_York", 0, 300, 0)] == (0b010, 0b1)
    # Kolkata's default 09:00-17:00 (+5:30): 09:00-12:00 London is 14:30-17:30, too late;
    # the facilitator (New York 05:00-08:00) is free then, anchors never bind facilitators.
    assert by_slot[("Asia/Kolkata", 0, 14 * 60 + 30, 0)] == (0, 0b1)
    assert by_slot[("Asia/Kolkata", 0, 13 * 60 + 30, 0)] == (0b100, 0)
    # Nobody in Kolkata can use a London-anchored slot unless the program zone is London: it is.
    assert by_slot[("Europe/London", 0, 8 * 60, 0)][0] & 0b100 == 0b100
    assert table.companions(0) == 1
    # Kolkata's 09:00-17:00 and the others' Monday mornings never meet (14:30-17:30 in Kolkata).
    assert table.companions(2) == 0


def test_offsets_with_facilitators_follow_the_cadence() -> None:
    problem = ProblemData(
        participants=(_person("a", None, None),),
        facilitators=(Facilitator(id="f", name="F", email="f@x.org"),),
        config=ProgramConfig(schedule=ScheduleRules(cadence_weeks=3, sessions=1)),
    )
    assert {s.week_offset for s in slot_table(problem).slots} == {0, 1, 2}
    assert {s.week_offset for s in slot_table(problem, offsets=1).slots} == {0}


def test_regression_session_spanning_the_autumn_change_is_not_empty() -> None:
    # Regression: Sunday 2027-10-31 01:00 BST + 60 min ends at 01:00 GMT, so the local
    # start and end read the same wall time. The slot table took that as an empty
    # interval, "covered" by anyone (a Mon-Fri person included), while attends()
    # disagreed. The session really occupies the repeated hour 01:00-02:00.
    schedule = ScheduleRules(start_date="2027-10-31", sessions=1, duration_minutes=60)
    slot_key = ("Europe/London", 6, 60, 0)
    problem = ProblemData(
        participants=(
            _person("weekday", "Europe/London", None),  # the default Mon-Fri 09:00-17:00
            _person("half", "Europe/London", "Sun 01:00-01:30"),
            _person("hour", "Europe/London", "Sun 01:00-02:00"),
        ),
        config=ProgramConfig(schedule=schedule),
    )
    table = slot_table(problem)
    masks = {
        (s.zone, s.weekday, s.start_minute, s.week_offset): m
        for s, m in zip(table.slots, table.masks, strict=True)
    }
    (slot,) = [
        s for s in table.slots if (s.zone, s.weekday, s.start_minute, s.week_offset) == slot_key
    ]
    sessions = session_times(schedule, slot)
    assert [
        attends(problem.availability_of(p), "Europe/London", sessions) for p in problem.participants
    ] == [
        False,
        False,
        True,
    ]
    assert masks[slot_key] == 0b100


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(schedule_problems())
def test_companions_equal_the_slot_by_slot_definition(problem: ProblemData) -> None:
    # Regression (issue 11): companions() scanned every slot's mask once per person,
    # quadratic in n at 100,000 people; it now reads counts computed once per class.
    table = slot_table(problem)
    for i in range(len(problem.participants)):
        bit = 1 << i
        want = max((m.bit_count() - 1 for m in table.masks if m & bit), default=-1)
        assert table.companions(i) == want


def test_slots_admitting_the_same_people_share_one_mask_object() -> None:
    # Memory (issue 11): a bitmask over 100,000 people is 12.5 kB; thousands of slots
    # admit the same set, so they must share one int, not hold equal copies.
    problem = ProblemData(
        participants=tuple(
            _person(f"p{i}", "Europe/London", "Mon-Fri 09:00-13:00" if i % 2 else None)
            for i in range(40)
        ),
        config=ProgramConfig(schedule=ScheduleRules(sessions=2)),
    )
    table = slot_table(problem)
    nonzero = [m for m in table.masks if m]
    assert len(nonzero) > 10
    assert len({id(m) for m in nonzero}) == len(set(nonzero))


def test_mask_members_lists_the_set_bits() -> None:
    for mask in (0, 1, 0b1011, 1 << 200 | 1 << 3, (1 << 1000) - 1):
        assert mask_members(mask).tolist() == [i for i in range(mask.bit_length()) if mask >> i & 1]
