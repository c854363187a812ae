"""peermatch: form peer-coaching cohorts that meet every hard rule and are as diverse as possible.

The public API is re-exported here; see the README for a tour.
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
