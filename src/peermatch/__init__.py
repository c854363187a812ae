"""peermatch: form peer-coaching cohorts that meet every hard rule and are as diverse as possible.

The public API is re-exported here (``__all__``); the pipeline is reading
(:mod:`.io`) -> checks (:mod:`.presolve`) -> slot table (:mod:`.slots`) ->
warm start, bound and search (:mod:`.solvers`) -> the independent check
(:mod:`.violations`) -> writing (:mod:`.io.writers`, :mod:`.report`).

Modules
-------
model, rules, params, solution
    The domain model, the one vocabulary of hard rules, the search settings,
    and what a solve returns.
availability, levels, schedule, slots
    Weekly windows, seniority ladders, session series on real dates, and the
    slot table (who can attend which weekly slot).
graph, requests, waves, presolve
    Who must never meet, locks and ``together`` requests, later waves, and
    quick proofs of infeasibility.
violations, placement, metrics, summary
    The solver-free checker (with the placement rules' half of it:
    [limits], [presence], [required], [closeness]), quality figures, and the
    population summary.
previous_run, handedit
    The earlier run a repair starts from, and what the repair changed; the
    cohorts an organiser edited by hand (``peermatch check``).
deadline, interrupts, executor, errors
    The wall-clock budget, Ctrl-C and SIGTERM, in-process/worker/Dask tasks,
    and the errors raised for users' mistakes.

Packages
--------
io
    Reading the organiser's files and DataFrames; writing the outputs.
solvers
    The flat instance, the greedy start, the searches and the CP-SAT back end
    (:mod:`.solvers.cpsat`, the only package that imports OR-Tools).
report
    ``report.html`` and ``peermatch explain``, from an output folder.
generate
    Synthetic populations, optionally around a planted solution.
cli
    The ``peermatch`` command line, one module per command.
mdgp
    The maximally diverse grouping problem (MDGPLIB benchmark).
invitations
    ``peermatch invite``: messages, the ledger invitations.json, planning the
    differences, delivery (SMTP or .eml files).
web
    ``peermatch serve``: the organiser's workspace (the ``web`` extra).
bench
    Helpers for the benchmarks only (baselines, sweeps).
"""

from peermatch.availability import Window, format_availability, parse_availability
from peermatch.errors import InputError, InputProblem, PeermatchError
from peermatch.generate import generate_population
from peermatch.io import read_problem
from peermatch.io.frames import Frames, to_frames
from peermatch.io.writers import write_outputs
from peermatch.metrics import cohort_metrics
from peermatch.model import (
    CohortRules,
    Facilitator,
    HistoryLink,
    Participant,
    ProblemData,
    ProgramConfig,
    ScheduleRules,
    SolverSettings,
)
from peermatch.params import GreedyParams, NeighbourhoodParams, ParameterError, SolveParams
from peermatch.rules import Diagnosis, Rule, format_diagnoses
from peermatch.schedule import SessionTime, Slot, session_times
from peermatch.solution import Cohort, Result, Solution, Statistics, Status, Unassigned
from peermatch.solvers import repair, solve
from peermatch.violations import Violation, violations

__all__ = [
    "Cohort",
    "CohortRules",
    "Diagnosis",
    "Facilitator",
    "Frames",
    "GreedyParams",
    "HistoryLink",
    "InputError",
    "InputProblem",
    "NeighbourhoodParams",
    "ParameterError",
    "Participant",
    "PeermatchError",
    "ProblemData",
    "ProgramConfig",
    "Result",
    "Rule",
    "ScheduleRules",
    "SessionTime",
    "Slot",
    "Solution",
    "SolveParams",
    "SolverSettings",
    "Statistics",
    "Status",
    "Unassigned",
    "Violation",
    "Window",
    "cohort_metrics",
    "format_availability",
    "format_diagnoses",
    "generate_population",
    "parse_availability",
    "read_problem",
    "repair",
    "session_times",
    "solve",
    "to_frames",
    "violations",
    "write_outputs",
]
__version__ = "0.1.0"
