"""Independent MDGP searches side by side on the machine's cores (islands).

One memetic run at the reference time limit lands in one basin of the
landscape; which one depends on its seed (RanReal_n120_ds_05 at 3 s: 0.44 %
to 0.67 % below the best known value over seeds 0-3). With ``workers``
cores, :func:`island_search` runs ``workers`` searches with different seeds
at the same time and keeps the best: an island model without migration.

* Island 0 runs in this process with the caller's seed, so one worker is
  exactly :func:`~peermatch.mdgp.memetic.memetic_search`, and with an
  iteration budget (and no binding time limit) the best of N islands is never
  worse than the single run with the same seed.
* Islands 1 .. N-1 run in worker processes started from a *forkserver* that
  has imported this module once (a spawned worker would spend about 0.7 s of
  a 3 s limit importing peermatch; forking this process is avoided because a
  caller may have CP-SAT threads running). The time limit is a wall-clock
  deadline shared by every island: a worker that starts late searches less,
  island 0 loses nothing.
* The winner is the highest objective, recomputed from scratch; ties go to
  the lowest island, so results do not depend on which island finished first.
* A worker that fails (killed, out of memory) only loses its island.

numpy only; this module must not import ortools.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from peermatch.mdgp.memetic import memetic_search
from peermatch.mdgp.moves import FloatArray, IntArray, assignment_objective
from peermatch.mdgp.search import SearchResult, iterated_tabu_search

__all__ = ["island_search", "island_seeds"]

# Seconds a worker may take beyond the deadline (result pickling, exit)
# before its island is given up.
_GRACE_S = 5.0


def island_seeds(seed: int, islands: int) -> list[int]:
    """Seeds of the islands: the caller's seed first, then derived ones.

    Parameters
    ----------
    seed : int
        The caller's seed (island 0 uses it unchanged).
    islands : int
        Number of islands.

    Returns
    -------
    list of int
        ``islands`` distinct seeds, the same for the same arguments.
    """
    derived = np.random.SeedSequence([seed & 0xFFFFFFFF, 0x15A4D]).generate_state(max(islands, 1))
    seeds = [seed]
    for s in derived.tolist()[1:]:
        while s in seeds:
            s = (s + 1) & 0x7FFFFFFF
        seeds.append(int(s) & 0x7FFFFFFF)
    return seeds[:islands]


@dataclass(frozen=True)
class _Island:
    """What a worker needs to run one island."""

    dist: FloatArray
    lower: IntArray
    upper: IntArray
    seed: int
    deadline: float | None  # time.time() value; None: the iteration budget alone
    max_iterations: int | None
    search: str


def _run_island(task: _Island) -> SearchResult:
    """Run one island until the shared deadline (or its iteration budget)."""
    limit = None
    if task.deadline is not None:
        # time.time(), not perf_counter(): the deadline crosses processes.
        limit = max(task.deadline - time.time(), 1e-3)
    engine = memetic_search if task.search == "memetic" else iterated_tabu_search
    return engine(
        task.dist,
        task.lower,
        task.upper,
        seed=task.seed,
        time_limit=limit,
        max_iterations=task.max_iterations,
    )


def _worker_init() -> None:
    # Ctrl-C reaches the whole process group; the parent alone stops.
    from peermatch.executor import _leave_signals_to_the_parent

    _leave_signals_to_the_parent()


def _pool(workers: int) -> ProcessPoolExecutor:
    methods = multiprocessing.get_all_start_methods()
    ctx: Any
    if "forkserver" in methods:
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload([__name__])
    else:  # Windows
        ctx = multiprocessing.get_context("spawn")
    return ProcessPoolExecutor(max_workers=workers, mp_context=ctx, initializer=_worker_init)


def island_search(
    dist: FloatArray,
    lower: Sequence[int] | IntArray,
    upper: Sequence[int] | IntArray,
    *,
    workers: int,
    seed: int = 0,
    time_limit: float | None = None,
    max_iterations: int | None = None,
    search: str = "memetic",
) -> SearchResult:
    """Run ``workers`` independent searches at once and keep the best.

    Parameters
    ----------
    dist, lower, upper
        The instance, as for :func:`~peermatch.mdgp.search.iterated_tabu_search`.
    workers : int
        Number of islands, one per process (this one included).
    seed : int, default 0
        Seed of island 0; the others are :func:`island_seeds`.
    time_limit : float, optional
        Wall-clock limit in seconds for the whole call.
    max_iterations : int, optional
        Tabu iterations of *each* island (reproducible budget). At least one
        of the two limits must be given.
    search : {"memetic", "tabu"}, default "memetic"
        The search every island runs.

    Returns
    -------
    SearchResult
        The best island's assignment, objective recomputed from scratch;
        ``iterations`` and ``restarts`` are summed over the islands that
        returned.

    Raises
    ------
    ValueError
        If no limit is given or ``workers`` is below 1.
    """
    start = time.perf_counter()
    if time_limit is None and max_iterations is None:
        raise ValueError("give time_limit or max_iterations")
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    # No copy: every search zeroes the diagonal of its own copy, and the
    # objective sums pairs i < j only.
    d = np.asarray(dist, dtype=np.float64)
    lo = np.asarray(lower, dtype=np.int64)
    hi = np.asarray(upper, dtype=np.int64)
    seeds = island_seeds(seed, workers)
    deadline = time.time() + time_limit if time_limit is not None else None
    tasks = [_Island(d, lo, hi, s, deadline, max_iterations, search) for s in seeds]
    if workers == 1:
        return _run_island(tasks[0])
    pool = _pool(workers - 1)
    try:
        futures = [pool.submit(_run_island, t) for t in tasks[1:]]
        results: list[SearchResult | None] = [_run_island(tasks[0])]
        results += [_collect(f, deadline) for f in futures]
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    return _best_of(d, results, time.perf_counter() - start)


def _collect(future: Future[SearchResult], deadline: float | None) -> SearchResult | None:
    timeout = None if deadline is None else max(deadline - time.time(), 0.0) + _GRACE_S
    with contextlib.suppress(Exception):
        return future.result(timeout=timeout)
    return None


def _best_of(d: FloatArray, results: list[SearchResult | None], runtime_s: float) -> SearchResult:
    """The highest recomputed objective; ties go to the lowest island."""
    done = [r for r in results if r is not None]
    values = [assignment_objective(d, r.assignment) for r in done]
    k = int(np.argmax(values))  # first maximum: the lowest island
    return SearchResult(
        assignment=done[k].assignment,
        objective=values[k],
        iterations=sum(r.iterations for r in done),
        restarts=sum(r.restarts for r in done),
        runtime_s=runtime_s,
    )
