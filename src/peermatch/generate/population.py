"""A population as a whole: :func:`generate_population`, its result and its program.

The drawing itself, section by section, is in :mod:`peermatch.generate._draw`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from peermatch.model import (
    CohortRules,
    DateRange,
    ProblemData,
    ProgramConfig,
    ProgramInfo,
    ScheduleRules,
    SolverSettings,
)
from peermatch.solution import Solution

__all__ = ["Population", "cohort_count", "default_config", "generate_population"]

from peermatch.generate._attributes import _history_pairs, _reporting_lines
from peermatch.generate._draw import _Draw
from peermatch.generate.tables import DIFFICULTIES, Difficulty


@dataclass(frozen=True)
class Population:
    """A generated population.

    Attributes
    ----------
    problem
        The validated problem (participants, facilitators, history, config).
    planted
        With ``planted=True``, the hidden assignment: cohorts with members,
        slot, sessions and facilitator, satisfying every hard rule.
    seed, difficulty
        The arguments it was generated with.
    """

    problem: ProblemData
    planted: Solution | None = None
    seed: int = 0
    difficulty: str = "normal"

    @property
    def size(self) -> int:
        """Number of participants."""
        return len(self.problem.participants)


def default_config(
    name: str = "Synthetic peer coaching program", program_id: str = "synthetic"
) -> ProgramConfig:
    """The program generated populations use: the contract's defaults plus a few blackout dates.

    Diversity weights are written out explicitly (industry and function at
    1.0) so that the files say what is optimised.
    """
    return ProgramConfig(
        program=ProgramInfo(name=name, id=program_id),
        cohort=CohortRules(),
        diversity={"industry": 1.0, "function": 1.0},
        schedule=ScheduleRules(
            blackout_dates=(
                DateRange.parse("2027-03-26"),
                DateRange.parse("2027-05-31"),
                DateRange.parse("2027-08-02..2027-08-13"),
                DateRange.parse("2027-12-20..2028-01-03"),
            )
        ),
        # Pinned like the example's: a generated program reproduces on any machine.
        solver=SolverSettings(workers=1),
    )


def cohort_count(size: int, rules: CohortRules) -> int | None:
    """How many cohorts to form: ``round(size / target_size)`` if sizes can fit, else the nearest count that fits.

    ``k`` cohorts can hold ``size`` people within ``min_size..max_size``
    exactly when ``k * min_size <= size <= k * max_size``; ``None`` when no
    ``k`` does (13 people with sizes 7..12, say).
    """
    lo = max(1, math.ceil(size / rules.max_size))
    hi = size // rules.min_size
    if lo > hi:
        return None
    wanted = max(1, round(size / rules.target_size))
    return min(range(lo, hi + 1), key=lambda k: (abs(k - wanted), k))


def generate_population(
    size: int,
    seed: int,
    *,
    planted: bool = False,
    difficulty: str | Difficulty = "normal",
    facilitators: bool = True,
    config: ProgramConfig | None = None,
) -> Population:
    """Draw a synthetic population, deterministic per ``seed``.

    Parameters
    ----------
    size
        Number of participants (at least 1; with ``planted`` at least ``min_size``).
    seed
        Seed of the :class:`numpy.random.Generator` everything is drawn from.
    planted
        Draw a hidden feasible assignment first and generate around it
        (see the module docstring); it is returned as ``Population.planted``.
    difficulty
        ``easy``, ``normal``, ``hard`` or a :class:`Difficulty`.
    facilitators
        Whether to generate facilitators (about one per 15 participants).
    config
        The program's rules; default :func:`default_config`. Planted
        populations honour its cohort sizes, ``max_level_gap`` and schedule;
        ``similarity`` attributes are not supported.

    Returns
    -------
    Population

    Raises
    ------
    ValueError
        On a bad size or difficulty, or when ``planted`` and no number of
        cohorts fits ``size`` people within ``min_size..max_size``.
    """
    knobs = _difficulty(difficulty)
    if size < 1:
        raise ValueError("size must be at least 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    config = config or default_config(
        name=f"Synthetic program ({size} participants, seed {seed})",
        program_id=f"synthetic-{size}-{seed}",
    )
    if config.similarity:
        raise ValueError("generated populations do not support similarity attributes")
    rules = config.cohort
    k = cohort_count(size, rules)
    if planted and k is None:
        raise ValueError(
            f"{size} people cannot be split into cohorts of {rules.min_size}..{rules.max_size}"
        )
    # The steps below draw from one generator in a fixed order: reordering them
    # would change every population of every seed.
    draw = _Draw(np.random.default_rng(seed), size, k, planted, knobs, config)
    draw.people()
    if planted:
        draw.planted_slots()
        if facilitators:
            draw.planted_facilitators()
    draw.availability()
    manager = _reporting_lines(draw.rng, draw.org, draw.level, draw.org_sizes, knobs.report_share)
    history_pairs = _history_pairs(draw.rng, size, draw.org, draw.cohort, knobs.history_per_person)
    participants = draw.participants(manager)
    facs, fac_history = draw.facilitators() if facilitators else ([], [])
    problem = ProblemData(
        participants=tuple(participants),
        facilitators=tuple(facs),
        history=tuple(draw.links(history_pairs, fac_history)),
        config=config,
    )
    plant = draw.plant(facs) if planted else None
    return Population(problem=problem, planted=plant, seed=seed, difficulty=knobs.name)


def _difficulty(difficulty: str | Difficulty) -> Difficulty:
    if not isinstance(difficulty, str):
        return difficulty
    if difficulty not in DIFFICULTIES:
        raise ValueError(f"difficulty must be one of {', '.join(DIFFICULTIES)}, not '{difficulty}'")
    return DIFFICULTIES[difficulty]
