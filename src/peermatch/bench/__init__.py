"""Helpers for the benchmarks (``benchmarks/``) and their tests; not part of the engine.

Modules
-------
baselines
    Reference groupings to compare the solver with (random, greedy) and
    :func:`~peermatch.bench.baselines.evaluate`, which scores any grouping.
sweep
    A grid of generate-and-solve cases run through an executor (locally or on
    a Dask cluster), one row per case.
"""

__all__: list[str] = []
