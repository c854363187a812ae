"""Generate the example program in data/examples (deterministic; rerun to refresh).

    python data/examples/make_examples.py

Writes participants.csv (120 people, 30 organisations), history.csv,
facilitators.csv and program.toml next to this script, then runs peermatch's
pre-solve checks on them (when peermatch is importable) and exits 1 if a
check proves the example infeasible.

The population is built to be solvable with cohorts of 7-12, one person per
organisation and a level gap of 1: levels are spread so that every pair of
adjacent levels holds many organisations, and every availability covers
either the program's morning slot (09:00-12:00 London, for Europe and Asia)
or its afternoon slot (13:00-16:00 London, for Europe and New York); most
Europeans cover both.
"""

from __future__ import annotations

import csv
import random
import sys
import unicodedata
from pathlib import Path

HERE = Path(__file__).resolve().parent
SEED = 2027

ORGANISATIONS = [
    ("Aldermoor Bank", "Banking"),
    ("Brightwater Utilities", "Energy"),
    ("Castellan Insurance", "Insurance"),
    ("Deltaforge Engineering", "Manufacturing"),
    ("Elmstead Health", "Healthcare"),
    ("Fjordline Shipping", "Logistics"),
    ("Greenvale Foods", "Food & Beverage"),
    ("Harrowgate Legal", "Professional Services"),
    ("Ionic Software", "Technology"),
    ("Juniper Retail", "Retail"),
    ("Kestrel Aerospace", "Aerospace"),
    ("Lumen Pharma", "Pharmaceuticals"),
    ("Meridian Telecom", "Telecommunications"),
    ("Northcote Council", "Public Sector"),
    ("Orchard Hotels", "Hospitality"),
    ("Pemberton & Lyle", "Consulting"),
    ("Quayside Media", "Media"),
    ("Riverton Water", "Utilities"),
    ("Saltire Energy", "Energy"),
    ("Thornbury Univ.", "Education"),
    ("Umbra Games", "Technology"),
    ("Vantage Logistics", "Logistics"),
    ("Westmarch Housing", "Real Estate"),
    ("Xylo Biotech", "Biotechnology"),
    ("Yarrow Fashion", "Retail"),
    ("Zenith Automotive", "Automotive"),
    ("Société Lumière", "Energy"),
    ("Müller Maschinenbau", "Manufacturing"),
    ("Banco Ibérico", "Banking"),
    ("Nordisk Forsikring", "Insurance"),
]
ORG_SIZES = [
    6,
    5,
    5,
    5,
    5,
    5,
    5,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    4,
    3,
    3,
    3,
    3,
    2,
    2,
]
FUNCTIONS = [
    "Finance",
    "HR",
    "Sales",
    "Operations",
    "Marketing",
    "IT",
    "Legal",
    "R&D",
    "Customer Service",
]
FIRST = [
    "Zoë",
    "José",
    "Łukasz",
    "Chloé",
    "Björn",
    "Siobhán",
    "Amélie",
    "Jürgen",
    "Inés",
    "Søren",
    "Małgorzata",
    "François",
    "Ayşe",
    "Nguyễn",
    "Olu",
    "Priya",
    "Hannah",
    "Tomás",
    "Marta",
    "Oliver",
    "Fatima",
    "Lars",
    "Elena",
    "Kwame",
    "Ingrid",
    "Mateo",
    "Aoife",
    "Dmitri",
    "Leila",
    "Henrik",
    "Grace",
    "Rafael",
    "Sophie",
    "Ahmed",
    "Clara",
    "Niamh",
    "Pietro",
    "Yasmin",
    "Erik",
    "Camille",
]
LAST = [
    "Müller",
    "Álvarez",
    "Nowak",
    "Dubois",
    "Lindqvist",
    "O'Connor",
    "Fontaine",
    "Schäfer",
    "García",
    "Kierkegaard",
    "Wiśniewska",
    "Lefèvre",
    "Yılmaz",
    "Thị Lan",
    "Adeyemi",
    "Sharma",
    "Becker",
    "Ó Súilleabháin",
    "Rossi",
    "Bennett",
    "Haddad",
    "Johansson",
    "Petrova",
    "Mensah",
    "Berg",
    "Fernández",
    "Murphy",
    "Ivanov",
    "Karimi",
    "Nielsen",
    "Okafor",
    "Costa",
    "Martin",
    "Hassan",
    "Novák",
    "Walsh",
    "Bianchi",
    "Rahman",
    "Eriksen",
    "Moreau",
]
# Europe mostly; a few in New York (afternoon slots) and Asia (morning slots).
EUROPE_ZONES = [
    ("Europe/London", "United Kingdom", "English"),
    ("Europe/London", "United Kingdom", "English"),
    ("Europe/Paris", "France", "French"),
    ("Europe/Berlin", "Germany", "German"),
    ("Europe/Madrid", "Spain", "Spanish"),
    ("Europe/Amsterdam", "Netherlands", "English"),
    ("Europe/Dublin", "Ireland", "English"),
    ("Europe/Stockholm", "Sweden", "English"),
]
# Every European variant covers Tue-Thu 09:00-17:00 local, hence both program slots.
EUROPE_AVAILABILITY = [
    "Mon-Fri 09:00-17:00",
    "",
    "",
    "Mon-Thu 08:30-18:00",
    "Tue-Thu 9-17",
    "Monday-Friday 09:00-17:30",
    "Tue 09:00-17:00; Wed 09:00-17:00; Thu 09:00-17:00; Fri 09:00-12:00",
    "tue,wed,thu 08:00-18:00",
    "Mon 09:00-12:00; Tue-Thu 09:00-17:00",
    "Mon-Wed 09:00-17:00 | Thu 08:00-17:00",
]
LEVEL_WEIGHTS = {1: 20, 2: 32, 3: 32, 4: 24, 5: 12}
LADDER = ["Team Lead", "Manager", "Senior Manager", "Director", "Vice President"]
# How a level is written: the rank, or a title in varied case.
LEVEL_SPELLINGS = {
    1: ["1", "Team Lead", "team lead"],
    2: ["2", "Manager", "MANAGER"],
    3: ["3", "Senior Manager", "senior manager"],
    4: ["4", "Director"],
    5: ["5", "Vice President"],
}
RELATIONS = [
    "former colleagues",
    "client/supplier",
    "former reporting line",
    "joint-venture partners",
    "",
]


