"""Synthetic populations in the contract's formats, optionally with a planted solution.

:func:`generate_population` draws a realistic program population:

- organisation sizes are heavy-tailed (a Zipf law, capped at the number of
  cohorts so that ``max_per_organisation = 1`` stays satisfiable): a few
  large employers and many with one to three people; each organisation has
  one industry (12 in all) and a made-up name and e-mail domain;
- every person has one of 10 functions (about 1% left blank, as real exports
  have gaps), a level on a five-rung ladder written as a title (``Team Lead``
  .. ``Senior Director``, peaking in the middle), and some report to a more
  senior colleague in the program or to a manager outside it;
- shared history links people of *different* organisations (former
  colleagues, client/supplier ties, an earlier program);
- time zones are mostly Europe/London, Europe/Paris, Europe/Berlin and
  America/New_York, some Asia/Singapore; availability is blank (the
  program's default window) for most people and a restricted pattern
  (``Mon-Thu 08:00-16:00``, ``Tue 13:00-18:00; Thu 09:00-17:00``, ...) for
  the others;
- about one facilitator per 15 participants, leading 1 to 4 cohorts each.

With ``planted=True`` a hidden assignment is drawn *first* and the attributes
are generated around it, so that it satisfies every hard rule: organisations
are dealt round-robin over the cohorts (an organisation never has two people
in one cohort), each cohort gets a base level and its members lie within
``max_level_gap`` of it, history links only join people of different planted
cohorts, each cohort gets a weekly slot (anchored where
:func:`peermatch.violations.anchor_zone` says) and every member's
availability is widened to cover that slot's sessions on their actual dates
(daylight-saving changes included), and facilitators are planted too (each
leads cohorts on distinct weekdays, so their sessions never clash). The
planted :class:`~peermatch.solution.Solution` is therefore a feasible
reference whose quality a solver should match or beat.

Everything is drawn from one :class:`numpy.random.Generator` seeded with
``seed``, so a population is a pure function of its arguments.
"""

from __future__ import annotations

import json
import math
import unicodedata
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from peermatch.availability import (
    Window,
    format_availability,
    merge_windows,
    parse_availability,
    windows_contain,
)
from peermatch.levels import DEFAULT_LADDER
from peermatch.model import (
    CohortRules,
    DateRange,
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
    SolverSettings,
)
from peermatch.schedule import Slot, session_times
from peermatch.solution import Cohort, Solution

__all__ = [
    "DIFFICULTIES",
    "FUNCTIONS",
    "INDUSTRIES",
    "LEVEL_TITLES",
    "TIMEZONES",
    "Difficulty",
    "Population",
    "cohort_count",
    "default_config",
    "generate_population",
    "program_toml",
    "write_population",
]

INDUSTRIES: tuple[str, ...] = (
    "Financial services",
    "Healthcare",
    "Retail",
    "Manufacturing",
    "Technology",
    "Energy",
    "Public sector",
    "Education",
    "Professional services",
    "Media",
    "Logistics",
    "Hospitality",
)
_INDUSTRY_WEIGHTS = (0.13, 0.1, 0.09, 0.11, 0.14, 0.06, 0.08, 0.05, 0.1, 0.04, 0.06, 0.04)
# Name suffixes hint at the industry; none of them is used by facilitation
# firms, so a facilitator's organisation never equals a participant's.
_INDUSTRY_SUFFIXES: tuple[tuple[str, ...], ...] = (
    ("Capital", "Bank", "Finance", "Assurance"),
    ("Health", "Care", "Medical", "Clinics"),
    ("Stores", "Retail", "Market", "Outfitters"),
    ("Industries", "Manufacturing", "Works", "Components"),
    ("Systems", "Software", "Labs", "Digital"),
    ("Energy", "Power", "Renewables", "Utilities"),
    ("Council", "Agency", "Authority", "Trust"),
    ("University", "College", "Academy", "Learning"),
    ("Advisory", "Partners", "Consulting", "Legal"),
    ("Media", "Studios", "Publishing", "Broadcasting"),
    ("Logistics", "Freight", "Shipping", "Transport"),
    ("Hotels", "Resorts", "Hospitality", "Dining"),
)
_ORG_PREFIXES: tuple[str, ...] = (
    "Northwind", "Bluefin", "Aster", "Crescent", "Harbour", "Juniper", "Meridian", "Oakridge",
    "Pinnacle", "Quarry", "Riverside", "Solstice", "Tidewater", "Umbra", "Vantage", "Westbrook",
    "Yarrow", "Zenith", "Alder", "Beacon", "Cobalt", "Driftwood", "Ember", "Fjord", "Granite",
    "Heron", "Ironbridge", "Kestrel", "Lumen", "Maple", "Nimbus", "Orchard", "Pebble", "Quill",
    "Redwood", "Sable", "Thistle", "Upland", "Verdant", "Willow", "Aurora", "Birch", "Cedar",
    "Dune", "Elm", "Falcon", "Glade", "Hawthorn", "Indigo", "Jade",
)  # fmt: skip
FUNCTIONS: tuple[str, ...] = (
    "Finance",
    "HR",
    "Sales",
    "Operations",
    "Marketing",
    "IT",
    "Legal",
    "Product",
    "Customer service",
    "Research & development",
)
_FUNCTION_WEIGHTS = (0.12, 0.1, 0.14, 0.16, 0.1, 0.12, 0.04, 0.08, 0.08, 0.06)
_FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Chloé", "David", "Elif", "Fatima", "Giulia", "Hiroshi", "Ingrid", "Jakub",
    "Kwame", "Léa", "Mateo", "Nadia", "Oluwaseun", "Priya", "Quentin", "Rania", "Søren",
    "Tomasz", "Uma", "Valentina", "Wei", "Xavier", "Yasmin", "Zoë", "José", "Małgorzata",
    "Björn", "Aoife", "Siobhán", "Chidi", "Mei", "Arjun", "Lars", "Noémie", "Dmitri", "Ana",
    "Jürgen", "Camille", "Sarah", "James", "Emma", "Lukas", "Sofia", "Omar", "Hannah", "Raj",
)  # fmt: skip
_LAST_NAMES: tuple[str, ...] = (
    "Smith", "Müller", "García", "Dubois", "Rossi", "Nowak", "Kowalski", "Tan", "Lim", "Ng",
    "O'Brien", "Nguyễn", "Schmidt", "Martin", "Bernard", "Jones", "Patel", "Khan", "Okafor",
    "Andersson", "Fernández", "Yılmaz", "Wagner", "Lefèvre", "Costa", "Silva", "Murphy", "Chen",
    "Wong", "Kim", "Sato", "Novák", "Horvat", "Ivanova", "de Jong", "van Dijk", "Brown",
    "Williams", "Taylor", "Davies", "Øverby", "Weiß",
)  # fmt: skip
_FIRMS: tuple[str, ...] = (
    "Catalyst Coaching",
    "Northbridge Facilitation",
    "Open Circle Coaching",
    "Learning Edge Facilitation",
    "Peer Practice Coaching",
)

