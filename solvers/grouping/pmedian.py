r"""The band-constrained p-median without contiguity: a lower bound for every contiguous grouping.

For one independent piece (see :func:`clusterkit.problem.pieces.piece_problems`), with units
:math:`u \in U` (practices kept together), candidate centre practices :math:`c \in C`, list sizes
:math:`s_i`, distances :math:`d_{ic}` in km, population :math:`S`:

.. math::

    \min\ & \frac{\alpha}{S\,\sigma} \sum_{u}\sum_{c} \Big(\sum_{i \in u} s_i d_{ic}\Big) x_{uc}
          + \frac{\beta}{R} \sum_{(u,v) \in E_R} r_{uv} z_{uv}
          + \frac{\pi}{S} \sum_c (e^-_c + e^+_c) \\
    \text{s.t. } & \textstyle\sum_c x_{uc} = 1 \quad \forall u
        && \text{(assign)} \\
    & x_{uc} \le y_c, \quad x_{u(c)c} = y_c
        && \text{(open: a centre is in its own group)} \\
    & L y_c - e^-_c \le \textstyle\sum_u s_u x_{uc} \le U y_c + e^+_c
        && \text{(band; } e = 0 \text{ when hard)} \\
    & x_{uc} + x_{vc} \le y_c \quad (u,v) \text{ cannot link}
        && \text{(cannot-link)} \\
    & z_{uv} \ge x_{uc} - x_{vc},\ z_{uv} \ge x_{vc} - x_{uc}
        && \text{(relation edge cut)} \\
    & \textstyle\sum_c y_c = K \text{ (with --count)}, \quad y_c = [c \text{ is a hub}] \text{ (with --centres)}

Each family comes from :mod:`solvers.grouping.families`. Without contiguity the model is a relaxation of
every contiguous grouping (measured: sub-ICB 00T solves to optimality in seconds), so its proven bound
bounds the exact method's and the heuristic's objective; ``benchmarks/`` reports it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pulp

from clusterkit.errors import InputError
from clusterkit.model.coordinates import distance_matrix
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.pieces import adjacency_for, piece_problems
from clusterkit.problem.score import GroupScorer
from clusterkit.results import Status
from solvers.door import new_variable, solve
from solvers.grouping.families import add_assignment, add_band, add_cannot_links, add_contiguity, add_count, add_relations

__all__ = ["PMedianModel", "build_pmedian", "pmedian_lower_bound"]

#: Pieces with more practices than this are not modelled (every practice is a candidate centre: n^2 variables).
ALL_CENTRES_MAX = 160


@dataclass
class PMedianModel:
    """A built p-median: the PuLP model, its assignment and opening variables, and each centre's unit."""

    problem: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    y: dict[int, pulp.LpVariable]
    centre_unit: dict[int, int]


def _allowed(piece: PieceProblem, distance: np.ndarray, candidates: list[int]) -> np.ndarray:
    """Which (unit, candidate) pairs may be assigned."""
    allowed = np.ones((len(piece.units), len(candidates)), dtype=bool)
    if piece.max_diameter_km is not None:
        for u, members in enumerate(piece.units):
            allowed[u] = distance[np.ix_(list(members), candidates)].max(axis=0) <= piece.max_diameter_km
    if piece.hub_practice:
        hubs = set(piece.hub_practice.values())
        allowed[:, [k for k, c in enumerate(candidates) if c not in hubs]] = False
    unit_of = {i: u for u, members in enumerate(piece.units) for i in members}
    for k, c in enumerate(candidates):
        allowed[unit_of[c], k] = True if (not piece.hub_practice or c in piece.hub_practice.values()) else False
    return allowed


def build_pmedian(piece: PieceProblem, distance: np.ndarray, *, contiguity: bool = False) -> PMedianModel:
    """The p-median model of one piece (see the module docstring); with ``contiguity``, the degree family
    :func:`~solvers.grouping.families.add_contiguity` too (valid cuts, not a full contiguity model)."""
    candidates = list(range(len(piece.codes)))
    costs = GroupScorer(piece, distance).unit_centre_costs
    allowed = _allowed(piece, distance, candidates)
    unit_of = {i: u for u, members in enumerate(piece.units) for i in members}
    unit_sizes = np.array([piece.sizes[list(m)].sum() for m in piece.units])
    model = pulp.LpProblem("grouping", pulp.LpMinimize)
    y = {c: new_variable(model, f"y_{c}", 0, 1, pulp.LpBinary) for c in candidates if allowed[unit_of[c], c]}
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for u in range(len(piece.units)):
        for c in y:
            if allowed[u, c]:
                x[u, c] = y[c] if unit_of[c] == u else new_variable(model, f"x_{u}_{c}", 0, 1, pulp.LpBinary)
    objective = [costs[u, c] * var for (u, c), var in x.items() if unit_of[c] != u or costs[u, c]]
    by_centre: dict[int, list[tuple[int, pulp.LpVariable]]] = {c: [] for c in y}
    by_unit: dict[int, list[pulp.LpVariable]] = {u: [] for u in range(len(piece.units))}
    for (u, c), var in x.items():
        by_centre[c].append((u, var))
        by_unit[u].append(var)
    add_assignment(model, piece, by_unit)
    objective += add_band(model, piece, y, by_centre, unit_sizes)
    if contiguity:
        add_contiguity(model, piece, x, unit_of)
    add_cannot_links(model, piece, x, y, unit_of)
    objective += add_relations(model, piece, x, y)
    add_count(model, piece, y)
    model += pulp.lpSum(objective)
    return PMedianModel(model, x, y, centre_unit={c: unit_of[c] for c in y})


def pmedian_lower_bound(
    graph: PracticeGraph,
    problem: GroupingProblem | None = None,
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
) -> tuple[float | None, str]:
    """The band-constrained p-median optimum without contiguity: a lower bound for every contiguous grouping.

    Returns ``(bound, status)``; the bound is the solver's proven bound (population-weighted km), valid
    even when the time limit stops the solve. Only for the distance objective.
    """
    problem = problem or GroupingProblem()
    if problem.objective != "distance":
        raise InputError("the p-median bound is defined for the distance objective only")
    relaxed = GroupingProblem(band=problem.band, soft=problem.soft, penalty=problem.penalty, contiguity=False,
                              within=problem.within, band_for=problem.band_for, count=problem.count,
                              centres=problem.centres, units=problem.units)
    graph = adjacency_for(graph, problem)
    pieces, _ = piece_problems(graph, relaxed)
    total = bound = 0.0
    status = Status.OPTIMAL
    for piece in pieces:
        if len(piece.units) == 1:
            total += piece.population
            continue
        if len(piece.codes) > ALL_CENTRES_MAX:
            return None, "too large for an all-centres model"
        model = build_pmedian(piece, distance_matrix(piece.xy))
        result = solve(model.problem, solver, time_limit=time_limit)
        if result.bound is None:
            return None, result.status
        if result.status != Status.OPTIMAL:
            status = Status.FEASIBLE
        bound += result.bound * piece.population
        total += piece.population
    return (bound / total if total else None), status
