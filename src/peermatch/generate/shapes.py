"""Hard shapes: planted populations bent toward what makes cohorts hard to form (issue 25).

Each shape starts from a planted population
(:func:`~peermatch.generate.population.generate_population` with
``planted=True``) and changes it in a way that keeps the planted cohorts
within every rule, so a solution is still known to exist:

``sponsor``
    One organisation sends one person per planted cohort (a sponsor): every
    cohort must hold exactly one of them. The person chosen in each cohort
    changes organisation; organisations are per cohort at most one either way.
``two-sponsors``
    A second sponsor beside the first, with one person in 70 % of the
    planted cohorts (different people from the first sponsor's).
``narrow-levels``
    ``max_level_gap = 0``: every cohort is of one level (planted so).
``scarce-slots``
    The ``hard`` knobs with no slack around the planted sessions and few
    cohorts inside the default window: the common slots are mostly the
    planted ones.
``facilitators-at-capacity``
    Only the planted facilitators, each able to lead exactly the cohorts it
    leads in the planted solution: every facilitator seat is needed.
``locks-together``
    Many lock and ``together`` groups (locks.csv, pairs.csv): 40 % of the
    planted cohorts have one to three members locked to the cohort's planted
    id, and 60 % hold a ``together`` pair or chain of three (all inside the
    planted cohort, so it keeps them; a chain may include a locked person).
``alumni-wave``
    A second wave: 60 % of the people are alumni of a first wave whose
    cohorts (``previous_cohorts.csv``, read with ``--previous``) hold eight
    people of neighbouring levels, all from different organisations and
    different planted cohorts (so the planted cohorts meet nobody twice).

Everything is a pure function of the shape, size and seed.
"""

from __future__ import annotations

import random
from dataclasses import replace
from itertools import combinations, pairwise

from peermatch.generate.population import Population, default_config, generate_population
from peermatch.generate.tables import DIFFICULTIES
from peermatch.model import CohortRules, HistoryLink, Lock, PairRequest

__all__ = ["PREVIOUS_FILE", "SHAPES", "shaped_population"]

#: The shapes, each with a line saying what it is.
SHAPES: dict[str, str] = {
    "sponsor": "one organisation with one person in every cohort",
    "two-sponsors": "two sponsor organisations (every cohort, and 70 % of them)",
    "narrow-levels": "max_level_gap = 0: every cohort of one level",
    "scarce-slots": "no slack around the planted sessions: few common slots",
    "facilitators-at-capacity": "only the planted facilitators, every seat needed",
    "locks-together": "locks in 40 % of the cohorts, together pairs or chains in 60 %",
    "alumni-wave": "a second wave: 60 % alumni of first-wave cohorts of eight",
}

_SPONSORS = ("Sponsor Holdings", "Second Sponsor Group")
#: The ``source`` of the first wave's links: the file ``peermatch generate`` writes them to.
PREVIOUS_FILE = "previous_cohorts.csv"
#: alumni-wave: the share of alumni and the size of a first-wave cohort.
_ALUMNI_SHARE, _WAVE_SIZE = 0.6, 8


def shaped_population(shape: str, size: int, seed: int, *, facilitators: bool = True) -> Population:
    """A planted population of ``size`` people in ``shape`` (see the module docstring).

    Parameters
    ----------
    shape
        One of :data:`SHAPES`.
    size, seed
        As for :func:`~peermatch.generate.population.generate_population`.
    facilitators
        Whether to generate facilitators (``facilitators-at-capacity`` needs them).

    Raises
    ------
    ValueError
        On an unknown shape, or as :func:`generate_population` does.
    """
    if shape not in SHAPES:
        raise ValueError(f"shape must be one of {', '.join(SHAPES)}, not '{shape}'")
    if shape == "facilitators-at-capacity" and not facilitators:
        raise ValueError("the facilitators-at-capacity shape needs facilitators")
    config = default_config(
        name=f"Synthetic program ({size} participants, seed {seed}, {shape})",
        program_id=f"synthetic-{size}-{seed}-{shape}",
    )
    difficulty = DIFFICULTIES["normal"]
    if shape == "narrow-levels":
        config = config.model_copy(update={"cohort": CohortRules(max_level_gap=0)})
    if shape == "scarce-slots":
        difficulty = replace(DIFFICULTIES["hard"], name="hard", default_slot_share=0.2)
    population = generate_population(
        size, seed, planted=True, difficulty=difficulty, facilitators=facilitators, config=config
    )
    if shape in ("sponsor", "two-sponsors"):
        population = _with_sponsors(population, 2 if shape == "two-sponsors" else 1, seed)
    if shape == "facilitators-at-capacity":
        population = _facilitators_at_capacity(population)
    if shape == "locks-together":
        population = _with_locks_and_pairs(population, seed)
    if shape == "alumni-wave":
        population = _with_first_wave(population, seed)
    return population