#: Time zones and how often a person lives in each (non-planted populations).
TIMEZONES: dict[str, float] = {
    "Europe/London": 0.36,
    "Europe/Paris": 0.2,
    "Europe/Berlin": 0.18,
    "America/New_York": 0.18,
    "Asia/Singapore": 0.08,
}
_ZONES = tuple(TIMEZONES)
_LONDON, _PARIS, _BERLIN, _NEW_YORK, _SINGAPORE = range(5)
# Planted cohorts mix zones that can meet in office hours: Europe alone,
# Europe with New York (London afternoons) or with Singapore (London
# mornings), or one distant zone alone.
_COHORT_MIXES: tuple[tuple[float, dict[int, float]], ...] = (
    (0.5, {_LONDON: 0.45, _PARIS: 0.3, _BERLIN: 0.25}),
    (0.14, {_LONDON: 0.55, _NEW_YORK: 0.45}),
    (0.06, {_LONDON: 0.3, _PARIS: 0.15, _BERLIN: 0.15, _NEW_YORK: 0.4}),
    (0.1, {_LONDON: 0.3, _PARIS: 0.15, _BERLIN: 0.15, _SINGAPORE: 0.4}),
    (0.14, {_NEW_YORK: 1.0}),
    (0.06, {_SINGAPORE: 1.0}),
)
_WEEKDAY_WEIGHTS = (0.14, 0.25, 0.25, 0.23, 0.13)  # Mon..Fri; mid-week is popular
# A planted session lies within these local hours for every attendee.
_EARLIEST, _LATEST = 7 * 60, 20 * 60

#: Titles of the five rungs used, junior to senior (the built-in ladder's first titles).
LEVEL_TITLES: tuple[str, ...] = tuple(rung[0] for rung in DEFAULT_LADDER[:5])
_LEVEL_WEIGHTS = np.array([0.14, 0.27, 0.3, 0.19, 0.1])

# Availability patterns: (text or None for blank, restricted?). Texts are in
# the person's own zone, as the contract says.
_STYLES: tuple[tuple[str | None, bool], ...] = (
    (None, False),
    ("Mon-Fri 08:00-18:00", False),
    ("Mon-Fri 08:30-17:30", False),
    ("Mon-Thu 08:00-16:00", True),
    ("Tue 13:00-18:00; Thu 09:00-17:00", True),
    ("Mon 09:00-12:00; Wed 14:00-17:00", True),
    ("Mon-Fri 09:00-13:00", True),
    ("Tue-Thu 10:00-17:00", True),
    ("Mon, Wed, Fri 08:30-17:30", True),
    ("Mon-Fri 12:00-20:00", True),
    ("Wed 09:00-17:00", True),
)
_RELATIONS = ("former colleagues", "client/supplier", "earlier program")
_RELATION_WEIGHTS = (0.5, 0.35, 0.15)


@dataclass(frozen=True)
class Difficulty:
    """Knobs that make a population harder to split into cohorts.

    Attributes
    ----------
    name
        ``easy``, ``normal`` or ``hard``.
    zipf_exponent
        Tail exponent of organisation sizes; smaller means bigger organisations.
    history_per_person
        Shared-history links drawn per participant.
    restricted_share
        Share of people with a restricted availability pattern (the rest are
        blank or have a wide window).
    tight_share
        Among restricted people, the share given one of the narrowest patterns.
    report_share
        Share of people reporting to a more senior colleague in the program.
    slack_minutes
        How far a planted window is widened around the planted sessions.
    default_slot_share
        Share of planted cohorts whose slot lies inside the default window
        (09:00-17:00) of every member's zone when such a time exists.
    """

    name: str
    zipf_exponent: float
    history_per_person: float
    restricted_share: float
    tight_share: float
    report_share: float
    slack_minutes: int
    default_slot_share: float


#: The built-in difficulty levels.
DIFFICULTIES: dict[str, Difficulty] = {
    "easy": Difficulty("easy", 2.4, 0.05, 0.15, 0.2, 0.25, 120, 0.95),
    "normal": Difficulty("normal", 2.0, 0.2, 0.35, 0.35, 0.4, 60, 0.85),
    "hard": Difficulty("hard", 1.6, 0.6, 0.7, 0.6, 0.55, 0, 0.5),
}


