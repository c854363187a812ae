"""How the command line reports a user's error: the library's message, no traceback.

Every :class:`~peermatch.errors.PeermatchError` that reaches the command
line is printed as its message on stderr and exits with its ``exit_code``
(the contract's: 1 invalid input, 2 usage). ``peermatch --debug`` prints the
traceback first. Any other exception is a bug and keeps Python's traceback.
"""

from __future__ import annotations

import traceback
from typing import Any

import click

from peermatch.errors import InputError, PeermatchError

__all__ = ["ErrorReportingGroup", "user_message"]


def user_message(error: PeermatchError) -> str:
    """The text the command line prints for ``error``."""
    if isinstance(error, InputError):
        return f"{error}\n{len(error.problems)} problem(s) found; nothing was changed."
    return str(error)


class ErrorReportingGroup(click.Group):
    """A command group that reports :class:`PeermatchError` s without a traceback (unless ``--debug``)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PeermatchError as exc:
            if ctx.params.get("debug"):
                click.echo(traceback.format_exc().rstrip(), err=True)
            click.echo(user_message(exc), err=True)
            ctx.exit(exc.exit_code)
