"""The CP-SAT back end: the only package of peermatch that imports OR-Tools.

- :mod:`.variables`: the decision variables;
- :mod:`.constraints`: one documented method per hard rule;
- :mod:`.objective`: diversity and size terms, and why they bound well;
- :mod:`.model`: puts them together (and the diagnosis variant);
- :mod:`.parameters`: the CP-SAT solver set-up and the pass-through parameters' check;
- :mod:`.lns`: large-neighbourhood search for large programs;
- :mod:`.diagnosis`: the infeasible core in the organiser's terms;
- :mod:`.bound`: the aggregate lower bound;
- :mod:`.solving`: :func:`solve`, from a problem to a :class:`~peermatch.solution.Result`.
"""

from peermatch.solvers.cpsat.solving import Progress, diagnose, solve

__all__ = ["Progress", "diagnose", "solve"]