@dataclass(frozen=True)
class Population:
    """A generated population.

    Attributes
    ----------
    problem
        The validated problem (participants, facilitators, history, config).
    planted
        With ``planted=True``, the hidden assignment: cohorts with members,
        slot, sessions and facilitator, satisfying every hard rule.
    seed, difficulty
        The arguments it was generated with.
    """

    problem: ProblemData
    planted: Solution | None = None
    seed: int = 0
    difficulty: str = "normal"

    @property
    def size(self) -> int:
        """Number of participants."""
        return len(self.problem.participants)


def default_config(
    name: str = "Synthetic peer coaching program", program_id: str = "synthetic"
) -> ProgramConfig:
    """The program generated populations use: the contract's defaults plus a few blackout dates.

    Diversity weights are written out explicitly (industry and function at
    1.0) so that the files say what is optimised.
    """
    return ProgramConfig(
        program=ProgramInfo(name=name, id=program_id),
        cohort=CohortRules(),
        diversity={"industry": 1.0, "function": 1.0},
        schedule=ScheduleRules(
            blackout_dates=(
                DateRange.parse("2027-03-26"),
                DateRange.parse("2027-05-31"),
                DateRange.parse("2027-08-02..2027-08-13"),
                DateRange.parse("2027-12-20..2028-01-03"),
            )
        ),
        # Pinned like the example's: a generated program reproduces on any machine.
        solver=SolverSettings(workers=1),
    )


def cohort_count(size: int, rules: CohortRules) -> int | None:
    """How many cohorts to form: ``round(size / target_size)`` if sizes can fit, else the nearest count that fits.

    ``k`` cohorts can hold ``size`` people within ``min_size..max_size``
    exactly when ``k * min_size <= size <= k * max_size``; ``None`` when no
    ``k`` does (13 people with sizes 7..12, say).
    """
    lo = max(1, math.ceil(size / rules.max_size))
    hi = size // rules.min_size
    if lo > hi:
        return None
    wanted = max(1, round(size / rules.target_size))
    return min(range(lo, hi + 1), key=lambda k: (abs(k - wanted), k))


def generate_population(
    size: int,
    seed: int,
    *,
    planted: bool = False,
    difficulty: str | Difficulty = "normal",
    facilitators: bool = True,
    config: ProgramConfig | None = None,
) -> Population:
    """Draw a synthetic population, deterministic per ``seed``.

    Parameters
    ----------
    size
        Number of participants (at least 1; with ``planted`` at least ``min_size``).
    seed
        Seed of the :class:`numpy.random.Generator` everything is drawn from.
    planted
        Draw a hidden feasible assignment first and generate around it
        (see the module docstring); it is returned as ``Population.planted``.
    difficulty
        ``easy``, ``normal``, ``hard`` or a :class:`Difficulty`.
    facilitators
        Whether to generate facilitators (about one per 15 participants).
    config
        The program's rules; default :func:`default_config`. Planted
        populations honour its cohort sizes, ``max_level_gap`` and schedule;
        ``similarity`` attributes are not supported.

    Returns
    -------
    Population

    Raises
    ------
    ValueError
        On a bad size or difficulty, or when ``planted`` and no number of
        cohorts fits ``size`` people within ``min_size..max_size``.
    """
    knobs = _difficulty(difficulty)
    if size < 1:
        raise ValueError("size must be at least 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    config = config or default_config(
        name=f"Synthetic program ({size} participants, seed {seed})",
        program_id=f"synthetic-{size}-{seed}",
    )
    if config.similarity:
        raise ValueError("generated populations do not support similarity attributes")
    rules = config.cohort
    k = cohort_count(size, rules)
    if planted and k is None:
        raise ValueError(
            f"{size} people cannot be split into cohorts of {rules.min_size}..{rules.max_size}"
        )
    # The steps below draw from one generator in a fixed order: reordering them
    # would change every population of every seed.
    draw = _Draw(np.random.default_rng(seed), size, k, planted, knobs, config)
    draw.people()
    if planted:
        draw.planted_slots()
        if facilitators:
            draw.planted_facilitators()
    draw.availability()
    manager = _reporting_lines(draw.rng, draw.org, draw.level, draw.org_sizes, knobs.report_share)
    history_pairs = _history_pairs(draw.rng, size, draw.org, draw.cohort, knobs.history_per_person)
    participants = draw.participants(manager)
    facs, fac_history = draw.facilitators() if facilitators else ([], [])
    problem = ProblemData(
        participants=tuple(participants),
        facilitators=tuple(facs),
        history=tuple(draw.links(history_pairs, fac_history)),
        config=config,
    )
    plant = draw.plant(facs) if planted else None
    return Population(problem=problem, planted=plant, seed=seed, difficulty=knobs.name)


def _difficulty(difficulty: str | Difficulty) -> Difficulty:
    if not isinstance(difficulty, str):
        return difficulty
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not '{difficulty}'")
    return DIFFICULTIES[difficulty]


