"""Input problems reported to organisers as ``file:row:column: message``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["InputError", "InputProblem"]


@dataclass(frozen=True, order=True)
class InputProblem:
    """One problem in one input file.

    ``row`` counts file lines as a spreadsheet does (the header is row 1);
    ``row`` and ``column`` are ``None`` when the problem concerns the whole file.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        col = self.column or ""
        return f"{self.file}:{row}:{col}: {self.message}"


class InputError(Exception):
    """Invalid input: every problem found, not just the first."""

    def __init__(self, problems: Iterable[InputProblem]):
        self.problems = sorted(
            set(problems), key=lambda p: (p.file, p.row or 0, p.column or "", p.message)
        )
        super().__init__("\n".join(str(p) for p in self.problems))
