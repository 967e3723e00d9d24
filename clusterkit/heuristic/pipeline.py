"""The search of one piece at an effort: starts at each number of groups, oscillation, ruin and recreate.

:func:`solve_piece` alone lets the number of groups float: region growing aims at the middle of the band, and
a count whose groups must all sit near the floor of the band is dissolved back to one group fewer by the
repair step before its local search can settle it. Here, with ruin and recreate on, every count worth trying
(:func:`~clusterkit.heuristic.construction.group_counts`) gets starts of its own with that count held (and,
where bands differ between practices or a rule other than the band may need a split, starts with the count
floating too), and the best of them is improved by ruin and recreate (:mod:`clusterkit.heuristic.ruin`), whose recombination pool holds
the groups of every start.
"""

from __future__ import annotations

import math
from concurrent.futures import Executor
from dataclasses import replace

import numpy as np

from clusterkit.heuristic.construction import group_counts
from clusterkit.heuristic.recombine import SetPartition
from clusterkit.heuristic.ruin import recreate_solution
from clusterkit.heuristic.search import PieceSolution, solve_piece
from clusterkit.problem.piece import PieceProblem
from clusterkit.progress import Progress, best_note, tell

__all__ = ["SMALL_PIECE_STARTS", "search_piece"]

#: A small piece gets more starts per count: at least this many units grown in all, per count (starts of a small
#: piece are cheap, and its few groups leave the windows of ruin and recreate little room).
SMALL_PIECE_STARTS = 200


def _counts_suffice(piece: PieceProblem) -> bool:
    """Whether the counts of :func:`group_counts` (from the piece's median band) cover every good grouping:
    one band for all, hard, and no rule but the band that a split can mend (cannot-links, a diameter)."""
    return (piece.uniform_band and not piece.soft and not piece.soft_above and not any(piece.cannot)
            and piece.max_diameter_km is None)


def search_piece(piece: PieceProblem, seed: int, restarts: int, oscillate: int, ruin: int,
                 initial: np.ndarray | None = None, set_partition: SetPartition | None = None,
                 focus: tuple[int, ...] | None = None, *, recreate_units: int = 0, compiled: bool | None = None,
                 progress: Progress | None = None, workers: int = 1,
                 executor: Executor | None = None) -> PieceSolution:
    """The best grouping of one piece found at this effort (deterministic for ``seed``).

    Parameters
    ----------
    piece : PieceProblem
    seed : int
    restarts, oscillate : int
        Starts per count of groups, and how many of the best are oscillated
        (see :func:`~clusterkit.heuristic.search.solve_piece`).
    ruin : int
        Rounds of ruin and recreate (0: the plain :func:`solve_piece`, counts floating).
    initial : ndarray, optional
        A starting grouping (a group per unit): then one run from it, its count floating.
    set_partition : callable, optional
        The set-partitioning solver of the recombinations.
    focus : tuple of int, optional
        Units whose groups ruin and recreate looks at (default: every group).
    recreate_units : int
        Ruin and recreate runs from the best grouping of as many counts as fit in this many units
        (``recreate_units // units``, best first, at least one; 0: from the best grouping only), and the best
        result is kept; each run's pool holds the groups of every start and the best result so far. A small
        piece has few groups: its windows span most of it, so that one run ends near its start, and the number
        of groups is a choice over the whole piece that the windows rarely change (QOP/01Y, QE1/01K: the best
        start has 6 groups, the optimum 7, which ruin and recreate from the best start of 7 groups finds).
    compiled : bool, optional
        Whether the compiled core searches (None: by the piece's size, see :func:`clusterkit.compiled.use_compiled`).
    progress : callable, optional
        ``progress(done, total, note)``: the starts and oscillations of every count done, then ruin and recreate.
    workers : int
        Processes that search ruin and recreate's batches of windows side by side (a large piece's; see
        :data:`~clusterkit.heuristic.ruin.BATCH_MIN_PRACTICES`); the result does not depend on it.
    executor : concurrent.futures.Executor, optional
        Where those batches run instead of a local pool.
    """
    if not ruin or initial is not None or piece.count is not None or piece.hubs or len(piece.units) < 3:
        return replace(_recreated(piece, solve_piece(piece, seed, restarts, initial, bool(ruin), oscillate=oscillate,
                                                     set_partition=set_partition, compiled=compiled,
                                                     progress=progress),
                                  seed, ruin, set_partition, focus, compiled, workers, executor), alternatives=())
    counts = group_counts(piece)
    seeds = np.random.default_rng(seed).integers(0, 2**31 - 1, size=len(counts))
    restarts = max(restarts, math.ceil(SMALL_PIECE_STARTS / len(piece.units)))
    runs = [(replace(piece, count=count), int(s)) for count, s in zip(counts, seeds)]
    if not _counts_suffice(piece):  # the repair's own count (a split, a dissolve) may be the only way
        runs.append((piece, seed))
    steps = restarts + min(oscillate, restarts)  # of each run (its count held: one count, `restarts` starts)
    total = steps * len(runs) + 1
    found = []
    for k, (run_piece, run_seed) in enumerate(runs):
        held = f"{run_piece.count} groups" if run_piece.count is not None else "groups floating"
        found.append(solve_piece(run_piece, run_seed, restarts, None, True, oscillate=oscillate,
                                 set_partition=set_partition, compiled=compiled,
                                 progress=_within(progress, k * steps, total, held)))
    ranked = sorted(found, key=_score)
    alternatives = tuple(g for f in found for g in (f.unit_group, *f.alternatives))
    tell(progress, total - 1, total, "ruin and recreate")
    solution = None
    for k, start in enumerate(ranked[:max(1, recreate_units // len(piece.units))]):
        pool = alternatives if solution is None else (solution.unit_group, *alternatives)
        recreated = _recreated(piece, replace(start, name=piece.name, alternatives=pool), seed + k, ruin,
                               set_partition, focus, compiled, workers, executor)
        if solution is None or _score(recreated) < _score(solution):
            solution = recreated
    assert solution is not None
    tell(progress, total, total, best_note("search done", [(solution.violation, solution.cost)]))
    return replace(solution, alternatives=())


def _score(solution: PieceSolution) -> tuple[float, float]:
    """The order of two solutions: violation (rounded), then cost."""
    return round(solution.violation, 9), solution.cost


def _recreated(piece: PieceProblem, solution: PieceSolution, seed: int, ruin: int, set_partition: SetPartition | None,
               focus: tuple[int, ...] | None, compiled: bool | None, workers: int,
               executor: Executor | None) -> PieceSolution:
    """``solution`` after ``ruin`` rounds of ruin and recreate (itself when ``ruin`` is 0)."""
    if not ruin:
        return solution
    return recreate_solution(piece, solution, seed + 1, ruin, set_partition, None if focus is None else set(focus),
                             compiled=compiled, workers=workers, executor=executor)


def _within(progress: Progress | None, before: int, total: int, run: str) -> Progress | None:
    """``progress`` told of one run's steps as steps ``before + 1 ...`` of ``total``, its notes led by ``run``."""
    if progress is None:
        return None
    return lambda done, _total, note="": tell(progress, min(before + done, total - 1), total, f"{run}: {note}")
