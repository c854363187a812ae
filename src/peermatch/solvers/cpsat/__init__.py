"""The CP-SAT back end: the only package of peermatch that imports OR-Tools.

Every module here imports OR-Tools (but :mod:`.cohort_types`, the typed bound's
plain-Python half); the searches that only call it through
these modules live in :mod:`peermatch.solvers.search`.

- :mod:`.variables`: the decision variables;
- :mod:`.constraints`: one documented method per hard rule;
- :mod:`.objective`: diversity and size terms, and why they bound well;
- :mod:`.model`: puts them together (and the diagnosis variant);
- :mod:`.parameters`: the CP-SAT solver set-up and the pass-through parameters' check;
- :mod:`.placement`: one constraint method per placement rule ([limits], [presence], [required], [closeness]);
- :mod:`.interrupt`: Ctrl-C stops a CP-SAT search and keeps its best solution;
- :mod:`.step`: one neighbourhood re-solve (a step), for this process or a worker;
- :mod:`.diagnosis`: the infeasible core in the organiser's terms;
- :mod:`.bound`: the aggregate lower bound;
- :mod:`.typed_bound`: the lower bound by cohort types (level band and meeting option, with
  organisations, cliques and facilitators), a linear program in GLOP, with its proof;
- :mod:`.cohort_types`: the cells of that program: slot classes (merged options), cohort
  types and classes of interchangeable people;
- :mod:`.config_bound`: the configuration bound (cohorts seen whole), a set-partitioning
  LP by column generation whose Lagrangian bound holds at every round, with its proof;
- :mod:`.pricing`: its pricing problem, the cheapest feasible cohort under duals (CP-SAT);
- :mod:`.repair`: the successive solves of a repair of an earlier run;
- :mod:`.mdgp`: the CP-SAT model of the maximally diverse grouping problem;
- :mod:`.solving`: the steps of :func:`peermatch.solvers.solve`, from a problem to a
  :class:`~peermatch.solution.Result` (``solve`` here is that same function).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from peermatch.solvers import solve
    from peermatch.solvers.cpsat.solving import Progress, diagnose

__all__ = ["Progress", "diagnose", "solve"]


def __getattr__(name: str) -> Any:
    # Loaded on first use: the searches of peermatch.solvers.search import this package's
    # modules (interrupt, neighbourhood), and solving imports those searches.
    if name == "solve":
        from peermatch.solvers import solve

        return solve
    if name in __all__:
        from peermatch.solvers.cpsat import solving

        return getattr(solving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
