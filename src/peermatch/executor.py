"""Run independent tasks in this process, on local worker processes, or on a Dask cluster.

The neighbourhood search (disjoint neighbourhoods solved side by side), the
decomposition into parts and the benchmark sweeps all hand a function and a
list of items to an :class:`Executor` and get the results back **in the
order of the items**, whatever order the tasks finished in. That is what
keeps a ``--deterministic`` run reproducible: with per-task deterministic
budgets, the same items give the same results in the same order, on one
core, on many, or on a cluster.

Three implementations stand behind the one interface:

- :class:`SerialExecutor`: in this process (one worker; no pickling at all);
- :class:`LocalExecutor`: a pool of worker *processes* on this machine
  (spawned, not forked: CP-SAT runs threads, and forking a process with
  threads running can deadlock the child);
- :class:`DaskExecutor`: a ``distributed.Client`` connected to a scheduler
  address (or given a client, e.g. one on a ``LocalCluster``). Dask is an
  optional extra (``pip install "peermatch[dask]"``); without it,
  :func:`make_executor` with a scheduler raises :class:`DaskUnavailableError`
  with an installation hint, and nothing else changes.

``map(fn, items, shared=obj)`` calls ``fn(obj, item)`` for every item.
``obj`` (e.g. the whole program's instance) is sent to each worker once
rather than with every task: ``share(obj)`` returns a :class:`Shared`
handle, usable in many ``map`` calls (the neighbourhood search makes one per
round); the local pool writes the pickle to a temporary file once and every
worker process loads it once (a one-entry cache keyed by its digest); Dask
scatters it to every worker. A plain object passed as ``shared`` is shared
for that one call. ``fn`` must be a module-level function (pickled by
reference).
"""

from __future__ import annotations

import contextlib
import hashlib
import multiprocessing
import os
import pickle
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = [
    "DaskExecutor",
    "DaskUnavailableError",
    "Executor",
    "LocalExecutor",
    "SerialExecutor",
    "Shared",
    "check_scheduler",
    "default_workers",
    "make_executor",
]

T = TypeVar("T")
R = TypeVar("R")

DASK_HINT = 'the Dask scheduler needs the optional extra: pip install "peermatch[dask]"'


class DaskUnavailableError(RuntimeError):
    """``--scheduler`` was given but ``distributed`` is not installed (or cannot connect)."""


def default_workers() -> int:
    """The cores this process may use (``os.sched_getaffinity``, else ``os.cpu_count``)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


class Shared:
    """A handle on an object sent to the workers once (see :meth:`Executor.share`)."""

    def __init__(self, value: Any) -> None:
        self.value = value


class Executor:
    """Runs ``fn(shared, item)`` for a list of items; results in the items' order.

    Attributes
    ----------
    workers
        How many tasks run at once (the caller sizes its batches by it).
    kind
        ``"serial"``, ``"local"`` or ``"dask"`` (for reports).
    """

    workers: int = 1
    kind: str = "serial"

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], shared: Any = None) -> list[R]:
        """``[fn(shared, item) for item in items]``, possibly in parallel."""
        raise NotImplementedError

    def share(self, obj: Any) -> Shared:
        """Send ``obj`` to the workers once; pass the handle as ``map(..., shared=handle)``."""
        return Shared(obj)

    def close(self) -> None:
        """Release the workers (idempotent)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """Everything in this process, one task after another."""

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], shared: Any = None) -> list[R]:
        value = shared.value if isinstance(shared, Shared) else shared
        return [fn(value, item) for item in items]


# One-entry cache of the shared object in a worker process: (digest, object).
_shared_cache: tuple[str, Any] | None = None


def _call_with_shared(fn: Callable[[Any, T], R], digest: str, path: str, item: T) -> R:
    global _shared_cache
    if _shared_cache is None or _shared_cache[0] != digest:
        with open(path, "rb") as fh:
            _shared_cache = (digest, pickle.load(fh))
    return fn(_shared_cache[1], item)


class _FileShared(Shared):
    """The local pool's handle: the object (for in-process calls) and its pickle on disk."""

    def __init__(self, value: Any, digest: str, path: str) -> None:
        super().__init__(value)
        self.digest, self.path = digest, path


