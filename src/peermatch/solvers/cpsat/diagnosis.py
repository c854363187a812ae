"""Why no cohorts exist: CP-SAT's infeasible core, in the organiser's terms.

The diagnosis model enforces every rule instance (per rule family, or per
organisation, person, pair or facilitator) by an assumption literal; when
CP-SAT proves it infeasible, its sufficient set of assumptions names the
rules and the people involved, one :class:`~peermatch.rules.Diagnosis` per
:class:`~peermatch.rules.Rule`.
"""

from __future__ import annotations

from ortools.sat.python import cp_model

from peermatch.rules import Diagnosis, Rule
from peermatch.solvers.cpsat import interrupt
from peermatch.solvers.cpsat.model import FormationModel
from peermatch.solvers.cpsat.parameters import cp_solver
from peermatch.solvers.instance import FormationInstance

__all__ = ["diagnose"]


def diagnose(inst: FormationInstance, time_limit: float, seed: int = 0) -> list[Diagnosis]:
    """Name the rules (and people or organisations) that together admit no cohorts.

    Every rule instance gets an assumption literal; CP-SAT's sufficient set of
    assumptions for infeasibility is then translated into the organiser's terms:
    one :class:`~peermatch.rules.Diagnosis` per rule, reported ``jointly``.
    """
    fm = FormationModel(inst, inst.max_cohorts, diagnose=True)
    solver = cp_solver(time_limit, seed, 1, True)
    code = interrupt.run(solver, fm.model)
    if code != cp_model.INFEASIBLE:
        return [
            Diagnosis(
                None,
                "no cohorts were found, but the rules could not be proven to conflict "
                "within the time limit",
            )
        ]
    core = solver.sufficient_assumptions_for_infeasibility()
    by_index = {var.index: key for key, var in fm.literals.items()}
    keys: dict[Rule, list[object]] = {}
    for idx in core:
        rule, key = by_index[idx]
        keys.setdefault(rule, []).append(key)
    return [_diagnosis(inst, rule, found) for rule, found in sorted(keys.items())]


def _diagnosis(inst: FormationInstance, rule: Rule, keys: list[object]) -> Diagnosis:
    """One rule of an infeasible core, with the people or organisations its literals name."""
    names = sorted({_name(inst, rule, key) for key in keys})
    shown = ", ".join(names[:12]) + (" ..." if len(names) > 12 else "")
    people: list[str] = []
    organisations: list[str] = []
    for key in keys:
        if rule == Rule.ORGANISATION and isinstance(key, int):
            organisations.append(inst.org_names[key])
        elif rule == Rule.NEUTRALITY and isinstance(key, tuple):
            people += [inst.ids[key[0]], inst.ids[key[1]]]
        elif rule in (Rule.LEVEL, Rule.AVAILABILITY) and isinstance(key, int):
            people.append(inst.ids[key])
        elif rule in (Rule.TOGETHER, Rule.LOCK) and isinstance(key, int):
            people += [inst.ids[i] for i in inst.groups[key]]
        elif rule == Rule.FACILITATOR and isinstance(key, int):
            people.append(inst.problem.facilitators[key].id)
        else:
            people += _placement_people(inst, rule, key)
    return Diagnosis(
        rule,
        rule.phrase.format(shown),
        tuple(sorted(set(people))),
        tuple(sorted(set(organisations))),
        jointly=True,
    )


def _name(inst: FormationInstance, rule: Rule, key: object) -> str:
    if rule == Rule.ORGANISATION and isinstance(key, int):
        return inst.org_names[key]
    if rule == Rule.NEUTRALITY and isinstance(key, tuple):
        return f"{inst.ids[key[0]]}-{inst.ids[key[1]]}"
    if rule in (Rule.LEVEL, Rule.AVAILABILITY) and isinstance(key, int):
        return inst.ids[key]
    if rule == Rule.SIMILARITY and isinstance(key, int):
        return inst.problem.config.similarity[key]
    if rule in (Rule.TOGETHER, Rule.LOCK) and isinstance(key, int):
        return "+".join(inst.ids[i] for i in inst.groups[key])
    if rule == Rule.FACILITATOR and isinstance(key, int):
        return inst.problem.facilitators[key].id
    return _placement_name(inst, rule, key) or str(key)


def _placement_name(inst: FormationInstance, rule: Rule, key: object) -> str | None:
    """``industry Banking`` (limits, presence), ``role`` (required), a person (closeness)."""
    rules = inst.placement
    if rule in (Rule.LIMITS, Rule.PRESENCE) and isinstance(key, tuple):
        family = rules.limits if rule == Rule.LIMITS else rules.presence
        r, value = key
        return f"{family[r].column} {family[r].names[value]}"
    if rule == Rule.REQUIRED and isinstance(key, int):
        req = rules.required[key]
        return f"{req.column} {' or '.join(req.wanted)}"
    if rule == Rule.CLOSENESS and isinstance(key, tuple):
        r, i = key
        return f"{inst.ids[i]} ({rules.closeness[r].column} {rules.closeness[r].numbers[i]:g})"
    return None


def _placement_people(inst: FormationInstance, rule: Rule, key: object) -> list[str]:
    """The people a placement rule's literal concerns: a value's or rule's holders, a person."""
    rules = inst.placement
    if rule in (Rule.LIMITS, Rule.PRESENCE) and isinstance(key, tuple):
        family = rules.limits if rule == Rule.LIMITS else rules.presence
        r, value = key
        return [inst.ids[i] for i, v in enumerate(family[r].values) if v == value]
    if rule == Rule.REQUIRED and isinstance(key, int):
        return [inst.ids[i] for i, h in enumerate(rules.required[key].holds) if h]
    if rule == Rule.CLOSENESS and isinstance(key, tuple):
        return [inst.ids[key[1]]]
    return []
