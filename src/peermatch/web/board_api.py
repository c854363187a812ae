"""The board's routes under ``/api/v1/runs/{run_id}``: cohorts, moves, undo/redo, locks, repair, export."""

from __future__ import annotations

from fastapi import APIRouter

__all__ = ["router"]

router = APIRouter()
