"""The heuristic's unit of work: one piece as a picklable task, and the running of many through the executor seam."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace

import numpy as np

from clusterkit.compiled import use_compiled
from clusterkit.heuristic.recombine import SetPartition
from clusterkit.heuristic.pipeline import search_piece
from clusterkit.heuristic.search import PieceSolution
from clusterkit.parallel import default_workers, run_tasks
from clusterkit.problem.piece import PieceProblem
from clusterkit.progress import Progress, tell

__all__ = ["PARALLEL_MIN_PRACTICES", "PieceTask", "solve_task", "solve_tasks"]


#: Below this many practices in all, pieces are solved in this process (a pool costs more than it saves).
PARALLEL_MIN_PRACTICES = 300


@dataclass(frozen=True)
class PieceTask:
    """One piece for the heuristic: a picklable task of :func:`clusterkit.parallel.run_tasks`.

    ``initial`` (a group per unit) replaces the first region-growing start; ``set_partition`` is the
    set-partitioning solver of the recombination step (none: no recombination); ``ruin`` is the number of
    rounds of ruin and recreate (:func:`~clusterkit.heuristic.pipeline.search_piece`), around the groups of
    the ``focus`` units when given, from the best start of several counts in a small piece (``recreate_units``,
see :func:`~clusterkit.heuristic.pipeline.search_piece`); ``compiled`` whether the compiled core searches it (None:
    :func:`solve_tasks` decides by the size of the whole run).
    """

    piece: PieceProblem
    seed: int
    restarts: int
    oscillate: int
    initial: np.ndarray | None = None
    set_partition: SetPartition | None = None
    ruin: int = 0
    focus: tuple[int, ...] | None = None
    compiled: bool | None = None
    recreate_units: int = 0


def solve_task(task: PieceTask, progress: Progress | None = None, *, workers: int = 1,
               executor: Executor | None = None) -> PieceSolution:
    """Solve one :class:`PieceTask` (deterministic for its seed; ``progress`` is told of its search's steps;
    ``workers`` or ``executor`` take its batches of windows, see :func:`~clusterkit.heuristic.pipeline.search_piece`)."""
    return search_piece(task.piece, task.seed, task.restarts, task.oscillate, task.ruin, task.initial,
                        task.set_partition, task.focus, recreate_units=task.recreate_units, compiled=task.compiled,
                        progress=progress, workers=workers, executor=executor)


def solve_tasks(tasks: Sequence[PieceTask], *, workers: int | None = None, executor: Executor | None = None,
                progress: Progress | None = None) -> list[PieceSolution]:
    """Solve every task, largest first, through :func:`~clusterkit.parallel.run_tasks`; results in task order.

    Without an ``executor``, tasks of fewer than :data:`PARALLEL_MIN_PRACTICES` practices in all run in this
    process. A single task runs here, and its batches of windows (a large piece's ruin and recreate) run on
    the ``workers`` or the ``executor``. ``progress(done, total, note)`` counts what there is to count where it
    is known: a single task reports its restarts and oscillations done, with the best score so far; several
    tasks report the tasks done, as each finishes. The search is the same either way.
    """
    practices = sum(len(task.piece.codes) for task in tasks)
    compiled = use_compiled(practices)  # the kernels' load time pays over the whole run, not per piece
    tasks = [task if task.compiled is not None else replace(task, compiled=compiled) for task in tasks]
    if len(tasks) == 1:  # here, its batches of windows (a large piece's) spread over the workers or the executor
        return [solve_task(tasks[0], progress, workers=workers or default_workers(), executor=executor)]
    if executor is None and practices < PARALLEL_MIN_PRACTICES:
        workers = 1
    order = sorted(range(len(tasks)), key=lambda k: (-len(tasks[k].piece.codes), k))
    solutions: dict[int, PieceSolution] = {}
    for position, solution in run_tasks(solve_task, [tasks[k] for k in order], executor=executor, workers=workers):
        solutions[order[position]] = solution
        tell(progress, len(solutions), len(tasks))
    return [solutions[k] for k in range(len(tasks))]
