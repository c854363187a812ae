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

Modules
-------
population
    :func:`generate_population`, :class:`Population`, :func:`default_config`,
    :func:`cohort_count`.
_draw
    One population being drawn, section by section, in the fixed order.
tables
    The fixed tables drawn from: attribute values and weights, names, zones,
    availability patterns, and the difficulty levels (:class:`Difficulty`).
_attributes
    Drawing helpers: organisation sizes and names, reporting lines, history.
_local_times
    Where a planted slot's sessions fall in each zone, on their actual dates.
_placement
    The placement-rule columns (gender, market, company_size) drawn per
    planted cohort, and the config that uses them (``--placement-rules``).
shapes
    The hard shapes of ``peermatch generate --shape`` (sponsors, narrow
    levels, scarce slots, facilitators at capacity), planted.
writing
    :func:`write_population`: the contract's files (``program.toml`` by
    :func:`peermatch.io.config.program_toml`).
"""

from peermatch.generate.population import (
    Population,
    cohort_count,
    default_config,
    generate_population,
)
from peermatch.generate.tables import (
    DIFFICULTIES,
    FUNCTIONS,
    INDUSTRIES,
    LEVEL_TITLES,
    TIMEZONES,
    Difficulty,
)
from peermatch.generate.writing import write_population

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
    "write_population",
]
