"""Benchmark sweeps: many generated populations solved through one :class:`~peermatch.executor.Executor`.

A sweep is a list of :class:`SweepCase` (size, seed, time limit ...). Each
case is independent: it generates its population, solves it (deterministic
time, one CP-SAT worker, so the result does not depend on where it ran) and
returns a :class:`SweepRow` with the cost, the bound, the independent
checker's verdict and a digest of the cohorts. The same sweep run in this
process, on a local process pool or on a Dask cluster gives the same rows in
the same order; ``benchmarks/sweep.py`` runs it and compares.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from peermatch.executor import Executor

__all__ = ["SweepCase", "SweepRow", "run_case", "run_sweep"]


@dataclass(frozen=True)
class SweepCase:
    """One population to generate and solve."""

    size: int
    seed: int
    time_limit: float = 5.0
    planted: bool = True
    difficulty: str = "normal"
    solver_seed: int = 0


@dataclass(frozen=True)
class SweepRow:
    """What one case gave. ``digest`` identifies the cohorts (members and slots).

    ``runtime`` is wall clock and so differs between runs; everything else
    is reproducible.
    """

    size: int
    seed: int
    time_limit: float
    status: str
    objective: float | None
    bound: float | None
    planted_cost: float | None
    violations: int | None
    digest: str
    runtime: float

    def reproducible(self) -> dict[str, Any]:
        """The fields two runs of the same case must agree on (all but ``runtime``)."""
        out = asdict(self)
        out.pop("runtime")
        return out


def _digest(solution: Any) -> str:
    if solution is None:
        return ""
    text = "|".join(
        f"{','.join(sorted(c.members))}@{c.facilitator_id or ''}@{c.slot!r}@{c.sessions!r}"
        for c in sorted(solution.cohorts, key=lambda c: min(c.members))
    )
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def run_case(_: object, case: SweepCase) -> SweepRow:
    """Generate and solve one case (an executor task: the shared object is unused)."""
    from peermatch.generate import generate_population
    from peermatch.metrics import diversity_cost
    from peermatch.params import SolveParams
    from peermatch.solvers.cpsat import solve
    from peermatch.violations import violations

    started = time.monotonic()
    pop = generate_population(
        case.size, case.seed, planted=case.planted, difficulty=case.difficulty
    )
    result = solve(
        pop.problem,
        SolveParams(
            time_limit=case.time_limit, seed=case.solver_seed, workers=1, deterministic=True
        ),
    )
    sol = result.solution
    return SweepRow(
        size=case.size,
        seed=case.seed,
        time_limit=case.time_limit,
        status=str(result.status),
        objective=result.objective,
        bound=result.best_bound,
        planted_cost=diversity_cost(pop.problem, pop.planted) if pop.planted else None,
        violations=None if sol is None else sum(1 for _ in violations(pop.problem, sol)),
        digest=_digest(sol),
        runtime=round(time.monotonic() - started, 3),
    )


def run_sweep(cases: Sequence[SweepCase], executor: Executor) -> list[SweepRow]:
    """Every case through ``executor``; rows in the order of ``cases``."""
    return executor.map(run_case, list(cases))
