"""The executor: same results in the items' order, in-process, on local processes, on Dask."""

from __future__ import annotations

import sys

import pytest

from peermatch import executor as ex
from peermatch.executor import (
    DaskUnavailableError,
    LocalExecutor,
    SerialExecutor,
    check_scheduler,
    default_workers,
    make_executor,
)


def test_all_is_the_public_api() -> None:
    assert set(ex.__all__) == {
        "DaskExecutor",
        "DaskUnavailableError",
        "Executor",
        "LocalExecutor",
        "SerialExecutor",
        "Shared",
        "check_scheduler",
        "default_workers",
        "make_executor",
    }


def test_serial_calls_fn_with_shared_in_order() -> None:
    serial = SerialExecutor()
    assert serial.map(pow, [3, 1, 2], shared=2) == [8, 2, 4]
    assert serial.map(pow, [3], shared=serial.share(3)) == [27]


def test_local_pool_keeps_the_items_order() -> None:
    # pow(shared, item): a builtin, so the spawned workers need not import the tests.
    items = [9, 0, 5, 1, 7, 3]
    with LocalExecutor(2) as pool:
        assert pool.workers == 2
        assert pool.map(pow, items, shared=3) == [3**i for i in items]
        # A second call with another shared object is not served from the workers' cache.
        assert pool.map(pow, items, shared=2) == [2**i for i in items]
        handle = pool.share(5)  # sent once, used by several calls
        assert pool.map(pow, [2, 1], shared=handle) == [25, 5]
        assert pool.map(pow, [0, 3], shared=handle) == [1, 125]
        assert pool.map(pow, [3], shared=handle) == [125]  # in-process path


def test_make_executor_picks_by_workers() -> None:
    assert isinstance(make_executor(1), SerialExecutor)
    with make_executor(2) as pool:
        assert isinstance(pool, LocalExecutor)
    assert make_executor(None).workers == default_workers()


def test_scheduler_without_dask_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(DaskUnavailableError, match=r"peermatch\[dask\]"):
        make_executor(scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(DaskUnavailableError, match=r"peermatch\[dask\]"):
        check_scheduler("tcp://127.0.0.1:8786")
    check_scheduler(None)  # no scheduler: nothing to check


def test_dask_executor_on_a_local_cluster() -> None:
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        dask = make_executor(scheduler=client)
        assert dask.workers == 2
        items = [4, 0, 2, 6]
        assert dask.map(pow, items, shared=3) == [3**i for i in items]
        handle = dask.share(2)
        assert dask.map(pow, [3, 1], shared=handle) == [8, 2]
        dask.close()  # the client is the caller's: still usable
        assert client.submit(pow, 2, 5).result() == 32
