"""The domain model: frozen, validated descriptions of a program and its people.

Everything the engine needs is gathered in one :class:`ProblemData`. It is
validated once when built (cross-references included) and never changes
afterwards; derive a variant with :meth:`ProblemData.replace`, which validates
again. The I/O layer builds these objects from CSV and TOML files, but a
library user may build them directly::

    >>> from peermatch.model import Participant, ProblemData
    >>> people = [
    ...     Participant(id=f"p{i}", name=f"P {i}", email=f"p{i}@x.org",
    ...                 organisation=f"Org {i}", level=2)
    ...     for i in range(8)
    ... ]
    >>> problem = ProblemData(participants=people)
    >>> problem.config.cohort.target_size
    8
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cached_property
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import networkx as nx
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from peermatch.availability import Window, merge_windows, parse_availability
from peermatch.params import GreedyParams, NeighbourhoodParams, SolveParams

__all__ = [
    "BUILTIN_ATTRIBUTES",
    "CalendarSettings",
    "CohortRules",
    "DateRange",
    "Facilitator",
    "HistoryLink",
    "Issue",
    "Lock",
    "PairRequest",
    "Participant",
    "ProblemData",
    "ProgramConfig",
    "ProgramInfo",
    "ScheduleRules",
    "SolverSettings",
    "check_references",
    "closeness_value",
    "normalise_key",
    "valid_timezone",
]

#: Participant fields that may be named as diversity or similarity attributes.
BUILTIN_ATTRIBUTES = ("industry", "function", "organisation", "timezone", "level")
# The [solver] table's defaults are SolveParams', not a second copy of them.
_SOLVE_DEFAULTS = SolveParams()


def normalise_key(text: str) -> str:
    """Normalise a column or attribute name: lower case, no spaces, hyphens or underscores.

    >>> normalise_key(" Time_Zone ")
    'timezone'
    """
    return re.sub(r"[\s_\-]+", "", text.strip().lower())


def valid_timezone(name: str) -> str:
    """Return ``name`` if it is an IANA time zone known to this machine, else raise ValueError."""
    if not name or name != name.strip() or name.startswith("/") or ".." in name:
        raise ValueError(f"'{name}' is not an IANA time zone name (like Europe/Paris)")
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ValueError(f"'{name}' is not an IANA time zone name (like Europe/Paris)") from None
    return name


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def _nonblank(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be blank")
    return value


def _check_email(value: str) -> str:
    value = value.strip()
    if not re.fullmatch(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+", value):
        raise ValueError(f"'{value}' is not an e-mail address")
    return value


def _blank_is_none(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


def _zone_or_none(value: str | None) -> str | None:
    return valid_timezone(value) if value else None


def _windows_or_none(value: tuple[Window, ...] | None) -> tuple[Window, ...] | None:
    if value is not None and not value:
        raise ValueError("availability must hold at least one window (or be None)")
    # Touching windows form one: a session may run from one into the next.
    return merge_windows(value) if value is not None else None


# Field types shared by participants and facilitators, each with its one check.
_Email = Annotated[str, AfterValidator(_check_email)]
_OptionalText = Annotated[str | None, AfterValidator(_blank_is_none)]
_Zone = Annotated[str | None, AfterValidator(_zone_or_none)]
_Availability = Annotated[tuple[Window, ...] | None, AfterValidator(_windows_or_none)]


class Participant(_Frozen):
    """A manager taking part in the program.

    Parameters
    ----------
    id, name, email, organisation
        Required; ``id`` is unique across participants and facilitators.
    level
        Seniority rank, 1 being the most junior (see :mod:`peermatch.levels`).
    level_label
        The title the organiser wrote, when it was one.
    industry, function
        Diversity attributes; ``None`` when unknown.
    manager_id
        The line manager's id; may name someone outside the program.
    timezone
        IANA name; ``None`` means the program's time zone.
    availability
        Weekly windows in the person's own zone; ``None`` means the program default.
    attributes
        Extra columns, keyed by normalised column name (see :func:`normalise_key`).
    """

    id: str
    name: str
    email: _Email
    organisation: str
    level: int = Field(ge=1)
    level_label: _OptionalText = None
    industry: _OptionalText = None
    function: _OptionalText = None
    manager_id: _OptionalText = None
    timezone: _Zone = None
    availability: _Availability = None
    attributes: dict[str, str] = Field(default_factory=dict)

    @field_validator("id", "name", "organisation")
    @classmethod
    def _required(cls, value: str, info: Any) -> str:
        return _nonblank(value, info.field_name)

    @field_validator("attributes")
    @classmethod
    def _keys(cls, value: dict[str, str]) -> dict[str, str]:
        return {normalise_key(k): str(v).strip() for k, v in value.items()}

    def attribute(self, name: str) -> str | None:
        """The value of a diversity or similarity attribute, ``None`` when blank or absent."""
        key = normalise_key(name)
        if key in ("industry", "function", "organisation", "timezone"):
            value = getattr(self, key)
        elif key == "level":
            value = str(self.level)
        else:
            value = self.attributes.get(key)
        return value or None


class Facilitator(_Frozen):
    """A facilitator who can lead up to ``max_cohorts`` cohorts."""

    id: str
    name: str
    email: _Email
    organisation: _OptionalText = None
    timezone: _Zone = None
    availability: _Availability = None
    max_cohorts: int = Field(default=1, ge=0)

    @field_validator("id", "name")
    @classmethod
    def _required(cls, value: str, info: Any) -> str:
        return _nonblank(value, info.field_name)


class HistoryLink(_Frozen):
    """Two people who must never share a cohort (or be facilitator and member).

    ``source`` says where the link came from (``history.csv``, an earlier
    ``cohorts.csv``...) so that diagnoses can point back to it.
    """

    a: str
    b: str
    relation: str = "shared history"
    source: str = "history"

    @field_validator("a", "b")
    @classmethod
    def _required(cls, value: str) -> str:
        return _nonblank(value, "person id")


class Lock(_Frozen):
    """A participant fixed to a cohort id (a row of locks.csv)."""

    participant_id: str
    cohort_id: str

    @field_validator("participant_id", "cohort_id")
    @classmethod
    def _required(cls, value: str, info: Any) -> str:
        return _nonblank(value, info.field_name)


class PairRequest(_Frozen):
    """A request about two people (a row of pairs.csv), hard like every rule.

    ``apart`` is a history pair; ``together`` puts both in one cohort.
    """

    a: str
    b: str
    rule: Literal["together", "apart"]

    @field_validator("a", "b")
    @classmethod
    def _required(cls, value: str) -> str:
        return _nonblank(value, "person id")

    @field_validator("rule", mode="before")
    @classmethod
    def _rule(cls, value: Any) -> Any:
        text = str(value).strip().lower()
        if text not in ("together", "apart"):
            raise ValueError(f"rule '{value}' is neither 'together' nor 'apart'")
        return text


class DateRange(_Frozen):
    """An inclusive range of dates (a single blackout day has ``first == last``)."""

    first: date
    last: date

    @model_validator(mode="after")
    def _ordered(self) -> DateRange:
        if self.last < self.first:
            raise ValueError(f"blackout range {self.first}..{self.last} ends before it starts")
        return self

    def __contains__(self, day: object) -> bool:
        return isinstance(day, date) and self.first <= day <= self.last

    @classmethod
    def parse(cls, text: str) -> DateRange:
        """Parse ``2027-04-02`` or ``2027-12-20..2028-01-03``."""
        first, sep, last = text.strip().partition("..")
        try:
            a = date.fromisoformat(first.strip())
            b = date.fromisoformat(last.strip()) if sep else a
        except ValueError:
            raise ValueError(
                f"'{text}' is not a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD)"
            ) from None
        return cls(first=a, last=b)


class CohortRules(_Frozen):
    """The ``[cohort]`` table: sizes, externality and equal status."""

    min_size: int = Field(default=7, ge=2)
    max_size: int = Field(default=12, ge=2)
    target_size: int = Field(default=8, ge=2)
    max_per_organisation: int = Field(default=1, ge=1)
    max_level_gap: int = Field(default=1, ge=0)
    levels: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _sizes(self) -> CohortRules:
        if self.min_size > self.max_size:
            raise ValueError(
                f"min_size ({self.min_size}) is larger than max_size ({self.max_size})"
            )
        if not self.min_size <= self.target_size <= self.max_size:
            raise ValueError(
                f"target_size ({self.target_size}) must lie within min_size..max_size "
                f"({self.min_size}..{self.max_size})"
            )
        if self.levels is not None:
            if not self.levels:
                raise ValueError("levels, when given, must list at least one title")
            keys = [normalise_key(t) for t in self.levels]
            if len(set(keys)) != len(keys):
                raise ValueError("levels lists a title twice")
        return self


class ScheduleRules(_Frozen):
    """The ``[schedule]`` table: when and how often cohorts meet."""

    start_date: date = date(2027, 1, 11)
    cadence_weeks: int = Field(default=6, ge=1, le=52)
    sessions: int = Field(default=8, ge=1, le=100)
    duration_minutes: int = Field(default=180, ge=15, le=1440)
    timezone: str = "Europe/London"
    default_availability: tuple[Window, ...] = parse_availability("Mon-Fri 09:00-17:00")
    blackout_dates: tuple[DateRange, ...] = ()
    topics: tuple[str, ...] = ()
    slot_minutes: int = Field(default=30, ge=5, le=240)

    @field_validator("timezone")
    @classmethod
    def _tz(cls, value: str) -> str:
        return valid_timezone(value)

    @field_validator("start_date")
    @classmethod
    def _plausible_start(cls, value: date) -> date:
        # Far from the calendar's ends, so that a series of 100 sessions a year
        # apart, each moved off blackout dates, still has dates (issue 10 fuzzing).
        if not date(1900, 1, 1) <= value <= date(2999, 12, 31):
            raise ValueError(f"start_date {value} must lie between 1900-01-01 and 2999-12-31")
        return value

    @field_validator("default_availability", mode="before")
    @classmethod
    def _parse_windows(cls, value: Any) -> Any:
        return parse_availability(value) if isinstance(value, str) else value

    @field_validator("blackout_dates", mode="before")
    @classmethod
    def _parse_ranges(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(DateRange.parse(v) if isinstance(v, str) else v for v in value)
        return value

    @model_validator(mode="after")
    def _topics(self) -> ScheduleRules:
        if len(self.topics) > self.sessions:
            raise ValueError(f"topics lists {len(self.topics)} topics for {self.sessions} sessions")
        if 1440 % self.slot_minutes:
            raise ValueError("slot_minutes must divide a day (e.g. 15, 30, 60)")
        return self

    def is_blackout(self, day: date) -> bool:
        """Whether ``day`` falls on a blackout date."""
        return any(day in r for r in self.blackout_dates)

    def topic(self, number: int) -> str | None:
        """The prepared topic of session ``number`` (1-based), if the program lists one."""
        return self.topics[number - 1] if number <= len(self.topics) else None

    @property
    def period(self) -> timedelta:
        """The time between two sessions of a series."""
        return timedelta(weeks=self.cadence_weeks)


class SolverSettings(_Frozen):
    """The ``[solver]`` table, with ``[solver.neighbourhood]``, ``[solver.greedy]``, ``[solver.cpsat]``.

    The program.toml face of :class:`~peermatch.params.SolveParams`: its keys
    and defaults are SolveParams' (``time_limit_seconds`` is ``time_limit``;
    ``workers`` unset is 0, one per core). :meth:`params` turns it into the
    SolveParams that ``solve()`` uses when given none.
    """

    time_limit_seconds: float = Field(default=_SOLVE_DEFAULTS.time_limit, gt=0)
    seed: int = Field(default=_SOLVE_DEFAULTS.seed, ge=0, le=2**31 - 1)  # CP-SAT's is 32-bit
    # None (unset) or 0: one per core, at most 8. Deterministic runs reproduce for a given
    # worker count, so a program that must reproduce anywhere pins it (the example: 1).
    workers: int | None = Field(default=None, ge=0)
    lns_threshold: int = Field(default=_SOLVE_DEFAULTS.lns_threshold, ge=0)
    neighbourhood: NeighbourhoodParams = Field(default_factory=NeighbourhoodParams)
    greedy: GreedyParams = Field(default_factory=GreedyParams)
    #: CP-SAT parameters passed through verbatim (checked by the CP-SAT back end).
    cpsat: dict[str, Any] = Field(default_factory=dict)

    def params(self) -> SolveParams:
        """The search settings of this table (change one with ``.replace(seed=3)``)."""
        return SolveParams(
            time_limit=self.time_limit_seconds,
            seed=self.seed,
            workers=0 if self.workers is None else self.workers,
            lns_threshold=self.lns_threshold,
            neighbourhood=self.neighbourhood,
            greedy=self.greedy,
            cpsat=self.cpsat,
        )


class ProgramInfo(_Frozen):
    """The ``[program]`` table: a name shown in calendars and used in calendar UIDs."""

    name: str = "Peer coaching program"
    id: str = "peermatch"

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._\-]*", value):
            raise ValueError(
                f"program id '{value}' may hold only letters, digits, '.', '_' and '-'"
            )
        return value


class CalendarSettings(_Frozen):
    """The ``[calendar]`` table: ``series`` (RRULE) or ``expanded`` (one event a session)."""

    mode: Literal["series", "expanded"] = "series"


def _by_column(value: Any, setting: Callable[[str, Any], Any]) -> Any:
    """A placement table (column -> setting): keys normalised, each setting checked.

    Anything but a table is left to pydantic's own type check.
    """
    if not isinstance(value, Mapping):
        return value
    return {normalise_key(name): setting(name, v) for name, v in value.items()}


def _required_values(name: str, wanted: Any) -> tuple[str, ...]:
    """``[required]``'s values of one column (one string, or a list of them)."""
    if isinstance(wanted, str):
        wanted = [wanted]
    if not isinstance(wanted, list | tuple) or not all(isinstance(w, str) for w in wanted):
        raise ValueError(f'[required] {name} must be a list of values, e.g. ["Finance"]')
    kept = tuple(w.strip() for w in wanted if w.strip())
    if not kept:
        raise ValueError(f"[required] {name} must list at least one value")
    return kept


