"""The heuristic's unit of work: one piece as a picklable task, and the running of many through the executor seam."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass

import numpy as np

from clusterkit.heuristic.recombine import SetPartition
from clusterkit.heuristic.pipeline import search_piece
from clusterkit.heuristic.search import PieceSolution
from clusterkit.parallel import run_tasks
from clusterkit.problem.piece import PieceProblem

__all__ = ["PARALLEL_MIN_PRACTICES", "PieceTask", "solve_task", "solve_tasks"]


#: Below this many practices in all, pieces are solved in this process (a pool costs more than it saves).
PARALLEL_MIN_PRACTICES = 300


@dataclass(frozen=True)
class PieceTask:
    """One piece for the heuristic: a picklable task of :func:`clusterkit.parallel.run_tasks`.

    ``initial`` (a group per unit) replaces the first region-growing start; ``set_partition`` is the
    set-partitioning solver of the recombination step (none: no recombination); ``ruin`` is the number of
    rounds of ruin and recreate (:func:`~clusterkit.heuristic.pipeline.search_piece`), around the groups of
    the ``focus`` units when given.
    """

    piece: PieceProblem
    seed: int
    restarts: int
    oscillate: int
    initial: np.ndarray | None = None
    set_partition: SetPartition | None = None
    ruin: int = 0
    focus: tuple[int, ...] | None = None


def solve_task(task: PieceTask) -> PieceSolution:
    """Solve one :class:`PieceTask` (deterministic for its seed)."""
    return search_piece(task.piece, task.seed, task.restarts, task.oscillate, task.ruin, task.initial,
                        task.set_partition, task.focus)


def solve_tasks(tasks: Sequence[PieceTask], *, workers: int | None = None, executor: Executor | None = None,
                progress: Callable[[int, int], None] | None = None) -> list[PieceSolution]:
    """Solve every task, largest first, through :func:`~clusterkit.parallel.run_tasks`; results in task order.

    Without an ``executor``, tasks of fewer than :data:`PARALLEL_MIN_PRACTICES` practices in all run in this
    process. ``progress(done, total)`` is called as each task finishes.
    """
    if executor is None and sum(len(task.piece.codes) for task in tasks) < PARALLEL_MIN_PRACTICES:
        workers = 1
    order = sorted(range(len(tasks)), key=lambda k: (-len(tasks[k].piece.codes), k))
    solutions: dict[int, PieceSolution] = {}
    for position, solution in run_tasks(solve_task, [tasks[k] for k in order], executor=executor, workers=workers):
        solutions[order[position]] = solution
        if progress:
            progress(len(solutions), len(tasks))
    return [solutions[k] for k in range(len(tasks))]
