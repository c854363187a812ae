"""Search settings as validated parameter objects, in the manner of PyVRP's ``SolveParams``.

:class:`SolveParams` holds what one solve needs (time limit, determinism,
seed, workers, CP-SAT parameters passed through); :class:`NeighbourhoodParams`
tunes the large-neighbourhood search and :class:`GreedyParams` the greedy
warm start. All are frozen dataclasses that check their values when built,
and all load from program.toml's ``[solver]`` table
(``[solver.neighbourhood]``, ``[solver.greedy]``, ``[solver.cpsat]``; see
:meth:`peermatch.model.SolverSettings.params`). This module imports no solver.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from pydantic import ConfigDict

from peermatch.errors import PeermatchError

__all__ = ["GreedyParams", "NeighbourhoodParams", "ParameterError", "SolveParams"]

# Unknown keys in program.toml's [solver.neighbourhood] / [solver.greedy] are errors.
_STRICT = ConfigDict(extra="forbid")


class ParameterError(PeermatchError, ValueError):
    """A search setting is out of range or unknown (program.toml's ``[solver]`` or the API)."""


def _check(obj: object, minimum: Mapping[str, float]) -> None:
    """Raise :class:`ParameterError` for the first field below its minimum."""
    for name, low in minimum.items():
        value = getattr(obj, name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ParameterError(f"{name} must be a number, not {value!r}")
        if value < low:
            raise ParameterError(f"{name} must be at least {low}, not {value}")


@dataclass(frozen=True)
class NeighbourhoodParams:
    """The large-neighbourhood search (``[solver.neighbourhood]``).

    Attributes
    ----------
    step_overhead
        Deterministic seconds charged per neighbourhood for building its model
        (Python time that deterministic time does not see).
    step_limit
        Seconds per neighbourhood solve.
    min_cohorts, max_cohorts
        Cohorts per neighbourhood: it starts at ``min_cohorts`` and grows by
        one after every ``stale_steps`` steps without progress, up to
        ``max_cohorts``.
    stale_steps
        Steps without progress before the neighbourhood widens.
    max_extra
        People left out that one neighbourhood tries to take in.
    facilitator_pool
        Facilitators a step offers besides those leading its cohorts (a
        seeded sample; the sub-model grows with every facilitator offered).
    excess_pool
        Cohorts ranked per "too many of one value" neighbourhood, at most (a
        seeded sample beyond: ranking reads every member's options).
    operator_decay
        Weight an operator's past gains and seconds keep at each of its calls
        (the adaptive choice between swap descents and steps).
    operator_min_share
        Least share of the search's time each operator gets.
    placement_steps
        Steps on people left out that place nobody before the search tries
        the whole program at once (placement first; see
        :mod:`peermatch.solvers.placement`).
    whole_model_people
        Up to this many people, that whole-program attempt is made (a CP-SAT
        model of everyone, hinted with the current grouping, for half of what
        is left of the search); above it the search keeps to neighbourhoods.
        With a wall-clock limit the attempt is also skipped when building the
        model would take more than a quarter of what is left
        (:func:`peermatch.solvers.search.lns.whole_build_time`).
    whole_build_seconds
        Wall-clock seconds to build the whole-program model per assignment
        variable, about (measured with every placement rule: 0.7 ms at
        n = 300 and 0.9 ms at n = 1,000 on 2 loaded cores; about half on
        quiet ones).
    swap_stall
        A swap descent stops after this many people per cohort (plus 200)
        tried in a row without an improvement.
    excess_share
        Share of the steps built around an over-full value (a "too many of one
        value" neighbourhood); the others free a random cohort and its
        neighbours in seniority, which also moves people where no value is
        over-full.
    step_limit_growth
        A step's time limit doubles while steps find nothing, up to this many
        times ``step_limit`` (at n = 100,000 CP-SAT's presolve alone took 1 s).
    """

    __pydantic_config__ = _STRICT

    step_overhead: float = 0.08
    step_limit: float = 1.0
    min_cohorts: int = 6
    max_cohorts: int = 16
    stale_steps: int = 15
    max_extra: int = 8
    facilitator_pool: int = 48
    excess_pool: int = 64
    operator_decay: float = 0.8
    operator_min_share: float = 0.15
    placement_steps: int = 6
    whole_model_people: int = 1500
    whole_build_seconds: float = 0.0005
    swap_stall: int = 4
    excess_share: float = 0.75
    step_limit_growth: float = 8.0

    def __post_init__(self) -> None:
        _check(
            self,
            {
                "step_overhead": 0,
                "step_limit": 0.01,
                "min_cohorts": 1,
                "max_cohorts": 1,
                "stale_steps": 1,
                "max_extra": 1,
                "facilitator_pool": 1,
                "excess_pool": 1,
                "operator_decay": 0,
                "operator_min_share": 0,
                "placement_steps": 1,
                "whole_model_people": 0,
                "whole_build_seconds": 0,
                "swap_stall": 1,
                "excess_share": 0,
                "step_limit_growth": 1,
            },
        )
        if self.excess_share > 1:
            raise ParameterError(f"excess_share must be at most 1, not {self.excess_share}")
        if self.operator_decay >= 1:
            raise ParameterError(f"operator_decay must be below 1, not {self.operator_decay}")
        if self.operator_min_share >= 0.5:
            raise ParameterError(
                f"operator_min_share must be below 0.5, not {self.operator_min_share}"
            )
        if self.max_cohorts < self.min_cohorts:
            raise ParameterError(
                f"max_cohorts ({self.max_cohorts}) must be at least min_cohorts ({self.min_cohorts})"
            )


@dataclass(frozen=True)
class GreedyParams:
    """The greedy warm start (``[solver.greedy]``).

    Attributes
    ----------
    part_size
        The one size of a program's parts (about this many people each): the
        greedy start builds a larger program in interleaved parts, and above
        ``parts_threshold`` each part is solved on its own (greedy start and
        its own neighbourhood search, on the workers) before the whole search.
    parts_threshold
        Above this many people the program is solved in parts first
        (:mod:`peermatch.solvers.search.decompose`).
    parts_share
        Share of the time limit the parts get (the rest improves the whole).
    parts_end
        Wall clock: parts may start until this share of the time left when
        they began (a part's greedy start cannot stop half-way, so under load
        the parts can take longer than their share).
    attempts_share
        Wall clock: the greedy start tries further seeds only while this share
        of what was left at its start remains (the search places people left
        out better than another seed does).
    dynamic_order_limit
        Up to this many people, the insertion order is re-evaluated after every step.
    level_weight
        Cost of placing someone one level away from a cohort's planned level.
    fill_bonus
        Reward for placing someone in a cohort still below min_size (cohorts
        left small are dissolved).
    reach_weight
        Cost per person a cohort can no longer admit after a placement (keeps
        restricted people together).
    org_slack
        Seats planned per member of the largest organisation.
    """

    __pydantic_config__ = _STRICT

    part_size: int = 1200
    parts_threshold: int = 3000
    parts_share: float = 0.4
    parts_end: float = 0.8
    attempts_share: float = 0.75
    dynamic_order_limit: int = 800
    level_weight: int = 1500
    fill_bonus: int = 3000
    reach_weight: int = 200
    org_slack: int = 1

    def __post_init__(self) -> None:
        _check(
            self,
            {
                "part_size": 2,
                "parts_threshold": 0,
                "parts_share": 0.01,
                "parts_end": 0.01,
                "attempts_share": 0,
                "dynamic_order_limit": 0,
                "level_weight": 0,
                "fill_bonus": 0,
                "reach_weight": 0,
                "org_slack": 1,
            },
        )
        for name in ("parts_share", "parts_end", "attempts_share"):
            if getattr(self, name) > 1:
                raise ParameterError(f"{name} must be at most 1, not {getattr(self, name)}")


@dataclass(frozen=True)
class SolveParams:
    """Everything one solve needs besides the problem.

    Attributes
    ----------
    time_limit
        Seconds for the search (deterministic seconds when ``deterministic``).
    deterministic
        Measure the limit in CP-SAT's deterministic time, so the same input,
        seed and workers give the same cohorts on any machine.
    seed
        Random seed.
    workers
        CP-SAT workers; 0 (the default) means one per core, at most 8. A
        deterministic run reproduces for a given worker count.
    allow_unassigned
        Place as many as possible instead of failing.
    log
        Print CP-SAT's search log.
    lns_threshold
        Above this many participants the whole-model solve gives way to the
        large-neighbourhood search.
    neighbourhood, greedy
        See :class:`NeighbourhoodParams` and :class:`GreedyParams`.
    cpsat
        CP-SAT parameters passed through verbatim (names as in OR-Tools'
        ``sat_parameters.proto``, e.g. ``{"linearization_level": 2}``); they
        are applied last, so they override peermatch's own choices. The
        CP-SAT back end rejects unknown names.

    Examples
    --------
    >>> SolveParams(time_limit=5, workers=2).seed
    0
    >>> SolveParams(time_limit=0)
    Traceback (most recent call last):
    ...
    peermatch.params.ParameterError: time_limit must be more than 0, not 0
    """

    time_limit: float = 60.0
    deterministic: bool = True
    seed: int = 0
    workers: int = 0
    allow_unassigned: bool = False
    log: bool = False
    lns_threshold: int = 100
    neighbourhood: NeighbourhoodParams = field(default_factory=NeighbourhoodParams)
    greedy: GreedyParams = field(default_factory=GreedyParams)
    cpsat: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if isinstance(self.time_limit, bool) or not isinstance(self.time_limit, int | float):
            raise ParameterError(f"time_limit must be a number, not {self.time_limit!r}")
        if not self.time_limit > 0:
            raise ParameterError(f"time_limit must be more than 0, not {self.time_limit}")
        _check(self, {"seed": 0, "workers": 0, "lns_threshold": 0})
        if self.seed > 2**31 - 1:  # CP-SAT's seed is a 32-bit integer
            raise ParameterError(f"seed must be at most {2**31 - 1}, not {self.seed}")
        for name in ("seed", "workers", "lns_threshold"):
            if not isinstance(getattr(self, name), int):
                raise ParameterError(f"{name} must be a whole number, not {getattr(self, name)!r}")
        if not isinstance(self.neighbourhood, NeighbourhoodParams):
            raise ParameterError("neighbourhood must be a NeighbourhoodParams")
        if not isinstance(self.greedy, GreedyParams):
            raise ParameterError("greedy must be a GreedyParams")
        if not all(isinstance(k, str) for k in self.cpsat):
            raise ParameterError("cpsat parameter names must be strings")
        # Frozen all the way down: a read-only copy of the pass-through parameters.
        object.__setattr__(self, "cpsat", MappingProxyType(dict(self.cpsat)))

    def replace(self, **changes: Any) -> SolveParams:
        """A validated copy with ``changes``; ``None`` values are ignored (the default stays)."""
        current = {f.name: getattr(self, f.name) for f in fields(self)}
        current.update({k: v for k, v in changes.items() if v is not None})
        return SolveParams(**current)
