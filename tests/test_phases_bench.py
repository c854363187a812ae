"""benchmarks/phases.py reads each phase's time from a run's own progress lines."""

from __future__ import annotations

from types import ModuleType

from helpers import load_benchmark


def _load() -> ModuleType:
    return load_benchmark("phases")


def test_phase_times_are_the_gaps_between_phase_starts_and_writing_runs_to_the_end() -> None:
    stderr = "\n".join([
        "reading       0.0s of 60s",
        "slot table    1.5s of 60s",
        "checking      2.5s of 60s",
        "warm start    3.2s of 60s",
        "warm start   19.2s of 60s  cost 2,444,000 (greedy start)",  # a later line: not a start
        "bound        19.2s of 60s",
        "search       19.4s of 60s",
        "search       32.8s of 60s  cost 2,440,000  bound 1,857,000  gap 23.89%",
        "writing      41.6s of 60s",
        "warning: something else entirely",
    ])  # fmt: skip
    times = _load().phase_times(stderr, 59.4)
    assert times == {
        "reading": 1.5, "slot table": 1.0, "checking": 0.7, "warm start": 16.0, "bound": 0.2,
        "search": 22.2, "writing": 17.8,
    }  # fmt: skip


def test_a_run_that_stopped_early_has_only_its_phases() -> None:
    times = _load().phase_times("reading 0.0s of 5s\nchecking 0.4s of 5s\n", 0.9)
    assert times == {"reading": 0.4, "checking": 0.5}
