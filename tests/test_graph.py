"""The relationship graph: reporting lines, teams, history and earlier cohorts."""

from __future__ import annotations

from helpers import make_participant, participant_links
from peermatch.graph import relationship_graph
from peermatch.model import Facilitator, HistoryLink, Participant, ProblemData


def person(pid: str, manager: str | None = None) -> Participant:
    return make_participant(pid, organisation="Org", level=1, manager_id=manager)


def test_reporting_lines_are_followed_through_managers_outside_the_program() -> None:
    # c -> b -> a -> ext-boss (not a participant); d shares ext-boss with a.
    people = [person("a", "ext-boss"), person("b", "a"), person("c", "b"), person("d", "ext-boss")]
    pairs = participant_links(ProblemData(participants=people))
    assert pairs[("a", "b")] == ("reporting line (b reports to a)",)
    assert pairs[("a", "c")] == ("reporting line (c reports to a)",)  # transitive
    assert pairs[("a", "d")] == ("same line manager (ext-boss)",)  # team of an outsider
    assert ("b", "d") not in pairs


def test_history_reasons_name_their_source_and_facilitators_are_nodes() -> None:
    people = [person("a"), person("b"), person("c")]
    problem = ProblemData(
        participants=people,
        facilitators=[Facilitator(id="f", name="F", email="f@x.org")],
        history=[
            HistoryLink(a="a", b="b", relation="former colleagues"),
            HistoryLink(a="a", b="b", relation="earlier cohort C1", source="wave1/cohorts.csv"),
            HistoryLink(a="f", b="c", relation="former coach"),
        ],
    )
    graph = relationship_graph(problem)
    assert graph.nodes["f"]["kind"] == "facilitator"
    assert graph.edges["a", "b"]["reasons"] == (
        "earlier cohort C1 (wave1/cohorts.csv)",
        "former colleagues",
    )
    assert graph.has_edge("f", "c")
    assert ("c", "f") not in participant_links(problem)  # only participant pairs


def test_the_graph_is_built_once_per_problem_and_cannot_be_changed_by_a_caller() -> None:
    # Regression (issue 11): the checker, the summary and the report each built the graph
    # again, 15 s each at n = 100,000. A caller that adds edges must work on a copy.
    import networkx as nx
    import pytest

    first = ProblemData(participants=[person("a"), person("b", "a")])
    graph = relationship_graph(first)
    assert relationship_graph(first) is graph
    with pytest.raises(nx.NetworkXError):
        graph.add_edge("a", "z")
    other = ProblemData(participants=[person("a"), person("b")])  # equal ids, no reporting line
    assert not relationship_graph(other).has_edge("a", "b")
    assert relationship_graph(first).has_edge("a", "b")