def _with_sponsors(population: Population, sponsors: int, seed: int) -> Population:
    """One person of each planted cohort (70 % of them for the second) joins a sponsor."""
    assert population.planted is not None
    rng = random.Random(seed)
    moved: dict[str, str] = {}
    for members in (c.members for c in population.planted.cohorts):
        chosen = rng.sample(list(members), min(sponsors, len(members)))
        moved[chosen[0]] = _SPONSORS[0]
        if sponsors > 1 and len(chosen) > 1 and rng.random() < 0.7:
            moved[chosen[1]] = _SPONSORS[1]
    people = tuple(
        p.model_copy(update={"organisation": moved[p.id]}) if p.id in moved else p
        for p in population.problem.participants
    )
    return _with(population, participants=people)


def _facilitators_at_capacity(population: Population) -> Population:
    """Only the facilitators leading planted cohorts, each with exactly the cohorts it leads."""
    assert population.planted is not None
    led: dict[str, int] = {}
    for cohort in population.planted.cohorts:
        if cohort.facilitator_id is not None:
            led[cohort.facilitator_id] = led.get(cohort.facilitator_id, 0) + 1
    facs = tuple(
        f.model_copy(update={"max_cohorts": led[f.id]})
        for f in population.problem.facilitators
        if f.id in led
    )
    gone = {f.id for f in population.problem.facilitators} - set(led)
    history = tuple(h for h in population.problem.history if h.a not in gone and h.b not in gone)
    return _with(population, facilitators=facs, history=history)


def _with_locks_and_pairs(population: Population, seed: int) -> Population:
    """Locks to planted ids and ``together`` pairs or chains, all inside planted cohorts."""
    assert population.planted is not None
    rng = random.Random(seed)
    locks: list[Lock] = []
    pairs: list[PairRequest] = []
    for cohort in population.planted.cohorts:
        members = list(cohort.members)
        if rng.random() < 0.4:
            for pid in sorted(rng.sample(members, min(len(members), rng.randint(1, 3)))):
                locks.append(Lock(participant_id=pid, cohort_id=cohort.id))
        if rng.random() < 0.6:
            chain = rng.sample(members, min(len(members), rng.choice((2, 2, 3))))
            pairs += [PairRequest(a=a, b=b, rule="together") for a, b in pairwise(chain)]
    return _with(population, locks=tuple(locks), pairs=tuple(pairs))


def _with_first_wave(population: Population, seed: int) -> Population:
    """First-wave cohorts of alumni (as links from :data:`PREVIOUS_FILE`) the planted cohorts keep.

    Alumni are taken in level order, so a first-wave cohort spans few levels
    as it did; each joins the first open group holding nobody of their
    organisation or planted cohort (so every earlier cohort's members sit in
    different planted cohorts, and the planted solution stays within the rules).
    """
    assert population.planted is not None
    rng = random.Random(seed)
    where = {m: c.id for c in population.planted.cohorts for m in c.members}
    people = {p.id: p for p in population.problem.participants}
    alumni = rng.sample(sorted(people), round(_ALUMNI_SHARE * len(people)))
    alumni.sort(key=lambda pid: people[pid].level)
    groups: list[list[str]] = []
    for pid in alumni:
        for group in groups:
            if len(group) < _WAVE_SIZE and all(
                where[m] != where[pid] and people[m].organisation != people[pid].organisation
                for m in group
            ):
                group.append(pid)
                break
        else:
            groups.append([pid])
    known = {(h.a, h.b) for h in population.problem.history}
    links = [
        HistoryLink(a=a, b=b, relation=f"earlier cohort W1-{g + 1:02d}", source=PREVIOUS_FILE)
        for g, group in enumerate(groups)
        for a, b in combinations(sorted(group), 2)
        if (a, b) not in known and (b, a) not in known
    ]
    return _with(population, history=population.problem.history + tuple(links))


def _with(population: Population, **parts: object) -> Population:
    """The population with some of its problem's parts replaced (validated again)."""
    return replace(population, problem=population.problem.replace(**parts))