class ProgramConfig(_Frozen):
    """A whole ``program.toml``; every key has the contract's default.

    ``diversity`` maps attribute names to weights. ``None`` (the default) means
    ``industry`` and ``function`` at weight 1 where participants have them.
    """

    program: ProgramInfo = ProgramInfo()
    cohort: CohortRules = CohortRules()
    diversity: dict[str, float] | None = None
    similarity: tuple[str, ...] = ()
    schedule: ScheduleRules = ScheduleRules()
    solver: SolverSettings = SolverSettings()
    calendar: CalendarSettings = CalendarSettings()
    #: ``[limits]``: at most N members of a cohort share a value of the column.
    limits: dict[str, int] = Field(default_factory=dict)
    #: ``[presence]``: a value present in a cohort is held by at least N members.
    presence: dict[str, int] = Field(default_factory=dict)
    #: ``[required]``: every cohort has a member holding one of the values.
    required: dict[str, tuple[str, ...]] = Field(default_factory=dict)
    #: ``[closeness]``: most minus least of a numeric column within a cohort at most D.
    closeness: dict[str, float] = Field(default_factory=dict)

    @field_validator("limits", "presence", mode="before")
    @classmethod
    def _counts(cls, value: Any, info: Any) -> Any:
        def count(name: str, n: Any) -> int:
            whole = isinstance(n, int | float) and not isinstance(n, bool) and n == int(n)
            if not whole or n < 1:
                raise ValueError(f"[{info.field_name}] {name} = {n!r}: must be a whole number >= 1")
            return int(n)

        return _by_column(value, count)

    @field_validator("required", mode="before")
    @classmethod
    def _values(cls, value: Any) -> Any:
        return _by_column(value, _required_values)

    @field_validator("closeness", mode="before")
    @classmethod
    def _bands(cls, value: Any) -> Any:
        def band(name: str, d: Any) -> float:
            if not isinstance(d, int | float) or isinstance(d, bool) or not 0 <= d < float("inf"):
                raise ValueError(f"[closeness] {name} = {d!r}: must be a number >= 0")
            return float(d)

        return _by_column(value, band)

    @field_validator("diversity")
    @classmethod
    def _weights(cls, value: dict[str, float] | None) -> dict[str, float] | None:
        if value is None:
            return None
        out: dict[str, float] = {}
        for name, weight in value.items():
            if not isinstance(weight, int | float) or isinstance(weight, bool) or weight < 0:
                raise ValueError(f"diversity weight of '{name}' must be a number >= 0")
            if weight != weight or weight == float("inf"):
                raise ValueError(f"diversity weight of '{name}' must be finite")
            out[normalise_key(name)] = float(weight)
        return out

    @field_validator("similarity")
    @classmethod
    def _sim(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(normalise_key(v) for v in value)


@dataclass(frozen=True)
class Issue:
    """One problem found when cross-checking a :class:`ProblemData`.

    ``entity`` is ``participant``, ``facilitator``, ``history``, ``lock``, ``pair`` or ``config``;
    ``index`` the position in that sequence (``None`` for config); ``field``
    the offending field. The I/O layer maps these to ``file:row:column``.
    """

    entity: str
    index: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.entity}" + (f" #{self.index + 1}" if self.index is not None else "")
        return f"{where} ({self.field}): {self.message}"


