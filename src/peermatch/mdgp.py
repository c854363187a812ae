"""Maximally diverse grouping problem (MDGP): instances, objective and solver.

The MDGP splits ``n`` elements into ``m`` groups, group ``g`` holding between
``a_g`` and ``b_g`` elements, and maximises the sum of the pairwise
diversities ``d_ij`` over pairs placed in the same group. It is the academic
benchmark behind peermatch's diversity objective (MDGPLIB, Gallego et al.).

:func:`solve_mdgp` combines two engines:

* an iterated tabu search (:mod:`peermatch.solvers.mdgp_search`, numpy only)
  that provides the primal solution on every size;
* for small instances (``n <= 30``) a CP-SAT model
  (:mod:`peermatch.solvers.cpsat.mdgp`) warm-started from the local-search
  solution, which proves optimality on the tiny ones and otherwise
  contributes a best bound.

This module itself never imports ortools; the CP-SAT backend is loaded
lazily only when it is used.
"""

from __future__ import annotations

import csv
import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from peermatch.solvers.mdgp_search import assignment_objective, iterated_tabu_search

__all__ = [
    "CPSAT_MAX_N",
    "BksRecord",
    "MdgpInstance",
    "MdgpResult",
    "default_mdgp_dir",
    "load_bks",
    "mdgp_objective",
    "read_mdgp",
    "solve_mdgp",
]

#: Largest instance size on which :func:`solve_mdgp` also runs CP-SAT.
CPSAT_MAX_N = 30

# Up to this size CP-SAT usually proves optimality within seconds.
_PROOF_MAX_N = 14

_ENV_DIR = "PEERMATCH_MDGP_DIR"


@dataclass(frozen=True)
class MdgpInstance:
    """An MDGP instance.

    Attributes
    ----------
    name : str
        Instance name (the file stem when read from disk).
    n : int
        Number of elements, numbered ``0 .. n-1``.
    m : int
        Number of groups.
    kind : str
        ``"ss"`` (same sizes) or ``"ds"`` (different sizes).
    lower, upper : tuple of int
        Per-group size bounds ``a_g`` and ``b_g``.
    distances : numpy.ndarray
        Dense symmetric n x n float matrix with zero diagonal (read-only).
    """

    name: str
    n: int
    m: int
    kind: str
    lower: tuple[int, ...]
    upper: tuple[int, ...]
    distances: NDArray[np.float64] = field(repr=False, compare=False)

    def __post_init__(self) -> None:
        # A frozen dataclass holding a writable array would not be frozen.
        self.distances.setflags(write=False)


@dataclass(frozen=True)
class BksRecord:
    """One row of ``bks.csv``: the best known value of an instance.

    Attributes
    ----------
    instance : str
        Instance name.
    n, m : int
        Size of the instance.
    bks : float
        Best known objective value.
    source : str
        Where the value comes from (exact optimum, published record, ...).
    reference_time_limit_s : float or None
        Time limit the reference study gave each run.
    mip_1800s : float or None
        Value a MIP solver reached in 1800 s, when known.
    """

    instance: str
    n: int
    m: int
    bks: float
    source: str
    reference_time_limit_s: float | None
    mip_1800s: float | None


@dataclass(frozen=True)
class MdgpResult:
    """Result of :func:`solve_mdgp`.

    Attributes
    ----------
    instance : str
        Instance name.
    objective : float
        Objective of ``groups``.
    groups : tuple of tuple of int
        Group ``g`` (in instance order) as a sorted tuple of element numbers.
    best_bound : float or None
        Proven upper bound on the optimum when CP-SAT ran, else ``None``.
    runtime_s : float
        Wall-clock time spent.
    best_known : float or None
        Best known value from ``bks.csv`` when given or found.
    gap_percent : float or None
        ``100 * (best_known - objective) / |best_known|``; negative when the
        best known value was beaten.
    status : str
        ``"OPTIMAL"`` when CP-SAT proved optimality, else ``"FEASIBLE"``.
    """

    instance: str
    objective: float
    groups: tuple[tuple[int, ...], ...]
    best_bound: float | None
    runtime_s: float
    best_known: float | None
    gap_percent: float | None
    status: str


def _fail(path: Path | str, line: int | None, message: str) -> ValueError:
    where = f"{path}:{line}" if line is not None else f"{path}"
    return ValueError(f"{where}: {message}")


