"""Locks and ``together`` requests: who must share a cohort, and whether they can.

A *group* is a set of people who must end up in one cohort: everyone
locked to one cohort id (locks.csv), joined with everyone a ``together``
pair (pairs.csv) links to them, transitively. A group carries the cohort id
it is locked to, if any. The solvers keep a group in one cohort (and two
groups locked to different ids in different cohorts); :func:`group_conflicts`
proves, before any search, that a group breaks a hard rule on its own, and
names the rule and the people, so that the organiser can fix the request.

No solver is needed here: this module is shared by the readers (which turn
conflicts into ``file:row:column`` messages), the solvers and the checker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from peermatch.model import ProblemData
from peermatch.rules import Rule
from peermatch.solution import cohort_ids

__all__ = ["Group", "GroupConflict", "cohort_names", "group_conflicts", "together_groups"]

#: How many names a message lists before saying "and N more".
_SHOWN = 12


@dataclass(frozen=True)
class Group:
    """People who must share one cohort.

    Attributes
    ----------
    members
        Participant ids, sorted.
    lock
        The cohort id the group is locked to, ``None`` when only ``together`` pairs bind it.
    locks, pairs
        Positions in ``problem.locks`` and ``problem.pairs`` of the rows that built it.
    """

    members: tuple[str, ...]
    lock: str | None
    locks: tuple[int, ...] = ()
    pairs: tuple[int, ...] = ()

    @property
    def first_row(self) -> tuple[str, int]:
        """``("lock" | "pair", position)`` of the first request that built the group."""
        return ("pair", self.pairs[0]) if not self.locks else ("lock", self.locks[0])


@dataclass(frozen=True)
class GroupConflict:
    """A group that breaks a hard rule whatever the solver does.

    ``rule`` is the :class:`~peermatch.rules.Rule` broken (``organisation``,
    ``level``, ``neutrality`` for a history pair or reporting line,
    ``availability``, ``size``, ``similarity``, ``lock`` for a group locked to
    two ids); the message names the program.toml key. ``entity``/``index``
    point at the locks.csv or pairs.csv row to blame.
    """

    rule: Rule
    message: str
    people: tuple[str, ...]
    entity: str
    index: int

    def __str__(self) -> str:
        return f"[{self.rule}] {self.message}"


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(ids[:_SHOWN])
    return shown + (f" and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else "")


def together_groups(problem: ProblemData) -> list[Group]:
    """Every group of two or more people, and every locked person (a group of one or more).

    Groups are returned sorted by their first member. A group that joins two
    different lock ids is returned with the first lock id; :func:`group_conflicts`
    reports it.
    """
    parent: dict[str, str] = {}

    def find(a: str) -> str:
        parent.setdefault(a, a)
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    known = problem.index
    by_lock: dict[str, list[str]] = defaultdict(list)
    for lock in problem.locks:
        if lock.participant_id in known:
            find(lock.participant_id)
            by_lock[lock.cohort_id].append(lock.participant_id)
    for ids in by_lock.values():
        for other in ids[1:]:
            union(ids[0], other)
    for pair in problem.pairs:
        if pair.rule == "together" and pair.a in known and pair.b in known:
            union(pair.a, pair.b)
    members: dict[str, list[str]] = defaultdict(list)
    for pid in parent:
        members[find(pid)].append(pid)
    lock_rows: dict[str, list[int]] = defaultdict(list)
    for r, lock in enumerate(problem.locks):
        if lock.participant_id in known:
            lock_rows[find(lock.participant_id)].append(r)
    pair_rows: dict[str, list[int]] = defaultdict(list)
    for r, pair in enumerate(problem.pairs):
        if pair.rule == "together" and pair.a in known and pair.b in known:
            pair_rows[find(pair.a)].append(r)
    groups = []
    for root, ids in members.items():
        rows = lock_rows.get(root, [])
        groups.append(
            Group(
                members=tuple(sorted(ids)),
                lock=problem.locks[rows[0]].cohort_id if rows else None,
                locks=tuple(rows),
                pairs=tuple(pair_rows.get(root, [])),
            )
        )
    return sorted(groups, key=lambda g: g.members[0])


def group_conflicts(
    problem: ProblemData, masks: Sequence[int] | None = None
) -> list[GroupConflict]:
    """Every hard rule a lock or ``together`` group breaks on its own.

    Parameters
    ----------
    problem
        The validated problem (locks and pairs naming participants).
    masks
        The participant bitmasks of the weekly slots (``compat.slot_table(problem).masks``);
        when given, a group that shares no slot is reported too.
    """
    from peermatch.graph import relationship_graph

    rules = problem.config.cohort
    graph = relationship_graph(problem)
    out: list[GroupConflict] = []
    for group in together_groups(problem):
        people = [problem.participants[problem.index[m]] for m in group.members]

        def add(rule: Rule, message: str, ids: Sequence[str], g: Group = group) -> None:
            ent, idx = g.first_row
            out.append(GroupConflict(rule, message, tuple(ids), ent, idx))

        lock_ids = sorted({problem.locks[r].cohort_id for r in group.locks})
        if len(lock_ids) > 1:
            add(
                Rule.LOCK,
                f"{_names(group.members)} must share a cohort (together pairs and locks), but are "
                f"locked to different cohorts: {', '.join(lock_ids)}",
                group.members,
            )
        what = "locked to cohort " + group.lock if group.lock else "asked to be together"
        if len(people) > rules.max_size:
            add(
                Rule.SIZE,
                f"{len(people)} people are {what} ({_names(group.members)}), more than "
                f"max_size = {rules.max_size}",
                group.members,
            )
        by_org: dict[str, list[str]] = defaultdict(list)
        for p in people:
            by_org[p.organisation].append(p.id)
        for org, ids in sorted(by_org.items()):
            if len(ids) > rules.max_per_organisation:
                add(
                    Rule.ORGANISATION,
                    f"{_names(ids)} are {what} but all work for {org} (max_per_organisation = "
                    f"{rules.max_per_organisation})",
                    ids,
                )
        lo = min(people, key=lambda p: p.level)
        hi = max(people, key=lambda p: p.level)
        if hi.level - lo.level > rules.max_level_gap:
            add(
                Rule.LEVEL,
                f"{lo.id} (level {lo.level}) and {hi.id} (level {hi.level}) are {what}, but their "
                f"levels differ by more than max_level_gap = {rules.max_level_gap}",
                (lo.id, hi.id),
            )
        for x, a in enumerate(group.members):
            for b in group.members[x + 1 :]:
                if graph.has_edge(a, b):
                    why = "; ".join(graph.edges[a, b]["reasons"])
                    add(
                        Rule.NEUTRALITY,
                        f"{a} and {b} are {what}, but must be kept apart: {why}",
                        (a, b),
                    )
        for attr in problem.config.similarity:
            values = {p.attribute(attr) for p in people}
            if len(values) > 1 or None in values:
                add(
                    Rule.SIMILARITY,
                    f"{_names(group.members)} are {what} but do not share one {attr}",
                    group.members,
                )
        if masks is not None:
            need = 0
            for m in group.members:
                need |= 1 << problem.index[m]
            if not any(mask & need == need for mask in masks):
                add(
                    Rule.AVAILABILITY,
                    f"{_names(group.members)} are {what} but share no weekly slot for every "
                    "session (availability, time zones, blackout dates)",
                    group.members,
                )
    return out


def cohort_names(problem: ProblemData, cohorts: Sequence[Sequence[str]]) -> list[str]:
    """Cohort ids for member lists: a locked cohort keeps its lock id, the others ``C01``...

    Generated ids skip the lock ids, so that no two cohorts share one.
    """
    lock_of = {lock.participant_id: lock.cohort_id for lock in problem.locks}
    taken = {lock.cohort_id for lock in problem.locks}
    fresh = cohort_ids(len(cohorts), taken)
    names = []
    for members in cohorts:
        locked = sorted({lock_of[m] for m in members if m in lock_of})
        if locked:
            names.append(locked[0])
            continue
        name = next(fresh)
        names.append(name)
    return names