def _manager_cycles(participants: Sequence[Participant]) -> Iterator[tuple[int, str]]:
    ids = {p.id: i for i, p in enumerate(participants)}
    graph = nx.DiGraph()
    for i, p in enumerate(participants):
        if p.manager_id == p.id:
            yield i, f"{p.id} is their own manager"
        elif p.manager_id in ids:
            graph.add_edge(p.id, p.manager_id)
    for cycle in sorted(sorted(c) for c in nx.simple_cycles(graph)):
        if len(cycle) > 1:
            first = min(cycle)
            yield (
                ids[first],
                "reporting lines form a cycle: "
                + " -> ".join(_cycle_order(graph, first, set(cycle))),
            )


def _cycle_order(graph: nx.DiGraph, start: str, members: set[str]) -> list[str]:
    order, node = [start], start
    while True:
        node = next(n for n in sorted(graph.successors(node)) if n in members)
        order.append(node)
        if node == start:
            return order


def check_references(
    participants: Sequence[Participant],
    facilitators: Sequence[Facilitator] = (),
    history: Sequence[HistoryLink] = (),
    config: ProgramConfig | None = None,
    locks: Sequence[Lock] = (),
    pairs: Sequence[PairRequest] = (),
) -> list[Issue]:
    """Cross-check the parts of a problem; return every issue found (empty when sound).

    This is the single implementation of the cross-reference rules: the
    :class:`ProblemData` validator raises on its result, and the readers map
    its issues back to file rows.
    """
    config = config or ProgramConfig()
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(participants):
        if p.id in seen:
            issues.append(
                Issue(
                    "participant",
                    i,
                    "id",
                    f"duplicate id '{p.id}' (first at participant #{seen[p.id] + 1})",
                )
            )
        else:
            seen[p.id] = i
    fac_seen: dict[str, int] = {}
    for j, f in enumerate(facilitators):
        if f.id in fac_seen:
            issues.append(Issue("facilitator", j, "id", f"duplicate facilitator id '{f.id}'"))
        elif f.id in seen:
            issues.append(
                Issue("facilitator", j, "id", f"facilitator id '{f.id}' is also a participant's id")
            )
        fac_seen.setdefault(f.id, j)
    for i, message in _manager_cycles(participants):
        issues.append(Issue("participant", i, "manager_id", message))
    for h, link in enumerate(history):
        for fld, pid in (("person_a", link.a), ("person_b", link.b)):
            if pid not in seen and pid not in fac_seen:
                issues.append(
                    Issue("history", h, fld, f"'{pid}' is neither a participant nor a facilitator")
                )
        if link.a == link.b:
            issues.append(
                Issue(
                    "history",
                    h,
                    "person_b",
                    f"names '{link.a}' twice (a person cannot share history with themself)",
                )
            )
    issues += _request_references(seen, locks, pairs)
    ladder = config.cohort.levels
    if ladder:
        for i, p in enumerate(participants):
            if p.level > len(ladder):
                issues.append(
                    Issue(
                        "participant",
                        i,
                        "level",
                        f"level {p.level} is above the top of the ladder ({len(ladder)})",
                    )
                )
    present = _present_attributes(participants)
    if config.diversity is not None:
        for name in config.diversity:
            if name not in present:
                issues.append(
                    Issue(
                        "config",
                        None,
                        f"diversity.{name}",
                        f"'{name}' is not a column of participants",
                    )
                )
    for name in config.similarity:
        if name not in present:
            issues.append(
                Issue(
                    "config",
                    None,
                    "similarity.attributes",
                    f"'{name}' is not a column of participants",
                )
            )
    issues += _placement_rule_references(participants, config, present)
    return issues


