"""Exact grouping: column generation over connected groups, seeded and warm-started by the heuristic.

For every independent piece, the heuristic's grouping and a pool of its local optima seed a
set-partitioning master over feasible groups (:mod:`solvers.grouping.colgen`); pricing
(:mod:`solvers.grouping.pricing`) adds groups of negative reduced cost, and the enumeration of every group
within the slack the incumbent leaves (:mod:`solvers.grouping.enumeration`) proves the optimum or the gap
asked for. Each piece reports status, objective, bound and gap; the grouping adds them up
(:func:`clusterkit.problem.assemble.assemble_grouping`).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from dataclasses import replace
from functools import partial

import numpy as np

from clusterkit.errors import InputError
from clusterkit.heuristic.driver import group_heuristic
from clusterkit.heuristic.search import solve_piece
from clusterkit.heuristic.state import Memo, State
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from clusterkit.problem.assemble import PieceResult, assemble_grouping
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.pieces import adjacency_for, piece_problems
from clusterkit.problem.score import GroupScorer
from clusterkit.progress import Progress, gap_note, tell
from clusterkit.results import Grouping, Outcome, Status
from solvers.grouping.colgen import ColumnGenerationResult, Report, solve_piece_colgen
from solvers.partition import solve_set_partition

__all__ = ["METHODS", "group_practices", "solve_grouping_exact"]

log = logging.getLogger(__name__)


def solve_grouping_exact(
    graph: PracticeGraph,
    problem: GroupingProblem | None = None,
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
    seed: int = 0,
    gap: float | None = None,
    restarts: int | None = None,
    workers: int | None = None,
    effort: str = "standard",
    executor: Executor | None = None,
    progress: Progress | None = None,
) -> Grouping:
    """Group practices with the exact method, warm-started from :func:`group_heuristic`.

    ``time_limit`` is shared by the pieces in proportion to their size (time a piece leaves unused
    passes to the next). The result's ``bound`` is the sum of the pieces' proven bounds (weighted by
    population) and ``None`` if any piece has none; ``status`` is ``OPTIMAL`` only if every piece is.
    ``progress(done, total, note)`` counts pieces done and notes each piece's phase, incumbent, bound and
    gap as they change (:func:`clusterkit.progress.gap_note`). ``params["proof"]`` holds, per piece, the
    master LP's bound, the share of (centre, unit) pairs fixed and the seconds to the LP.

    Raises
    ------
    InputError
        For options the MIP does not model (``move_penalty``, ``cross_penalty``).
    InfeasibleError
        When the rules provably cannot be met.
    """
    started = time.perf_counter()
    problem = problem or GroupingProblem()
    if problem.move_penalty or problem.cross_penalty:
        raise InputError("--move-penalty and --cross-penalty are modelled by the heuristic only; use "
                         "--method heuristic", source="method exact")
    if time_limit is None or time_limit <= 0:
        raise InputError("must be positive", source="time_limit", value=time_limit)
    tell(progress, 0, 1, "start: heuristic")
    heuristic = group_heuristic(graph, problem, seed=seed, restarts=restarts, effort=effort, workers=workers,
                                executor=executor, set_partition=partial(solve_set_partition, solver=solver))
    graph = adjacency_for(graph, problem)
    pieces, _ = piece_problems(graph, problem)
    notes = [note for note in heuristic.notes if "stands alone" not in note]
    end = started + time_limit
    results, proof = [], []
    for position, piece in enumerate(pieces):
        share = len(piece.codes) / max(1, sum(len(other.codes) for other in pieces[position:]))
        limit = max(0.1, (end - time.perf_counter()) * share)  # time a piece leaves unused passes to the next
        initial = _initial_from(heuristic, piece)
        area = f"area {piece.name}: " if piece.name and len(pieces) > 1 else ""

        def report(phase: str, incumbent: float | None, bound: float | None, done: int = position) -> None:
            note = phase if incumbent is None and bound is None else gap_note(phase, incumbent, bound)
            tell(progress, done, len(pieces), area + note)

        result = _colgen(piece, initial, limit, solver, gap, seed, report)
        proof.append({"area": piece.name, "practices": len(piece.codes), "population": int(piece.population),
                      "lp_bound": result.lp_bound, "fixed_share": result.fixed_share,
                      "seconds_lp": result.seconds_lp, "columns": result.columns})
        if result.unit_group is None:
            notes.append(f"area {piece.name or 'all'}: the solver found no grouping ({result.status})")
            unit_group = initial if initial is not None else np.zeros(len(piece.units), np.int64)
            violation, cost = State(piece, unit_group.copy(), Memo(GroupScorer(piece))).totals()
            status = Status.FEASIBLE if initial is not None and violation <= 1e-9 else Status.NO_SOLUTION
            outcome = Outcome(status, cost, result.bound, seconds=result.seconds, solver=solver)
        else:
            unit_group = result.unit_group
            outcome = Outcome(result.status, result.objective, result.bound, seconds=result.seconds, solver=solver)
        results.append(PieceResult(piece, unit_group, outcome))
        log.info("piece %s: %s objective %.4f bound %s in %.1fs (%d rounds, %d columns)", piece.name, outcome.status,
                 outcome.objective, outcome.bound, result.seconds, result.rounds, result.columns)
        tell(progress, position + 1, len(pieces), area + gap_note("done", outcome.objective, outcome.bound))
    grouping = assemble_grouping(graph, problem, results, method="exact", solver=solver, seed=seed, started=started,
                                 notes=notes, params={**problem.to_dict(), "time_limit": time_limit,
                                                      "gap_tolerance": gap, "pieces": len(pieces),
                                                      "proof": tuple(proof)})
    extra = []
    if grouping.status == Status.OPTIMAL and grouping.gap is not None and grouping.gap > 1e-4:
        extra.append(f"optimal within the requested gap tolerance {gap:g}: proven gap {grouping.gap:.2%}")
    if grouping.status != Status.OPTIMAL:
        extra.append("not proven optimal" + (f": gap {grouping.gap:.2%}" if grouping.gap is not None else "") +
                     f" after {time_limit:g} s" + ("" if grouping.bound is not None else " (no bound proven)"))
    return replace(grouping, notes=grouping.notes + tuple(extra))


#: Region-growing starts whose groups seed the column pool of the exact method (the best 3/8 of them are
#: improved by oscillation: the better the incumbent, the smaller the slack of the enumeration that proves it).
POOL_RESTARTS = 32

#: At most this share of a piece's time limit goes to its pool of starts (the rest to column generation).
POOL_SHARE = 0.3


def _colgen(piece: PieceProblem, initial: np.ndarray | None, time_limit: float, solver: str,
            gap: float | None, seed: int, report: Report | None = None) -> ColumnGenerationResult:
    """Column generation of one piece, its pool seeded with the heuristic's grouping and local optima."""
    started = time.perf_counter()
    starts = [initial] if initial is not None else []
    if len(piece.units) > 1:
        if report is not None:
            report("start: pool of local optima", None, None)
        budget = min(POOL_RESTARTS, max(4, 3000 // len(piece.units)))
        pool = solve_piece(piece, seed, budget, keep_alternatives=True, oscillate=max(1, budget * 3 // 8),
                           set_partition=partial(solve_set_partition, solver=solver),
                           deadline=started + POOL_SHARE * time_limit)
        starts += list(pool.alternatives)
    return solve_piece_colgen(piece, starts, time_limit=max(0.1, time_limit - (time.perf_counter() - started)),
                              solver=solver, gap=gap, report=report)


def _initial_from(heuristic: Grouping, piece: PieceProblem) -> np.ndarray | None:
    """The heuristic's grouping of ``piece`` as a group per unit."""
    labels = [heuristic.labels.get(piece.codes[members[0]], UNGROUPED) for members in piece.units]
    if any(label == UNGROUPED for label in labels):
        return None
    _, groups = np.unique(labels, return_inverse=True)
    return groups.astype(np.int64)


METHODS = ("heuristic", "exact")


def group_practices(
    graph: PracticeGraph,
    problem: GroupingProblem | None = None,
    *,
    method: str = "heuristic",
    seed: int = 0,
    time_limit: float = 60.0,
    solver: str = "highs",
    gap: float | None = None,
    restarts: int | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
    effort: str = "standard",
    executor: Executor | None = None,
) -> Grouping:
    """Group practices by the ``"heuristic"`` (fast, seeded) or the ``"exact"`` method (bound and gap).

    The one door to grouping: the heuristic gets the project's set-partitioning solver for its
    recombination step, the exact method the solver named by ``solver``.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> graph = synthetic_county(seed=1).with_adjacency()
    >>> print(group_practices(graph, method="heuristic", workers=1).status)
    FEASIBLE
    """
    if method == "heuristic":
        return group_heuristic(graph, problem, seed=seed, restarts=restarts, effort=effort, workers=workers,
                               executor=executor, progress=progress,
                               set_partition=partial(solve_set_partition, solver=solver))
    if method == "exact":
        return solve_grouping_exact(graph, problem, time_limit=time_limit, solver=solver, seed=seed, gap=gap,
                                    restarts=restarts, workers=workers, effort=effort, executor=executor,
                                    progress=progress)
    raise InputError(f"unknown method; choose {', '.join(METHODS)}", source="method", value=method)
