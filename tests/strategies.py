"""Hypothesis strategies for peermatch: the one module of strategies for the project.

Import from tests as ``from strategies import ...`` (pytest puts ``tests/`` on
the path through its conftest). Add new strategies here rather than in test
modules, so that every test draws from the same notion of valid data.
"""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from peermatch.availability import DAY_NAMES, Window, merge_windows
from peermatch.model import (
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
)

__all__ = [
    "availability_texts",
    "facilitators",
    "ids",
    "participant_lists",
    "participants",
    "problems",
    "window_lists",
    "windows",
]

#: Time zones used in generated data (a few with daylight saving, one without).
ZONES = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Singapore", "Asia/Kolkata")

_FULL_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_\-]{0,8}", fullmatch=True)
"""Participant or facilitator ids as organisers write them."""

# Printable text, including non-ASCII, commas, quotes and semicolons, but no
# line breaks or surrounding white space (cells are stripped when read).
_cell_text = (
    st.text(
        alphabet=st.characters(
            codec="utf-8", categories=("L", "N", "P", "Zs", "S"), exclude_characters="\r\n\x85"
        ),
        min_size=1,
        max_size=20,
    )
    .map(str.strip)
    .filter(bool)
)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    """One weekly window on a 5-minute grid, within one day."""
    day = draw(st.integers(0, 6))
    start = draw(st.integers(0, 287)) * 5
    end = draw(st.integers(start // 5 + 1, 288)) * 5
    return Window(day=day, start=start, end=end)


window_lists = st.lists(windows(), min_size=1, max_size=8)
"""Non-empty lists of windows (possibly overlapping, unsorted)."""


def _time(minutes: int, draw: st.DrawFn) -> str:
    h, m = divmod(minutes, 60)
    if m == 0 and draw(st.booleans()):
        return str(h)  # "9" means 09:00
    return f"{h:02d}:{m:02d}" if draw(st.booleans()) else f"{h}:{m:02d}"


@st.composite
def _item(draw: st.DrawFn) -> str:
    w = draw(windows())
    first = w.day
    style = draw(st.sampled_from(["short", "full", "lower", "range", "list"]))
    names = _FULL_DAYS if style == "full" else DAY_NAMES
    days = names[first]
    if style == "lower":
        days = days.lower()
    elif style == "range":
        last = draw(st.integers(0, 6))
        days = f"{DAY_NAMES[first]}-{DAY_NAMES[last]}"
    elif style == "list":
        more = draw(st.lists(st.integers(0, 6), max_size=3))
        days = ",".join(DAY_NAMES[d] for d in [first, *more])
    dash = draw(st.sampled_from(["-", " - ", "–"]))
    return f"{days} {_time(w.start, draw)}{dash}{_time(w.end, draw)}"


@st.composite
def availability_texts(draw: st.DrawFn) -> str:
    """Valid availability texts in the varied syntax organisers write."""
    items = draw(st.lists(_item(), min_size=1, max_size=5))
    sep = draw(st.sampled_from(["; ", ";", " | ", "\n"]))
    return sep.join(items)


@st.composite
def participants(draw: st.DrawFn, id: st.SearchStrategy[str] | None = None) -> Participant:
    """A valid participant, as a reader would build it (availability merged, a ``language`` column)."""
    pid = draw(id if id is not None else ids)
    return Participant(
        id=pid,
        name=draw(_cell_text),
        email=f"{pid.lower()}@example.org",
        organisation=draw(
            st.sampled_from(["Acme", "Globex", "Initech", "Société Générale", "Umbrella, Ltd"])
        ),
        level=draw(st.integers(1, 6)),
        industry=draw(st.none() | st.sampled_from(["Banking", "Energy", "Retail"])),
        function=draw(st.none() | st.sampled_from(["HR", "Sales", "R&D"])),
        timezone=draw(st.none() | st.sampled_from(ZONES)),
        availability=draw(st.none() | window_lists.map(merge_windows)),
        attributes={"language": draw(st.sampled_from(["English", "Français", "Deutsch"]))},
    )


@st.composite
def participant_lists(draw: st.DrawFn, min_size: int = 1, max_size: int = 12) -> list[Participant]:
    """Participants with unique ids and an acyclic set of reporting lines."""
    chosen = draw(st.lists(ids, min_size=min_size, max_size=max_size, unique=True))
    people = [draw(participants(id=st.just(pid))) for pid in chosen]
    out = []
    for k, p in enumerate(people):
        # Managers come earlier in the list or from outside the program: never a cycle.
        boss = draw(st.none() | st.sampled_from([*chosen[:k], "EXTERNAL-1"]))
        out.append(p.model_copy(update={"manager_id": boss}))
    return out


@st.composite
def facilitators(draw: st.DrawFn, id: st.SearchStrategy[str] | None = None) -> Facilitator:
    """A valid facilitator."""
    fid = draw(id if id is not None else ids)
    return Facilitator(
        id=fid,
        name=draw(_cell_text),
        email=f"{fid.lower()}@coach.example",
        organisation=draw(st.none() | st.just("Coaching Co")),
        timezone=draw(st.none() | st.sampled_from(ZONES)),
        availability=draw(st.none() | window_lists.map(merge_windows)),
        max_cohorts=draw(st.integers(0, 4)),
    )


@st.composite
def problems(draw: st.DrawFn, max_participants: int = 12) -> ProblemData:
    """A valid :class:`ProblemData` with facilitators and history (not necessarily solvable)."""
    people = draw(participant_lists(max_size=max_participants))
    taken = {p.id for p in people}
    fac_ids = draw(st.lists(ids.filter(lambda i: i not in taken), max_size=3, unique=True))
    hosts = [draw(facilitators(id=st.just(fid))) for fid in fac_ids]
    everyone = sorted(taken | set(fac_ids))
    links = []
    if len(everyone) >= 2:
        pairs = draw(
            st.lists(
                st.lists(st.sampled_from(everyone), min_size=2, max_size=2, unique=True), max_size=5
            )
        )
        links = [
            HistoryLink(
                a=a, b=b, relation=draw(st.sampled_from(["former colleagues", "client/supplier"]))
            )
            for a, b in pairs
        ]
    return ProblemData(
        participants=tuple(people),
        facilitators=tuple(hosts),
        history=tuple(links),
        config=ProgramConfig(diversity=draw(st.none() | st.just({"level": 1.0, "language": 0.5}))),
    )


# --- Formation engine (issue 3): schedules around DST, planted problems ---------------
# Owned by the formation-engine tests (tests/test_slots.py, tests/solvers/test_cpsat.py).

import datetime as _dt  # noqa: E402
from zoneinfo import ZoneInfo as _ZoneInfo  # noqa: E402

from peermatch.model import CohortRules, ScheduleRules  # noqa: E402
from peermatch.schedule import Slot, attends, session_times  # noqa: E402
from peermatch.solution import Cohort, Solution  # noqa: E402

#: Zones for schedule tests: northern and southern daylight saving, a half-hour offset, none.
DST_ZONES = (
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Europe/Paris",
)

# Daylight-saving changes of 2027: US Mar 14 / Nov 7, EU Mar 28 / Oct 31,
# Sydney Apr 4 (ends) / Oct 3 (starts). Series start a little before or after them.
_DST_DAYS = ("2027-03-14", "2027-03-28", "2027-04-04", "2027-10-03", "2027-10-31", "2027-11-07")

dst_start_dates = st.builds(
    lambda day, shift: _dt.date.fromisoformat(day) + _dt.timedelta(days=shift),
    st.sampled_from(_DST_DAYS),
    st.integers(-15, 8),
)
"""Start dates within a few weeks of a daylight-saving change somewhere."""


@st.composite
def schedule_rules(draw: st.DrawFn, slot_minutes: int = 60) -> ScheduleRules:
    """Short series (1-4 sessions, weekly to three-weekly) starting near DST changes, with blackouts."""
    start = draw(dst_start_dates)
    blackouts = draw(
        st.lists(st.integers(0, 40).map(lambda k: start + _dt.timedelta(days=k)), max_size=3)
    )
    return ScheduleRules(
        start_date=start,
        cadence_weeks=draw(st.integers(1, 3)),
        sessions=draw(st.integers(1, 4)),
        duration_minutes=draw(st.sampled_from([60, 90, 120, 180, 240])),
        timezone=draw(st.sampled_from(DST_ZONES)),
        blackout_dates=tuple(str(b) for b in blackouts),
        slot_minutes=slot_minutes,
    )


@st.composite
def schedule_problems(draw: st.DrawFn, max_people: int = 6) -> ProblemData:
    """Small problems whose interest is the calendar: random zones, windows and DST-adjacent dates."""
    schedule = draw(schedule_rules())
    n = draw(st.integers(1, max_people))
    people = [
        Participant(
            id=f"p{i}",
            name=f"P {i}",
            email=f"p{i}@example.org",
            organisation=f"Org {i}",
            level=1,
            timezone=draw(st.none() | st.sampled_from(DST_ZONES)),
            availability=draw(st.none() | window_lists.map(merge_windows)),
        )
        for i in range(n)
    ]
    hosts = [
        Facilitator(
            id=f"f{j}",
            name=f"F {j}",
            email=f"f{j}@coach.example",
            timezone=draw(st.none() | st.sampled_from(DST_ZONES)),
            availability=draw(st.none() | window_lists.map(merge_windows)),
        )
        for j in range(draw(st.integers(0, 2)))
    ]
    return ProblemData(
        participants=tuple(people),
        facilitators=tuple(hosts),
        config=ProgramConfig(schedule=schedule),
    )


#: Cohort rules of planted problems: small cohorts keep the solver tests quick.
PLANTED_RULES = CohortRules(
    min_size=4, max_size=6, target_size=5, max_per_organisation=1, max_level_gap=1
)
_PLANTED_PROGRAM_ZONE = "Europe/London"
# Zones that can share a London 12:00-15:00 session inside one local day.
_MIXABLE = ("Europe/London", "Europe/Paris", "America/New_York", "Asia/Kolkata")


def _local_windows(sessions: tuple, zone: str) -> list[Window]:
    """The windows (in ``zone``) that exactly cover ``sessions``; none crosses midnight here."""
    tz = _ZoneInfo(zone)
    out = []
    for s in sessions:
        a, b = s.start.astimezone(tz), s.end.astimezone(tz)
        end = 1440 if b.date() > a.date() else b.hour * 60 + b.minute
        out.append(Window(day=a.weekday(), start=a.hour * 60 + a.minute, end=end))
    return out


#: The placement rules :func:`planted_problems` can add, all four at once.
PLANTED_PLACEMENT: dict[str, Any] = {
    "limits": {"sector": 1},
    "presence": {"gender": 2},
    "required": {"role": ["Chair"]},
    "closeness": {"company_size": 2},
}


@st.composite
def planted_problems(
    draw: st.DrawFn,
    max_cohorts: int = 4,
    with_facilitators: bool | None = None,
    placement_rules: bool = False,
) -> tuple[ProblemData, Solution]:
    """A problem built around a hidden feasible assignment, and that assignment.

    Cohorts of 4..6 (see :data:`PLANTED_RULES`) get distinct organisations,
    levels within the gap, a weekly slot anchored where the contract says
    (members' common zone, else London) and members whose availability
    covers every planted session in their own zone on its real date.
    Reporting lines (to a colleague or an outside manager) and history only
    join people of different planted cohorts; each cohort has its own
    facilitator when there are facilitators.

    With ``placement_rules`` the program also uses all four program.toml
    placement rules, kept by the planted cohorts: ``[limits] sector = 1``
    (distinct sectors in a cohort), ``[presence] gender = 2`` (every gender
    of a cohort held by two or more), ``[required] role = ["Chair"]`` (one
    chair per cohort) and ``[closeness] company_size = 2`` (a band per cohort).
    """
    k = draw(st.integers(2, max_cohorts))
    sizes = [draw(st.integers(PLANTED_RULES.min_size, PLANTED_RULES.max_size)) for _ in range(k)]
    n = sum(sizes)
    start = draw(dst_start_dates)
    schedule = ScheduleRules(
        start_date=start,
        cadence_weeks=draw(st.integers(1, 6)),
        sessions=draw(st.integers(1, 3)),
        duration_minutes=draw(st.sampled_from([60, 90, 120])),
        timezone=_PLANTED_PROGRAM_ZONE,
        blackout_dates=tuple(
            str(start + _dt.timedelta(days=x))
            for x in draw(st.lists(st.integers(0, 60), max_size=2))
        ),
    )
    perm = draw(st.permutations(range(n)))
    cohort_of: list[int] = [c for c, s in enumerate(sizes) for _ in range(s)]
    members = [[q for q in range(n) if cohort_of[q] == c] for c in range(k)]
    pid = [f"p{perm[q]:02d}" for q in range(n)]

    zone = [""] * n
    slots: list[Slot] = []
    for c in range(k):
        if draw(st.booleans()):
            common = draw(st.sampled_from(DST_ZONES))  # Sydney only ever meets alone
            for q in members[c]:
                zone[q] = common
        else:
            for q in members[c]:
                zone[q] = draw(st.sampled_from(_MIXABLE))
        zones = {zone[q] for q in members[c]}
        anchor = zones.pop() if len(zones) == 1 else _PLANTED_PROGRAM_ZONE
        hour = draw(st.sampled_from([12 * 60, 12 * 60 + 30, 13 * 60]))
        if anchor not in _MIXABLE or len({zone[q] for q in members[c]}) == 1:
            hour = draw(st.integers(16, 28)) * 30  # 08:00..14:00 local
        slots.append(Slot(zone=anchor, weekday=draw(st.integers(0, 6)), start_minute=hour))
    sessions = [session_times(schedule, s) for s in slots]

    pool = [f"Org {chr(65 + x)}" for x in range(PLANTED_RULES.max_size + 3)]
    org = [""] * n
    level = [0] * n
    for c in range(k):
        orgs = draw(st.permutations(pool))
        base = draw(st.integers(1, 4))
        for q, o in zip(members[c], orgs, strict=False):
            org[q] = o
            level[q] = base + draw(st.integers(0, PLANTED_RULES.max_level_gap))

    # Reporting lines: a person is a boss or a report, never both (no transitive
    # chains), and a boss's reports sit in cohorts other than the boss's and each other's.
    boss: list[str | None] = [None] * n
    report_cohorts: dict[str, set[int]] = {}
    for q in range(n):
        if draw(st.integers(0, 3)) != 0:
            continue
        if draw(st.booleans()):
            cands = [
                j
                for j in range(n)
                if cohort_of[j] != cohort_of[q]
                and boss[j] is None
                and pid[q] not in report_cohorts
                and cohort_of[q] not in report_cohorts.get(pid[j], {cohort_of[j]})
            ]
            if not cands:
                continue
            chosen = pid[draw(st.sampled_from(cands))]
        else:
            chosen = f"EXT-{draw(st.integers(0, 2))}"
            if cohort_of[q] in report_cohorts.get(chosen, set()):
                continue
        if chosen.startswith("p") and chosen not in report_cohorts:
            report_cohorts[chosen] = {cohort_of[pid.index(chosen)]}
        report_cohorts.setdefault(chosen, set()).add(cohort_of[q])
        boss[q] = chosen

    attrs: list[dict[str, str]] = [{} for _ in range(n)]
    if placement_rules:
        for c in range(k):
            size = len(members[c])
            women = draw(st.sampled_from([0, size, *range(2, size - 1)]))
            sectors = draw(st.permutations([f"Sector {x}" for x in range(PLANTED_RULES.max_size)]))
            band = draw(st.integers(1, 8))
            for r, q in enumerate(members[c]):
                attrs[q] = {
                    "gender": "Woman" if r < women else "Man",
                    "sector": sectors[r],
                    "role": "Chair" if r == 0 else draw(st.sampled_from(["Member", "Chair"])),
                    "company_size": str(band + draw(st.integers(0, 2))),
                }
    people = []
    for q in range(n):
        tz = zone[q]
        need = _local_windows(sessions[cohort_of[q]], tz)
        extra = draw(st.lists(windows(), max_size=2))
        avail: tuple[Window, ...] | None = merge_windows([*need, *extra])
        if not extra and attends(schedule.default_availability, tz, sessions[cohort_of[q]]):
            avail = draw(st.sampled_from([None, avail]))
        people.append(
            Participant(
                id=pid[q],
                name=f"Person {pid[q]}",
                email=f"{pid[q]}@example.org",
                organisation=org[q],
                level=level[q],
                industry=draw(
                    st.none() | st.sampled_from(["Banking", "Energy", "Retail", "Health"])
                ),
                function=draw(st.sampled_from(["HR", "Sales", "IT", "Finance", "Legal"])),
                manager_id=boss[q],
                timezone=None if tz == _PLANTED_PROGRAM_ZONE and draw(st.booleans()) else tz,
                availability=avail,
                attributes=attrs[q],
            )
        )

    facs: list[Facilitator] = []
    fac_of: list[str | None] = [None] * k
    if with_facilitators if with_facilitators is not None else draw(st.booleans()):
        for c in range(k):
            fac_of[c] = f"f{c}"
            facs.append(
                Facilitator(
                    id=f"f{c}",
                    name=f"Facilitator {c}",
                    email=f"f{c}@coach.example",
                    organisation=draw(st.sampled_from([None, "Coaching Co"])),
                    timezone=slots[c].zone,
                    availability=merge_windows(
                        [
                            *_local_windows(sessions[c], slots[c].zone),
                            *draw(st.lists(windows(), max_size=1)),
                        ]
                    ),
                    max_cohorts=draw(st.integers(1, 2)),
                )
            )

    links = []
    for a, b in draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=n)):
        if cohort_of[a] != cohort_of[b]:
            links.append(HistoryLink(a=pid[a], b=pid[b], relation="former colleagues"))
    for c, f in enumerate(fac_of):
        if f is not None:
            others = [q for q in range(n) if cohort_of[q] != c]
            for q in draw(st.lists(st.sampled_from(others), max_size=2)):
                links.append(HistoryLink(a=f, b=pid[q], relation="client/supplier"))

    problem = ProblemData(
        participants=tuple(sorted(people, key=lambda p: p.id)),
        facilitators=tuple(facs),
        history=tuple(links),
        config=ProgramConfig(
            cohort=PLANTED_RULES,
            schedule=schedule,
            **(PLANTED_PLACEMENT if placement_rules else {}),
        ),
    )
    planted = Solution(
        cohorts=tuple(
            Cohort(
                id=f"P{c}",
                members=tuple(sorted(pid[q] for q in members[c])),
                slot=slots[c],
                facilitator_id=fac_of[c],
                sessions=sessions[c],
            )
            for c in range(k)
        )
    )
    return problem, planted


