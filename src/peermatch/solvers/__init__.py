"""Formation solvers: the flat instance, the greedy start, finishing, and the CP-SAT back end.

Import what you need from the submodules (``peermatch.solvers.greedy``,
``peermatch.solvers.cpsat``...). The package itself holds only :func:`solve`,
a thin front for the CP-SAT back end that imports it on the first call, so
that ``import peermatch`` (and reading or validating a problem) never loads
OR-Tools.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peermatch.model import ProblemData
    from peermatch.params import SolveParams
    from peermatch.solution import Result
    from peermatch.solvers.progress import ProgressFn

__all__ = ["solve"]


def solve(
    problem: ProblemData,
    params: SolveParams | None = None,
    *,
    progress: ProgressFn | None = None,
    **overrides: Any,
) -> Result:
    """Form cohorts for ``problem`` with the CP-SAT back end (loaded on the first call).

    See :func:`peermatch.solvers.cpsat.solving.solve` for the parameters;
    ``overrides`` are its keyword overrides (``time_limit``, ``seed``, ...).
    """
    from peermatch.solvers.cpsat.solving import solve as cpsat_solve

    return cpsat_solve(problem, params, progress=progress, **overrides)
