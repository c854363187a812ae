"""The best known values table (``bks.csv``) and where the shared MDGP data lives."""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

from peermatch.mdgp.instance import _fail

__all__ = ["BksRecord", "default_mdgp_dir", "load_bks"]

_ENV_DIR = "PEERMATCH_MDGP_DIR"


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