# --- Reader fuzzing (issue 10): hostile bytes, headers, cells and TOML --------------------
# Used by tests/io/test_fuzz_readers.py.

import csv as _csv  # noqa: E402
import io as _io  # noqa: E402

#: Header names a reader knows (with aliases), plus near misses and junk.
HEADER_WORDS = (
    "id", "name", "email", "organisation", "level", "industry", "function", "manager_id",
    "timezone", "availability", "person_a", "person_b", "relation", "cohort_id",
    "participant_id", "max_cohorts", "E-Mail", "Organization", "tz", "grade", "ID", "",
    " ", "id ", "Name", "emial", "level_", "availabilities", "cohort", "rule", "request",
)  # fmt: skip

#: Bytes that break CSV files in interesting ways.
_NASTY = (
    b",", b'"', b'""', b"\n", b"\r", b"\r\n", b";", b"\t", b"\x00", b"\xff", b"\xfe",
    b"\xef\xbb\xbf", b"\xc3", b"\x81", b" ", b"=", b"-", b"\\", b"\x85", "\u2028".encode(), "é".encode(), "😀".encode(),
)  # fmt: skip

#: Level cells: integers, titles, and junk.
level_texts = st.one_of(
    st.integers(-5, 30).map(str),
    st.sampled_from(["Manager", "manager", "Senior Manager", "VP", "Director", "0", "+3", "1.5",
                     "٣", "1e3", "", "Grand Poobah", "2 ", "II", "-0", "99999999999999999999"]),
    st.text(max_size=12),
)  # fmt: skip

