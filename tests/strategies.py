"""Hypothesis strategies for peermatch: the one module of strategies for the project.

Import from tests as ``from strategies import ...`` (pytest puts ``tests/`` on
the path through its conftest). Add new strategies here rather than in test
modules, so that every test draws from the same notion of valid data.
"""

from __future__ import annotations

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