def _parse_int(token: str, path: Path | str, line: int, what: str) -> int:
    try:
        return int(token)
    except ValueError:
        raise _fail(path, line, f"{what} must be an integer, got {token!r}") from None


def read_mdgp(path: str | os.PathLike[str]) -> MdgpInstance:
    """Read an instance in MDGPLIB text format.

    The first non-blank line is ``n m type a_1 b_1 ... a_m b_m`` with type
    ``ss`` or ``ds``; then one line ``i j d_ij`` for every pair ``i < j``
    (0-based). Pairs may also be given as ``j i``; each unordered pair must
    appear exactly once.

    Parameters
    ----------
    path : str or os.PathLike
        File to read.

    Returns
    -------
    MdgpInstance
        The instance, named after the file stem.

    Raises
    ------
    ValueError
        On malformed input; the message starts with ``file:line:``.
    OSError
        If the file cannot be read.
    """
    p = Path(path)
    with p.open(encoding="utf-8") as fh:
        lines = fh.read().splitlines()

    header_no = None
    for k, raw in enumerate(lines, start=1):
        if raw.strip():
            header_no = k
            break
    if header_no is None:
        raise _fail(p, None, "empty file, expected a header line 'n m type a_1 b_1 ...'")
    head = lines[header_no - 1].split()
    if len(head) < 3:
        raise _fail(p, header_no, "header must be 'n m type a_1 b_1 ... a_m b_m'")
    n = _parse_int(head[0], p, header_no, "n")
    m = _parse_int(head[1], p, header_no, "m")
    kind = head[2]
    if n < 1 or m < 1:
        raise _fail(p, header_no, f"n and m must be positive, got n={n}, m={m}")
    if kind not in ("ss", "ds"):
        raise _fail(p, header_no, f"type must be 'ss' or 'ds', got {kind!r}")
    if len(head) != 3 + 2 * m:
        raise _fail(
            p, header_no, f"header has {len(head) - 3} bound values, expected 2*m = {2 * m}"
        )
    bounds = [_parse_int(t, p, header_no, "group size bound") for t in head[3:]]
    lower = tuple(bounds[0::2])
    upper = tuple(bounds[1::2])
    for g, (a, b) in enumerate(zip(lower, upper, strict=True)):
        if a < 0 or a > b:
            raise _fail(p, header_no, f"group {g}: bounds a={a}, b={b} need 0 <= a <= b")
    if sum(lower) > n:
        raise _fail(p, header_no, f"sum of lower bounds {sum(lower)} exceeds n={n}")
    if sum(upper) < n:
        raise _fail(p, header_no, f"sum of upper bounds {sum(upper)} is below n={n}")

    dist = np.zeros((n, n), dtype=np.float64)
    seen = np.zeros((n, n), dtype=bool)
    count = 0
    for k in range(header_no, len(lines)):
        line_no = k + 1
        parts = lines[k].split()
        if not parts:
            continue
        if len(parts) != 3:
            raise _fail(p, line_no, f"expected 'i j d_ij', got {len(parts)} fields")
        i = _parse_int(parts[0], p, line_no, "i")
        j = _parse_int(parts[1], p, line_no, "j")
        try:
            value = float(parts[2])
        except ValueError:
            raise _fail(p, line_no, f"d_ij must be a number, got {parts[2]!r}") from None
        if not math.isfinite(value):
            raise _fail(p, line_no, f"d_ij must be finite, got {parts[2]!r}")
        for label, v in (("i", i), ("j", j)):
            if not 0 <= v < n:
                raise _fail(p, line_no, f"{label}={v} out of range 0..{n - 1}")
        if i == j:
            raise _fail(p, line_no, f"pair ({i}, {j}) pairs an element with itself")
        if seen[i, j]:
            raise _fail(p, line_no, f"duplicate pair ({min(i, j)}, {max(i, j)})")
        seen[i, j] = seen[j, i] = True
        dist[i, j] = dist[j, i] = value
        count += 1
    expected = n * (n - 1) // 2
    if count != expected:
        iu, ju = np.nonzero(np.triu(~seen, k=1))
        raise _fail(
            p,
            len(lines),
            f"found {count} pair lines, expected n*(n-1)/2 = {expected}; "
            f"first missing pair ({int(iu[0])}, {int(ju[0])})",
        )
    return MdgpInstance(name=p.stem, n=n, m=m, kind=kind, lower=lower, upper=upper, distances=dist)


