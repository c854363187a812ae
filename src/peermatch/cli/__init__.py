"""The ``peermatch`` command line: one module per command, all clients of the library.

Exit status (the contract): 0 done; 1 invalid input; 2 usage error;
3 proven infeasible; 4 no solution found within the time limit; 5 when the
solver found a solution that the independent checker rejected (a bug); 6 when
``invite`` stopped delivering partway.

Modules
-------
common
    Exit codes, the shared input options, reading the inputs, failing cleanly.
errors
    The group that turns a library error into its message and exit code.
progress
    The live progress display of a solve on stderr.
process
    The program's entry point: the deadline from the process's start, no teardown.
validate, run, generate, repair, report, check, mdgp, invite, serve
    One command each (``report`` also holds ``explain``; ``serve`` is the
    workspace of :mod:`peermatch.web`).
"""

from __future__ import annotations

import click

from peermatch.cli import (
    check,
    generate,
    invite,
    mdgp,
    process,
    repair,
    report,
    run,
    serve,
    validate,
)
from peermatch.cli.errors import ErrorReportingGroup

# The exit codes are peermatch.cli.common's (EXIT_OK ... EXIT_DELIVERY).
__all__ = ["command_line", "main"]


@click.group(
    cls=ErrorReportingGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(package_name="peermatch")
@click.option("--debug", is_flag=True, help="Show the traceback of an error (for bug reports).")
def main(debug: bool) -> None:
    """Form peer-coaching cohorts and schedule their sessions."""


# The submodules stay attributes of this package (``peermatch.cli.run`` is the
# module); each command is added by its module's name for it.
for _command in (
    validate.validate,
    run.run,
    repair.repair,
    report.report,
    report.explain,
    check.check,
    generate.generate,
    mdgp.mdgp,
    invite.invite,
    serve.serve,
):
    main.add_command(_command)


def command_line() -> None:
    """The ``peermatch`` program: :func:`main`, its deadline counted from the process's start,
    and an exit without the interpreter's teardown (:mod:`peermatch.cli.process`)."""
    process.begin()
    try:
        main()
        code: object = 0
    except SystemExit as exc:
        code = exc.code
    process.leave(code)
