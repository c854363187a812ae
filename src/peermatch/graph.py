"""The relationship graph: who must never share a cohort, and why.

Two people are *linked* (and kept apart) when

- one reports to the other, directly or through any chain of managers, even
  when a manager in the chain is not a participant of the program;
- they report to the same line manager (a team, whether or not that manager
  takes part);
- history.csv names them (former colleagues, client/supplier, ...), or an
  earlier cohorts.csv put them in the same cohort;
- pairs.csv asks for them to be kept ``apart``.

Facilitators are linked to people only through history.

The graph of the last problem asked for is kept (a frozen graph, keyed by the
problem object's identity: problems are immutable): the checker, the writer's
summary and the report each ask for it, and at n = 100,000 building it takes
15 s.
"""

from __future__ import annotations

from collections import defaultdict

import networkx as nx

from peermatch.model import ProblemData

__all__ = ["relationship_graph"]


_last: list[tuple[ProblemData, nx.Graph]] = []


def relationship_graph(problem: ProblemData) -> nx.Graph:
    """An undirected graph on participant and facilitator ids.

    Each edge carries ``reasons``: a sorted tuple of human-readable reasons.
    Every participant and facilitator is a node (``kind`` attribute), linked or not.
    The graph is frozen (``networkx.freeze``): copy it to add edges.
    """
    if _last and _last[0][0] is problem:
        return _last[0][1]
    graph = nx.freeze(_build(problem))
    _last[:] = [(problem, graph)]
    return graph


def _build(problem: ProblemData) -> nx.Graph:
    reasons: dict[tuple[str, str], set[str]] = defaultdict(set)

    def link(a: str, b: str, why: str) -> None:
        if a != b:
            reasons[(a, b) if a < b else (b, a)].add(why)

    manager = {p.id: p.manager_id for p in problem.participants if p.manager_id}
    in_program = set(problem.index)
    # Follow each chain upwards, through managers outside the program too; the
    # manager graph was checked acyclic among participants, but ids outside
    # the program cannot form cycles since they have no manager of their own.
    for pid in problem.index:
        seen = {pid}
        boss = manager.get(pid)
        while boss is not None and boss not in seen:
            seen.add(boss)
            if boss in in_program:
                link(pid, boss, f"reporting line ({pid} reports to {boss})")
            boss = manager.get(boss)
    teams: dict[str, list[str]] = defaultdict(list)
    for pid, boss in manager.items():
        teams[boss].append(pid)
    for boss, members in teams.items():
        members.sort()
        for i, a in enumerate(members):
            for b in members[i + 1 :]:
                link(a, b, f"same line manager ({boss})")
    for h in problem.history:
        link(h.a, h.b, h.relation if h.source == "history" else f"{h.relation} ({h.source})")
    for pair in problem.pairs:
        if pair.rule == "apart":
            link(pair.a, pair.b, "asked to be kept apart (pairs)")

    graph = nx.Graph()
    graph.add_nodes_from(sorted(problem.index), kind="participant")
    graph.add_nodes_from(sorted(problem.facilitator_index), kind="facilitator")
    for (a, b), why in sorted(reasons.items()):
        graph.add_edge(a, b, reasons=tuple(sorted(why)))
    return graph
