"""The JSON bodies of the API (``/api/v1``), as pydantic models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "BoardCohort",
    "BoardMember",
    "BoardPage",
    "BoardUnassigned",
    "CohortsAnswer",
    "CohortsCohort",
    "Created",
    "InputAnswer",
    "InputStatus",
    "InviteRequest",
    "LockRequest",
    "MoveCheck",
    "MoveRequest",
    "MoveViolation",
    "Problem",
    "ProblemsAnswer",
    "ProgramDetail",
    "ProgramIn",
    "ProgramSummary",
    "RepairRequest",
    "RevisionAnswer",
    "RunCreated",
    "RunRequest",
    "RunStatus",
    "SmtpIn",
]


class ProgramIn(BaseModel):
    """``POST /api/v1/programs``."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)


class Created(BaseModel):
    """The id of something created."""

    id: int


class Problem(BaseModel):
    """One problem of an input file: ``file:row:column: message``."""

    file: str
    row: int | str | None
    column: str | None
    message: str


class InputAnswer(BaseModel):
    """A table accepted: its data rows and warnings."""

    rows: int | None
    warnings: list[str]


class ProblemsAnswer(BaseModel):
    """A table (or a program) refused: every problem."""

    problems: list[Problem]
    warnings: list[str] = []


class InputStatus(BaseModel):
    """One stored input table of a program."""

    table: str
    format: str
    size: int
    rows: int | None
    warnings: list[str]
    problems: list[Problem]
    uploaded: str


class ProgramSummary(BaseModel):
    """A program in the list."""

    id: int
    name: str
    created: str


class RunStatus(BaseModel):
    """``GET /api/v1/runs/{run_id}`` and each server-sent event."""

    run_id: int
    program_id: int
    kind: str
    parent_run: int | None
    status: str
    phase: str
    elapsed: float
    limit: float | None
    objective: float | None
    bound: float | None
    gap: float | None
    exit_code: int | None
    message: str
    diagnosis: list[Any]
    has_solution: bool
    created: str


class ProgramDetail(BaseModel):
    """``GET /api/v1/programs/{id}``."""

    id: int
    name: str
    created: str
    inputs: dict[str, InputStatus]
    runs: list[RunStatus]
    config_toml: str | None


class RunRequest(BaseModel):
    """``POST /api/v1/programs/{id}/runs``."""

    model_config = ConfigDict(extra="forbid")
    time_limit: float | None = Field(default=None, gt=0, le=7 * 24 * 3600)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    deterministic: bool = False
    allow_unassigned: bool = False


class RunCreated(BaseModel):
    """A run queued (or the one already queued for the same request)."""

    run_id: int


class RepairRequest(BaseModel):
    """``POST /api/v1/runs/{run_id}/repair``."""

    model_config = ConfigDict(extra="forbid")
    time_limit: float | None = Field(default=None, gt=0, le=7 * 24 * 3600)
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    deterministic: bool = False


class CohortsCohort(BaseModel):
    """A cohort in ``GET .../cohorts``."""

    cohort_id: str
    slot: str | None
    facilitator_id: str | None
    members: list[str]


class CohortsAnswer(BaseModel):
    """``GET /api/v1/runs/{run_id}/cohorts``."""

    revision: int
    cohorts: list[CohortsCohort]
    unassigned: list[str]


class MoveRequest(BaseModel):
    """A move: ``to_cohort`` null takes the person out (unassigned)."""

    model_config = ConfigDict(extra="forbid")
    participant_id: str = Field(min_length=1)
    to_cohort: str | None = None
    force: bool = False


class MoveViolation(BaseModel):
    """A rule a move would break."""

    rule: str
    message: str
    people: list[str]
    cohort: str | None = None


class MoveCheck(BaseModel):
    """What a move would do: ``allowed`` when every rule holds."""

    allowed: bool
    violations: list[MoveViolation]
    objective_delta: float


class RevisionAnswer(BaseModel):
    """The revision after a move, undo or redo."""

    revision: int
    move: dict[str, Any] | None = None
    violations: list[MoveViolation] = []
    objective_delta: float | None = None


class LockRequest(BaseModel):
    """Lock or unlock one member or one whole cohort."""

    model_config = ConfigDict(extra="forbid")
    participant_id: str | None = None
    cohort_id: str | None = None
    locked: bool = True

    @model_validator(mode="after")
    def _one(self) -> LockRequest:
        if (self.participant_id is None) == (self.cohort_id is None):
            raise ValueError("give exactly one of participant_id and cohort_id")
        return self


class BoardMember(BaseModel):
    """A member card on the board."""

    id: str
    name: str
    organisation: str
    level: str
    local_time: str
    timezone: str
    locked: bool


class BoardCohort(BaseModel):
    """A cohort card on the board."""

    cohort_id: str
    slot: str
    facilitator_id: str | None
    facilitator: str
    locked: bool
    members: list[BoardMember]


class BoardUnassigned(BaseModel):
    """Someone not placed, and why."""

    id: str
    name: str
    organisation: str
    level: str
    reason: str
    locked: bool


class BoardPage(BaseModel):
    """``GET /api/v1/runs/{run_id}/board``: one page of cohorts (filtered), and the unassigned."""

    run_id: int
    revision: int
    can_undo: bool
    can_redo: bool
    total: int
    offset: int
    limit: int
    cohorts: list[BoardCohort]
    unassigned: list[BoardUnassigned]
    objective: float


class SmtpIn(BaseModel):
    """The mail server of an invitation run (as ``peermatch invite``'s SMTP options)."""

    model_config = ConfigDict(extra="forbid")
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    user: str | None = None
    password: str | None = None


class InviteRequest(BaseModel):
    """``POST /api/v1/runs/{run_id}/invite``: as ``peermatch invite`` on the current revision."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    sender: str = Field(alias="from", min_length=3)
    smtp: SmtpIn | None = None
    dry_run: bool = False
