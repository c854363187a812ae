"""Reading an organiser's files: participants, history, facilitators, earlier cohorts, config.

The entry point is :func:`read_problem`, which reads every file (or pandas
DataFrame) of a program
and raises :class:`~peermatch.errors.InputError` listing every problem found
across all of them as ``file:row:column: message``.
"""

from peermatch.io.config import read_config
from peermatch.io.csvfile import InputWarning
from peermatch.io.problem import read_problem
from peermatch.io.readers import (
    read_facilitators,
    read_history,
    read_participants,
    read_previous,
)

__all__ = [
    "InputWarning",
    "read_config",
    "read_facilitators",
    "read_history",
    "read_participants",
    "read_previous",
    "read_problem",
]
