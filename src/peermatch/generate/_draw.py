"""One population being drawn, section by section, in the generator's fixed order.

People (organisations, levels, zones), then with ``planted`` the planted
slots and facilitators, availability, participants, facilitators, history
links, and the planted :class:`~peermatch.solution.Solution`.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from peermatch.availability import (
    Window,
    format_availability,
    merge_windows,
    parse_availability,
)
from peermatch.generate._attributes import (
    _contains,
    _groups,
    _level_title,
    _norm,
    _org_names,
    _org_sizes,
    _parsed,
    _slug,
    _style_weights,
)
from peermatch.generate._local_times import _LocalTimes
from peermatch.generate.tables import (
    _COHORT_MIXES,
    _FIRMS,
    _FIRST_NAMES,
    _FUNCTION_WEIGHTS,
    _INDUSTRY_WEIGHTS,
    _LAST_NAMES,
    _LEVEL_WEIGHTS,
    _RELATION_WEIGHTS,
    _RELATIONS,
    _STYLES,
    _WEEKDAY_WEIGHTS,
    _ZONES,
    FUNCTIONS,
    INDUSTRIES,
    LEVEL_TITLES,
    TIMEZONES,
    Difficulty,
)
from peermatch.model import (
    Facilitator,
    HistoryLink,
    Participant,
    ProgramConfig,
)
from peermatch.schedule import Slot, session_times
from peermatch.solution import Cohort, Solution, cohort_ids


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
        ids = cohort_ids(self.k)
        cohorts = []
        for c in range(self.k):
            members = tuple(sorted(str(self.pid[i]) for i in self.members_of[c]))
            cohorts.append(
                Cohort(
                    id=next(ids),
                    members=members,
                    slot=self.slots[c],
                    facilitator_id=facs[self.cohort_fac[c]].id if facs else None,
                    sessions=session_times(self.schedule, self.slots[c]),
                )
            )
        return Solution(cohorts=tuple(cohorts))


# --- drawing helpers ---------------------------------------------------------------
