"""Maximally diverse grouping problem (MDGP): instances, objective and solver.

The MDGP splits ``n`` elements into ``m`` groups, group ``g`` holding between
``a_g`` and ``b_g`` elements, and maximises the sum of the pairwise
diversities ``d_ij`` over pairs placed in the same group. It is the academic
benchmark behind peermatch's diversity objective (MDGPLIB, Gallego et al.).

Where things are
----------------
* :mod:`peermatch.mdgp.instance`: :class:`MdgpInstance`, the MDGPLIB reader
  :func:`read_mdgp` and the checked objective :func:`mdgp_objective`;
* :mod:`peermatch.mdgp.bks`: the best known values table (:func:`load_bks`)
  and the shared data folder (:func:`default_mdgp_dir`);
* :mod:`peermatch.mdgp.moves`: gain matrix and incremental move/swap state;
* :mod:`peermatch.mdgp.search`: the iterated tabu search (numpy only);
* :mod:`peermatch.mdgp.memetic`: population and group crossover over tabu
  runs, the default primal engine;
* :mod:`peermatch.mdgp.islands`: independent searches side by side on
  worker processes, the best kept (``workers`` > 1);
* :mod:`peermatch.mdgp.solve`: :func:`solve_mdgp`, which combines the search
  with CP-SAT on small instances;
* the ``peermatch mdgp`` command lives in :mod:`peermatch.cli.mdgp`.

The CP-SAT model itself is **not** in this package: it lives in
:mod:`peermatch.solvers.cpsat.mdgp`, because only ``peermatch.solvers.cpsat``
may import ortools. :func:`solve_mdgp` imports it lazily, on the first solve
that uses it, so importing :mod:`peermatch.mdgp` never loads ortools.
"""

from __future__ import annotations

from peermatch.mdgp.bks import BksRecord, default_mdgp_dir, load_bks
from peermatch.mdgp.instance import MdgpInstance, mdgp_objective, read_mdgp
from peermatch.mdgp.solve import CPSAT_MAX_N, MdgpResult, solve_mdgp

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
