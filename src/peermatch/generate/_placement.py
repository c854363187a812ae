"""Gender, market and company-size columns, and a config using every placement rule.

``peermatch generate --placement-rules`` adds three columns to participants.csv
and four tables to program.toml::

    [limits]     market = 1                  # no two members of one market (sector)
    [presence]   gender = 2                  # nobody is the only one
    [required]   gender = ["Woman"]          # every cohort has a woman
    [closeness]  company_size = 1            # company-size bands 1..6, at most one apart

In a planted population the columns are drawn per planted cohort so that the
planted assignment keeps all four: a cohort's markets are distinct, it holds
two or more women and two or more men, or only women, and its company sizes
are a band ``b`` or ``b + 1``. The columns come from a generator of their own
(seeded from the population's seed), so the rest of a population is the same
with or without them.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from peermatch.model import Participant, ProgramConfig

__all__ = ["COLUMNS", "PLACEMENT_TABLES", "SECTORS", "with_config", "with_placement_columns"]

#: Markets, or sectors (more than any cohort's size, so every cohort can have distinct ones).
SECTORS = (
    "Agriculture", "Automotive", "Banking", "Chemicals", "Construction", "Education",
    "Energy", "Healthcare", "Hospitality", "Insurance", "Logistics", "Media",
    "Pharmaceuticals", "Public sector", "Retail", "Software", "Telecoms", "Utilities",
)  # fmt: skip

#: The tables a generated program.toml gets with ``placement_rules``.
PLACEMENT_TABLES: dict[str, dict[str, object]] = {
    "limits": {"market": 1},
    "presence": {"gender": 2},
    "required": {"gender": ["Woman"]},
    "closeness": {"company_size": 1},
}

_BANDS = 6  # company-size bands: 1 = under 50 people ... 6 = over 10,000


#: The columns as written in participants.csv, and their keys once read.
# ("sector" is read as an alias of industry, so the sector column is called market.)
COLUMNS = {"gender": "gender", "market": "market", "company_size": "companysize"}


def with_config(config: ProgramConfig) -> ProgramConfig:
    """``config`` with :data:`PLACEMENT_TABLES` (validated as program.toml's would be)."""
    tables = ProgramConfig.model_validate(PLACEMENT_TABLES)
    return config.model_copy(update={name: getattr(tables, name) for name in PLACEMENT_TABLES})


def _women(rng: np.random.Generator, size: int) -> int:
    """Women in a planted cohort of ``size``: two or more of each, or all women."""
    choices = [size, *range(2, size - 1)]
    return int(rng.choice(choices))


def with_placement_columns(
    participants: Sequence[Participant],
    positions: dict[str, int],
    cohort: np.ndarray,
    seed: int,
    max_size: int,
) -> list[Participant]:
    """``participants`` with gender, market and company_size columns.

    ``positions`` maps an id to the person's drawing position, ``cohort`` is
    each position's planted cohort (-1 everywhere when nothing is planted).
    """
    rng = np.random.default_rng([seed, 28])
    n = len(cohort)
    gender = np.where(rng.random(n) < 0.5, "Woman", "Man").astype(object)
    sector = np.array(SECTORS, dtype=object)[rng.integers(0, len(SECTORS), size=n)]
    size = rng.integers(1, _BANDS + 1, size=n)
    if n and cohort.max() >= 0:
        assert max_size <= len(SECTORS)
        for k in range(int(cohort.max()) + 1):
            members = np.flatnonzero(cohort == k)
            if not len(members):
                continue
            members = rng.permutation(members)
            women = _women(rng, len(members))
            gender[members] = ["Woman" if r < women else "Man" for r in range(len(members))]
            sector[members] = rng.permutation(np.array(SECTORS, dtype=object))[: len(members)]
            band = int(rng.integers(1, _BANDS))
            size[members] = band + rng.integers(0, 2, size=len(members))
    out = []
    for p in participants:
        i = positions[p.id]
        extra = {"gender": str(gender[i]), "market": str(sector[i]), "companysize": str(size[i])}
        out.append(p.model_copy(update={"attributes": {**p.attributes, **extra}}))
    return out
