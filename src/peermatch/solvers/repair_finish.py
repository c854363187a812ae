"""Turn a repair's member lists into a :class:`~peermatch.solution.Solution`.

Earlier cohorts keep their id; those that keep their slot keep their
sessions exactly. Every other cohort gets the best slot its members and
facilitator share whose sessions overlap none of that facilitator's other
cohorts (kept cohorts are placed first, so they are never displaced). New
cohorts take their lock id when locked, else the next free ``C..`` id.
No solver is needed here.
"""

from __future__ import annotations

from collections.abc import Sequence

from peermatch.repair import PreviousRun
from peermatch.schedule import SessionTime, Slot, attends, session_times
from peermatch.solution import Cohort, Solution, cohort_ids
from peermatch.solvers.finish import candidate_slots
from peermatch.solvers.instance import FormationInstance

__all__ = ["finish_repair", "move_reasons"]


def _overlap(a: Sequence[SessionTime], b: Sequence[SessionTime]) -> bool:
    return any(x.start < y.end and y.start < x.end for x in a for y in b)


def _pick(
    inst: FormationInstance,
    members: Sequence[int],
    f: int | None,
    busy: Sequence[tuple[SessionTime, ...]],
) -> Slot | None:
    rules = inst.problem.config.schedule
    for everywhere in (False, True):
        for slot in candidate_slots(inst, members, f, everywhere=everywhere):
            sessions = session_times(rules, slot)
            if not any(_overlap(sessions, other) for other in busy):
                return slot
    return None


def _new_ids(inst: FormationInstance, previous: PreviousRun) -> tuple[set[str], dict[str, str]]:
    taken = {c.id for c in previous.cohorts} | {lock for lock in inst.group_locks if lock}
    lock_of = {
        inst.ids[i]: lock
        for g, lock in zip(inst.groups, inst.group_locks, strict=True)
        if lock
        for i in g
    }
    return taken, lock_of


def finish_repair(
    inst: FormationInstance,
    previous: PreviousRun,
    cohorts: Sequence[Sequence[int]],
    facilitators: Sequence[int | None],
    keep_slot: Sequence[bool],
) -> Solution:
    """The solution of a repair (model cohort ``k < m`` is earlier cohort ``k``)."""
    m = len(previous.cohorts)
    rules = inst.problem.config.schedule
    taken, lock_of = _new_ids(inst, previous)
    used = [k for k, c in enumerate(cohorts) if c]
    order = sorted(used, key=lambda k: (not (k < m and keep_slot[k]), k))
    busy: dict[int, list[tuple[SessionTime, ...]]] = {}
    fresh = cohort_ids(len(used), taken)
    out = []
    for k in order:
        members = sorted(cohorts[k], key=lambda i: inst.ids[i])
        f = facilitators[k] if inst.problem.facilitators else None
        if k < m and keep_slot[k]:
            slot = previous.cohorts[k].slot
        else:
            slot = _pick(inst, members, f, busy.get(f, []) if f is not None else [])
        sessions = session_times(rules, slot) if slot is not None else ()
        if f is not None:
            busy.setdefault(f, []).append(sessions)
        if k < m:
            cid = previous.cohorts[k].id
        else:
            locked = sorted({lock_of[inst.ids[i]] for i in members if inst.ids[i] in lock_of})
            cid = locked[0] if locked else next(fresh)
        out.append(
            Cohort(
                id=cid,
                members=tuple(inst.ids[i] for i in members),
                slot=slot,
                facilitator_id=None if f is None else inst.problem.facilitators[f].id,
                sessions=sessions,
            )
        )
    return Solution(cohorts=tuple(sorted(out, key=lambda c: c.id)))


def move_reasons(
    inst: FormationInstance, previous: PreviousRun, solution: Solution
) -> dict[str, str]:
    """Why each moved person left their earlier cohort, in the organiser's terms."""
    problem = inst.problem
    now = solution.cohort_of()
    alive = {c.id: c for c in solution.cohorts}
    out: dict[str, str] = {}
    for old in previous.cohorts:
        stayed = [pid for pid in old.members if pid in problem.index]
        gone = len(old.members) - len(stayed)
        for pid in stayed:
            if now.get(pid) == old.id:
                continue
            p = problem.participants[problem.index[pid]]
            if old.id not in alive:
                out[pid] = (
                    f"cohort {old.id} was dissolved: {gone} of its {len(old.members)} members left "
                    f"and the {len(stayed)} who remain cannot form a cohort of min_size = "
                    f"{inst.min_size} there within the rules"
                )
            elif old.sessions and not attends(
                problem.availability_of(p), problem.timezone_of(p), old.sessions
            ):
                out[pid] = (
                    f"can no longer attend the sessions of {old.id} (availability or time zone)"
                )
            else:
                out[pid] = (
                    f"moved so that every cohort keeps the rules (sizes, organisations, levels, "
                    f"history) after the changes to {old.id}"
                )
    return out