def _placement_rule_references(
    participants: Sequence[Participant], config: ProgramConfig, present: set[str]
) -> list[Issue]:
    """Columns named by [limits], [presence], [required], [closeness] exist; closeness cells are numbers."""
    issues: list[Issue] = []
    known = ", ".join(sorted(present))
    for table in ("limits", "presence", "required", "closeness"):
        for name in getattr(config, table):
            if name not in present:
                issues.append(
                    Issue(
                        "config",
                        None,
                        f"{table}.{name}",
                        f"'{name}' is not a column of participants (columns: {known})",
                    )
                )
    for name in config.closeness:
        if name not in present:
            continue
        for i, p in enumerate(participants):
            cell = p.attribute(name)
            if cell is None:
                issues.append(
                    Issue("participant", i, name, f"blank, but [closeness] {name} needs a number")
                )
            elif closeness_value(cell) is None:
                issues.append(
                    Issue(
                        "participant",
                        i,
                        name,
                        f"'{cell}' is not a number (the [closeness] {name} column is numeric)",
                    )
                )
    return issues


def closeness_value(cell: str | None) -> float | None:
    """The number in a ``[closeness]`` cell (``None`` when blank or not a finite number).

    >>> closeness_value("12.5"), closeness_value("many")
    (12.5, None)
    """
    if cell is None:
        return None
    try:
        number = float(cell.strip())
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None


