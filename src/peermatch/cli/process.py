"""The command's process: when it started, and leaving it without the interpreter's teardown.

``--time-limit`` is wall-clock seconds for the whole run. Started as a
program (``peermatch`` or ``python -m peermatch``, through
:func:`peermatch.cli.command_line`), the run's deadline counts from the process's own
start, so that importing the libraries (about a second: OR-Tools, pandas,
pydantic) is inside the limit, and the process ends as soon as the last
file is written and the exit handlers have run: the interpreter's teardown
of those libraries took another 0.5-1.2 s (n = 300, issue 25: a 30 s run
ended 1.2 s after ``wrote ... files``). Called in-process (tests, the
library), nothing changes: the deadline starts with the command.
"""

from __future__ import annotations

import atexit
import os
import sys
import time
from typing import NoReturn

__all__ = ["begin", "command_start", "leave", "process_start"]

#: ``time.monotonic()`` at the process's start, set by :func:`begin`.
_STARTED: float | None = None


def process_start() -> float | None:
    """``time.monotonic()`` when this process started (Linux ``/proc``), ``None`` elsewhere."""
    try:
        with open("/proc/self/stat", encoding="ascii") as stat:
            # Field 22 (after the command name in parentheses): start time in clock ticks
            # after boot; /proc/uptime is seconds after boot, on the same clock.
            ticks = int(stat.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime", encoding="ascii") as uptime:
            now = float(uptime.read().split()[0])
        age = now - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return None
    return time.monotonic() - age if 0 <= age < 60 else None


def command_start() -> float:
    """When the command's deadline starts: the process's start as a program, else now."""
    return _STARTED if _STARTED is not None else time.monotonic()


def begin() -> None:
    """Count the command's deadline from the process's start (the program's entry point only)."""
    global _STARTED
    _STARTED = process_start()


def leave(code: object) -> NoReturn:
    """Exit with ``code`` (as :class:`SystemExit` takes it) without the interpreter's teardown."""
    if code is not None and not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    if sys.getprofile() is not None or sys.gettrace() is not None:
        # A profiler or coverage writes its data at the interpreter's own exit.
        sys.exit(code)
    # What the interpreter would still do that matters: the exit handlers, the streams.
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)
