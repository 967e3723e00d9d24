"""From the solutions of independent pieces to one :class:`~clusterkit.results.Grouping`.

Every method solves the pieces of a problem (:func:`clusterkit.problem.pieces.piece_problems`) and hands
each piece's group-per-unit and :class:`~clusterkit.results.Outcome` here: groups are labelled ``G001``,
``G002``, ... in the order of their first practice code, each with its centre (its hub, else its 1-median),
practices above the band stand alone and are flagged, unwilling ones are left out and listed, and the
piece outcomes add up (objective and bound weighted by patients, the worst status).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from clusterkit.model.coordinates import distance_matrix
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED, Partition
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.pieces import too_large
from clusterkit.problem.score import one_median
from clusterkit.results import Grouping, Outcome, Status, worst_status

__all__ = ["PieceResult", "assemble_grouping", "label_groups"]


@dataclass(frozen=True)
class PieceResult:
    """One piece's grouping (a group per unit) and what its method established (per patient of the piece)."""

    piece: PieceProblem
    unit_group: np.ndarray
    outcome: Outcome


def label_groups(piece: PieceProblem, unit_group: np.ndarray, hubs: Sequence[str], number: int,
                 labels: dict[str, str], centres: dict[str, str]) -> int:
    """Label the groups of one piece ``G001``, ``G002``, ... from ``number + 1`` on, in order of their first
    practice code, filling ``labels`` (practice -> group) and ``centres`` (group -> its hub practice, else its
    1-median); returns the last number used."""
    members: dict[int, list[int]] = {}
    for unit, group in enumerate(unit_group):
        members.setdefault(int(group), []).extend(piece.units[unit])
    for practices in sorted(members.values(), key=lambda m: min(piece.codes[i] for i in m)):
        number += 1
        label = f"G{number:03d}"
        index = np.array(sorted(practices))
        for i in index:
            labels[piece.codes[i]] = label
        hub = next((piece.codes[i] for i in index if piece.codes[i] in hubs), None)
        if hub is None:
            position, _ = one_median(distance_matrix(piece.xy[index]), piece.sizes[index])
            hub = piece.codes[int(index[position])]
        centres[label] = hub
    return number


def assemble_grouping(graph: PracticeGraph, problem: GroupingProblem, results: Sequence[PieceResult], *,
                      method: str, solver: str, seed: int | None, started: float, notes: Sequence[str],
                      params: Mapping[str, Any]) -> Grouping:
    """The grouping of every practice of ``graph`` from its pieces' results.

    The objective is the pieces' objectives weighted by their patients; the bound likewise, and ``None`` as
    soon as one piece has none; the status is the worst of the pieces' (``OPTIMAL`` only when every piece is).
    """
    labels: dict[str, str] = {p.code: UNGROUPED for p in graph.practices if not p.willing}
    centres: dict[str, str] = {}
    unwilling = tuple(labels)
    flagged = tuple(p.code for p in graph.practices if p.willing and too_large(p, problem))
    notes = list(notes)
    number = 0
    objective = bound = population = 0.0
    bound_known = True
    for result in results:
        piece = result.piece
        number = label_groups(piece, result.unit_group, problem.centres, number, labels, centres)
        population += piece.population
        objective += (result.outcome.objective or 0.0) * piece.population
        if result.outcome.bound is None:
            bound_known = False
        else:
            bound += result.outcome.bound * piece.population
    for code in flagged:
        number += 1
        label = f"G{number:03d}"
        labels[code] = label
        centres[label] = code
        notes.append(f"practice {code} ({graph.practice(code).list_size:,} patients) exceeds the band's upper bound "
                     "and stands alone")
    status = worst_status(result.outcome.status for result in results) if results else Status.FEASIBLE
    outcome = Outcome(status,
                      objective / population if population else 0.0,
                      (bound / population if population else 0.0) if bound_known and results else None,
                      seconds=time.perf_counter() - started, solver=solver)
    return Grouping(Partition(labels), outcome, method=method, seed=seed, centres=centres, flagged=flagged,
                    unwilling=unwilling, notes=tuple(notes), params=params)