class LocalExecutor(Executor):
    """A pool of ``workers`` spawned processes on this machine (started on first use)."""

    kind = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = max(1, workers or default_workers())
        self._pool: ProcessPoolExecutor | None = None
        self._files: list[str] = []

    def _get_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            ctx = multiprocessing.get_context("spawn")
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=ctx, initializer=_leave_signals_to_the_parent
            )
        return self._pool

    def share(self, obj: Any) -> Shared:
        blob = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
        fd, path = tempfile.mkstemp(prefix="peermatch-shared-", suffix=".pickle")
        with os.fdopen(fd, "wb") as fh:
            fh.write(blob)
        self._files.append(path)
        return _FileShared(obj, hashlib.blake2b(blob, digest_size=16).hexdigest(), path)

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], shared: Any = None) -> list[R]:
        if not items:
            return []
        if self.workers == 1 or len(items) == 1:
            # Nothing to overlap: skip the pickling round trip.
            value = shared.value if isinstance(shared, Shared) else shared
            return [fn(value, item) for item in items]
        handle = shared if isinstance(shared, _FileShared) else self.share(shared)
        assert isinstance(handle, _FileShared)
        with _children_ignore_signals():  # worker processes are started by submit()
            pool = self._get_pool()
            futures = [
                pool.submit(_call_with_shared, fn, handle.digest, handle.path, item)
                for item in items
            ]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
        for path in self._files:
            with contextlib.suppress(OSError):
                os.unlink(path)
        self._files = []


@contextlib.contextmanager
def _children_ignore_signals() -> Iterator[None]:
    """Ignore SIGINT and SIGTERM while worker processes may be started.

    A new process keeps an ignored signal ignored (Python too, for SIGINT), so
    a Ctrl-C, which reaches the whole process group, cannot kill a worker that
    is still importing, before :func:`_leave_signals_to_the_parent` runs. The
    price: a signal in these few milliseconds of starting processes is lost
    to the parent as well (press Ctrl-C again).
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may change handlers; no signal reaches it here
        return
    names = ("SIGINT", "SIGTERM")
    previous = {name: signal.signal(getattr(signal, name), signal.SIG_IGN) for name in names}
    try:
        yield
    finally:
        for name, handler in previous.items():
            if handler is not None:
                signal.signal(getattr(signal, name), handler)


def _leave_signals_to_the_parent() -> None:
    """In a worker: ignore Ctrl-C and SIGTERM, which reach the whole process group.

    The parent alone decides (see :mod:`peermatch.interrupts`): it stops the
    search after the round in hand and shuts the pool down. A worker that died
    of the signal instead would break the pool and lose the parent's best
    solution (should one die all the same, the parent keeps its best
    solution, see :func:`peermatch.solvers.search.parallel_lns.improve_parallel`).
    """
    for name in ("SIGINT", "SIGTERM"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)


def _apply_shared(item: Any, fn: Callable[[Any, Any], Any], shared: Any) -> Any:
    return fn(shared, item)


class DaskExecutor(Executor):
    """Tasks on a Dask cluster: a scheduler address, or an existing ``distributed.Client``.

    ``workers`` is the cluster's total number of worker threads when it starts.
    A client made here from an address is closed by :meth:`close`; a client
    passed in belongs to the caller.
    """

    kind = "dask"

    def __init__(self, scheduler: Any) -> None:
        try:
            from distributed import Client
        except ImportError as exc:
            raise DaskUnavailableError(DASK_HINT) from exc
        if isinstance(scheduler, Client):
            self.client, self._owned = scheduler, False
        else:
            try:
                self.client, self._owned = Client(scheduler, timeout="10s"), True
            except OSError as exc:
                raise DaskUnavailableError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}"
                ) from exc
        info = self.client.scheduler_info()
        threads = sum(int(w.get("nthreads", 1)) for w in info.get("workers", {}).values())
        self.workers = max(1, threads)

    def share(self, obj: Any) -> Shared:
        return Shared(self.client.scatter(obj, broadcast=True, hash=False))

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T], shared: Any = None) -> list[R]:
        if not items:
            return []
        handle = shared if isinstance(shared, Shared) else self.share(shared)
        futures = self.client.map(
            _apply_shared, list(items), fn=fn, shared=handle.value, pure=False
        )
        results: list[R] = self.client.gather(futures)
        return results

    def close(self) -> None:
        if self._owned:
            self.client.close()
            self._owned = False


def check_scheduler(scheduler: Any) -> None:
    """Fail early, before any work, when a scheduler is asked for and Dask is not installed.

    Raises
    ------
    DaskUnavailableError
        ``scheduler`` is given and ``distributed`` cannot be imported.
    """
    if scheduler is None:
        return
    try:
        import distributed  # noqa: F401
    except ImportError as exc:
        raise DaskUnavailableError(DASK_HINT) from exc


def make_executor(workers: int | None = None, scheduler: Any = None) -> Executor:
    """The executor for ``--workers`` / ``--scheduler``.

    Parameters
    ----------
    workers
        Local worker processes; ``None`` or 0 means one per core; 1 runs in
        this process.
    scheduler
        A Dask scheduler address (``tcp://host:8786``) or a
        ``distributed.Client``; when given, ``workers`` is ignored.

    Raises
    ------
    DaskUnavailableError
        A scheduler was given but Dask is not installed or not reachable.
    """
    if scheduler is not None:
        return DaskExecutor(scheduler)
    count = workers or default_workers()
    return SerialExecutor() if count == 1 else LocalExecutor(count)
