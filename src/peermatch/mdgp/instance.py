"""MDGP instances: the MDGPLIB reader and the checked objective of a grouping."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from peermatch.mdgp.moves import assignment_objective

__all__ = ["MdgpInstance", "assignment_from_groups", "mdgp_objective", "read_mdgp"]


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
    header_no = next((k for k, raw in enumerate(lines, start=1) if raw.strip()), None)
    if header_no is None:
        raise _fail(p, None, "empty file, expected a header line 'n m type a_1 b_1 ...'")
    n, m, kind, lower, upper = _read_header(p, header_no, lines[header_no - 1])
    dist = _read_pairs(p, lines, header_no, n)
    return MdgpInstance(name=p.stem, n=n, m=m, kind=kind, lower=lower, upper=upper, distances=dist)


def _read_header(
    p: Path, header_no: int, line: str
) -> tuple[int, int, str, tuple[int, ...], tuple[int, ...]]:
    """Parse and check ``n m type a_1 b_1 ... a_m b_m``."""
    head = line.split()
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
    return n, m, kind, lower, upper


def _read_pairs(p: Path, lines: list[str], header_no: int, n: int) -> NDArray[np.float64]:
    """Parse the ``i j d_ij`` lines into a dense symmetric matrix, each pair once."""
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
    return dist


def assignment_from_groups(
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
    assignment = assignment_from_groups(instance, groups)
    return assignment_objective(instance.distances, assignment)