def _assignment_from_groups(
    instance: MdgpInstance, groups: Sequence[Sequence[int]]
) -> NDArray[np.int64]:
    if len(groups) != instance.m:
        raise ValueError(f"expected {instance.m} groups, got {len(groups)}")
    assignment = np.full(instance.n, -1, dtype=np.int64)
    for g, members in enumerate(groups):
        size = len(members)
        if not instance.lower[g] <= size <= instance.upper[g]:
            raise ValueError(
                f"group {g} has {size} elements, bounds are "
                f"{instance.lower[g]}..{instance.upper[g]}"
            )
        for e in members:
            if isinstance(e, bool) or not isinstance(e, int | np.integer):
                raise ValueError(f"group {g}: element {e!r} is not an integer")
            if not 0 <= e < instance.n:
                raise ValueError(f"group {g}: element {e} out of range 0..{instance.n - 1}")
            if assignment[e] != -1:
                raise ValueError(f"element {e} appears in more than one place")
            assignment[e] = g
    missing = np.flatnonzero(assignment < 0)
    if missing.size:
        raise ValueError(f"elements not assigned to any group: {missing[:10].tolist()}")
    return assignment


def mdgp_objective(instance: MdgpInstance, groups: Sequence[Sequence[int]]) -> float:
    """Return the objective of a grouping after checking it is feasible.

    Parameters
    ----------
    instance : MdgpInstance
        The instance.
    groups : sequence of sequence of int
        ``groups[g]`` lists the elements of group ``g``; exactly ``m`` groups.

    Returns
    -------
    float
        Sum of ``d_ij`` over pairs ``i < j`` that share a group.

    Raises
    ------
    ValueError
        If ``groups`` is not a partition of ``0 .. n-1`` into ``m`` groups with
        sizes within the bounds.
    """
    assignment = _assignment_from_groups(instance, groups)
    return assignment_objective(instance.distances, assignment)


def _project_root_candidates() -> list[Path]:
    starts = [Path(__file__).resolve().parent, Path.cwd().resolve()]
    out: list[Path] = []
    for start in starts:
        for p in (start, *start.parents):
            if (p / "pyproject.toml").is_file():
                out.append(p)
    return out


def default_mdgp_dir() -> Path:
    """Locate the shared MDGP data directory.

    Order: the ``PEERMATCH_MDGP_DIR`` environment variable; else
    ``<project root>/../shared/data/mdgp`` where the project root is the
    nearest ancestor holding ``pyproject.toml`` of the package file or of the
    working directory. The returned path may not exist; callers check.

    Returns
    -------
    pathlib.Path
        The directory (holding ``bks.csv`` and ``instances/``).
    """
    env = os.environ.get(_ENV_DIR)
    if env:
        return Path(env)
    roots = _project_root_candidates()
    for root in roots:
        cand = root.parent / "shared" / "data" / "mdgp"
        if cand.is_dir():
            return cand
    base = roots[0] if roots else Path.cwd()
    return base.parent / "shared" / "data" / "mdgp"


def _opt_float(text: str | None) -> float | None:
    if text is None or not text.strip():
        return None
    return float(text)


def load_bks(path: str | os.PathLike[str] | None = None) -> dict[str, BksRecord]:
    """Read the best known values table.

    Parameters
    ----------
    path : str or os.PathLike, optional
        ``bks.csv`` itself or the directory holding it; default
        ``default_mdgp_dir() / "bks.csv"``.

    Returns
    -------
    dict of str to BksRecord
        Keyed by instance name.

    Raises
    ------
    ValueError
        If a row is malformed (message names file and line).
    OSError
        If the file cannot be read.
    """
    p = Path(path) if path is not None else default_mdgp_dir()
    if p.is_dir():
        p = p / "bks.csv"
    out: dict[str, BksRecord] = {}
    with p.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        needed = {"instance", "n", "m", "bks"}
        if reader.fieldnames is None or not needed <= set(reader.fieldnames):
            raise _fail(p, 1, f"header must contain columns {sorted(needed)}")
        for row in reader:
            try:
                rec = BksRecord(
                    instance=row["instance"],
                    n=int(row["n"]),
                    m=int(row["m"]),
                    bks=float(row["bks"]),
                    source=row.get("source") or "",
                    reference_time_limit_s=_opt_float(row.get("reference_time_limit_s")),
                    mip_1800s=_opt_float(row.get("mip_1800s")),
                )
            except (TypeError, ValueError) as exc:
                raise _fail(p, reader.line_num, f"malformed row: {exc}") from None
            out[rec.instance] = rec
    return out


