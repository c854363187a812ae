"""Ctrl-C and SIGTERM: stop the work in hand, keep what is worth keeping, lose nothing.

A scheduler, a container runtime or ``timeout`` stops a program with SIGTERM;
a person at a terminal presses Ctrl-C (SIGINT). peermatch treats both alike.
Within :func:`catching` both are caught, and what a signal does depends on
the section it arrives in:

- by default it raises :class:`Interrupted` (a :class:`KeyboardInterrupt`),
  so that reading the input, say, stops at once and nothing is written;
- within :func:`deferred` (and after :func:`hold`) it only records the
  signal: the solver polls :func:`requested` and stops its search, keeping
  the best solution found so far, and writing an output folder runs to its
  end, so the folder is written whole (see :mod:`peermatch.io.outdir`).

:func:`critical` is for a section that no signal may cut short even when no
:func:`catching` block is active (the library's ``write_outputs``): signals
are recorded and, once the section is over, delivered again to whatever
handled them before, so a library user's own handling still happens.

A signal that was ignored when :func:`catching` began (``nohup``, a shell's
background job) stays ignored. Only the main thread can own a signal
handler; elsewhere :func:`catching` does nothing. This module imports no
solver, so that the command line and the writers can use it.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

__all__ = [
    "SIGNALS",
    "Interrupted",
    "active",
    "catching",
    "critical",
    "deferred",
    "hold",
    "received",
    "requested",
]

#: The signals handled, by name (SIGTERM is missing on no platform Python supports).
SIGNALS = ("SIGINT", "SIGTERM")


class Interrupted(KeyboardInterrupt):
    """A handled signal arrived outside :func:`deferred`; ``signal`` is its name."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.signal = name


class _State:
    def __init__(self) -> None:
        self.received: str | None = None
        self.deferring = 0


_state: _State | None = None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    state = _state
    name = signal.Signals(signum).name
    if state is None:  # pragma: no cover - the handler is only installed with a state
        raise Interrupted(name)
    if state.received is None:
        state.received = name
    if not state.deferring:
        raise Interrupted(name)


@contextmanager
def catching(*, redeliver: bool = False) -> Iterator[None]:
    """Within this block SIGINT and SIGTERM are handled as the module docstring says.

    Nested blocks, and blocks outside the main thread, change nothing.

    Parameters
    ----------
    redeliver
        When the block ends, send the first signal it caught again, to the
        handler that was in place before (used by :func:`critical`).
    """
    global _state
    if threading.current_thread() is not threading.main_thread() or _state is not None:
        yield
        return
    _state = state = _State()
    previous: dict[int, Any] = {}
    try:
        for name in SIGNALS:
            number = getattr(signal, name, None)
            current = signal.getsignal(number) if number is not None else None
            # An ignored signal stays ignored; one handled outside Python (None) cannot
            # be handed back afterwards, so it is left alone.
            if number is not None and current is not None and current is not signal.SIG_IGN:
                previous[number] = signal.signal(number, _on_signal)
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
        _state = None
        if redeliver and state.received is not None:
            signal.raise_signal(getattr(signal, state.received))


@contextmanager
def deferred() -> Iterator[None]:
    """Within :func:`catching`, a signal in this block is only recorded (see :func:`requested`)."""
    state = _state
    if state is None:
        yield
        return
    state.deferring += 1
    try:
        yield
    finally:
        state.deferring -= 1


def hold() -> None:
    """From now to the end of the current :func:`catching` block, signals are only recorded."""
    if _state is not None:
        _state.deferring += 1


@contextmanager
def critical() -> Iterator[None]:
    """A section no signal cuts short: recorded, then delivered once it is over (see above).

    Within a :func:`catching` block this is :func:`deferred`: the block's
    owner sees the signal through :func:`requested`.
    """
    with catching(redeliver=True), deferred():
        yield


def active() -> bool:
    """Whether a :func:`catching` block is handling signals now."""
    return _state is not None


def requested() -> bool:
    """Whether SIGINT or SIGTERM arrived within the current :func:`catching` block."""
    return _state is not None and _state.received is not None


def received() -> str | None:
    """The name of the first signal received within the current :func:`catching` block."""
    return _state.received if _state is not None else None
