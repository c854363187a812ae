"""Later waves: no pair meets twice, alumni avoid earlier mates' organisations, proofs of infeasibility."""

from __future__ import annotations

import csv
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

from click.testing import CliRunner

from helpers import PARTICIPANT_HEADER, participant_lines
from peermatch.cli import main
from peermatch.io import read_problem
from peermatch.presolve import presolve_checks
from peermatch.rules import Rule
from peermatch.waves import avoid_previous_organisations, band_history_checks, spread_checks


def _invoke(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _cohorts(out: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    with (out / "cohorts.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            found.setdefault(row["cohort_id"], []).append(row["participant_id"])
    return found


def _pairs(cohorts: dict[str, list[str]]) -> set[frozenset[str]]:
    return {frozenset(p) for ms in cohorts.values() for p in combinations(ms, 2)}


def _renamed(lines: list[str], prefix: str) -> list[str]:
    return [
        line.replace("p", prefix, 1).replace("@example.org,Org ", f"@example.org,Org {prefix}")
        for line in lines
    ]


def test_second_wave_with_alumni_and_newcomers_has_no_pair_in_common(
    write_file: Callable[..., Path], tmp_path: Path
) -> None:
    first = write_file("wave1.csv", [PARTICIPANT_HEADER, *participant_lines(40)])
    out1 = tmp_path / "wave1"
    code, text = _invoke("run", first, "--out", out1, "--time-limit", "2", "-q")
    assert code == 0, text
    alumni = participant_lines(40)[8:]  # 8 people left
    # 32 alumni from 5 earlier cohorts of 8 need 8 cohorts now (the largest keeps 8 people
    # who must all part): 24 newcomers make 56 people, enough for 8 cohorts of 7.
    newcomers = _renamed(participant_lines(24), "n")
    second = write_file("wave2.csv", [PARTICIPANT_HEADER, *alumni, *newcomers])
    out2 = tmp_path / "wave2"
    code, text = _invoke(
        "run", second, "--previous", out1 / "cohorts.csv", "--out", out2, "--time-limit", "2", "-q"
    )
    assert code == 0, text
    wave1, wave2 = _cohorts(out1), _cohorts(out2)
    assert sum(len(m) for m in wave2.values()) == 56
    assert not _pairs(wave1) & _pairs(wave2)
    # Alumni do meet one another (the rule is about pairs, not about people).
    assert any(sum(m.startswith("p") for m in ms) >= 2 for ms in wave2.values())


def test_alumni_can_be_kept_from_earlier_mates_organisations(
    write_file: Callable[..., Path], tmp_path: Path
) -> None:
    people = write_file("p.csv", [PARTICIPANT_HEADER, *participant_lines(48, orgs=24)])
    out1 = tmp_path / "wave1"
    assert _invoke("run", people, "--out", out1, "--time-limit", "2", "-q")[0] == 0
    previous = out1 / "cohorts.csv"
    # The same 48 could not meet again at all (6 earlier cohorts of 8, at most 6 cohorts now):
    # 16 alumni continue with 40 newcomers.
    alumni = participant_lines(48, orgs=24)[:16]
    second = write_file(
        "wave2.csv", [PARTICIPANT_HEADER, *alumni, *_renamed(participant_lines(40), "n")]
    )
    problem = read_problem(second, previous=[previous])
    stricter = avoid_previous_organisations(problem)
    assert any(
        h.relation.startswith("organisation of earlier cohort-mate") for h in stricter.history
    )
    out2 = tmp_path / "wave2"
    code, text = _invoke(
        "run", second, "--previous", previous, "--avoid-previous-organisations",
        "--out", out2, "--time-limit", "3", "-q",
    )  # fmt: skip
    assert code == 0, text
    org = {p.id: p.organisation for p in read_problem(second).participants}
    mates_orgs = {
        m: {org[x] for x in ms if x != m and x in org} for ms in _cohorts(out1).values() for m in ms
    }
    for ms in _cohorts(out2).values():
        for a in ms:
            assert not mates_orgs.get(a, set()) & {org[b] for b in ms if b != a}, a
    assert not _pairs(_cohorts(out1)) & _pairs(_cohorts(out2))


def test_a_level_whose_band_holds_too_few_earlier_cohorts_is_proven_infeasible(
    write_file: Callable[..., Path],
) -> None:
    low = participant_lines(20, level=1)
    high = _renamed(participant_lines(8, level=3), "s")  # level 3 meets only level 2..4: themselves
    people = write_file("p.csv", [PARTICIPANT_HEADER, *low, *high])
    earlier = ["cohort_id,participant_id"] + [f"{'A' if i < 4 else 'B'},s{i}" for i in range(8)]
    previous = write_file("cohorts.csv", earlier)
    problem = read_problem(people, previous=[previous])
    (found,) = band_history_checks(problem)
    message, ids = found.message, found.people
    assert found.rule == Rule.NEUTRALITY and set(ids) == {f"s{i}" for i in range(8)}
    assert "come from 2 groups" in message and "A, B" in message and "min_size = 7" in message
    assert [d.rule for d in presolve_checks(problem)] == [Rule.NEUTRALITY]
    # Without the earlier wave the same people are fine.
    assert spread_checks(problem) == []
    assert band_history_checks(read_problem(people)) == []
    code, text = _invoke("validate", people, "--previous", previous)
    assert code == 3 and "[neutrality]" in text


def test_an_earlier_cohort_larger_than_the_cohorts_possible_is_named(
    write_file: Callable[..., Path],
) -> None:
    people = write_file("p.csv", [PARTICIPANT_HEADER, *participant_lines(48)])
    previous = write_file(
        "cohorts.csv", ["cohort_id,participant_id"] + [f"C1,p{i}" for i in range(8)]
    )
    (found,) = spread_checks(read_problem(people, previous=[previous]))
    assert (
        "8 members of earlier cohort C1" in found.message and "at most 6 cohorts" in found.message
    )