def _groups_tuple(assignment: NDArray[np.int64], m: int) -> tuple[tuple[int, ...], ...]:
    return tuple(tuple(int(e) for e in np.flatnonzero(assignment == g)) for g in range(m))


def solve_mdgp(
    instance: MdgpInstance,
    *,
    time_limit: float,
    seed: int = 0,
    workers: int = 1,
    max_iterations: int | None = None,
    best_known: float | None = None,
    use_cpsat: bool | None = None,
) -> MdgpResult:
    """Solve an MDGP instance.

    Iterated tabu search gives the primal solution. On instances with
    ``n <= CPSAT_MAX_N`` it runs for a short share of the budget and CP-SAT,
    hinted with its solution, gets the rest to improve it and prove a bound.

    Parameters
    ----------
    instance : MdgpInstance
        The instance.
    time_limit : float
        Wall-clock budget in seconds (CP-SAT stops early once optimal).
    seed : int, default 0
        Seed for the local search and CP-SAT.
    workers : int, default 1
        CP-SAT search workers (the local search is single-threaded).
    max_iterations : int, optional
        Cap on tabu iterations; with it (and the time limit not binding) the
        result is reproducible for the same seed and workers.
    best_known : float, optional
        Best known value for the gap; looked up in ``bks.csv`` by instance
        name when omitted and the file is found.
    use_cpsat : bool, optional
        Force CP-SAT on or off; default: on iff ``n <= CPSAT_MAX_N``.

    Returns
    -------
    MdgpResult
        Best grouping found with its objective, bound and gap.

    Raises
    ------
    ValueError
        If ``time_limit`` is not positive.
    """
    start = time.perf_counter()
    if not time_limit > 0:
        raise ValueError(f"time_limit must be positive, got {time_limit}")
    if use_cpsat is None:
        use_cpsat = instance.n <= CPSAT_MAX_N
    ls_iters = max_iterations
    if not use_cpsat:
        ls_limit = time_limit
    elif instance.n <= _PROOF_MAX_N:
        # Tiny instances: the tabu search finds the optimum in a blink, so it
        # gets a small slice and CP-SAT the rest to prove optimality.
        ls_limit = min(0.2 * time_limit, 1.0)
        if ls_iters is None:
            ls_iters = 2000 + 50 * instance.n
    else:
        # Proofs are out of reach here; CP-SAT only tries to improve the
        # hinted solution and report a bound, so the primal search keeps
        # most of the budget.
        ls_limit = 0.7 * time_limit
    ls = iterated_tabu_search(
        instance.distances,
        instance.lower,
        instance.upper,
        seed=seed,
        time_limit=ls_limit,
        max_iterations=ls_iters,
    )
    assignment = ls.assignment
    objective = ls.objective
    bound: float | None = None
    status = "FEASIBLE"
    if use_cpsat:
        from peermatch.solvers.cpsat.mdgp import solve_mdgp_cpsat

        remaining = time_limit - (time.perf_counter() - start)
        if remaining > 0.05:
            cp = solve_mdgp_cpsat(
                instance.distances,
                instance.lower,
                instance.upper,
                time_limit=remaining,
                seed=seed,
                workers=workers,
                hint=assignment,
            )
            if cp.assignment is not None:
                cp_value = assignment_objective(instance.distances, cp.assignment)
                # Keep the tabu solution on ties so results do not hinge on
                # which of several optima CP-SAT happened to return.
                if cp_value > objective + 1e-9:
                    assignment, objective = cp.assignment, cp_value
            bound = cp.best_bound
            if cp.optimal:
                status = "OPTIMAL"
                bound = max(objective, bound) if bound is not None else objective
    if best_known is None:
        try:
            rec = load_bks().get(instance.name)
        except (OSError, ValueError):
            rec = None
        best_known = rec.bks if rec is not None else None
    gap = None
    if best_known is not None and best_known != 0:
        gap = 100.0 * (best_known - objective) / abs(best_known)
    return MdgpResult(
        instance=instance.name,
        objective=objective,
        groups=_groups_tuple(assignment, instance.m),
        best_bound=bound,
        runtime_s=time.perf_counter() - start,
        best_known=best_known,
        gap_percent=gap,
        status=status,
    )
