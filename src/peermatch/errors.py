"""The errors peermatch raises for its users' mistakes, and input problems as ``file:row:column: message``.

Every error a caller of the public API can cause by what they pass in (a bad
file, a bad DataFrame, an unusable output folder) is a :class:`PeermatchError`
whose message is the text the command line prints; the command line catches
them and prints that text without a traceback (``peermatch --debug`` shows it).
Any other exception is a bug in peermatch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import ClassVar

__all__ = ["InputError", "InputProblem", "PeermatchError"]


class PeermatchError(Exception):
    """Base of every error caused by the caller's input or settings, not by a bug.

    ``str(error)`` is the message the command line prints for it, and
    ``exit_code`` the command line's exit status (the contract's: 1 invalid
    input, 2 usage error).
    """

    exit_code: ClassVar[int] = 1


@dataclass(frozen=True)
class InputProblem:
    """One problem in one input file (or DataFrame).

    ``row`` counts file lines as a spreadsheet does (the header is row 1); for
    a DataFrame it is the row's index label. ``row`` and ``column`` are
    ``None`` when the problem concerns the whole file (or, for a DataFrame,
    its columns).
    """

    file: str
    row: int | str | None
    column: str | None
    message: str

    def __str__(self) -> str:
        row = "" if self.row is None else str(self.row)
        col = self.column or ""
        return f"{self.file}:{row}:{col}: {self.message}"

    def sort_key(self) -> tuple[str, int, int, str, str, str]:
        """File, then whole-file problems, then rows in order (numbers before text labels)."""
        if self.row is None:
            kind, number, label = 0, 0, ""
        elif isinstance(self.row, int):
            kind, number, label = 1, self.row, ""
        else:
            kind, number, label = 2, 0, self.row
        return (self.file, kind, number, label, self.column or "", self.message)

    def __lt__(self, other: InputProblem) -> bool:
        return self.sort_key() < other.sort_key()


class InputError(PeermatchError):
    """Invalid input: every problem found, not just the first.

    Attributes
    ----------
    problems
        The problems, sorted by file and row, without repeats.
    """

    exit_code: ClassVar[int] = 1

    def __init__(self, problems: Iterable[InputProblem]):
        self.problems = sorted(set(problems), key=InputProblem.sort_key)
        super().__init__("\n".join(str(p) for p in self.problems))
