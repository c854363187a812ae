"""One rule vocabulary: every layer names a rule by the same :class:`Rule`."""

from __future__ import annotations

from peermatch.model import Participant, ProblemData
from peermatch.presolve import presolve_checks
from peermatch.rules import Diagnosis, Rule, format_diagnoses
from peermatch.violations import RULES


def test_the_checker_reports_every_rule_with_its_description() -> None:
    assert list(RULES) == list(Rule)
    assert all(RULES[rule] == rule.description and rule.description for rule in Rule)


def test_every_rule_has_a_diagnosis_phrase_with_one_placeholder() -> None:
    for rule in Rule:
        assert rule.phrase.count("{}") == 1, rule
        assert "p1" in rule.phrase.format("p1")


def test_pre_solve_diagnoses_are_typed_and_render_with_their_label() -> None:
    people = [
        Participant(id=f"p{i}", name="P", email="p@x.org", organisation=f"O{i}", level=1)
        for i in range(3)
    ]
    (found,) = presolve_checks(ProblemData(participants=people))
    assert found.rule is Rule.SIZE and found.people == ("p0", "p1", "p2")
    assert str(found).startswith("[size] there are 3 participants")


def test_joint_diagnoses_are_listed_under_one_heading_after_single_ones() -> None:
    text = format_diagnoses(
        [
            Diagnosis(
                Rule.NEUTRALITY, "keeping linked people apart: a-b", ("a", "b"), jointly=True
            ),
            Diagnosis(Rule.ORGANISATION, "Acme has 3 participants", organisations=("Acme",)),
            Diagnosis(None, "no rule could be named"),
        ]
    )
    assert text.splitlines() == [
        "[organisation] Acme has 3 participants",
        "no rule could be named",
        "these rules cannot all hold together:",
        "  - [neutrality] keeping linked people apart: a-b",
    ]
