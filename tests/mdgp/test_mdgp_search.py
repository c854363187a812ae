"""Tests of the MDGP local search and its CP-SAT counterpart."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdgp_helpers import brute_force, instances, is_valid

from peermatch.mdgp.moves import assignment_objective, gain_matrix, random_feasible_assignment
from peermatch.mdgp.search import iterated_tabu_search
from peermatch.solvers.cpsat.mdgp import distance_scale, solve_mdgp_cpsat


def test_gain_matrix_and_objective() -> None:
    rng = np.random.default_rng(1)
    d = np.triu(rng.random((6, 6)), 1)
    d = d + d.T
    x = np.array([0, 1, 0, 2, 1, 2])
    gain = gain_matrix(d, x, 3)
    for i in range(6):
        for g in range(3):
            assert gain[i, g] == pytest.approx(sum(d[i, j] for j in range(6) if x[j] == g))
    expected = sum(d[i, j] for i in range(6) for j in range(i + 1, 6) if x[i] == x[j])
    assert assignment_objective(d, x) == pytest.approx(expected)


def test_random_feasible_assignment_respects_bounds() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        x = random_feasible_assignment(20, [2, 0, 5, 3], [8, 4, 6, 9], rng)
        assert is_valid(x, 20, [2, 0, 5, 3], [8, 4, 6, 9])
    with pytest.raises(ValueError):
        random_feasible_assignment(5, [3, 3], [4, 4], rng)


def test_search_requires_a_limit_and_valid_initial() -> None:
    d = np.ones((4, 4))
    with pytest.raises(ValueError, match="limit"):
        iterated_tabu_search(d, [2, 2], [2, 2])
    with pytest.raises(ValueError, match="initial"):
        iterated_tabu_search(d, [2, 2], [2, 2], max_iterations=5, initial=[0, 0, 0, 1])


def test_search_is_deterministic_and_improves() -> None:
    rng = np.random.default_rng(3)
    d = np.triu(rng.random((40, 40)) * 100, 1)
    d = d + d.T
    lower, upper = [6, 8, 9, 5], [12, 10, 11, 14]
    runs = [iterated_tabu_search(d, lower, upper, seed=11, max_iterations=800) for _ in range(2)]
    assert np.array_equal(runs[0].assignment, runs[1].assignment)
    assert runs[0].iterations == 800
    assert runs[0].restarts > 0
    start = random_feasible_assignment(40, lower, upper, np.random.default_rng(11))
    assert runs[0].objective > assignment_objective(d, start)
    assert is_valid(runs[0].assignment, 40, lower, upper)


def test_distance_scale() -> None:
    assert distance_scale(np.array([[0.0, 1.5], [1.5, 0.0]])) == (10, True)
    assert distance_scale(np.array([[0.0, 3.0], [3.0, 0.0]])) == (1, True)
    assert distance_scale(np.array([[0.0, 1 / 3], [1 / 3, 0.0]])) == (10**6, False)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=9), st.integers(0, 1000))
def test_search_returns_valid_partitions(
    inst: tuple[np.ndarray, list[int], list[int]], seed: int
) -> None:
    d, lower, upper = inst
    res = iterated_tabu_search(d, lower, upper, seed=seed, max_iterations=200)
    assert is_valid(res.assignment, d.shape[0], lower, upper)
    assert res.objective == pytest.approx(assignment_objective(d, res.assignment))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=8), st.integers(0, 1000))
def test_cpsat_optimum_dominates_search_and_matches_brute_force(
    inst: tuple[np.ndarray, list[int], list[int]], seed: int
) -> None:
    d, lower, upper = inst
    ls = iterated_tabu_search(d, lower, upper, seed=seed, max_iterations=200)
    cp = solve_mdgp_cpsat(d, lower, upper, time_limit=20.0, seed=seed, hint=ls.assignment)
    assert cp.optimal, cp.status
    assert cp.assignment is not None and cp.objective is not None
    assert is_valid(cp.assignment, d.shape[0], lower, upper)
    assert cp.objective == pytest.approx(assignment_objective(d, cp.assignment))
    assert cp.objective >= ls.objective - 1e-6
    assert cp.objective == pytest.approx(brute_force(d, lower, upper), abs=1e-6)
    assert cp.best_bound == pytest.approx(cp.objective, abs=1e-6)
    # Without a hint CP-SAT must reach the same optimum.
    cold = solve_mdgp_cpsat(d, lower, upper, time_limit=20.0, seed=seed)
    assert cold.objective == pytest.approx(cp.objective, abs=1e-6)
