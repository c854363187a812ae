"""Benchmark sweeps give the same rows in this process, on local processes and on a LocalCluster."""

from __future__ import annotations

import pytest

from peermatch.bench import sweep
from peermatch.bench.sweep import SweepCase, run_sweep
from peermatch.executor import SerialExecutor, make_executor

CASES = [SweepCase(24, 1, time_limit=0.5), SweepCase(30, 2, time_limit=0.5)]


def test_all_is_the_public_api() -> None:
    assert set(sweep.__all__) == {"SweepCase", "SweepRow", "run_case", "run_sweep"}


@pytest.fixture(scope="module")
def serial_rows() -> list[sweep.SweepRow]:
    return run_sweep(CASES, SerialExecutor())


def test_rows_are_checked_solutions_no_dearer_than_planted(
    serial_rows: list[sweep.SweepRow],
) -> None:
    assert [(r.size, r.seed) for r in serial_rows] == [(24, 1), (30, 2)]
    for row in serial_rows:
        assert row.violations == 0
        assert row.objective is not None and row.bound is not None
        assert row.planted_cost is not None
        assert row.bound <= row.objective <= row.planted_cost
        assert row.digest


def test_local_cluster_gives_the_same_rows(serial_rows: list[sweep.SweepRow]) -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        make_executor(scheduler=client) as dask,
    ):
        rows = run_sweep(CASES, dask)
    assert [r.reproducible() for r in rows] == [r.reproducible() for r in serial_rows]
