"""A seeded ensemble: many good groupings of one area, the few worth showing, and where they disagree.

Each member is the heuristic run with its own seed (drawn from the ensemble's seed, so member ``k`` is the
same whatever ``members`` is asked), optionally with its blend weight jittered around the one asked for.
Members are measured on the criteria of :mod:`clusterkit.explore.candidates`, the front is marked, and the
kept candidates are taken best first (front first, then by the objective), each at least ``min_vi`` from
those already kept (:func:`clusterkit.explore.diversity.select_diverse`). The plan diversity, the
consensus (the medoid member) and each practice's stability against it come from
:mod:`clusterkit.explore.diversity`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np

from clusterkit.errors import InputError
from clusterkit.explore.candidates import (Candidate, CandidateTask, criteria_of, solve_candidates)
from clusterkit.explore.diversity import (Diversity, PracticeStability, co_assignment, diversity, duplicate_of,
                                          encode, medoid, practice_stability, select_diverse, vi_matrix)
from clusterkit.explore.pareto import non_dominated
from clusterkit.explore.sweep import criteria_for
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.pieces import adjacency_for

__all__ = ["DEFAULT_MIN_VI", "Ensemble", "build_ensemble", "member_seeds", "run_members"]

#: Kept candidates differ from each other by at least this normalised variation of information.
DEFAULT_MIN_VI = 0.05

#: Most members an ensemble may have (64 is a good start; thousands belong on a cluster).
MAX_MEMBERS = 100_000


@dataclass(frozen=True)
class Ensemble:
    """The members of an ensemble and what they say together.

    Attributes
    ----------
    members : tuple of Candidate
        In member order (``c001``, ``c002``, ...).
    criteria : tuple of str
    non_dominated : tuple of bool
    duplicate_of : tuple of (int or None)
        Per member, the first earlier member with the very same grouping.
    vi : numpy.ndarray
        Members x members normalised variation of information.
    diversity : Diversity
    kept : tuple of int
        Members kept (good and mutually different), best first.
    consensus : int
        The medoid member among those meeting every rule.
    stability : tuple of PracticeStability
        Per practice, in code order.
    together : dict
        (practice, adjacent practice) -> share of members grouping them together.
    seconds : float
    min_vi : float
    """

    members: tuple[Candidate, ...]
    criteria: tuple[str, ...]
    non_dominated: tuple[bool, ...]
    duplicate_of: tuple[int | None, ...]
    vi: np.ndarray
    diversity: Diversity
    kept: tuple[int, ...]
    consensus: int
    stability: tuple[PracticeStability, ...]
    together: dict[tuple[str, str], float]
    seconds: float
    min_vi: float

    @property
    def swing(self) -> tuple[str, ...]:
        """Practices that sit outside their consensus group in most members."""
        return tuple(row.practice_code for row in self.stability if row.swing)


def member_seeds(seed: int, members: int) -> list[int]:
    """The members' seeds: member ``k``'s depends on ``seed`` and ``k`` only.

    >>> member_seeds(0, 3) == member_seeds(0, 5)[:3]
    True
    """
    return [int(np.random.SeedSequence([seed, member]).generate_state(1)[0]) for member in range(members)]


def check_ensemble(members: int, keep: int, min_vi: float, weight_jitter: float) -> None:
    """The ensemble's own settings; raises :class:`InputError` naming the parameter."""
    if not 1 <= members <= MAX_MEMBERS:
        raise InputError(f"must be from 1 to {MAX_MEMBERS:,}", source="members", value=members)
    if keep < 1:
        raise InputError("must be at least 1", source="keep", value=keep)
    if not 0.0 <= min_vi <= 1.0:
        raise InputError("must lie between 0 (any difference) and 1 (normalised variation of information)",
                         source="min_vi", value=min_vi)
    if not 0.0 <= weight_jitter <= 0.5:
        raise InputError("must lie between 0 and 0.5 (how far a member's blend weight may stray)",
                         source="weight_jitter", value=weight_jitter)


