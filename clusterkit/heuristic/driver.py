"""Grouping practices into networks by a seeded heuristic: region growing plus local search with restarts.

:func:`group_heuristic` splits the study area into independent pieces (areas under ``within``, and parts of
the adjacency graph that cannot touch), turns each into arrays (:class:`~clusterkit.problem.piece.PieceProblem`)
and solves them as independent tasks through :func:`clusterkit.parallel.run_tasks`, on a local process pool
or any executor. Unwilling practices are left out and listed; a practice larger than its band's upper bound
stands alone and is flagged.
"""

from __future__ import annotations

import time
from concurrent.futures import Executor

import numpy as np

from clusterkit.heuristic.chunks import initial_from_chunks
from clusterkit.heuristic.tasks import PieceTask, solve_tasks
from clusterkit.heuristic.effort import Effort, effort_of
from clusterkit.heuristic.recombine import SetPartition
from clusterkit.heuristic.search import PieceSolution
from clusterkit.model.graph import PracticeGraph
from clusterkit.parallel import default_workers
from clusterkit.problem.assemble import PieceResult, assemble_grouping
from clusterkit.problem.diagnosis import check_feasible
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.pieces import adjacency_for, piece_problems
from clusterkit.problem.score import RULES, GroupScorer
from clusterkit.progress import Progress
from clusterkit.results import Grouping, Outcome, Status

__all__ = ["group_heuristic", "unmet_rules"]

def group_heuristic(
    graph: PracticeGraph,
    problem: GroupingProblem | None = None,
    *,
    seed: int = 0,
    restarts: int | None = None,
    effort: str | Effort = "standard",
    workers: int | None = None,
    executor: Executor | None = None,
    set_partition: SetPartition | None = None,
    progress: Progress | None = None,
) -> Grouping:
    """Group practices by region growing and local search; deterministic for a ``seed``.

    Parameters
    ----------
    graph : PracticeGraph
        Practices with an adjacency layer (see :meth:`PracticeGraph.with_adjacency`).
    problem : GroupingProblem, optional
        Rules and objective (default: hard 30,000-50,000 band, contiguity, distance).
    seed : int
        Seed of the random choices (seeds of regions, order of moves).
    restarts : int, optional
        Region-growing starts per piece; the best result is kept (default: the effort's).
    effort : {"quick", "standard", "thorough"} or Effort
        How hard to search (see :data:`~clusterkit.heuristic.effort.EFFORTS`).
    workers : int, optional
        Processes of the local pool (default: the machine's cores). Results do not depend on it.
    executor : concurrent.futures.Executor, optional
        Where the pieces run instead of a local pool (e.g. a Dask client's executor).
    set_partition : callable, optional
        The set-partitioning solver that recombines the restarts of a piece
        (:func:`solvers.partition.solve_set_partition`); without one, restarts are not recombined.
    progress : callable, optional
        ``progress(done, total, note)``: for one piece, its restarts and oscillations done, with the best score
        so far; for several, the pieces done (see :func:`~clusterkit.heuristic.tasks.solve_tasks`).

    Returns
    -------
    Grouping
        ``FEASIBLE`` when every hard rule holds (a heuristic never claims ``OPTIMAL``); ``NO_SOLUTION``
        when it found no grouping meeting them (``notes`` say where and which rule). ``bound`` and ``gap``
        are None.

    Raises
    ------
    InfeasibleError
        When the rules cannot be met, with the reason in the user's terms.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> graph = synthetic_county(seed=1).with_adjacency()
    >>> grouping = group_heuristic(graph, seed=0, workers=1)
    >>> print(grouping.status)
    FEASIBLE
    """
    started = time.perf_counter()
    search = effort_of(effort, restarts)
    problem = problem or GroupingProblem()
    graph = adjacency_for(graph, problem)
    check_feasible(graph, problem)
    pieces, notes = piece_problems(graph, problem)
    base = np.random.default_rng(seed).integers(0, 2**31 - 1, size=max(1, len(pieces)))
    workers = workers or default_workers()
    tasks = []
    for k, piece in enumerate(pieces):
        initial = None
        if not problem.bounded and not problem.centres:
            initial = initial_from_chunks(graph, problem, piece, int(base[k]), search, workers, executor,
                                          set_partition)
        if initial is None:
            tasks.append(PieceTask(piece, int(base[k]), search.restarts, search.oscillate,
                                   set_partition=set_partition, ruin=search.ruin,
                                   recreate_units=search.recreate_units))
        else:
            start, border = initial
            tasks.append(PieceTask(piece, int(base[k]), 1, search.polish_oscillate, start, set_partition,
                                   ruin=search.polish_ruin, focus=border))
    solutions = solve_tasks(tasks, workers=workers, executor=executor, progress=progress)
    results = []
    for piece, solution in zip(pieces, solutions):
        if solution.violation > 1e-9:
            notes.append(f"area {piece.name or 'all'}: no grouping found that meets every hard rule "
                         f"({unmet_rules(piece, solution)}); try --soft or --method exact")
        status = Status.FEASIBLE if solution.violation <= 1e-9 else Status.NO_SOLUTION
        results.append(PieceResult(piece, solution.unit_group, Outcome(status, solution.cost)))
    return assemble_grouping(graph, problem, results, method="heuristic", solver="clusterkit", seed=seed,
                             started=started, notes=notes,
                             params={**problem.to_dict(), "restarts": search.restarts, "oscillate": search.oscillate,
                                     "polish_oscillate": search.polish_oscillate, "ruin": search.ruin,
                                     "polish_ruin": search.polish_ruin,
                                     "recreate_units": search.recreate_units, "areas": len(pieces)})


#: How each rule's violation reads in a note.
_RULE_WORDS = {"band": "{:,.0f} patients outside the band", "diameter": "{:.1f} km above the diameter limit",
               "cannot_link": "{:.0f} cannot-link pair(s) grouped together"}


def unmet_rules(piece: PieceProblem, solution: PieceSolution) -> str:
    """Which hard rules the best grouping of a piece still breaks, and by how much, in a planner's words."""
    scorer = GroupScorer(piece)
    groups = [set(np.flatnonzero(solution.unit_group == group).tolist()) for group in np.unique(solution.unit_group)]
    violated = scorer.violations(groups)
    scale = {"band": 1000.0, "diameter": 1.0, "cannot_link": 0.1}
    return "; ".join(_RULE_WORDS[rule].format(violated[rule] * scale[rule]) for rule in RULES if rule in violated) \
        or f"violation {solution.violation:.3g}"
