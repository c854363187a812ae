"""Drawing helpers for people's attributes.

Organisation sizes and names, availability-pattern weights, reporting lines,
shared history, level titles, e-mail slugs.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache

import numpy as np

from peermatch.availability import (
    Window,
    parse_availability,
)
from peermatch.generate.tables import (
    _INDUSTRY_SUFFIXES,
    _ORG_PREFIXES,
    _STYLES,
    LEVEL_TITLES,
    Difficulty,
)
from peermatch.model import (
    CohortRules,
)


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
