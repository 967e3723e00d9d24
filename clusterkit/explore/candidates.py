"""One candidate grouping as a task: what a sweep point or an ensemble member is.

A :class:`CandidateTask` carries everything one grouping needs (the practices, the rules with this
candidate's weight and move penalty, its own seed and the method's settings); :func:`solve_candidate` is the
module-level function that runs it, so tasks travel to a local process pool or a Dask cluster through
:func:`clusterkit.parallel.run_tasks` and the result depends on the task alone. A candidate inside a
worker groups its areas one after another (``workers=1``): the parallelism is over candidates.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

from clusterkit.metrics.grouping import GroupingMetrics, evaluate_grouping
from clusterkit.model.graph import PracticeGraph
from clusterkit.parallel import run_tasks
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.results import Grouping, Status

__all__ = ["CRITERIA", "Candidate", "CandidateTask", "criteria_of", "solve_candidate", "solve_candidates"]

#: What a candidate is judged on, each minimised: the name, what it means, and how to read it off a candidate.
CRITERIA = {
    "weighted_km": "patient-weighted km to the group's centre practice (lower is better)",
    "alignment_lost": "share of alignment not kept inside groups (lower is better)",
    "shared_staff_lost": "share of shared staff not kept inside groups (lower is better)",
    "moved_practices": "practices that leave their current group (lower is better)",
}


@dataclass(frozen=True)
class CandidateTask:
    """One grouping to make: a sweep point or an ensemble member.

    Attributes
    ----------
    name : str
        The candidate's id in the outputs (``c07``, ``w0.25``).
    graph : PracticeGraph
        The practices, with the adjacency to group on.
    problem : GroupingProblem
        The rules, with this candidate's ``weight`` and ``move_penalty``.
    seed : int
    method, effort, restarts, time_limit, solver, gap
        As :func:`solvers.grouping.group_practices`.
    current : mapping, optional
        Today's grouping, for the moved counts.
    """

    name: str
    graph: PracticeGraph
    problem: GroupingProblem
    seed: int
    method: str = "heuristic"
    effort: str = "standard"
    restarts: int | None = None
    time_limit: float = 60.0
    solver: str = "highs"
    gap: float | None = None
    current: Mapping[str, str] | None = None

    def __reduce__(self) -> tuple[object, ...]:
        return (CandidateTask, (self.name, self.graph, self.problem, self.seed, self.method, self.effort,
                                self.restarts, self.time_limit, self.solver, self.gap,
                                None if self.current is None else dict(self.current)))


@dataclass(frozen=True)
class Candidate:
    """A candidate grouping and its measures.

    Attributes
    ----------
    name : str
    seed : int
    weight : float or None
        The blend weight it was grouped with (share given to alignment); None for another objective.
    move_penalty : float
    grouping : Grouping
    metrics : GroupingMetrics
    """

    name: str
    seed: int
    weight: float | None
    move_penalty: float
    grouping: Grouping
    metrics: GroupingMetrics

    @property
    def meets_rules(self) -> bool:
        """Every group in band (oversized practices alone aside) and connected, and a grouping was found."""
        rows = [row for row in self.metrics.rows if not row.flagged]
        return (self.grouping.status != Status.NO_SOLUTION and all(row.in_band for row in rows)
                and all(row.connected for row in self.metrics.rows))

    @property
    def proven(self) -> bool:
        """Proven optimal for its own weights (exact method only)."""
        return self.grouping.status == Status.OPTIMAL


def criteria_of(candidate: Candidate, names: tuple[str, ...]) -> list[float]:
    """The candidate's value on each named criterion of :data:`CRITERIA` (``nan`` where not measured)."""
    metrics = candidate.metrics
    values = {
        "weighted_km": metrics.weighted_km,
        "alignment_lost": float("nan") if metrics.alignment_kept_share is None else 1.0 - metrics.alignment_kept_share,
        "shared_staff_lost": (float("nan") if metrics.shared_staff_kept_share is None
                              else 1.0 - metrics.shared_staff_kept_share),
        "moved_practices": float("nan") if metrics.moved_practices is None else float(metrics.moved_practices),
    }
    return [values[name] for name in names]


def solve_candidate(task: CandidateTask) -> Candidate:
    """Group ``task``'s practices under its rules and seed and measure the grouping (runs in a worker).

    Raises
    ------
    InfeasibleError
        When the rules provably cannot be met (then no candidate can meet them).

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> task = CandidateTask("c01", synthetic_county(seed=1).with_adjacency(), GroupingProblem(), seed=3)
    >>> candidate = solve_candidate(task)
    >>> candidate.name, candidate.meets_rules, candidate.proven
    ('c01', True, False)
    """
    from solvers.grouping import group_practices

    grouping = group_practices(task.graph, task.problem, method=task.method, seed=task.seed,
                               time_limit=task.time_limit, solver=task.solver, gap=task.gap, restarts=task.restarts,
                               effort=task.effort, workers=1)
    metrics = evaluate_grouping(task.graph, grouping.labels, task.problem, current=task.current or None,
                                flagged=grouping.flagged)
    weight = task.problem.weight if task.problem.objective == "blend" else None
    return Candidate(task.name, task.seed, weight, task.problem.move_penalty, grouping, metrics)


def solve_candidates(tasks: Sequence[CandidateTask], *, executor: Executor | None = None, workers: int | None = None,
                     progress: Callable[[int, int], None] | None = None) -> tuple[Candidate, ...]:
    """Every task's candidate, in task order, wherever they run (:func:`clusterkit.parallel.run_tasks`)."""
    found: list[Candidate | None] = [None] * len(tasks)
    for done, (position, candidate) in enumerate(run_tasks(solve_candidate, tasks, executor=executor,
                                                           workers=workers), start=1):
        found[position] = candidate
        if progress:
            progress(done, len(tasks))
    return tuple(candidate for candidate in found if candidate is not None)
