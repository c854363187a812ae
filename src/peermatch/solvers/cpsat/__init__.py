"""The CP-SAT back end: the only package of peermatch that imports OR-Tools.

- :mod:`.variables`: the decision variables;
- :mod:`.constraints`: one documented method per hard rule;
- :mod:`.objective`: diversity and size terms, and why they bound well;
- :mod:`.model`: puts them together (and the diagnosis variant);
- :mod:`.parameters`: the CP-SAT solver set-up and the pass-through parameters' check;
- :mod:`.interrupt`: Ctrl-C and SIGTERM while CP-SAT searches;
- :mod:`.step`: one neighbourhood re-solve, a self-contained task;
- :mod:`.lns`: large-neighbourhood search for large programs;
- :mod:`.parallel_lns`: several disjoint neighbourhoods solved at once;
- :mod:`.decompose`: large programs solved in parts, then improved across parts;
- :mod:`._run`: one solve's run state and how its time is shared;
- :mod:`.diagnosis`: the infeasible core in the organiser's terms;
- :mod:`.bound`: the aggregate lower bound;
- :mod:`.solving`: :func:`solve`, from a problem to a :class:`~peermatch.solution.Result`;
- :mod:`.repair`: the repair model (the earlier cohorts, changed as little as the rules allow);
- :mod:`.repairing`: ``repair()``, from an earlier run and updated inputs to a Result;
- :mod:`.mdgp`: the CP-SAT model of the maximally diverse grouping problem.
"""

from peermatch.solvers.cpsat.solving import Progress, diagnose, solve

__all__ = ["Progress", "diagnose", "solve"]