def _request_references(
    seen: Mapping[str, int], locks: Sequence[Lock], pairs: Sequence[PairRequest]
) -> list[Issue]:
    """Locks and pairs name participants (not facilitators), a pair two different ones."""
    issues: list[Issue] = []
    first_lock: dict[str, int] = {}
    for r, lock in enumerate(locks):
        if lock.participant_id not in seen:
            issues.append(
                Issue("lock", r, "participant_id", f"'{lock.participant_id}' is not a participant")
            )
        earlier = first_lock.setdefault(lock.participant_id, r)
        if earlier != r and locks[earlier].cohort_id != lock.cohort_id:
            issues.append(
                Issue(
                    "lock",
                    r,
                    "cohort_id",
                    f"{lock.participant_id} is locked to cohorts {locks[earlier].cohort_id} "
                    f"(lock #{earlier + 1}) and {lock.cohort_id}: a person can be in one cohort",
                )
            )
    for r, pair in enumerate(pairs):
        for fld, pid in (("person_a", pair.a), ("person_b", pair.b)):
            if pid not in seen:
                issues.append(Issue("pair", r, fld, f"'{pid}' is not a participant"))
        if pair.a == pair.b:
            issues.append(Issue("pair", r, "person_b", f"names '{pair.a}' twice"))
    return issues


