"""Formation solvers: the flat instance, the greedy start, finishing, and the CP-SAT back end.

Import what you need from the submodules (``peermatch.solvers.cpsat.solve``,
``peermatch.solvers.greedy``...); the package itself re-exports nothing, so
that importing it never loads OR-Tools.
"""

__all__: list[str] = []