def ascii_slug(text: str) -> str:
    """Lower-case ASCII letters of ``text`` (accents dropped), for e-mail addresses."""
    text = text.replace("ł", "l").replace("Ł", "L").replace("ø", "o").replace("ı", "i")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in plain.lower() if c.isalnum())


def make_participants(rng: random.Random) -> list[dict[str, str]]:
    levels = [lv for lv, w in LEVEL_WEIGHTS.items() for _ in range(w)]
    rng.shuffle(levels)
    people: list[dict[str, str]] = []
    pairs = [(f, s) for f in FIRST for s in LAST]
    rng.shuffle(pairs)
    far_away = {
        7: "America/New_York",
        19: "America/New_York",
        33: "America/New_York",
        52: "America/New_York",
        88: "America/New_York",
        41: "Asia/Singapore",
        97: "Asia/Kolkata",
    }
    for (org, industry), size in zip(ORGANISATIONS, ORG_SIZES, strict=True):
        domain = ascii_slug(org.split()[0]) + ".example"
        members: list[dict[str, str]] = []
        for _ in range(size):
            n = len(people) + 1
            first, last = pairs[n]
            name = f"{first} {last}"
            if n == 23:
                name = f"{last}, {first}"  # written surname first: must be quoted in CSV
            level = levels[n - 1]
            zone, country, language = rng.choice(EUROPE_ZONES)
            availability = rng.choice(EUROPE_AVAILABILITY)
            if far_away.get(n) == "America/New_York":
                zone, country, language = "America/New_York", "United States", "English"
                availability = rng.choice(["Mon-Fri 08:00-17:00", "Tue-Thu 07:30-16:00"])
            elif far_away.get(n) == "Asia/Singapore":
                zone, country, language = "Asia/Singapore", "Singapore", "English"
                availability = "Mon-Fri 15:00-21:00"
            elif far_away.get(n) == "Asia/Kolkata":
                zone, country, language = "Asia/Kolkata", "India", "English"
                availability = "Mon-Fri 10:00-18:00"
            person = {
                "id": f"P{n:03d}",
                "name": name,
                "email": f"{ascii_slug(first)}.{ascii_slug(last)}@{domain}",
                "organisation": org,
                "level": rng.choice(LEVEL_SPELLINGS[level]),
                "industry": industry,
                "function": rng.choice(FUNCTIONS),
                "manager_id": "",
                # People in the program's own zone sometimes leave the zone blank.
                "timezone": "" if zone == "Europe/London" and rng.random() < 0.4 else zone,
                "availability": availability,
                "language": language,
                "country": country,
                "_level": str(level),
            }
            members.append(person)
            people.append(person)
        # Reporting lines inside the organisation: juniors report to a more senior
        # member, or to a manager who is not in the program.
        members.sort(key=lambda p: -int(p["_level"]))
        for k, person in enumerate(members):
            seniors = [m for m in members[:k] if int(m["_level"]) > int(person["_level"])]
            roll = rng.random()
            if seniors and roll < 0.5:
                person["manager_id"] = rng.choice(seniors)["id"]
            elif roll < 0.7:
                person["manager_id"] = f"EXT-{ascii_slug(org)[:6].upper()}-{rng.randint(1, 3)}"
    people.sort(key=lambda p: p["id"])
    return people