class _Draw:
    """One population being drawn: the generator, the settings, and what is drawn so far.

    Each method is one section of :func:`generate_population`, in drawing order.
    """

    def __init__(
        self,
        rng: np.random.Generator,
        size: int,
        k: int | None,
        planted: bool,
        knobs: Difficulty,
        config: ProgramConfig,
    ):
        self.rng, self.size, self.k, self.planted, self.knobs = rng, size, k, planted, knobs
        self.config, self.rules, self.schedule = config, config.cohort, config.schedule
        self.n_levels = len(self.rules.levels) if self.rules.levels else len(LEVEL_TITLES)
        self.cap = max(1, k if k is not None else round(size / self.rules.target_size))
        self.program_zone = self.schedule.timezone
        self.local = _LocalTimes(self.schedule)
        self.zones_p = _norm(list(TIMEZONES.values()))
        self.slots: list[Slot] = []
        self.members_of: list[np.ndarray] = []
        self.cohort_fac: list[int] = []
        self.fac_zone: list[str] = []
        self.fac_cap: list[int] = []
        self.fac_slots: list[list[Slot]] = []
        self.avail_cache: dict[tuple[object, ...], tuple[Window, ...] | None] = {}

    def people(self) -> None:
        """Organisations, industries, functions, then levels and zones (by planted cohort)."""
        rng, size, n_levels = self.rng, self.size, self.n_levels
        # People are grouped by organisation here; rows are shuffled at the end.
        self.org_sizes = _org_sizes(rng, size, self.knobs.zipf_exponent, self.cap)
        n_orgs = len(self.org_sizes)
        self.org = np.repeat(np.arange(n_orgs), self.org_sizes)
        self.org_industry = rng.choice(len(INDUSTRIES), size=n_orgs, p=_norm(_INDUSTRY_WEIGHTS))
        self.function = rng.choice(len(FUNCTIONS), size=size, p=_norm(_FUNCTION_WEIGHTS))
        self.function[rng.random(size) < 0.01] = -1  # blank
        gap = min(self.rules.max_level_gap, n_levels - 1)
        if not self.planted:
            self.cohort = np.full(size, -1)
            level_p = _LEVEL_WEIGHTS if n_levels == 5 else np.ones(n_levels)
            self.level = rng.choice(n_levels, size=size, p=_norm(level_p[:n_levels])) + 1
            self.zone = rng.choice(len(_ZONES), size=size, p=self.zones_p)
            return
        k = self.k
        assert k is not None
        # Dealing people round-robin over cohorts, grouped by organisation, puts
        # an organisation of at most k people into distinct cohorts and makes
        # the cohort sizes differ by at most one.
        cohort = rng.permutation(k)[np.arange(size) % k]
        base_w = _LEVEL_WEIGHTS[: n_levels - gap] if n_levels <= 5 else np.ones(n_levels - gap)
        base = rng.choice(n_levels - gap, size=k, p=_norm(base_w)) + 1
        self.level = base[cohort] + rng.integers(0, gap + 1, size=size)
        mix = rng.choice(len(_COHORT_MIXES), size=k, p=_norm([m[0] for m in _COHORT_MIXES]))
        zone = np.empty(size, dtype=np.int64)
        for m, (_, dist) in enumerate(_COHORT_MIXES):
            people = np.flatnonzero(mix[cohort] == m)
            zone[people] = rng.choice(list(dist), size=len(people), p=_norm(list(dist.values())))
        self.cohort, self.zone = cohort, zone

    def planted_slots(self) -> None:
        """A weekly slot per planted cohort, anchored as the rules say."""
        assert self.k is not None
        rng, zone, program_zone = self.rng, self.zone, self.program_zone
        self.members_of = _groups(self.cohort, self.k)
        for c in range(self.k):
            members = self.members_of[c]
            zones_here = {_ZONES[z] for z in zone[members]}
            anchor = next(iter(zones_here)) if len(zones_here) == 1 else program_zone
            weekday = int(rng.choice(5, p=_norm(_WEEKDAY_WEIGHTS)))
            office, starts = self.local.valid_starts(anchor, weekday, frozenset(zones_here))
            if not starts:  # only with an exotic program zone or duration
                zone[members] = _ZONES.index(program_zone) if program_zone in _ZONES else 0
                anchor = _ZONES[zone[members[0]]]
                office, starts = self.local.valid_starts(anchor, weekday, frozenset({anchor}))
            # Most organisers pick a time inside everyone's default hours when one
            # exists, so that most people can leave their availability blank.
            if office and rng.random() < self.knobs.default_slot_share:
                starts = office
            start = int(rng.choice(starts))
            self.slots.append(Slot(zone=anchor, weekday=weekday, start_minute=start))

    def planted_facilitators(self) -> None:
        """Planted facilitators: each leads cohorts of one anchor zone on distinct weekdays."""
        assert self.k is not None
        rng, slots = self.rng, self.slots
        self.cohort_fac = [-1] * self.k
        by_anchor: dict[str, list[int]] = defaultdict(list)
        for c in rng.permutation(self.k):
            by_anchor[slots[c].zone].append(int(c))
        for anchor in sorted(by_anchor):
            by_day: dict[int, list[int]] = defaultdict(list)
            for c in by_anchor[anchor]:
                by_day[slots[c].weekday].append(c)
            while any(by_day.values()):
                capacity = int(rng.choice(4, p=[0.3, 0.3, 0.25, 0.15])) + 1
                # Distinct weekdays: a facilitator's sessions then never overlap,
                # even after a blackout moves one by a week.
                days = sorted((d for d in by_day if by_day[d]), key=lambda d: -len(by_day[d]))
                j = len(self.fac_zone)
                self.fac_zone.append(anchor)
                self.fac_cap.append(capacity)
                self.fac_slots.append([])
                for d in days[:capacity]:
                    c = by_day[d].pop()
                    self.cohort_fac[c] = j
                    self.fac_slots[j].append(slots[c])

    def windows(self, style_idx: int, need: Sequence[Window]) -> tuple[Window, ...] | None:
        """The availability of pattern ``style_idx``, widened to cover ``need`` (cached)."""
        key = (style_idx, *need)
        if key in self.avail_cache:
            return self.avail_cache[key]
        text = _STYLES[style_idx][0]
        windows = _parsed(text) if text else self.schedule.default_availability
        missing = [w for w in need if not _contains(windows, w)]
        result: tuple[Window, ...] | None
        if not missing and text is None:
            result = None  # blank: the program's default window already covers it
        else:
            slack = self.knobs.slack_minutes
            extra = [
                Window(
                    day=w.day,
                    start=max(0, (w.start // 60) * 60 - slack),
                    end=min(1440, -(-w.end // 60) * 60 + slack),
                )
                for w in missing
            ]
            # Round-trip through the text so that reading the file back gives equal windows.
            result = parse_availability(format_availability(merge_windows([*windows, *extra])))
        self.avail_cache[key] = result
        return result

    def availability(self) -> None:
        """A pattern per person, widened around their planted sessions."""
        size, zone = self.size, self.zone
        self.style_p = _style_weights(self.knobs)
        style = self.rng.choice(len(_STYLES), size=size, p=self.style_p)
        # Few distinct "sessions in local time" exist (slots x zones): number them,
        # then build each (pattern, sessions) availability once.
        needs: list[tuple[Window, ...]] = [()]
        need_id = np.zeros(size, dtype=np.int64)
        if self.planted:
            seen_need: dict[tuple[Window, ...], int] = {(): 0}
            per_cohort = np.zeros((len(self.slots), len(_ZONES)), dtype=np.int64)
            for c, z in set(zip(self.cohort.tolist(), zone.tolist(), strict=True)):
                got = self.local.windows(self.slots[c], _ZONES[z])
                per_cohort[c, z] = seen_need.setdefault(got, len(seen_need))
            needs = list(seen_need)
            need_id = per_cohort[self.cohort, zone]
        combo, inverse = np.unique(style * len(needs) + need_id, return_inverse=True)
        built = [self.windows(int(code // len(needs)), needs[code % len(needs)]) for code in combo]
        self.person_avail = [built[j] for j in inverse.ravel().tolist()]

    def participants(self, manager: np.ndarray) -> list[Participant]:
        """Ids in a shuffled row order, names, emails and organisations; sorted by id."""
        rng, size = self.rng, self.size
        # Shuffle rows so that the file order reveals neither organisation nor cohort.
        order = rng.permutation(size)
        self.width = width = max(5, len(str(size)))
        pid = np.empty(size, dtype=object)
        pid[order] = [f"P{r + 1:0{width}d}" for r in range(size)]
        self.pid = pid
        org_names = _org_names(rng, self.org_industry)
        org_domains = [_slug(n).replace(".", "") + ".example.com" for n in org_names]
        first = rng.integers(0, len(_FIRST_NAMES), size=size)
        last = rng.integers(0, len(_LAST_NAMES), size=size)
        comma_name = rng.random(size) < 0.03
        blank_london = rng.random(size) < 0.5
        ext_mgr: dict[tuple[int, int], str] = {}
        out: list[Participant] = []
        for r in range(size):
            i = int(order[r])
            fn, ln = _FIRST_NAMES[first[i]], _LAST_NAMES[last[i]]
            tz = _ZONES[self.zone[i]]
            org = int(self.org[i])
            lvl = int(self.level[i])
            out.append(
                Participant(
                    id=str(pid[i]),
                    name=f"{ln}, {fn}" if comma_name[i] else f"{fn} {ln}",
                    email=f"{_slug(fn)}.{_slug(ln)}.{r + 1}@{org_domains[org]}",
                    organisation=org_names[org],
                    level=lvl,
                    level_label=_level_title(lvl, self.rules),
                    industry=INDUSTRIES[self.org_industry[org]],
                    function=FUNCTIONS[self.function[i]] if self.function[i] >= 0 else None,
                    manager_id=self._manager_id(int(manager[i]), org, ext_mgr),
                    timezone=None if tz == self.program_zone and blank_london[i] else tz,
                    availability=self.person_avail[i],
                )
            )
        out.sort(key=lambda p: p.id)
        return out

    def _manager_id(self, mgr: int, org: int, ext_mgr: dict[tuple[int, int], str]) -> str | None:
        """A colleague's id, an outside manager's (shared by their team), or none."""
        if mgr >= 0:
            return str(self.pid[mgr])
        if mgr < -1:
            ext = (org, -mgr - 2)
            return ext_mgr.setdefault(ext, f"M{ext[0] + 1:0{self.width}d}-{ext[1] + 1}")
        return None

    def facilitators(self) -> tuple[list[Facilitator], list[tuple[str, str, str]]]:
        """The planted facilitators first, then spares up to about n / 15; and their history."""
        rng, size = self.rng, self.size
        fac_zone, fac_cap, fac_slots = self.fac_zone, self.fac_cap, self.fac_slots
        wanted = max(len(fac_zone), round(size / 15), 1)
        # Spare capacity of a quarter over the cohorts needed: a population whose
        # facilitators cannot cover the cohorts would be infeasible for a dull reason.
        needed = math.ceil(1.25 * self.cap)
        while len(fac_zone) < wanted or sum(fac_cap) < needed:
            fac_zone.append(_ZONES[int(rng.choice(len(_ZONES), p=self.zones_p))])
            fac_cap.append(int(rng.choice(4, p=[0.3, 0.3, 0.25, 0.15])) + 1)
            fac_slots.append([])
        fwidth = max(4, len(str(len(fac_zone))))
        fac_style = rng.choice(len(_STYLES), size=len(fac_zone), p=self.style_p)
        firm = rng.integers(-2, len(_FIRMS), size=len(fac_zone))  # < 0: freelance, no organisation
        facs: list[Facilitator] = []
        for j, tz in enumerate(fac_zone):
            fn, ln = (
                _FIRST_NAMES[rng.integers(len(_FIRST_NAMES))],
                _LAST_NAMES[rng.integers(len(_LAST_NAMES))],
            )
            need = [w for sl in fac_slots[j] for w in self.local.windows(sl, tz)]
            facs.append(
                Facilitator(
                    id=f"F{j + 1:0{fwidth}d}",
                    name=f"{fn} {ln}",
                    email=f"{_slug(fn)}.{_slug(ln)}.f{j + 1}@facilitators.example.org",
                    organisation=_FIRMS[firm[j]] if firm[j] >= 0 else None,
                    timezone=None if tz == self.program_zone and j % 2 else tz,
                    availability=self.windows(int(fac_style[j]), need),
                    max_cohorts=fac_cap[j],
                )
            )
        return facs, self._facilitator_history(facs)

    def _facilitator_history(self, facs: list[Facilitator]) -> list[tuple[str, str, str]]:
        """A few facilitators share history with participants outside their planted cohorts."""
        fac_cohorts: dict[int, set[int]] = defaultdict(set)
        for c, j in enumerate(self.cohort_fac):
            fac_cohorts[j].add(c)
        n_links = round(0.3 * len(facs) * (1 + self.knobs.history_per_person))
        out: list[tuple[str, str, str]] = []
        for j, i in zip(
            self.rng.integers(0, len(facs), size=n_links),
            self.rng.integers(0, self.size, size=n_links),
            strict=True,
        ):
            if int(self.cohort[i]) in fac_cohorts[int(j)] and self.planted:
                continue
            out.append((facs[j].id, str(self.pid[i]), "former colleagues"))
        return out

    def links(
        self, history_pairs: Sequence[tuple[int, int]], fac_history: list[tuple[str, str, str]]
    ) -> list[HistoryLink]:
        """Participant pairs with a drawn relation, then the facilitators' links, sorted."""
        pid = self.pid
        rel = self.rng.choice(len(_RELATIONS), size=len(history_pairs), p=_norm(_RELATION_WEIGHTS))
        links = [
            HistoryLink(a=str(pid[a]), b=str(pid[b]), relation=_RELATIONS[r])
            for (a, b), r in zip(history_pairs, rel.tolist(), strict=True)
        ]
        seen = set()
        for a, b, why in fac_history:
            if (a, b) not in seen:
                seen.add((a, b))
                links.append(HistoryLink(a=a, b=b, relation=why))
        links.sort(key=lambda h: (h.a, h.b))
        return links

    def plant(self, facs: list[Facilitator]) -> Solution:
        """The hidden assignment the population was drawn around."""
        assert self.k is not None
        cwidth = max(3, len(str(self.k)))
        cohorts = []
        for c in range(self.k):
            members = tuple(sorted(str(self.pid[i]) for i in self.members_of[c]))
            cohorts.append(
                Cohort(
                    id=f"C{c + 1:0{cwidth}d}",
                    members=members,
                    slot=self.slots[c],
                    facilitator_id=facs[self.cohort_fac[c]].id if facs else None,
                    sessions=session_times(self.schedule, self.slots[c]),
                )
            )
        return Solution(cohorts=tuple(cohorts))


# --- drawing helpers ---------------------------------------------------------------


def _norm(weights: Sequence[float] | np.ndarray) -> np.ndarray:
    w = np.asarray(weights, dtype=float)
    return w / w.sum()


def _org_sizes(rng: np.random.Generator, size: int, exponent: float, cap: int) -> np.ndarray:
    sizes = np.empty(0, dtype=np.int64)
    # Zipf draws average a few people each; draw in batches until they cover everyone.
    while sizes.sum() < size:
        sizes = np.concatenate([sizes, np.minimum(rng.zipf(exponent, size=size), cap)])
    total = np.cumsum(sizes)
    last = int(np.searchsorted(total, size))
    sizes = sizes[: last + 1].copy()
    sizes[last] -= int(total[last]) - size
    return sizes


def _style_weights(knobs: Difficulty) -> np.ndarray:
    restricted = [i for i, (_, r) in enumerate(_STYLES) if r]
    tight = {4, 5, 10}  # two short days, or a single day
    w = np.zeros(len(_STYLES))
    wide_share = 0.12
    w[0] = max(0.0, 1.0 - knobs.restricted_share - wide_share)
    w[1] = w[2] = wide_share / 2
    loose = [i for i in restricted if i not in tight]
    for i in restricted:
        w[i] = knobs.restricted_share * (
            knobs.tight_share / len(tight) if i in tight else (1 - knobs.tight_share) / len(loose)
        )
    return _norm(w)


def _reporting_lines(
    rng: np.random.Generator,
    org: np.ndarray,
    level: np.ndarray,
    org_sizes: np.ndarray,
    share: float,
) -> np.ndarray:
    """Manager of each person: an index (>= 0), -1 for none, ``-2 - j`` for outside manager ``j``."""
    size = len(org)
    # Sort by organisation, then most senior first: everyone more senior than
    # person i in the same organisation then sits in [org_start, first_of_level).
    order = np.lexsort((-level, org))
    sorted_org, sorted_lvl = org[order], level[order]
    org_start = np.concatenate([[0], np.cumsum(org_sizes)[:-1]])[sorted_org]
    key = sorted_org * 1000 + (1000 - sorted_lvl)
    first_of_key = np.searchsorted(key, key, side="left")
    seniors = first_of_key - org_start
    pick = org_start + np.floor(rng.random(size) * np.maximum(seniors, 1)).astype(np.int64)
    internal = (seniors > 0) & (rng.random(size) < share)
    outside = ~internal & (org_sizes[sorted_org] > 1) & (rng.random(size) < 0.3)
    out_sorted = np.full(size, -1, dtype=np.int64)
    out_sorted[internal] = order[pick[internal]]
    out_sorted[outside] = -2 - rng.integers(0, 3, size=int(outside.sum()))
    manager = np.empty(size, dtype=np.int64)
    manager[order] = out_sorted
    return manager


def _history_pairs(
    rng: np.random.Generator, size: int, org: np.ndarray, cohort: np.ndarray, per_person: float
) -> list[tuple[int, int]]:
    wanted = round(per_person * size)
    if wanted == 0 or size < 2:
        return []
    a = rng.integers(0, size, size=3 * wanted)
    b = rng.integers(0, size, size=3 * wanted)
    keep = (org[a] != org[b]) & ((cohort[a] != cohort[b]) | (cohort[a] < 0))
    lo, hi = np.minimum(a, b)[keep], np.maximum(a, b)[keep]
    codes = lo.astype(np.int64) * size + hi
    _, first = np.unique(codes, return_index=True)
    first.sort()
    first = first[:wanted]
    return list(zip(lo[first].tolist(), hi[first].tolist(), strict=True))


def _org_names(rng: np.random.Generator, industry: np.ndarray) -> list[str]:
    prefix = rng.integers(0, len(_ORG_PREFIXES), size=len(industry))
    suffix = rng.integers(0, 4, size=len(industry))
    seen: dict[str, int] = {}
    names = []
    for p, ind, s in zip(prefix.tolist(), industry.tolist(), suffix.tolist(), strict=True):
        name = f"{_ORG_PREFIXES[p]} {_INDUSTRY_SUFFIXES[ind][s]}"
        count = seen.get(name, 0) + 1
        seen[name] = count
        names.append(name if count == 1 else f"{name} {count}")
    return names


_ASCII = str.maketrans(
    {"ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "ß": "ss", "ı": "i", "đ": "d", "æ": "ae"}
)


@lru_cache(maxsize=4096)
def _slug(text: str) -> str:
    ascii_text = (
        unicodedata.normalize("NFKD", text.translate(_ASCII)).encode("ascii", "ignore").decode()
    )
    return ".".join(
        "".join(ch for ch in word if ch.isalnum()) for word in ascii_text.lower().split()
    )


def _level_title(level: int, rules: CohortRules) -> str:
    if rules.levels:
        return rules.levels[level - 1]
    return LEVEL_TITLES[level - 1] if level <= len(LEVEL_TITLES) else str(level)


@lru_cache(maxsize=64)
def _parsed(text: str) -> tuple[Window, ...]:
    return parse_availability(text)


def _groups(labels: np.ndarray, k: int) -> list[np.ndarray]:
    """Positions holding each label ``0..k-1``, ascending (one sort, not ``k`` scans)."""
    order = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[order], np.arange(k + 1))
    return [order[bounds[c] : bounds[c + 1]] for c in range(k)]


def _contains(windows: Sequence[Window], need: Window) -> bool:
    return any(w.day == need.day and w.start <= need.start and need.end <= w.end for w in windows)


class _LocalTimes:
    """Where a slot's sessions fall in each zone, on their actual dates (cached)."""

    def __init__(self, rules: ScheduleRules):
        self.rules = rules
        self._windows: dict[tuple[Slot, str], tuple[Window, ...] | None] = {}
        self._starts: dict[tuple[str, int, frozenset[str]], tuple[list[int], list[int]]] = {}

    def windows(self, slot: Slot, zone: str) -> tuple[Window, ...]:
        got = self.local(slot, zone)
        if got is None:
            raise ValueError(f"a session of {slot} crosses midnight in {zone}")
        return got

    def local(self, slot: Slot, zone: str) -> tuple[Window, ...] | None:
        """The distinct local (weekday, start, end) of the sessions, ``None`` if one crosses midnight."""
        key = (slot, zone)
        if key not in self._windows:
            tz = ZoneInfo(zone)
            out: set[Window] = set()
            ok = True
            for s in session_times(self.rules, slot):
                start, end = s.start.astimezone(tz), s.end.astimezone(tz)
                lo = start.hour * 60 + start.minute
                if end.date() == start.date():
                    hi = end.hour * 60 + end.minute
                elif end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (
                    0,
                    0,
                ):
                    hi = 1440
                else:
                    ok = False
                    break
                out.add(Window(day=start.weekday(), start=lo, end=hi))
            self._windows[key] = tuple(sorted(out, key=lambda w: (w.day, w.start))) if ok else None
        return self._windows[key]

    def valid_starts(
        self, anchor: str, weekday: int, zones: frozenset[str]
    ) -> tuple[list[int], list[int]]:
        """Grid start minutes in ``anchor``: inside the default window, and in office hours, in every zone."""
        key = (anchor, weekday, zones)
        if key not in self._starts:
            step = self.rules.slot_minutes
            last = 1440 - self.rules.duration_minutes
            office: list[int] = []
            fits: list[int] = []
            loose: list[int] = []
            for minute in range(0, last + 1, step):
                slot = Slot(zone=anchor, weekday=weekday, start_minute=minute)
                try:
                    locals_ = [self.local(slot, z) for z in zones]
                except ValueError:  # the series cannot leave the blackout dates
                    continue
                if any(w is None for w in locals_):
                    continue
                loose.append(minute)
                if all(w.start >= _EARLIEST and w.end <= _LATEST for ws in locals_ for w in ws):  # type: ignore[union-attr]
                    fits.append(minute)
                if all(
                    windows_contain(self.rules.default_availability, w.day, w.start, w.end)
                    for ws in locals_
                    for w in ws  # type: ignore[union-attr]
                ):
                    office.append(minute)
            # Sessions longer than office hours: accept any time that does not cross midnight.
            self._starts[key] = (office, fits or loose)
        return self._starts[key]


# --- writing -----------------------------------------------------------------------


def _csv_rows(population: Population) -> dict[str, tuple[list[str], list[list[str]]]]:
    problem = population.problem
    participants = [
        [
            p.id,
            p.name,
            p.email,
            p.organisation,
            p.level_label or str(p.level),
            p.industry or "",
            p.function or "",
            p.manager_id or "",
            p.timezone or "",
            format_availability(p.availability) if p.availability else "",
        ]
        for p in problem.participants
    ]
    facilitators = [
        [
            f.id,
            f.name,
            f.email,
            f.organisation or "",
            f.timezone or "",
            format_availability(f.availability) if f.availability else "",
            str(f.max_cohorts),
        ]
        for f in problem.facilitators
    ]
    history = [[h.a, h.b, h.relation] for h in problem.history]
    return {
        "participants.csv": (
            ["id", "name", "email", "organisation", "level", "industry", "function",
             "manager_id", "timezone", "availability"],
            participants,
        ),
        "history.csv": (["person_a", "person_b", "relation"], history),
        "facilitators.csv": (
            ["id", "name", "email", "organisation", "timezone", "availability", "max_cohorts"],
            facilitators,
        ),
    }  # fmt: skip


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {value!r} to TOML")


def program_toml(config: ProgramConfig) -> str:
    """``config`` as a ``program.toml`` text that reads back to an equal :class:`ProgramConfig`."""
    c, s, v = config.cohort, config.schedule, config.solver
    default = ScheduleRules()
    tables: list[tuple[str, dict[str, object]]] = [
        ("program", {"name": config.program.name, "id": config.program.id}),
        (
            "cohort",
            {
                "min_size": c.min_size,
                "max_size": c.max_size,
                "target_size": c.target_size,
                "max_per_organisation": c.max_per_organisation,
                "max_level_gap": c.max_level_gap,
                **({"levels": list(c.levels)} if c.levels else {}),
            },
        ),
        ("diversity", dict(config.diversity or {})),
        ("similarity", {"attributes": list(config.similarity)}),
        (
            "schedule",
            {
                "start_date": s.start_date.isoformat(),
                "cadence_weeks": s.cadence_weeks,
                "sessions": s.sessions,
                "duration_minutes": s.duration_minutes,
                "timezone": s.timezone,
                "default_availability": format_availability(s.default_availability),
                "blackout_dates": [
                    r.first.isoformat()
                    if r.first == r.last
                    else f"{r.first.isoformat()}..{r.last.isoformat()}"
                    for r in s.blackout_dates
                ],
                **({"topics": list(s.topics)} if s.topics else {}),
                **(
                    {"slot_minutes": s.slot_minutes}
                    if s.slot_minutes != default.slot_minutes
                    else {}
                ),
            },
        ),
        (
            "solver",
            {
                "time_limit_seconds": v.time_limit_seconds,
                "seed": v.seed,
                **({"workers": v.workers} if v.workers is not None else {}),
            },
        ),
        ("calendar", {"mode": config.calendar.mode}),
    ]
    lines = ["# Written by peermatch generate.", ""]
    for name, table in tables:
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml_value(value)}" for key, value in table.items())
        lines.append("")
    return "\n".join(lines)


def write_population(population: Population, out_dir: str | Path) -> list[Path]:
    """Write ``participants.csv``, ``history.csv``, ``facilitators.csv`` and ``program.toml``.

    The files follow the I/O contract, so ``peermatch validate`` reads them
    back to an equal :class:`ProblemData`. ``history.csv`` and
    ``facilitators.csv`` are written (header only) even when empty. A planted
    population also gets ``planted_cohorts.csv`` (``cohort_id, participant_id,
    facilitator_id, slot``): the hidden reference, in a file the readers ignore.

    Parameters
    ----------
    population
        What :func:`generate_population` returned.
    out_dir
        Folder to write into (created if missing; existing files are replaced).

    Returns
    -------
    list of pathlib.Path
        The files written, in order.
    """
    # The shared CSV writer neutralises formula triggers (see peermatch.io.safecsv),
    # and peermatch's readers undo it, so the files still read back equal.
    from peermatch.io.safecsv import Writer

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for name, (header, rows) in _csv_rows(population).items():
        path = out / name
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = Writer(fh)
            writer.writerow(header)
            writer.writerows(rows)
        written.append(path)
    path = out / "program.toml"
    path.write_text(program_toml(population.problem.config), encoding="utf-8")
    written.append(path)
    if population.planted is not None:
        path = out / "planted_cohorts.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = Writer(fh)
            writer.writerow(["cohort_id", "participant_id", "facilitator_id", "slot"])
            for c in population.planted.cohorts:
                for m in c.members:
                    writer.writerow([c.id, m, c.facilitator_id or "", str(c.slot or "")])
        written.append(path)
    return written
