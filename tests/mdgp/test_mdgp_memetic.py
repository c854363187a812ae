"""Tests of the memetic MDGP search: size vectors, group crossover, the search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mdgp_helpers import brute_force, instances, is_valid

from peermatch.mdgp.memetic import group_crossover, memetic_search
from peermatch.mdgp.moves import (
    assignment_objective,
    most_pairs_sizes,
    random_assignment_with_sizes,
    random_feasible_assignment,
)


def _all_size_vectors(n: int, lower: list[int], upper: list[int]) -> list[tuple[int, ...]]:
    ranges = [range(a, b + 1) for a, b in zip(lower, upper, strict=True)]
    return [v for v in itertools.product(*ranges) if sum(v) == n]


@settings(max_examples=40, deadline=None)
@given(instances(max_n=9), st.integers(0, 1000))
def test_most_pairs_sizes_is_the_enumerated_extreme(
    inst: tuple[np.ndarray, list[int], list[int]], seed: int
) -> None:
    d, lower, upper = inst
    n = d.shape[0]
    rng = np.random.default_rng(seed)
    vectors = _all_size_vectors(n, lower, upper)
    pairs = [sum(s * (s - 1) // 2 for s in v) for v in vectors]
    for fewest, target in ((False, max(pairs)), (True, min(pairs))):
        sizes = most_pairs_sizes(n, lower, upper, rng, fewest=fewest)
        assert tuple(sizes.tolist()) in vectors
        assert int((sizes * (sizes - 1) // 2).sum()) == target
        x = random_assignment_with_sizes(sizes, rng)
        assert np.array_equal(np.bincount(x, minlength=len(lower)), sizes)


def test_most_pairs_sizes_prefers_extremes_and_rejects_infeasible() -> None:
    rng = np.random.default_rng(0)
    # 12 elements in groups of 2..8: 8 + 2 + 2 (30 pairs) beats 4 + 4 + 4 (18).
    assert sorted(most_pairs_sizes(12, [2, 2, 2], [8, 8, 8], rng).tolist()) == [2, 2, 8]
    with pytest.raises(ValueError, match="admit no assignment"):
        most_pairs_sizes(5, [3, 3], [4, 4], rng)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=9), st.integers(0, 1000))
def test_group_crossover_gives_a_feasible_child(
    inst: tuple[np.ndarray, list[int], list[int]], seed: int
) -> None:
    d, lower, upper = inst
    n = d.shape[0]
    rng = np.random.default_rng(seed)
    parents = [random_feasible_assignment(n, lower, upper, rng) for _ in range(2)]
    child = group_crossover(d, parents, lower, upper, rng)
    assert is_valid(child, n, lower, upper)


def test_crossover_keeps_the_size_vector_the_parents_share() -> None:
    # Two parents with sizes 2, 6, 4 inside bounds 2..6: a completion that
    # only respects the bounds may put the leftover elements anywhere with
    # room; the child must keep the parents' common sizes instead.
    rng = np.random.default_rng(0)
    n, lower, upper = 12, [2, 2, 2], [6, 6, 6]
    sizes = np.array([2, 6, 4])
    for trial in range(30):
        d = np.triu(rng.random((n, n)) * 100, 1)
        d = d + d.T
        parents = [random_assignment_with_sizes(sizes, rng) for _ in range(2)]
        child = group_crossover(d, parents, lower, upper, rng)
        assert np.bincount(child, minlength=3).tolist() == sizes.tolist(), trial
        assert is_valid(child, n, lower, upper)


def test_crossover_of_identical_parents_keeps_their_partition() -> None:
    rng = np.random.default_rng(4)
    d = np.triu(rng.random((12, 12)) * 10, 1)
    d = d + d.T
    parent = random_feasible_assignment(12, [3, 3, 3], [5, 5, 5], rng)
    child = group_crossover(d, [parent, parent.copy()], [3, 3, 3], [5, 5, 5], rng)
    assert assignment_objective(d, child) == pytest.approx(assignment_objective(d, parent))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=8), st.integers(0, 1000))
def test_memetic_search_reaches_the_brute_force_optimum(
    inst: tuple[np.ndarray, list[int], list[int]], seed: int
) -> None:
    d, lower, upper = inst
    res = memetic_search(d, lower, upper, seed=seed, max_iterations=1500)
    assert is_valid(res.assignment, d.shape[0], lower, upper)
    assert res.objective == pytest.approx(assignment_objective(d, res.assignment))
    assert res.objective == pytest.approx(brute_force(d, lower, upper), abs=1e-6)


def test_memetic_search_is_deterministic_with_an_iteration_budget() -> None:
    rng = np.random.default_rng(5)
    d = np.triu(rng.random((40, 40)) * 100, 1)
    d = d + d.T
    lower, upper = [6, 8, 9, 5], [12, 10, 11, 14]
    runs = [memetic_search(d, lower, upper, seed=2, max_iterations=3000) for _ in range(2)]
    assert np.array_equal(runs[0].assignment, runs[1].assignment)
    assert runs[0].iterations == 3000
    assert is_valid(runs[0].assignment, 40, lower, upper)
    with pytest.raises(ValueError, match="limit"):
        memetic_search(d, lower, upper)


def test_memetic_search_on_degenerate_sizes_terminates() -> None:
    # One group, or one element: nothing to search; must not spin forever.
    d = np.ones((3, 3))
    res = memetic_search(d, [3], [3], max_iterations=100)
    assert res.assignment.tolist() == [0, 0, 0] and res.objective == pytest.approx(3.0)
    one = memetic_search(np.zeros((1, 1)), [0, 1], [1, 1], max_iterations=100)
    assert one.assignment.tolist() == [1] or one.assignment.tolist() == [0]


@pytest.mark.parametrize("seed", range(12))
def test_memetic_search_starts_on_a_most_pairs_size_vector(seed: int) -> None:
    # With every distance 1 the objective is the number of pairs, so the very
    # first start (a one-iteration budget leaves nothing else) must already
    # use the size vector with the most pairs; random size vectors, which a
    # quarter of the starts used before, fail this for some seeds.
    lower, upper = [2, 3, 1, 4], [6, 5, 7, 5]
    n = 17
    d = np.ones((n, n))
    np.fill_diagonal(d, 0.0)
    best = max(sum(s * (s - 1) // 2 for s in v) for v in _all_size_vectors(n, lower, upper))
    res = memetic_search(d, lower, upper, seed=seed, max_iterations=1)
    assert is_valid(res.assignment, n, lower, upper)
    assert res.objective == pytest.approx(best)


def test_memetic_search_tabu_options_override_the_documented_defaults() -> None:
    rng = np.random.default_rng(8)
    d = np.triu(rng.random((30, 30)) * 100, 1)
    d = d + d.T
    lower, upper = [5, 6, 4], [12, 9, 11]
    default = memetic_search(d, lower, upper, seed=3, max_iterations=2500)
    explicit = memetic_search(
        d,
        lower,
        upper,
        seed=3,
        max_iterations=2500,
        tabu_options={
            "stall_iterations": 8 * 30,
            "perturb_move_probability": 0.0,
            "restart_from_best": 1.0,
        },
    )
    assert np.array_equal(default.assignment, explicit.assignment)
    with pytest.raises(TypeError, match="no_such_option"):
        memetic_search(d, lower, upper, max_iterations=10, tabu_options={"no_such_option": 1})