def _present_attributes(participants: Sequence[Participant]) -> set[str]:
    present = {"organisation", "timezone", "level"}
    for p in participants:
        if p.industry:
            present.add("industry")
        if p.function:
            present.add("function")
        present.update(p.attributes)
    return present


class ProblemData(_Frozen):
    """Everything that defines one cohort-formation problem, validated once.

    Parameters
    ----------
    participants
        The people to place, in a stable order (the order of the input file).
    facilitators
        Optional facilitators; when given every cohort gets exactly one.
    history
        Pairs who must never share a cohort (including earlier cohorts).
    config
        The program's rules and settings.
    locks
        People fixed to a cohort id (locks.csv).
    pairs
        ``together`` / ``apart`` requests (pairs.csv); ``apart`` counts as history.

    Raises
    ------
    pydantic.ValidationError
        When a field is invalid or the parts do not fit together (duplicate
        ids, unknown ids in history, manager cycles, unknown attributes...).
    """

    participants: tuple[Participant, ...]
    facilitators: tuple[Facilitator, ...] = ()
    history: tuple[HistoryLink, ...] = ()
    config: ProgramConfig = ProgramConfig()
    locks: tuple[Lock, ...] = ()
    pairs: tuple[PairRequest, ...] = ()

    @model_validator(mode="after")
    def _cross_check(self) -> ProblemData:
        issues = check_references(
            self.participants,
            self.facilitators,
            self.history,
            self.config,
            self.locks,
            self.pairs,
        )
        if issues:
            raise ValueError("; ".join(str(i) for i in issues))
        return self

    def replace(self, **changes: Any) -> ProblemData:
        """A copy with some fields changed, validated like a new instance.

        >>> from peermatch.model import ProgramConfig, CohortRules
        >>> smaller = problem.replace(config=ProgramConfig(cohort=CohortRules(min_size=4, target_size=4)))
        ... # doctest: +SKIP
        """
        data = {name: getattr(self, name) for name in type(self).model_fields}
        unknown = set(changes) - set(data)
        if unknown:
            raise TypeError(f"ProblemData has no field(s) {sorted(unknown)}")
        data.update(changes)
        return type(self).model_validate(data)

    # Derived, read-only views. cached_property writes to the instance dict
    # directly, so it is compatible with the frozen model.

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Participant id -> position in :attr:`participants`."""
        return {p.id: i for i, p in enumerate(self.participants)}

    @cached_property
    def facilitator_index(self) -> Mapping[str, int]:
        """Facilitator id -> position in :attr:`facilitators`."""
        return {f.id: j for j, f in enumerate(self.facilitators)}

    @cached_property
    def diversity_weights(self) -> Mapping[str, float]:
        """The effective diversity weights (defaults applied, absent defaults dropped)."""
        if self.config.diversity is not None:
            return {k: w for k, w in self.config.diversity.items() if w > 0}
        present = _present_attributes(self.participants)
        return {k: 1.0 for k in ("industry", "function") if k in present}

    def timezone_of(self, person: Participant | Facilitator) -> str:
        """A person's time zone, the program's when they have none."""
        return person.timezone or self.config.schedule.timezone

    def availability_of(self, person: Participant | Facilitator) -> tuple[Window, ...]:
        """A person's weekly windows, the program default when they gave none."""
        return person.availability or self.config.schedule.default_availability
