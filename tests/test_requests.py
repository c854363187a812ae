"""Locks (locks.csv) and pair requests (pairs.csv): reading, pre-checks, solving, checking."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.errors import InputError
from peermatch.generate import generate_population
from peermatch.io import InputWarning, read_problem
from peermatch.io.readers import read_locks, read_pairs
from peermatch.model import Lock, PairRequest
from peermatch.requests import cohort_names, group_conflicts, together_groups
from peermatch.solution import Solution
from peermatch.solvers.cpsat import solve
from peermatch.violations import violations


def _people(write_file: Callable[..., Path], n: int = 16, **kw: object) -> Path:
    return write_file("p.csv", [PARTICIPANT_HEADER, *participant_lines(n, **kw)])  # type: ignore[arg-type]


# --- reading ---------------------------------------------------------------------------


def test_header_only_files_add_nothing(write_file: Callable[..., Path]) -> None:
    locks = write_file("locks.csv", "participant_id,cohort_id\n")
    pairs = write_file("pairs.csv", "person_a,person_b,rule\n")
    with pytest.warns(InputWarning, match="nothing to add"):
        problem = read_problem(_people(write_file), locks=locks, pairs=pairs)
    assert problem.locks == () and problem.pairs == ()
    with pytest.warns(InputWarning):
        assert read_locks(locks) == () and read_pairs(pairs) == ()


def test_rows_are_read_with_aliases_and_any_case(write_file: Callable[..., Path]) -> None:
    locks = write_file("locks.csv", "Participant ID,Cohort\np1,Alpha\np2,Alpha\n")
    pairs = write_file("pairs.csv", "a,b,Rule\np3,p4,Together\np5,p6,APART\n")
    problem = read_problem(_people(write_file), locks=locks, pairs=pairs)
    assert problem.locks == (
        Lock(participant_id="p1", cohort_id="Alpha"),
        Lock(participant_id="p2", cohort_id="Alpha"),
    )
    assert problem.pairs == (
        PairRequest(a="p3", b="p4", rule="together"),
        PairRequest(a="p5", b="p6", rule="apart"),
    )
    groups = together_groups(problem)
    assert [(g.members, g.lock) for g in groups] == [(("p1", "p2"), "Alpha"), (("p3", "p4"), None)]


def test_bad_rows_are_reported_on_their_row(write_file: Callable[..., Path]) -> None:
    locks = write_file("locks.csv", "participant_id,cohort_id\np1,A\nzz,A\np1,B\np2,\n")
    pairs = write_file(
        "pairs.csv", "person_a,person_b,rule\np1,p1,apart\np2,p3,maybe\np4,qq,together\n"
    )
    with pytest.raises(InputError) as info:
        read_problem(_people(write_file), locks=locks, pairs=pairs)
    text = [str(p) for p in info.value.problems]
    assert any(t.startswith(f"{locks}:3:participant_id:") and "'zz'" in t for t in text)
    assert any(t.startswith(f"{locks}:4:cohort_id:") and "one cohort" in t for t in text)
    assert any(t.startswith(f"{locks}:5:cohort_id:") and "blank" in t for t in text)
    assert any(t.startswith(f"{pairs}:2:person_b:") and "twice" in t for t in text)
    assert any(t.startswith(f"{pairs}:3:rule:") and "maybe" in t for t in text)
    assert any(t.startswith(f"{pairs}:4:person_b:") and "'qq'" in t for t in text)


# --- requests that break a hard rule ------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "locks", "rule", "who"),
    [
        # Two locked people of one organisation (16 people in 8 organisations).
        ({"orgs": 8}, "p0,A\np8,A\n", "organisation", ("p0", "p8")),
        # More locked people than max_size = 12.
        ({}, "".join(f"p{i},A\n" for i in range(13)), "size", ("p0", "p12")),
    ],
)
def test_a_lock_breaking_a_rule_is_an_input_error(
    write_file: Callable[..., Path],
    lines: dict[str, object],
    locks: str,
    rule: str,
    who: tuple[str, ...],
) -> None:
    path = write_file("locks.csv", "participant_id,cohort_id\n" + locks)
    with pytest.raises(InputError) as info:
        read_problem(_people(write_file, **lines), locks=path)
    (problem,) = info.value.problems
    assert problem.file == str(path) and problem.row == 2
    assert f"[{rule}]" in problem.message and all(w in problem.message for w in who)


def test_level_gap_history_and_slot_conflicts_are_named(write_file: Callable[..., Path]) -> None:
    lines = participant_lines(16)
    lines[0] = lines[0].replace(",2,", ",4,", 1)  # p0 at level 4, everyone else at 2
    lines[5] = lines[5].replace("Mon-Fri 09:00-17:00", "Sat 09:00-13:00")  # p5 only on Saturdays
    people = write_file("p.csv", [PARTICIPANT_HEADER, *lines])
    history = write_file("h.csv", "person_a,person_b,relation\np2,p3,former colleagues\n")
    pairs = write_file(
        "pairs.csv",
        "person_a,person_b,rule\np0,p1,together\np2,p4,together\np4,p3,together\np5,p6,together\n",
    )
    with pytest.raises(InputError) as info:
        read_problem(people, history=history, pairs=pairs)
    by_row = {p.row: p.message for p in info.value.problems}
    assert "[level]" in by_row[2] and "p0" in by_row[2]
    # The chain p2-p4-p3 merges into one group holding a history pair.
    assert (
        "[neutrality]" in by_row[3]
        and "p2 and p3" in by_row[3]
        and "former colleagues" in by_row[3]
    )
    assert "[availability]" in by_row[5] and "p5" in by_row[5]


def test_two_locks_joined_by_a_together_pair_conflict(write_file: Callable[..., Path]) -> None:
    locks = write_file("locks.csv", "participant_id,cohort_id\np1,A\np2,B\n")
    pairs = write_file("pairs.csv", "person_a,person_b,rule\np1,p2,together\n")
    with pytest.raises(InputError) as info:
        read_problem(_people(write_file), locks=locks, pairs=pairs)
    assert any("[lock]" in p.message and "A, B" in p.message for p in info.value.problems)


def test_group_conflicts_of_a_sound_request_are_empty() -> None:
    pop = generate_population(48, 3, planted=True, facilitators=False)
    assert pop.planted is not None
    first = pop.planted.cohorts[0].members
    problem = pop.problem.replace(locks=tuple(Lock(participant_id=m, cohort_id="X") for m in first))
    assert group_conflicts(problem) == []


# --- naming and checking -------------------------------------------------------------------


def test_cohort_names_keep_lock_ids_and_skip_them() -> None:
    pop = generate_population(48, 3, planted=True, facilitators=False)
    ids = [p.id for p in pop.problem.participants]
    problem = pop.problem.replace(locks=(Lock(participant_id=ids[5], cohort_id="C01"),))
    names = cohort_names(problem, [ids[:4], ids[4:8], ids[8:12]])
    assert names == ["C02", "C01", "C03"]


def test_violations_report_broken_locks_and_together_pairs() -> None:
    pop = generate_population(48, 3, planted=True, facilitators=False)
    assert pop.planted is not None
    sol = pop.planted
    a, b = sol.cohorts[0].members[0], sol.cohorts[1].members[0]
    problem = pop.problem.replace(
        locks=(Lock(participant_id=a, cohort_id="nowhere"),),
        pairs=(PairRequest(a=a, b=b, rule="together"), PairRequest(a=a, b=b, rule="apart")),
    )
    rules = {v.rule for v in violations(problem, sol)}
    assert {"lock", "together"} <= rules
    # An apart pair is a link: breaking it is a neutrality violation.
    c = sol.cohorts[0].members[1]
    apart = pop.problem.replace(pairs=(PairRequest(a=a, b=c, rule="apart"),))
    assert {v.rule for v in violations(apart, sol)} == {"neutrality"}
    assert list(violations(pop.problem, sol)) == []


# --- solving ---------------------------------------------------------------------------


def _honoured(problem_locks: list[Lock], pairs: list[PairRequest], sol: Solution) -> None:
    where = sol.cohort_of()
    for lock in problem_locks:
        assert where[lock.participant_id] == lock.cohort_id
    for pair in pairs:
        same = where[pair.a] == where[pair.b]
        assert same if pair.rule == "together" else not same


def test_solve_honours_locks_and_pairs() -> None:
    pop = generate_population(48, 3, planted=True, facilitators=False)
    assert pop.planted is not None
    c0, c1, c2 = (c.members for c in pop.planted.cohorts[:3])
    locks = [Lock(participant_id=m, cohort_id="Alpha") for m in c0[:3]]
    locks += [Lock(participant_id=c1[0], cohort_id="C01")]
    pairs = [
        PairRequest(a=c2[0], b=c2[1], rule="together"),
        PairRequest(a=c2[1], b=c2[2], rule="together"),
        PairRequest(a=c0[0], b=c0[4], rule="apart"),
    ]
    problem = pop.problem.replace(locks=tuple(locks), pairs=tuple(pairs))
    result = solve(problem, problem.config.solver.params().replace(time_limit=2, seed=1))
    assert result.solution is not None
    assert list(violations(problem, result.solution)) == []
    _honoured(locks, pairs, result.solution)
    assert len({c.id for c in result.solution.cohorts}) == len(result.solution.cohorts)


def test_example_run_with_locks_and_pairs(tmp_path: Path, examples_dir: Path) -> None:
    """120 people: the neighbourhood-search path keeps groups whole too."""
    locks = tmp_path / "locks.csv"
    locks.write_text("participant_id,cohort_id\nP001,Alpha\nP035,Alpha\nP003,Beta\n")
    pairs = tmp_path / "pairs.csv"
    pairs.write_text(
        "person_a,person_b,rule\nP002,P040,together\nP003,P015,apart\nP049,P116,together\n"
    )
    out = tmp_path / "out"
    args = [
        "run", examples_dir / "participants.csv",
        "--history", examples_dir / "history.csv",
        "--facilitators", examples_dir / "facilitators.csv",
        "--config", examples_dir / "program.toml",
        "--locks", locks, "--pairs", pairs,
        "--out", out, "--time-limit", "3", "--quiet", "--deterministic",
    ]  # fmt: skip
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 0, result.output
    rows = [line.split(",")[:2] for line in (out / "cohorts.csv").read_text().splitlines()[1:]]
    where = {pid: cid for cid, pid in rows}
    assert where["P001"] == where["P035"] == "Alpha" and where["P003"] == "Beta"
    assert where["P002"] == where["P040"] and where["P049"] == where["P116"]
    assert where["P003"] != where["P015"]


def test_validate_rejects_a_breaking_pair_naming_the_rule(
    tmp_path: Path, examples_dir: Path
) -> None:
    pairs = tmp_path / "pairs.csv"
    pairs.write_text("person_a,person_b,rule\nP095,P031,together\n")
    args = [
        "validate", examples_dir / "participants.csv",
        "--history", examples_dir / "history.csv",
        "--facilitators", examples_dir / "facilitators.csv",
        "--config", examples_dir / "program.toml",
        "--pairs", pairs,
    ]  # fmt: skip
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert result.exit_code == 1
    assert f"{pairs}:2:person_a: [neutrality] P031 and P095" in result.stderr
    assert "Traceback" not in result.output
