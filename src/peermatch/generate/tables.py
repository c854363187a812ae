"""The fixed tables a population is drawn from.

Attribute values and their weights (industries, functions, levels), made-up
names of people, organisations and facilitation firms, time zones and how
planted cohorts mix them, availability patterns, history relations, and the
built-in difficulty levels (:class:`Difficulty`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from peermatch.levels import DEFAULT_LADDER

__all__ = ["DIFFICULTIES", "FUNCTIONS", "INDUSTRIES", "LEVEL_TITLES", "TIMEZONES", "Difficulty"]

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
_INDUSTRY_SUFFIXES: tuple[tuple[str, ...], ...] = tuple(
    tuple(words.split()) for words in (
        "Capital Bank Finance Assurance", "Health Care Medical Clinics",
        "Stores Retail Market Outfitters", "Industries Manufacturing Works Components",
        "Systems Software Labs Digital", "Energy Power Renewables Utilities",
        "Council Agency Authority Trust", "University College Academy Learning",
        "Advisory Partners Consulting Legal", "Media Studios Publishing Broadcasting",
        "Logistics Freight Shipping Transport", "Hotels Resorts Hospitality Dining",
    )
)  # fmt: skip
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
