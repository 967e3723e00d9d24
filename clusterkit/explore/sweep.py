"""A Pareto sweep: one grouping per blend weight (and move penalty), the trade-off as a curve.

The blend objective weighs alignment kept against patient-weighted km with one number, ``weight`` (0: km
only, 1: alignment only). A federation wants to see what each point of that trade-off costs, so the sweep
groups the area once per weight of a grid (optionally crossed with move penalties), measures each grouping
on every criterion (km, alignment and shared staff lost, practices moved) and marks the ones no other point
beats on all of them. With ``method="exact"`` every point is solved to proven optimality for its own weights
(a weighted-sum scalarisation: it finds the *supported* points of the front, those on its convex hull; a
point the table marks ``proven`` is optimal for its weights, not the whole front).

Every point is one :class:`~clusterkit.explore.candidates.CandidateTask` with the sweep's seed, so the
result is the same whatever runs the tasks (:func:`clusterkit.parallel.run_tasks`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

from clusterkit.errors import InputError
from clusterkit.explore.candidates import (Candidate, CandidateTask, criteria_of, solve_candidates)
from clusterkit.explore.pareto import non_dominated
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.pieces import adjacency_for
from clusterkit.results import Status, worst_status

__all__ = ["DEFAULT_WEIGHTS", "Sweep", "check_weights", "sweep_weights"]

#: The blend weights a sweep tries when none are given.
DEFAULT_WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


@dataclass(frozen=True)
class Sweep:
    """The points of a sweep, in grid order.

    Attributes
    ----------
    points : tuple of Candidate
    criteria : tuple of str
        The criteria the front is taken on (names of :data:`~clusterkit.explore.candidates.CRITERIA`).
    non_dominated : tuple of bool
        Per point: meets every rule and no other such point is as good on every criterion and better on one.
    seconds : float
    method : str
    """

    points: tuple[Candidate, ...]
    criteria: tuple[str, ...]
    non_dominated: tuple[bool, ...]
    seconds: float
    method: str

    @property
    def status(self) -> Status:
        """The weakest status of the points (OPTIMAL only when every point is proven)."""
        return worst_status(point.grouping.status for point in self.points)

    @property
    def proven(self) -> int:
        """Points proven optimal for their own weights."""
        return sum(point.proven for point in self.points)


def check_weights(weights: Sequence[float], *, source: str = "weights") -> tuple[float, ...]:
    """Blend weights: at least one, each from 0 to 1, no repeats; returned as given.

    >>> check_weights([0, 0.5, 1])
    (0.0, 0.5, 1.0)
    """
    values = tuple(float(weight) for weight in weights)
    if not values:
        raise InputError("give at least one weight, e.g. 0,0.25,0.5,0.75,1", source=source)
    for weight in values:
        if math.isnan(weight) or not 0.0 <= weight <= 1.0:
            raise InputError("every weight must lie between 0 and 1 (the share given to alignment)",
                             source=source, value=weight)
    repeated = sorted({weight for weight in values if values.count(weight) > 1})
    if repeated:
        raise InputError("repeats a weight", source=source, value=repeated[0])
    return values


def _point_name(weight: float, move_penalty: float | None) -> str:
    name = f"w{weight:g}"
    return name if move_penalty is None else f"{name}_m{move_penalty:g}"


def criteria_for(graph: PracticeGraph, problem: GroupingProblem, moves_matter: bool) -> tuple[str, ...]:
    """The criteria worth a front on this area: km, and each relation layer it has, and moves when they matter."""
    names = ["weighted_km"]
    if graph.layer("alignment").number_of_edges():
        names.append("alignment_lost")
    if graph.layer("shared_staff").number_of_edges():
        names.append("shared_staff_lost")
    if moves_matter:
        names.append("moved_practices")
    return tuple(names)


def sweep_weights(graph: PracticeGraph, problem: GroupingProblem | None = None,
                  weights: Sequence[float] = DEFAULT_WEIGHTS, move_penalties: Sequence[float] | None = None, *,
                  method: str = "heuristic", seed: int = 0, effort: str = "standard", restarts: int | None = None,
                  time_limit: float = 60.0, solver: str = "highs", gap: float | None = None,
                  workers: int | None = None, executor: Executor | None = None,
                  progress: Callable[[int, int], None] | None = None) -> Sweep:
    """Group the area once per blend weight (times move penalty) and mark the Pareto front.

    Parameters
    ----------
    graph : PracticeGraph
        The practices with their adjacency and relations (alignment and/or shared staff).
    problem : GroupingProblem, optional
        The rules; its objective becomes ``blend`` with each weight in turn.
    weights : sequence of float
        Shares given to alignment, each in [0, 1].
    move_penalties : sequence of float, optional
        Also sweep the move penalty (km per patient leaving its current group); needs ``problem.current``.
    method, seed, effort, restarts, time_limit, solver, gap
        As :func:`solvers.grouping.group_practices`, for every point (``time_limit``: per point).
    workers, executor
        Where the points run (:func:`clusterkit.parallel.run_tasks`); the result does not depend on them.
    progress : callable, optional
        ``progress(done, total)`` as points finish.

    Raises
    ------
    InputError
        For a weight outside [0, 1], no relations to blend with, or move penalties without a current grouping.
    InfeasibleError
        When the rules provably cannot be met.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county, synthetic_relations
    >>> county = synthetic_county(seed=1)
    >>> graph = county.with_relations(synthetic_relations(county, seed=1)).with_adjacency()
    >>> result = sweep_weights(graph, weights=(0.0, 1.0), workers=1)
    >>> [point.name for point in result.points], result.criteria[:2]
    (['w0', 'w1'], ('weighted_km', 'alignment_lost'))
    """
    started = time.perf_counter()
    problem = problem or GroupingProblem()
    weights = check_weights(weights)
    if not (graph.layer("alignment").number_of_edges() or graph.layer("shared_staff").number_of_edges()):
        raise InputError("a sweep trades distance against alignment and shared staff, and this area has neither; "
                         "give --relations or --alignment-from", source="relations")
    penalties: tuple[float | None, ...] = (None,)
    if move_penalties is not None:
        penalties = tuple(float(value) for value in move_penalties)
        if not penalties or any(math.isnan(value) or value < 0 for value in penalties):
            raise InputError("move penalties must be numbers of km per patient, 0 or more", source="move_penalties",
                             value=",".join(str(value) for value in move_penalties))
        if not problem.current:
            raise InputError("sweeping the move penalty needs a current grouping (--current, or the practices' "
                             "pcn_code)", source="move_penalties")
    base = replace(problem, objective="blend")
    base.check_areas(graph)
    graph = adjacency_for(graph, base)  # the adjacency inside the areas a group may not leave
    tasks = [CandidateTask(_point_name(weight, penalty), graph,
                           replace(base, weight=weight, move_penalty=base.move_penalty if penalty is None else penalty),
                           seed=seed, method=method, effort=effort, restarts=restarts, time_limit=time_limit,
                           solver=solver, gap=gap, current=problem.current)
             for penalty in penalties for weight in weights]
    finished = solve_candidates(tasks, executor=executor, workers=workers, progress=progress)
    criteria = criteria_for(graph, problem, moves_matter=move_penalties is not None)
    front = non_dominated([criteria_of(point, criteria) for point in finished],
                          eligible=[point.meets_rules for point in finished])
    return Sweep(finished, criteria, tuple(front), time.perf_counter() - started, method)