#: Availability cells: near-valid syntax and junk.
availability_fuzz = st.one_of(
    availability_texts(),
    st.lists(
        st.sampled_from(["Mon", "Tue", "Sun", "Mon-Fri", "Fri-Mon", "mon,wed", "Xyz", "9", "09:00",
                         "17:00", "24:00", "25:00", "-", "–", " ", ";", "|", "9-5", "00:00",
                         "12:60", "9:5", "Mon 9-", "Mon -17", "\n", ",", "Monday"]),
        max_size=8,
    ).map("".join),
    st.text(max_size=30),
)  # fmt: skip

_any_cell = st.one_of(
    st.text(max_size=15),
    st.sampled_from(
        [
            "",
            "p0",
            "p1",
            "f0",
            "Europe/London",
            "Mars/Olympus",
            "UTC",
            "1",
            "x@y.org",
            "together",
            "apart",
            "Together",
            "C1",
        ]
    ),
    level_texts,
    availability_fuzz,
)


def csv_bytes(rows: list[list[str]]) -> bytes:
    """Rows as a properly quoted UTF-8 CSV file."""
    buffer = _io.StringIO(newline="")
    _csv.writer(buffer, lineterminator="\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


@st.composite
def mutated_bytes(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few random edits: bytes flipped, nasty bytes inserted, slices cut or doubled."""
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "insert", "delete", "duplicate", "truncate"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.sampled_from(_NASTY) | st.binary(min_size=1, max_size=4))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 12))]
        elif kind == "duplicate":
            data[at:at] = data[at : at + draw(st.integers(1, 40))]
        elif kind == "truncate":
            del data[at:]
    return bytes(data)


@st.composite
def random_tables(draw: st.DrawFn, words: tuple[str, ...] = HEADER_WORDS) -> list[list[str]]:
    """A header of known, aliased and junk names, and rows of random (sometimes ragged) cells."""
    header = draw(st.lists(st.sampled_from(words) | st.text(max_size=8), min_size=1, max_size=9))
    rows = [header]
    for _ in range(draw(st.integers(0, 5))):
        width = len(header) + draw(st.sampled_from([0, 0, 0, 0, -1, 1]))
        rows.append(draw(st.lists(_any_cell, min_size=max(width, 0), max_size=max(width, 0))))
    return rows


#: TOML keys: every known table and key, plus near misses.
_TOML_TABLES = ("program", "cohort", "diversity", "similarity", "schedule", "solver", "calendar",
                "cohorts", "Cohort", "x")  # fmt: skip
_TOML_KEYS = (
    "min_size", "max_size", "target_size", "max_per_organisation", "max_level_gap", "levels",
    "industry", "function", "language", "attributes", "start_date", "cadence_weeks", "sessions",
    "duration_minutes", "timezone", "default_availability", "blackout_dates", "topics",
    "slot_minutes", "time_limit_seconds", "seed", "workers", "mode", "name", "id", "x",
)  # fmt: skip


class _Raw(str):
    """A TOML literal written as is (dates, times)."""


_toml_scalar = st.one_of(
    st.integers(-3, 40),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=12),
    st.sampled_from(["2027-01-11", "2027-02-30", "2027-12-20..2028-01-03", "2028-01-03..2027-12-20",
                     "Mon-Fri 09:00-17:00", "Europe/Paris", "Nowhere/Land", "series", "expanded",
                     "Manager", "1979-05-27T07:32:00Z", "07:32:00"]),
    st.dates().map(lambda d: _Raw(d.isoformat())),
    st.just(_Raw("1979-05-27T07:32:00")),
    st.just(_Raw("07:32:00")),
)  # fmt: skip


def _toml_value(value: object) -> str:
    if isinstance(value, _Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return "nan"
        if value in (float("inf"), float("-inf")):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"
    text = str(value)
    escaped = "".join(c if c.isprintable() and c not in '"\\' else f"\\u{ord(c):04x}" for c in text)
    return f'"{escaped}"'


def _toml_key(key: str) -> str:
    return (
        key
        if key and all(c.isalnum() or c in "_-" for c in key) and key.isascii()
        else _toml_value(key)
    )


@st.composite
def toml_documents(draw: st.DrawFn) -> str:
    """program.toml texts: known and unknown tables and keys, values of every TOML type."""
    values = st.recursive(
        _toml_scalar,
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.sampled_from(_TOML_KEYS), inner, max_size=3)
        ),
        max_leaves=6,
    )
    lines = []
    top = draw(st.dictionaries(st.sampled_from(_TOML_KEYS), values, max_size=2))
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in top.items()]
    tables = draw(
        st.dictionaries(
            st.sampled_from(_TOML_TABLES),
            st.dictionaries(st.sampled_from(_TOML_KEYS) | st.text(max_size=5), values, max_size=5),
            max_size=5,
        )
    )
    for table, keys in tables.items():
        lines.append(f"[{_toml_key(table)}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"


def _date_literal(day: object) -> str:
    return _Raw(str(day))


def _mostly(
    valid: st.SearchStrategy[object], edge: st.SearchStrategy[object]
) -> st.SearchStrategy[object]:
    """Usually ``valid``, now and then ``edge`` (so that most documents get past validation)."""
    return st.one_of(valid, valid, valid, edge)


@st.composite
def program_tomls(draw: st.DrawFn) -> str:
    """Mostly valid program.toml texts, with values at and beyond their limits now and then."""
    # The calendar's ends too: a series that starts there runs out of dates.
    ends = [(1, 1, 1), (1899, 12, 31), (3000, 1, 1), (9990, 6, 1), (9999, 12, 1), (9999, 12, 31)]
    days = _mostly(
        st.dates(min_value=_dt.date(2020, 1, 1), max_value=_dt.date(2040, 12, 31)),
        st.sampled_from([_dt.date(*d) for d in ends]) | st.dates(),
    )
    ranges = st.tuples(days, days).map(lambda ab: f"{ab[0]}..{ab[1]}")
    schedule = st.fixed_dictionaries(
        {},
        optional={
            "start_date": days.map(_date_literal) | days.map(str),
            "cadence_weeks": _mostly(st.integers(1, 52), st.sampled_from([0, 53])),
            "sessions": _mostly(st.integers(1, 100), st.sampled_from([0, 101])),
            "duration_minutes": _mostly(st.integers(15, 1440), st.sampled_from([14, 1441])),
            "timezone": st.sampled_from([*DST_ZONES, "UTC", "Etc/GMT+12", "Pacific/Kiritimati"]),
            "default_availability": _mostly(availability_texts(), availability_fuzz),
            "blackout_dates": st.lists(days.map(str) | ranges, max_size=4),
            "slot_minutes": st.sampled_from([5, 10, 15, 30, 60, 240, 4, 7, 241]),
            "topics": st.lists(st.text(max_size=6), max_size=5),
        },
    )
    sizes = _mostly(st.integers(1, 14), st.integers(-1, 0))
    cohort = st.fixed_dictionaries(
        {},
        optional={
            "min_size": sizes,
            "max_size": sizes,
            "target_size": sizes,
            "max_per_organisation": _mostly(st.integers(1, 3), st.just(0)),
            "max_level_gap": _mostly(st.integers(0, 5), st.just(-1)),
            "levels": st.lists(st.sampled_from(["Manager", "VP", "Director", "Lead", "lead"]), max_size=4),
        },
    )  # fmt: skip
    solver = st.fixed_dictionaries(
        {},
        optional={
            "seed": _mostly(st.integers(0, 2**31 - 1), st.sampled_from([-1, 2**31, 10**30])),
            "time_limit_seconds": _mostly(st.floats(0.1, 1e300), st.sampled_from([0.0, -1.0])),
            "workers": _mostly(st.integers(0, 100), st.just(-1)),
        },
    )
    weights = st.floats(0, 10) | st.integers(0, 5)
    diversity = st.dictionaries(
        st.sampled_from(["industry", "function", "language", "level"]), _mostly(weights, st.floats()),
        max_size=3,
    )  # fmt: skip
    similarity = st.fixed_dictionaries(
        {}, optional={"attributes": st.lists(st.sampled_from(["language", "industry", "x"]), max_size=2)}
    )  # fmt: skip
    lines = []
    for table, keys in [("schedule", draw(schedule)), ("cohort", draw(cohort)), ("solver", draw(solver)),
                        ("diversity", draw(diversity)), ("similarity", draw(similarity))]:  # fmt: skip
        lines.append(f"[{table}]")
        lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in keys.items()]
    return "\n".join(lines) + "\n"
