"""Later waves: alumni meet new people, and a proof when they cannot.

A later wave reads the earlier waves' cohorts.csv (``--previous``): everyone
who shared a cohort there is linked, so no pair meets twice. Two things
follow here.

:func:`avoid_previous_organisations` (``--avoid-previous-organisations``)
also keeps an alumnus away from the organisations of their earlier
cohort-mates, so that they meet new organisations too.

:func:`spread_checks` and :func:`band_history_checks` are pre-solve proofs
in the organiser's terms. The members of an earlier cohort must all be in
different cohorts now, so there must be as many cohorts as the largest
earlier cohort has members here.
Someone at level ``l`` can only sit with people inside a band of
``max_level_gap + 1`` levels around ``l``. People who shared an earlier
cohort (or, with ``max_per_organisation = 1``, an organisation) can meet at
most one of each such group per cohort: when the people of every band
around ``l`` come from fewer such groups than ``min_size``, nobody at level
``l`` can be placed. This is what makes the second wave of
``data/examples`` impossible: its 12 participants at the top level can only
join cohorts of the top two levels, whose 36 people came from 6 cohorts of
the first wave, so a cohort there holds at most 6 people (min_size = 7).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import networkx as nx

from peermatch.graph import relationship_graph
from peermatch.model import HistoryLink, ProblemData
from peermatch.rules import Diagnosis, Rule, listed

__all__ = [
    "avoid_previous_organisations",
    "band_history_checks",
    "earlier_cohorts",
    "spread_checks",
    "wave_checks",
]

_PREFIX = "earlier cohort "


def earlier_cohorts(problem: ProblemData) -> dict[tuple[str, str], set[str]]:
    """Members of every earlier cohort read with ``--previous``, keyed by (file, cohort id)."""
    out: dict[tuple[str, str], set[str]] = defaultdict(set)
    for link in problem.history:
        if link.source != "history" and link.relation.startswith(_PREFIX):
            key = (link.source, link.relation[len(_PREFIX) :])
            out[key].update((link.a, link.b))
    return dict(out)


def avoid_previous_organisations(problem: ProblemData) -> ProblemData:
    """A copy in which alumni never share a cohort with their earlier cohort-mates' organisations.

    For each earlier cohort-mate ``b`` of ``a``, ``a`` is linked to every
    participant of ``b``'s organisation (``relation``: ``organisation of
    earlier cohort-mate b``). Returns ``problem`` itself when it has no earlier cohorts.
    """
    groups = earlier_cohorts(problem)
    if not groups:
        return problem
    people = {p.id: p for p in problem.participants}
    by_org: dict[str, list[str]] = defaultdict(list)
    for p in problem.participants:
        by_org[p.organisation].append(p.id)
    seen: set[tuple[str, str]] = set()
    links: list[HistoryLink] = []
    for (source, _), members in sorted(groups.items()):
        alumni = sorted(m for m in members if m in people)
        for a in alumni:
            for b in alumni:
                if a == b:
                    continue
                for c in by_org[people[b].organisation]:
                    pair = (min(a, c), max(a, c))
                    if (
                        c != a
                        and pair not in seen
                        and people[c].organisation != people[a].organisation
                    ):
                        seen.add(pair)
                        why = f"organisation of earlier cohort-mate {b}"
                        links.append(HistoryLink(a=a, b=c, relation=why, source=source))
    return problem.replace(history=problem.history + tuple(links))


def _cliques(
    ids: Sequence[str], seeds: dict[str, set[str]], graph: object
) -> list[tuple[str, list[str]]]:
    """A partition of ``ids`` into named groups of mutually linked people, earlier cohorts first.

    Any such partition bounds a cohort drawn from ``ids``: it holds at most
    one person of each group.
    """
    left = set(ids)
    out: list[tuple[str, list[str]]] = []
    for name, seed in sorted(seeds.items(), key=lambda kv: (-len(kv[1] & left), kv[0])):
        group = sorted(seed & left)
        if group:
            out.append((name, group))
            left -= set(group)
    for pid in sorted(left):
        for _, group in out:
            if all(graph.has_edge(pid, other) for other in group):  # type: ignore[attr-defined]
                group.append(pid)
                break
        else:
            out.append((pid, [pid]))
    return out


def band_history_checks(problem: ProblemData) -> list[Diagnosis]:
    """Levels whose people cannot be placed because their bands hold too few groups.

    Returns
    -------
    list of Diagnosis
        One per level that fails, under :attr:`Rule.NEUTRALITY` (people who
        share history are kept apart).
    """
    rules = problem.config.cohort
    gap, need = rules.max_level_gap, rules.min_size
    known = set(problem.index)
    groups = {cid: m & known for (_, cid), m in earlier_cohorts(problem).items()}
    if not groups:
        return []
    graph = nx.Graph(relationship_graph(problem))  # a copy: edges are added below
    if rules.max_per_organisation == 1:
        by_org: dict[str, list[str]] = defaultdict(list)
        for p in problem.participants:
            by_org[p.organisation].append(p.id)
        for ids in by_org.values():
            graph.add_edges_from((a, b) for a in ids for b in ids if a < b)
    levels = sorted({p.level for p in problem.participants})
    out = []
    for level in levels:
        best: list[tuple[str, list[str]]] = []
        band = (level, level)
        for low in range(max(1, level - gap), level + 1):
            ids = [p.id for p in problem.participants if low <= p.level <= low + gap]
            found = _cliques(ids, groups, graph)
            if len(found) > len(best):
                best, band = found, (low, min(low + gap, levels[-1]))
        if len(best) >= need:
            continue
        ids = [p.id for p in problem.participants if p.level == level]
        why = _kept_apart(level, gap, band, best, need)
        out.append(Diagnosis.naming(Rule.NEUTRALITY, f"{len(ids)} participants {why}", ids))
    return out


def _kept_apart(
    level: int, gap: int, band: tuple[int, int], best: list[tuple[str, list[str]]], need: int
) -> str:
    """Why nobody at ``level`` can be placed: the largest set of mutually apart groups is too small."""
    names = sorted(name for name, _ in best)
    return (
        f"at level {level} can only share a cohort with people "
        f"within {gap} level(s) of theirs (max_level_gap); the {sum(len(g) for _, g in best)} "
        f"people at levels {band[0]}..{band[1]} come from {len(best)} groups who must be "
        f"kept apart (earlier cohorts, history pairs, organisations: {listed(names)}), so a "
        f"cohort there holds at most {len(best)} people, fewer than min_size = {need}; "
        f"nobody at level {level} can be placed"
    )


def spread_checks(problem: ProblemData) -> list[Diagnosis]:
    """Earlier cohorts with more members here than the program can have cohorts.

    The members of an earlier cohort must all be in different cohorts now,
    but ``n`` people make at most ``n // min_size`` cohorts.
    """
    n, need = len(problem.participants), problem.config.cohort.min_size
    most = n // need
    out = []
    for (source, cid), members in sorted(earlier_cohorts(problem).items()):
        here = sorted(members & set(problem.index))
        if len(here) > most:
            why = (
                f"the {len(here)} members of earlier cohort {cid} ({source}) must now all be in "
                f"different cohorts, but {n} participants make at most {most} cohorts of "
                f"min_size = {need}"
            )
            out.append(Diagnosis.naming(Rule.NEUTRALITY, why, here))
    return out


def wave_checks(problem: ProblemData) -> list[Diagnosis]:
    """Every proof of this module: :func:`spread_checks`, then :func:`band_history_checks`."""
    return spread_checks(problem) + band_history_checks(problem)
