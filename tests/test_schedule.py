"""Session series on real dates: cadence, blackouts, DST and who attends.

Every expected date and time here was worked out by hand from a calendar of
2027 (US daylight saving starts on Sunday 14 March and ends on Sunday
7 November; the EU's starts on Sunday 28 March and ends on Sunday 31 October).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from peermatch.availability import parse_availability
from peermatch.model import DateRange, ScheduleRules
from peermatch.schedule import (
    MAX_SHIFT_WEEKS,
    Slot,
    attends,
    series_dates,
    session_times,
    slot_grid,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"


def rules(**kw: object) -> ScheduleRules:
    return ScheduleRules(**kw)  # type: ignore[arg-type]


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- series dates --------------------------------------------------------------


def test_series_follows_the_cadence_from_the_first_weekday() -> None:
    # Defaults: start Monday 2027-01-11, every 6 weeks, 8 sessions.
    got = series_dates(rules(), 0)
    expected = [
        "2027-01-11", "2027-02-22", "2027-04-05", "2027-05-17",
        "2027-06-28", "2027-08-09", "2027-09-20", "2027-11-01",
    ]  # fmt: skip
    assert [a for a, _ in got] == [d(x) for x in expected]
    assert all(actual == nominal for actual, nominal in got)


def test_series_starts_on_the_first_matching_weekday_on_or_after_the_start() -> None:
    # Start on Wednesday 2027-01-13: a Monday series starts the next Monday,
    # a Wednesday series that very day, a Tuesday one six days later.
    r = rules(start_date=d("2027-01-13"), cadence_weeks=2, sessions=3)
    assert [a for a, _ in series_dates(r, 0)] == [d("2027-01-18"), d("2027-02-01"), d("2027-02-15")]
    assert series_dates(r, 2)[0][0] == d("2027-01-13")
    assert series_dates(r, 1)[0][0] == d("2027-01-19")


def test_week_offset_shifts_the_whole_series() -> None:
    r = rules(cadence_weeks=6, sessions=3)
    # Offset 2 weeks from Monday 2027-01-11: first Wednesday on or after 2027-01-25.
    assert [a for a, _ in series_dates(r, 2, 2)] == [
        d("2027-01-27"),
        d("2027-03-10"),
        d("2027-04-21"),
    ]
    times = session_times(r, Slot(zone=LONDON, weekday=2, start_minute=600, week_offset=2))
    assert times[0].start == datetime(2027, 1, 27, 10, 0, tzinfo=ZoneInfo(LONDON))


def test_a_blackout_date_moves_the_session_a_week_and_keeps_the_count() -> None:
    r = rules(blackout_dates=("2027-04-05",))
    got = series_dates(r, 0)
    assert len(got) == 8
    assert got[2] == (d("2027-04-12"), d("2027-04-05"))
    # The sessions after it keep their nominal dates.
    assert got[3] == (d("2027-05-17"), d("2027-05-17"))
    sessions = session_times(r, Slot(zone=LONDON, weekday=0, start_minute=600))
    assert [s.number for s in sessions] == list(range(1, 9))
    assert sessions[2].moved_from == d("2027-04-05")
    assert sessions[2].start.date() == d("2027-04-12")
    assert [s.moved_from for k, s in enumerate(sessions) if k != 2] == [None] * 7


def test_a_blackout_range_covering_two_nominal_dates() -> None:
    # 2027-02-22..2027-04-05 swallows sessions 2 (Feb 22) and 3 (Apr 5): the
    # first free Monday is Apr 12 for session 2; session 3 cannot share it and
    # takes Apr 19. Session 4 keeps its nominal May 17.
    r = rules(blackout_dates=("2027-02-22..2027-04-05",))
    got = series_dates(r, 0)
    assert len(got) == 8
    assert got[1] == (d("2027-04-12"), d("2027-02-22"))
    assert got[2] == (d("2027-04-19"), d("2027-04-05"))
    assert got[3] == (d("2027-05-17"), d("2027-05-17"))
    actual = [a for a, _ in got]
    assert actual == sorted(set(actual))
    assert not any(r.is_blackout(a) for a in actual)


def test_a_blackout_that_never_ends_is_an_error() -> None:
    r = rules(
        sessions=2,
        blackout_dates=(
            DateRange(
                first=d("2027-02-01"), last=d("2027-02-22") + timedelta(weeks=MAX_SHIFT_WEEKS)
            ),
        ),
    )
    with pytest.raises(ValueError, match="session 2"):
        series_dates(r, 0)


# --- session times ----------------------------------------------------------------


def test_duration_is_elapsed_time_across_the_spring_change() -> None:
    # Sunday 2027-03-28 00:00 GMT + 3 h elapsed = 03:00 UTC = 04:00 BST.
    r = rules(start_date=d("2027-03-28"), sessions=1, duration_minutes=180)
    (s,) = session_times(r, Slot(zone=LONDON, weekday=6, start_minute=0))
    assert s.start == datetime(2027, 3, 28, 0, 0, tzinfo=ZoneInfo(LONDON))
    assert (s.end.hour, s.end.minute) == (4, 0)
    assert s.end.astimezone(UTC) - s.start.astimezone(UTC) == timedelta(minutes=180)


def test_a_session_at_a_skipped_wall_time_is_read_at_its_real_instant() -> None:
    # Regression (hypothesis, test_slots): 01:00 on Sunday 2027-03-28 does not
    # exist in London; the session's instant is 01:00 UTC = 02:00 BST and it
    # ends at 03:00 BST, so a window from 01:05 to 03:00 holds it. attends()
    # read the start as 01:00 and disagreed with the slot table.
    r = rules(start_date=d("2027-03-28"), sessions=1, duration_minutes=60)
    sessions = session_times(r, Slot(zone=LONDON, weekday=6, start_minute=60))
    assert attends(parse_availability("Sun 01:05-03:00"), LONDON, sessions)
    assert not attends(parse_availability("Sun 02:05-03:00"), LONDON, sessions)


def test_duration_is_elapsed_time_across_the_autumn_change() -> None:
    # Sunday 2027-10-31 00:00 BST = Oct 30 23:00 UTC; + 3 h = 02:00 UTC = 02:00 GMT.
    r = rules(start_date=d("2027-10-31"), sessions=1, duration_minutes=180)
    (s,) = session_times(r, Slot(zone=LONDON, weekday=6, start_minute=0))
    assert (s.end.hour, s.end.minute) == (2, 0)
    assert s.end.utcoffset() == timedelta(0)
    assert s.end.astimezone(UTC) - s.start.astimezone(UTC) == timedelta(minutes=180)


def test_sessions_keep_their_wall_time_across_dst() -> None:
    # Weekly at 09:00 London from Mar 22: 09:00 GMT, then 09:00 BST (an hour earlier in UTC).
    r = rules(start_date=d("2027-03-22"), cadence_weeks=1, sessions=2, duration_minutes=60)
    a, b = session_times(r, Slot(zone=LONDON, weekday=0, start_minute=540))
    assert (a.start.hour, b.start.hour) == (9, 9)
    assert a.start.astimezone(UTC).hour == 9 and b.start.astimezone(UTC).hour == 8


# --- attends, with the US/EU daylight-saving gap -----------------------------------

# A London Monday 09:00-12:00 slot, weekly. In New York that is
#   Mar 8  (both on winter time, UTC+0 / UTC-5): 04:00-07:00
#   Mar 15, Mar 22 (US on summer time, EU not: UTC+0 / UTC-4): 05:00-08:00
#   Mar 29 (both on summer time, UTC+1 / UTC-4): 04:00-07:00
_SLOT = Slot(zone=LONDON, weekday=0, start_minute=9 * 60)


def _monday_series(start: str, sessions: int) -> tuple:
    return session_times(rules(start_date=d(start), cadence_weeks=1, sessions=sessions), _SLOT)


@pytest.mark.parametrize(
    ("start", "window", "expected"),
    [
        ("2027-03-08", "Mon 04:00-07:00", True),
        ("2027-03-08", "Mon 05:00-08:00", False),
        ("2027-03-15", "Mon 04:00-07:00", False),  # the gap week: 05:00-08:00 in New York
        ("2027-03-15", "Mon 05:00-08:00", True),
        ("2027-03-22", "Mon 05:00-08:00", True),
        ("2027-03-29", "Mon 05:00-08:00", False),
        ("2027-03-29", "Mon 04:00-07:00", True),
        ("2027-03-15", "Tue 05:00-08:00", False),  # right hours, wrong day
        ("2027-03-15", "Mon 05:00-07:59", False),  # one minute short
    ],
)
def test_new_yorker_and_a_london_slot_in_the_march_gap(
    start: str, window: str, expected: bool
) -> None:
    sessions = _monday_series(start, 1)
    assert attends(parse_availability(window), NEW_YORK, sessions) is expected


def test_a_series_across_the_march_gap_needs_both_local_times() -> None:
    sessions = _monday_series("2027-03-08", 4)  # Mar 8, 15, 22, 29
    assert attends(parse_availability("Mon 04:00-08:00"), NEW_YORK, sessions) is True
    assert attends(parse_availability("Mon 04:00-07:00"), NEW_YORK, sessions) is False
    assert attends(parse_availability("Mon 05:00-08:00"), NEW_YORK, sessions) is False
    # Two touching windows are merged, so they cover a session that runs from one into the other.
    assert attends(parse_availability("Mon 04:00-06:00; Mon 06:00-08:00"), NEW_YORK, sessions)


def test_the_autumn_gap_week() -> None:
    # Nov 1 2027: EU back on winter time (Oct 31), US not yet (Nov 7):
    # 09:00 London = 09:00 UTC = 05:00 New York. Nov 8: 04:00 New York.
    first = _monday_series("2027-11-01", 1)
    second = _monday_series("2027-11-08", 1)
    assert attends(parse_availability("Mon 05:00-08:00"), NEW_YORK, first)
    assert not attends(parse_availability("Mon 04:00-07:00"), NEW_YORK, first)
    assert attends(parse_availability("Mon 04:00-07:00"), NEW_YORK, second)


def test_a_londoner_attends_at_the_same_wall_time_all_year() -> None:
    sessions = _monday_series("2027-03-08", 4)
    assert attends(parse_availability("Mon 09:00-12:00"), LONDON, sessions)
    assert not attends(parse_availability("Mon 09:30-12:00"), LONDON, sessions)


def test_a_session_crossing_local_midnight_is_never_attended() -> None:
    # 22:00-01:00 London: no window can hold it, even a whole-week availability.
    r = rules(start_date=d("2027-01-11"), sessions=1, duration_minutes=180)
    sessions = session_times(r, Slot(zone=LONDON, weekday=0, start_minute=22 * 60))
    assert not attends(parse_availability("Mon-Sun 00:00-24:00"), LONDON, sessions)
    # Ending exactly at midnight is fine.
    sessions = session_times(r, Slot(zone=LONDON, weekday=0, start_minute=21 * 60))
    assert attends(parse_availability("Mon 21:00-24:00"), LONDON, sessions)


def test_candidate_and_available_slots() -> None:
    r = rules(duration_minutes=180, slot_minutes=60, sessions=1)
    slots = slot_grid(r, [LONDON, NEW_YORK, LONDON], offsets=2)
    # 2 offsets x 2 zones x 7 days x starts 00:00..21:00.
    assert len(slots) == 2 * 2 * 7 * 22
    assert all(s.start_minute + 180 <= 1440 for s in slots)
    tuesday = parse_availability("Tue 10:00-14:00")
    mine = [s for s in slots if attends(tuesday, LONDON, session_times(r, s))]
    assert {(s.zone, s.weekday, s.start_minute) for s in mine} == {
        (LONDON, 1, 600),
        (LONDON, 1, 660),
        (NEW_YORK, 1, 300),  # 05:00 New York = 10:00 London in January
        (NEW_YORK, 1, 360),
    }