def run_members(graph: PracticeGraph, problem: GroupingProblem, members: int, *, seed: int = 0,
                weight_jitter: float = 0.0, effort: str = "standard", restarts: int | None = None,
                solver: str = "highs", workers: int | None = None, executor: Executor | None = None,
                progress: Callable[[int, int], None] | None = None) -> tuple[Candidate, ...]:
    """The ensemble's members, each a seeded heuristic grouping (a task through the executor seam)."""
    seeds = member_seeds(seed, members)
    jitter = np.random.default_rng([seed, 1]).uniform(-weight_jitter, weight_jitter, members)
    width = max(3, len(str(members)))
    tasks = [CandidateTask(f"c{member + 1:0{width}d}", graph,
                           replace(problem, weight=float(np.clip(problem.weight + jitter[member], 0.0, 1.0)))
                           if weight_jitter else problem,
                           seed=member_seed, effort=effort, restarts=restarts, solver=solver, current=problem.current)
             for member, member_seed in enumerate(seeds)]
    return solve_candidates(tasks, executor=executor, workers=workers, progress=progress)


def build_ensemble(graph: PracticeGraph, problem: GroupingProblem | None = None, members: int = 64, *, keep: int = 8,
                   min_vi: float = DEFAULT_MIN_VI, weight_jitter: float = 0.0, seed: int = 0,
                   effort: str = "standard", restarts: int | None = None, solver: str = "highs",
                   workers: int | None = None, executor: Executor | None = None,
                   progress: Callable[[int, int], None] | None = None) -> Ensemble:
    """Make ``members`` seeded groupings of the area and keep the good, mutually different ones.

    Parameters
    ----------
    graph : PracticeGraph
        The practices with their adjacency (and relations, when the objective uses them).
    problem : GroupingProblem, optional
        The rules and objective of every member.
    members : int
        Groupings to make.
    keep : int
        Most candidates to keep.
    min_vi : float
        Kept candidates differ pairwise by at least this normalised VI (0-1).
    weight_jitter : float
        With a blend objective: each member's weight is drawn uniformly within this distance of
        ``problem.weight`` (clipped to [0, 1]).
    seed, effort, restarts, solver
        The heuristic's settings (member seeds come from ``seed``).
    workers, executor
        Where members run; the result does not depend on them.
    progress : callable, optional
        ``progress(done, total)`` as members finish.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> result = build_ensemble(synthetic_county(seed=1).with_adjacency(), members=4, keep=2, workers=1)
    >>> len(result.members), 1 <= len(result.kept) <= 2, result.diversity.pairs
    (4, True, 6)
    """
    started = time.perf_counter()
    problem = problem or GroupingProblem()
    check_ensemble(members, keep, min_vi, weight_jitter)
    problem.check_areas(graph)
    graph = adjacency_for(graph, problem)  # the adjacency inside the areas a group may not leave
    found = run_members(graph, problem, members, seed=seed, weight_jitter=weight_jitter, effort=effort,
                        restarts=restarts, solver=solver, workers=workers, executor=executor, progress=progress)
    criteria = criteria_for(graph, problem, moves_matter=bool(problem.current))
    if problem.objective == "distance":  # what the members were not grouped for is not held against them
        criteria = tuple(name for name in criteria if name not in ("alignment_lost", "shared_staff_lost"))
    eligible = [candidate.meets_rules for candidate in found]
    front = non_dominated([criteria_of(candidate, criteria) for candidate in found], eligible=eligible)
    encoded = encode([candidate.grouping.labels for candidate in found], graph.codes)
    matrix = vi_matrix(encoded)
    duplicates = duplicate_of(matrix)
    order = sorted(range(len(found)), key=lambda member: (not front[member], not eligible[member],
                                                          found[member].grouping.objective, member))
    order = [member for member in order if duplicates[member] is None]
    kept = select_diverse(order, matrix, keep, min_vi)
    consensus = medoid(matrix, eligible)
    pairs = sorted(tuple(sorted(edge)) for edge in graph.layer("adjacency").edges())
    together = co_assignment(encoded, graph.codes, pairs)
    stability = practice_stability(encoded, graph.codes, consensus, found[consensus].grouping.labels, together)
    return Ensemble(found, criteria, tuple(front), tuple(duplicates), matrix, diversity(matrix), tuple(kept), consensus,
                    tuple(stability), together, time.perf_counter() - started, min_vi)
