"""peermatch.interrupts: how SIGINT and SIGTERM act in each kind of section (real signals, in process)."""

from __future__ import annotations

import signal
import threading
from types import FrameType

import pytest

from peermatch import interrupts

pytestmark = pytest.mark.usefixtures("python_signal_defaults")


BOTH = pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])


@BOTH
def test_outside_deferred_a_signal_raises_interrupted(signum: int) -> None:
    before = signal.getsignal(signum)
    with pytest.raises(interrupts.Interrupted) as info, interrupts.catching():
        signal.raise_signal(signum)
    assert info.value.signal == signal.Signals(signum).name
    assert isinstance(info.value, KeyboardInterrupt)
    assert signal.getsignal(signum) is before and not interrupts.active()


@BOTH
def test_within_deferred_a_signal_is_only_recorded(signum: int) -> None:
    with interrupts.catching():
        assert not interrupts.requested()
        with interrupts.deferred():
            signal.raise_signal(signum)
            signal.raise_signal(signal.SIGINT)  # a second signal does not replace the first
        assert interrupts.requested() and interrupts.received() == signal.Signals(signum).name
    assert not interrupts.requested() and interrupts.received() is None


def test_hold_defers_to_the_end_of_the_block() -> None:
    with interrupts.catching():
        interrupts.hold()
        signal.raise_signal(signal.SIGTERM)
        assert interrupts.received() == "SIGTERM"
    with pytest.raises(interrupts.Interrupted), interrupts.catching():
        signal.raise_signal(signal.SIGTERM)  # a new block starts in the raising mode


def test_critical_delivers_the_signal_afterwards_to_the_previous_handler() -> None:
    events: list[str] = []

    def mine(signum: int, frame: FrameType | None) -> None:
        events.append(f"handler {signal.Signals(signum).name}")

    previous = signal.signal(signal.SIGTERM, mine)
    try:
        with interrupts.critical():
            signal.raise_signal(signal.SIGTERM)
            events.append("section goes on")
        events.append("after")
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert events == ["section goes on", "handler SIGTERM", "after"]


def test_critical_within_catching_leaves_the_signal_to_the_block() -> None:
    with interrupts.catching():
        with interrupts.critical():
            signal.raise_signal(signal.SIGINT)
        assert interrupts.received() == "SIGINT"  # recorded, not raised, not delivered again


def test_an_ignored_signal_stays_ignored() -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        with interrupts.catching():
            assert signal.getsignal(signal.SIGTERM) is signal.SIG_IGN
            signal.raise_signal(signal.SIGTERM)
            assert not interrupts.requested()
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_nested_and_other_threads_change_nothing() -> None:
    with interrupts.catching():
        handler = signal.getsignal(signal.SIGTERM)
        with interrupts.catching():
            assert signal.getsignal(signal.SIGTERM) is handler
        assert interrupts.active()  # the inner block did not end the outer one
    seen: list[bool] = []

    def elsewhere() -> None:
        with interrupts.catching():
            seen.append(interrupts.active())

    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [False]