def make_history(rng: random.Random, people: list[dict[str, str]]) -> list[dict[str, str]]:
    rows: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    while len(rows) < 24:
        a, b = rng.sample(people, 2)
        key = tuple(sorted((a["id"], b["id"])))
        if a["organisation"] == b["organisation"] or key in seen:
            continue
        seen.add(key)
        rows.append({"person_a": a["id"], "person_b": b["id"], "relation": rng.choice(RELATIONS)})
    # A facilitator who once coached a participant must not lead their cohort.
    rows.append({"person_a": "F02", "person_b": "P010", "relation": "former coach"})
    return rows


FACILITATORS = [
    ("F01", "Margaret Osei", "Northbridge Coaching", "Europe/London", "Mon-Fri 08:00-18:00", 3),
    ("F02", "Étienne Laurent", "Northbridge Coaching", "Europe/Paris", "Mon-Thu 09:00-18:00", 3),
    ("F03", "Ulrike Brandt", "", "Europe/Berlin", "", 2),
    ("F04", "Daniel Okonkwo", "Atlas Leadership", "America/New_York", "Mon-Fri 07:00-15:00", 2),
    ("F05", "Carmen Ruiz", "Atlas Leadership", "Europe/Madrid", "Tue-Fri 09:00-17:00", 4),
    ("F06", "Astrid Holm", "", "Europe/Stockholm", "Mon 09:00-17:00; Tue-Thu 08:00-18:00", 3),
]

PROGRAM_TOML = """\
# The example program: every key of the contract, with its value spelled out.

[program]
name = "Leadership Circles 2027"
id = "circles-2027"

[cohort]
min_size = 7
max_size = 12
target_size = 8
max_per_organisation = 1
max_level_gap = 1            # most senior minus most junior, on the level ladder
levels = ["Team Lead", "Manager", "Senior Manager", "Director", "Vice President"]

[diversity]                   # attribute = weight
industry = 1.0
function = 1.0
language = 0.25              # an extra column of participants.csv

[similarity]
attributes = []              # no column must be shared within a cohort

# The placement rules (docs/rules.md): none in this program, so the tables are empty.
[limits]                     # at most N members of a cohort share a value of a column
# industry = 1               # "no competitors"

[presence]                   # a value present in a cohort is held by at least N members
# gender = 2                 # "nobody is the only one"

[required]                   # every cohort has a member holding one of the values
# function = ["Finance"]

[closeness]                  # numeric column: most minus least within a cohort at most D
# years_in_role = 5

[schedule]
start_date = "2027-01-11"
cadence_weeks = 6
sessions = 8
duration_minutes = 180
timezone = "Europe/London"
default_availability = "Mon-Fri 09:00-17:00"
blackout_dates = ["2027-04-02", "2027-08-02..2027-08-13", "2027-12-20..2028-01-03"]
topics = [
    "Contracting and trust",
    "Giving and receiving feedback",
    "Leading through change",
    "Difficult conversations",
    "Delegation",
    "Resilience",
    "Influence without authority",
    "Looking back, looking ahead",
]
slot_minutes = 30

[solver]
time_limit_seconds = 60
seed = 0
workers = 0                  # one per core

[calendar]
mode = "series"              # or "expanded": one event per session
"""


def write_csv(path: Path, rows: list[dict[str, str]], columns: list[str]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, columns, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> int:
    rng = random.Random(SEED)
    people = make_participants(rng)
    write_csv(
        HERE / "participants.csv",
        people,
        [
            "id",
            "name",
            "email",
            "organisation",
            "level",
            "industry",
            "function",
            "manager_id",
            "timezone",
            "availability",
            "language",
            "country",
        ],
    )
    write_csv(HERE / "history.csv", make_history(rng, people), ["person_a", "person_b", "relation"])
    write_csv(
        HERE / "facilitators.csv",
        [
            {
                "id": i,
                "name": n,
                "email": f"{ascii_slug(n.split()[0])}@{ascii_slug(o or 'independent')}.example",
                "organisation": o,
                "timezone": z,
                "availability": a,
                "max_cohorts": str(c),
            }
            for i, n, o, z, a, c in FACILITATORS
        ],
        ["id", "name", "email", "organisation", "timezone", "availability", "max_cohorts"],
    )
    (HERE / "program.toml").write_text(PROGRAM_TOML, encoding="utf-8")
    return check()


def check() -> int:
    """Run the pre-solve checks on the written files; 1 if one proves them infeasible."""
    try:
        from peermatch.io import read_problem
        from peermatch.presolve import presolve_checks
    except ImportError:
        print("peermatch is not installed: examples written but not checked")
        return 0
    problem = read_problem(
        HERE / "participants.csv",
        history=HERE / "history.csv",
        facilitators=HERE / "facilitators.csv",
        config=HERE / "program.toml",
    )
    found = presolve_checks(problem)
    for diagnosis in found:
        print(diagnosis)
    print(
        f"{len(problem.participants)} participants checked: "
        + ("INFEASIBLE" if found else "no pre-solve check fails")
    )
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
