"""Tests of the island search: independent MDGP searches on worker processes."""

from __future__ import annotations

import numpy as np
import pytest
from mdgp_helpers import is_valid

from peermatch.mdgp import read_mdgp, solve_mdgp
from peermatch.mdgp.bks import default_mdgp_dir
from peermatch.mdgp.islands import _best_of, island_search, island_seeds
from peermatch.mdgp.memetic import memetic_search
from peermatch.mdgp.moves import assignment_objective
from peermatch.mdgp.search import SearchResult

LOWER, UPPER = [6, 8, 9, 7], [12, 11, 14, 10]


@pytest.fixture(scope="module")
def dist() -> np.ndarray:
    rng = np.random.default_rng(7)
    d = np.triu(np.round(rng.random((40, 40)) * 100, 3), 1)
    return d + d.T


def test_island_seeds_start_with_the_callers_and_are_distinct() -> None:
    seeds = island_seeds(11, 6)
    assert seeds[0] == 11
    assert len(set(seeds)) == 6
    assert seeds == island_seeds(11, 6)
    assert island_seeds(11, 3) == seeds[:3]
    assert island_seeds(12, 6)[1:] != seeds[1:]


def test_one_worker_is_the_plain_memetic_search(dist: np.ndarray) -> None:
    alone = memetic_search(dist, LOWER, UPPER, seed=3, max_iterations=1500)
    island = island_search(dist, LOWER, UPPER, workers=1, seed=3, max_iterations=1500)
    assert np.array_equal(alone.assignment, island.assignment)
    assert island.objective == pytest.approx(alone.objective)


def test_two_islands_are_reproducible_and_never_worse_than_island_zero(dist: np.ndarray) -> None:
    alone = memetic_search(dist, LOWER, UPPER, seed=5, max_iterations=1500)
    runs = [
        island_search(dist, LOWER, UPPER, workers=2, seed=5, max_iterations=1500) for _ in range(2)
    ]
    assert np.array_equal(runs[0].assignment, runs[1].assignment)
    best = runs[0]
    assert is_valid(best.assignment, 40, LOWER, UPPER)
    assert best.objective == pytest.approx(assignment_objective(dist, best.assignment))
    assert best.objective >= alone.objective - 1e-9
    # Both islands ran their whole budget, and their counts were added up.
    assert best.iterations == 2 * 1500


def test_the_time_limit_bounds_the_whole_call(dist: np.ndarray) -> None:
    res = island_search(dist, LOWER, UPPER, workers=2, seed=0, time_limit=1.0)
    assert is_valid(res.assignment, 40, LOWER, UPPER)
    assert res.runtime_s < 1.0 + 2.0  # generous: a worker's exit and a loaded CI machine


def test_best_of_skips_lost_islands_and_breaks_ties_by_island(dist: np.ndarray) -> None:
    rng = np.random.default_rng(0)
    found = memetic_search(dist, LOWER, UPPER, seed=1, max_iterations=200)
    a = SearchResult(found.assignment, found.objective, 1, 0, 0.0)
    same_value = SearchResult(a.assignment.copy(), a.objective, 1, 0, 0.0)
    worse = SearchResult(rng.permutation(a.assignment), 0.0, 1, 0, 0.0)
    picked = _best_of(dist, [None, same_value, a, worse], 0.5)
    assert picked.assignment is same_value.assignment  # the lowest of equal islands
    assert picked.iterations == 3  # the lost island counts nothing
    with pytest.raises(ValueError, match="workers"):
        island_search(dist, LOWER, UPPER, workers=0, max_iterations=10)


def test_solve_mdgp_with_two_workers_on_a_shared_instance() -> None:
    path = default_mdgp_dir() / "instances" / "RanReal_n060_ds_01.txt"
    if not path.exists():
        pytest.skip(f"{path} is not here (../shared/data/mdgp)")
    inst = read_mdgp(path)
    one = solve_mdgp(inst, time_limit=60, seed=0, max_iterations=3000)
    two = solve_mdgp(inst, time_limit=60, seed=0, max_iterations=3000, workers=2)
    groups = np.empty(inst.n, dtype=np.int64)
    for g, members in enumerate(two.groups):
        groups[list(members)] = g
    assert is_valid(groups, inst.n, list(inst.lower), list(inst.upper))
    assert two.objective == pytest.approx(assignment_objective(inst.distances, groups))
    assert two.objective >= one.objective - 1e-9
