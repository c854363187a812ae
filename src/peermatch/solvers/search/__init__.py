"""The searches around the CP-SAT back end (none of these modules imports OR-Tools itself).

- :mod:`.lns`: the one neighbourhood search loop (:func:`~.lns.improve`): defects
  first (people left out, cohorts without a facilitator; see
  :mod:`peermatch.solvers.placement`), then neighbourhood steps and swap descents;
- :mod:`.parallel_lns`: the same loop with rounds of disjoint neighbourhoods on an
  executor (:class:`~.parallel_lns.Rounds`);
- :mod:`.decompose`: large programs solved in parts, then improved across parts;
- :mod:`.run`: one solve's run state and how its time is shared (for
  :mod:`peermatch.solvers.cpsat.solving`);
- :mod:`.repairing`: ``repair()``, from an earlier run and updated inputs to a result.
"""

__all__: list[str] = []
