"""CP-SAT solver parameters: peermatch's own choices, then the caller's pass-through ones.

:func:`check_cpsat_parameters` validates ``SolveParams.cpsat`` (names, types
and enum values) against OR-Tools' ``SatParameters`` message, so a typo in
program.toml's ``[solver.cpsat]`` is an error naming the parameter instead of
a silently ignored setting.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from google.protobuf import json_format, text_format
from ortools.sat import sat_parameters_pb2
from ortools.sat.python import cp_model

from peermatch.deadline import safety_cap
from peermatch.params import ParameterError

__all__ = ["check_cpsat_parameters", "cp_solver"]


def check_cpsat_parameters(cpsat: Mapping[str, Any]) -> str:
    """Validate pass-through CP-SAT parameters; return them in protobuf text format.

    Raises
    ------
    ParameterError
        Naming the first unknown parameter or the first value of the wrong type.

    Examples
    --------
    >>> check_cpsat_parameters({"linearization_level": 2})
    'linearization_level: 2\\n'
    >>> check_cpsat_parameters({"linearisation_level": 2})
    Traceback (most recent call last):
    ...
    peermatch.params.ParameterError: [solver.cpsat] unknown CP-SAT parameter 'linearisation_level'
    """
    known = sat_parameters_pb2.SatParameters.DESCRIPTOR.fields_by_name
    for name in cpsat:
        if name not in known:
            raise ParameterError(f"[solver.cpsat] unknown CP-SAT parameter '{name}'")
    message = sat_parameters_pb2.SatParameters()
    try:
        json_format.ParseDict(dict(cpsat), message, ignore_unknown_fields=False)
    except json_format.ParseError as exc:
        raise ParameterError(f"[solver.cpsat] {exc}") from None
    return text_format.MessageToString(message)


def cp_solver(
    time_limit: float,
    seed: int,
    workers: int,
    deterministic: bool,
    log: bool = False,
    cpsat: Mapping[str, Any] | None = None,
) -> cp_model.CpSolver:
    """A CP-SAT solver set up for one search of ``time_limit`` seconds."""
    solver = cp_model.CpSolver()
    p = solver.parameters
    p.random_seed = seed
    p.num_workers = workers
    p.log_search_progress = log
    # Ctrl-C stops the search and keeps the best solution, but through interrupt.run:
    # CP-SAT's own handler would forget it after one solve (see interrupt.py).
    p.catch_sigint_signal = False
    if deterministic:
        p.max_deterministic_time = time_limit
        p.max_time_in_seconds = safety_cap(time_limit)
        if workers > 1:
            p.interleave_search = True
    else:
        p.max_time_in_seconds = time_limit
    if cpsat:
        p.merge_text_format(check_cpsat_parameters(cpsat))
    return solver
