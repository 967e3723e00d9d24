r"""Exact grouping: a band-constrained p-median MIP with contiguity by cuts, warm-started from the heuristic.

For one independent piece (see :func:`clusterkit.grouping.area_problems`), with must-link units
:math:`u \in U` (practices tied together), candidate centre practices :math:`c \in C`, list sizes
:math:`s_i`, distances :math:`d_{ic}` in km, population :math:`S`:

.. math::

    \min\ & \frac{\alpha}{S\,\sigma} \sum_{u}\sum_{c} \Big(\sum_{i \in u} s_i d_{ic}\Big) x_{uc}
          + \frac{\beta}{R} \sum_{(u,v) \in E_R} r_{uv} z_{uv}
          + \frac{\pi}{S} \sum_c (e^-_c + e^+_c) \\
    \text{s.t. } & \textstyle\sum_c x_{uc} = 1 \quad \forall u
        && \text{(assignment)} \\
    & x_{uc} \le y_c, \quad x_{u(c)c} = y_c
        && \text{(a centre is in its own group)} \\
    & L_c y_c - e^-_c \le \textstyle\sum_u s_u x_{uc} \le U_c y_c + e^+_c
        && \text{(band; } e = 0 \text{ when hard)} \\
    & x_{uc} \le \textstyle\sum_{v \in N(u)} x_{vc} \quad u \ne u(c)
        && \text{(a member other than the centre has a neighbour in the group)} \\
    & x_{ic} \le \textstyle\sum_{k \in N(S)} x_{kc} \quad \text{for found components } S \not\ni c
        && \text{(separator cuts, added until every group is connected)} \\
    & x_{uc} + x_{vc} \le y_c \quad (u,v) \text{ cannot link}
        && \text{(cannot-link)} \\
    & z_{uv} \ge x_{uc} - x_{vc},\ z_{uv} \ge x_{vc} - x_{uc}
        && \text{(relation edge cut)} \\
    & \textstyle\sum_c y_c = K \text{ (with --count)}, \quad y_c = [c \text{ is a hub}] \text{ (with --centres)}

Each round solves the model, finds the groups of its solution that are not connected on the
adjacency layer, adds separator cuts for every cut-off component and for every centre it separates,
and solves again, warm-started from the best connected grouping known (the heuristic's at first).
Every round's model is a relaxation of the contiguous problem, so its proven bound is a valid lower
bound; the run is ``OPTIMAL`` only when a round proves optimality and its solution is connected.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pulp

from clusterkit.errors import InputError
from clusterkit.grouping import adjacency_for, area_problems, group_heuristic, label_groups
from clusterkit.model import PracticeGraph
from clusterkit.problem import UNGROUPED, Grouping, GroupingProblem
from clusterkit.search import AreaProblem, distance_matrix, solve_area
from clusterkit.results import Status
from solvers.base import new_variable, solve
from solvers.colgen import solve_area_colgen

__all__ = ["METHODS", "ExactAreaResult", "group_practices", "solve_grouping_exact", "solve_area_exact", "pmedian_lower_bound"]

log = logging.getLogger(__name__)

#: Pieces with more units than this use only the nearest candidate centres (and so prove no bound).
ALL_CENTRES_MAX = 160
NEAREST_CENTRES = 40


@dataclass
class _Model:
    problem: pulp.LpProblem
    x: dict[tuple[int, int], pulp.LpVariable]
    y: dict[int, pulp.LpVariable]
    candidates: list[int]
    cuts: int = 0
    centre_unit: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class ExactAreaResult:
    """Outcome for one piece: group per unit, objective, proven bound, status, rounds and cuts."""

    unit_group: np.ndarray | None
    centres: tuple[int, ...]
    status: str
    objective: float | None
    bound: float | None
    rounds: int
    cuts: int
    seconds: float
    restricted: bool


def _unit_costs(area: AreaProblem, distance: np.ndarray, candidates: list[int]) -> np.ndarray:
    """``cost[u, k]``: patient-km of unit ``u`` to candidate centre ``candidates[k]``."""
    costs = np.zeros((len(area.units), len(candidates)))
    for u, members in enumerate(area.units):
        index = np.array(members)
        costs[u] = area.sizes[index] @ distance[np.ix_(index, candidates)]
    return costs


def _allowed(area: AreaProblem, distance: np.ndarray, candidates: list[int], restricted: bool) -> np.ndarray:
    """Which (unit, candidate) pairs may be assigned."""
    allowed = np.ones((len(area.units), len(candidates)), dtype=bool)
    if area.max_diameter_km is not None:
        for u, members in enumerate(area.units):
            allowed[u] = distance[np.ix_(list(members), candidates)].max(axis=0) <= area.max_diameter_km
    if restricted:
        unit_xy = np.array([area.xy[list(m)].mean(axis=0) for m in area.units])
        centre_xy = area.xy[candidates]
        d = np.sqrt(((unit_xy[:, None, :] - centre_xy[None, :, :]) ** 2).sum(axis=2))
        nearest = np.argsort(d, axis=1)[:, :NEAREST_CENTRES]
        mask = np.zeros_like(allowed)
        np.put_along_axis(mask, nearest, True, axis=1)
        allowed &= mask
    if area.hub_practice:
        hubs = set(area.hub_practice.values())
        allowed[:, [k for k, c in enumerate(candidates) if c not in hubs]] = False
    unit_of = {i: u for u, members in enumerate(area.units) for i in members}
    for k, c in enumerate(candidates):
        allowed[unit_of[c], k] = True if (not area.hub_practice or c in area.hub_practice.values()) else False
    return allowed


def _build(area: AreaProblem, distance: np.ndarray, restricted: bool) -> _Model:
    candidates = list(range(len(area.codes)))
    costs = _unit_costs(area, distance, candidates)
    allowed = _allowed(area, distance, candidates, restricted)
    unit_of = {i: u for u, members in enumerate(area.units) for i in members}
    unit_sizes = np.array([area.sizes[list(m)].sum() for m in area.units])
    model = pulp.LpProblem("grouping", pulp.LpMinimize)
    y = {c: new_variable(model, f"y_{c}", 0, 1, pulp.LpBinary) for c in candidates if allowed[unit_of[c], c]}
    x: dict[tuple[int, int], pulp.LpVariable] = {}
    for u in range(len(area.units)):
        for c in y:
            if allowed[u, c]:
                x[u, c] = y[c] if unit_of[c] == u else new_variable(model, f"x_{u}_{c}", 0, 1, pulp.LpBinary)
    scale = area.distance_weight / (area.distance_scale * area.population)
    objective = [scale * costs[u, c] * var for (u, c), var in x.items() if unit_of[c] != u or costs[u, c]]
    by_centre: dict[int, list[tuple[int, pulp.LpVariable]]] = {c: [] for c in y}
    by_unit: dict[int, list[pulp.LpVariable]] = {u: [] for u in range(len(area.units))}
    for (u, c), var in x.items():
        by_centre[c].append((u, var))
        by_unit[u].append(var)
    _add_assignment(model, by_unit)
    objective += _add_band(model, area, y, by_centre, unit_sizes)
    _add_degree_cuts(model, area, x, unit_of)
    _add_cannot_links(model, area, x, y, unit_of)
    objective += _add_relations(model, area, x, y)
    if area.count is not None and not area.hub_practice:
        model += pulp.lpSum(y.values()) == area.count, "count"
    model += pulp.lpSum(objective)
    return _Model(model, x, y, candidates, centre_unit={c: unit_of[c] for c in y})


def _add_assignment(model: pulp.LpProblem, by_unit: dict[int, list[pulp.LpVariable]]) -> None:
    """Every unit in exactly one group."""
    for u, variables in by_unit.items():
        if not variables:
            raise InputError(f"unit {u} has no allowed centre (check --max-diameter-km and --centres)")
        model += pulp.lpSum(variables) == 1, f"assign_{u}"


def _add_band(model, area: AreaProblem, y, by_centre, unit_sizes) -> list:
    """Population of an open group within its centre's band (soft: penalised slack)."""
    penalty_terms = []
    for c, members in by_centre.items():
        load = pulp.lpSum(float(unit_sizes[u]) * var for u, var in members)
        lower, upper = float(area.lower[c]), float(area.upper[c])
        if area.soft:
            under = new_variable(model, f"under_{c}", 0)
            over = new_variable(model, f"over_{c}", 0)
            model += load + under >= lower * y[c], f"lower_{c}"
            model += load - over <= upper * y[c], f"upper_{c}"
            penalty_terms += [area.soft_penalty / area.population * under, area.soft_penalty / area.population * over]
        else:
            model += load >= lower * y[c], f"lower_{c}"
            model += load <= upper * y[c], f"upper_{c}"
        for u, var in members:
            if var is not y[c]:
                model += var <= y[c], f"open_{u}_{c}"
    return penalty_terms


def _add_degree_cuts(model, area: AreaProblem, x, unit_of) -> None:
    """A member that is not the centre's unit needs a neighbour in its group (valid for contiguity)."""
    if not area.contiguity:
        return
    for (u, c), var in x.items():
        if unit_of[c] == u:
            continue
        neighbours = [x[v, c] for v in area.unit_neighbours[u] if (v, c) in x]
        model += var <= pulp.lpSum(neighbours), f"degree_{u}_{c}"


def _add_cannot_links(model, area: AreaProblem, x, y, unit_of) -> None:
    pairs = set()
    for i, partners in enumerate(area.cannot):
        for j in partners:
            u, v = unit_of[i], unit_of[j]
            if u != v:
                pairs.add((min(u, v), max(u, v)))
    for u, v in sorted(pairs):
        for c in y:
            if (u, c) in x and (v, c) in x:
                model += x[u, c] + x[v, c] <= y[c], f"cannot_{u}_{v}_{c}"


def _add_relations(model, area: AreaProblem, x, y) -> list:
    """Cost of alignment / shared-staff edges cut between groups."""
    if not area.relation_weight or not area.relation_total:
        return []
    terms = []
    for u, neighbours in enumerate(area.relation):
        for v, weight in neighbours.items():
            if v <= u:
                continue
            cut = new_variable(model, f"z_{u}_{v}", 0, 1)
            for c in y:
                xu = x.get((u, c), 0)
                xv = x.get((v, c), 0)
                if isinstance(xu, int) and isinstance(xv, int):
                    continue
                model += cut >= xu - xv
                model += cut >= xv - xu
            terms.append(area.relation_weight * weight / area.relation_total * cut)
    return terms  # relations inside must-link units are always kept: no cost


def _groups_of(model: _Model, area: AreaProblem) -> tuple[np.ndarray, list[int]]:
    unit_group = np.full(len(area.units), -1, dtype=np.int64)
    centres = sorted(c for c, var in model.y.items() if (var.varValue or 0) > 0.5)
    number = {c: k for k, c in enumerate(centres)}
    for (u, c), var in model.x.items():
        if (var.varValue or 0) > 0.5:
            unit_group[u] = number[c]
    return unit_group, centres


def _separate(model: _Model, area: AreaProblem, unit_group: np.ndarray, centres: list[int]) -> int:
    """Add separator cuts for every cut-off part of every group; returns how many were added."""
    added = 0
    graph = nx.Graph()
    graph.add_nodes_from(range(len(area.units)))
    graph.add_edges_from((u, v) for u, neighbours in enumerate(area.unit_neighbours) for v in neighbours)
    for number, c in enumerate(centres):
        members = [u for u in range(len(area.units)) if unit_group[u] == number]
        root = model.centre_unit[c]
        for part in nx.connected_components(graph.subgraph(members)):
            if root in part:
                continue
            boundary = {v for u in part for v in area.unit_neighbours[u]} - set(part)
            for centre in model.y:
                centre_unit = model.centre_unit[centre]
                if centre_unit in part or centre_unit in boundary:
                    continue
                separator = [model.x[v, centre] for v in sorted(boundary) if (v, centre) in model.x]
                for u in sorted(part):
                    if (u, centre) in model.x:
                        model.problem += model.x[u, centre] <= pulp.lpSum(separator), f"sep_{model.cuts + added}"
                        added += 1
    return added


def _diameter_cuts(model: _Model, area: AreaProblem, distance, unit_group, centres) -> int:
    if area.max_diameter_km is None:
        return 0
    added = 0
    for number, c in enumerate(centres):
        members = [u for u in range(len(area.units)) if unit_group[u] == number]
        for a_pos, u in enumerate(members):
            for v in members[a_pos + 1:]:
                far = distance[np.ix_(list(area.units[u]), list(area.units[v]))].max()
                if far > area.max_diameter_km:
                    for centre in model.y:
                        if (u, centre) in model.x and (v, centre) in model.x:
                            model.problem += (model.x[u, centre] + model.x[v, centre] <= model.y[centre],
                                              f"diam_{model.cuts + added}")
                            added += 1
    return added


def _connected(area: AreaProblem, unit_group: np.ndarray) -> bool:
    graph = nx.Graph()
    graph.add_edges_from((u, v) for u, neighbours in enumerate(area.unit_neighbours) for v in neighbours)
    graph.add_nodes_from(range(len(area.units)))
    for number in np.unique(unit_group):
        members = np.flatnonzero(unit_group == number).tolist()
        if len(members) > 1 and not nx.is_connected(graph.subgraph(members)):
            return False
    return True


def _score(area: AreaProblem, distance: np.ndarray, unit_group: np.ndarray) -> tuple[float, float]:
    from clusterkit.state import State

    state = State(area, unit_group.copy(), distance)
    return state.totals()


def _warm_start(model: _Model, area: AreaProblem, distance, unit_group: np.ndarray) -> bool:
    """Set initial values from a grouping (centre: the hub, else the 1-median). False if not representable."""
    for var in model.problem.variables():
        var.setInitialValue(0)
    for number in np.unique(unit_group):
        units = np.flatnonzero(unit_group == number).tolist()
        practices = [i for u in units for i in area.units[u]]
        hubs = [i for i in practices if i in area.hub_practice.values()]
        if hubs:
            centre = hubs[0]
        else:
            index = np.array(practices)
            centre = practices[int(np.argmin(area.sizes[index] @ distance[np.ix_(index, index)]))]
        if centre not in model.y:
            return False
        model.y[centre].setInitialValue(1)
        for u in units:
            if (u, centre) not in model.x:
                return False
            model.x[u, centre].setInitialValue(1)
    group_of_unit = {u: int(g) for u, g in enumerate(unit_group)}
    load: dict[int, float] = {}
    for c, var in model.y.items():
        if var.varValue:
            group = group_of_unit[model.centre_unit[c]]
            load[c] = float(sum(area.sizes[list(area.units[u])].sum() for u, g in group_of_unit.items() if g == group))
    for var in model.problem.variables():
        kind, _, rest = var.name.partition("_")
        if kind == "z":
            u, v = (int(part) for part in rest.split("_"))
            var.setInitialValue(float(group_of_unit[u] != group_of_unit[v]))
        elif kind in ("under", "over"):
            c = int(rest)
            population = load.get(c)
            if population is None:
                var.setInitialValue(0)
            elif kind == "under":
                var.setInitialValue(max(0.0, float(area.lower[c]) - population))
            else:
                var.setInitialValue(max(0.0, population - float(area.upper[c])))
    return True


def solve_area_exact(
    area: AreaProblem,
    initial: np.ndarray | None,
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
    gap: float | None = None,
    max_rounds: int = 200,
) -> ExactAreaResult:
    """Solve one piece exactly (see the module docstring), starting from ``initial`` (a group per unit)."""
    started = time.perf_counter()
    distance = distance_matrix(area.xy)
    if len(area.units) == 1:
        return ExactAreaResult(np.zeros(1, np.int64), (0,), Status.OPTIMAL, 0.0, 0.0, 0, 0, 0.0, False)
    restricted = len(area.codes) > ALL_CENTRES_MAX
    model = _build(area, distance, restricted)
    incumbent = None
    if initial is not None:
        violation, cost = _score(area, distance, initial)
        if violation <= 1e-9:
            incumbent = (cost, initial.copy())
    bound = -math.inf
    rounds = 0
    proven = False
    infeasible = False
    while rounds < max_rounds:
        remaining = time_limit - (time.perf_counter() - started)
        if remaining <= 0.5:
            break
        rounds += 1
        warm = incumbent is not None and _warm_start(model, area, distance, incumbent[1])
        result = solve(model.problem, solver, time_limit=remaining, gap=gap, warm_start=warm)
        if result.bound is not None:
            bound = max(bound, result.bound)
        if result.status == Status.INFEASIBLE:
            infeasible = incumbent is None
            break
        if not result.has_solution:
            break
        unit_group, centres = _groups_of(model, area)
        if (unit_group < 0).any():
            break
        added = _separate(model, area, unit_group, centres) if area.contiguity else 0
        added += _diameter_cuts(model, area, distance, unit_group, centres)
        model.cuts += added
        if added == 0:
            violation, cost = _score(area, distance, unit_group)
            if violation <= 1e-9 and (incumbent is None or cost < incumbent[0] - 1e-12):
                incumbent = (cost, unit_group)
            if result.status == Status.OPTIMAL:
                proven = True
                bound = max(bound, result.objective if result.objective is not None else bound)
                break
            break  # time limit with a connected incumbent: nothing more to learn this run
        log.info("round %d: %d cuts added (bound %.4f)", rounds, added, bound)
        if incumbent is not None and bound > -math.inf and (incumbent[0] - bound) / max(incumbent[0], 1e-9) <= (gap or 1e-4):
            proven = True
            break
    seconds = time.perf_counter() - started
    valid_bound = None if restricted or bound == -math.inf else bound
    if incumbent is None:
        status = Status.INFEASIBLE if infeasible and not restricted else Status.NO_SOLUTION
        return ExactAreaResult(None, (), status, None, valid_bound, rounds, model.cuts, seconds, restricted)
    objective = incumbent[0]
    if valid_bound is not None:
        valid_bound = min(valid_bound, objective)
    gap_value = None if valid_bound is None else (objective - valid_bound) / max(abs(objective), 1e-9)
    status = Status.OPTIMAL if proven and not restricted and gap_value is not None and gap_value <= max(gap or 1e-4, 1e-4) + 1e-9 else Status.FEASIBLE
    _, groups = np.unique(incumbent[1], return_inverse=True)
    return ExactAreaResult(groups.astype(np.int64), (), status, objective, valid_bound, rounds, model.cuts, seconds,
                           restricted)


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
    formulation: str = "colgen",
    effort: str = "standard",
) -> Grouping:
    """Group practices with the exact MIP, warm-started from :func:`group_heuristic`.

    ``time_limit`` is shared by the pieces in proportion to their size (time a piece leaves unused
    passes to the next). The result's ``bound`` is the sum of the pieces' proven bounds (weighted by
    population) and ``None`` if any piece has none; ``status`` is ``OPTIMAL`` only if every piece is.

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
                         "--method heuristic", source="--method exact")
    if time_limit is None or time_limit <= 0:
        raise InputError("must be positive", source="--time-limit", value=time_limit)
    heuristic = group_heuristic(graph, problem, seed=seed, restarts=restarts, effort=effort, workers=workers)
    graph = adjacency_for(graph, problem)
    areas, notes = area_problems(graph, problem)
    notes = list(heuristic.notes)
    budget_left = max(0.0, time_limit - (time.perf_counter() - started))
    labels = {code: UNGROUPED for code in heuristic.unwilling}
    centres: dict[str, str] = {}
    weighted_objective = weighted_bound = population = 0.0
    bound_known = True
    all_optimal = True
    any_missing = False
    number = 0
    for position, area in enumerate(areas):
        share = len(area.codes) / max(1, sum(len(a.codes) for a in areas[position:]))
        limit = max(1.0, budget_left * share)
        initial = _initial_from(heuristic, area)
        if formulation == "colgen":
            result = _colgen(area, initial, limit, solver, gap, seed)
        else:
            result = solve_area_exact(area, initial, time_limit=limit, solver=solver, gap=gap)
        budget_left = max(0.0, budget_left - result.seconds)
        if result.restricted:
            notes.append(f"area {area.name or 'all'}: {len(area.codes)} practices; centres limited to each "
                         f"practice's {NEAREST_CENTRES} nearest, so no bound is proven")
        if result.unit_group is None:
            any_missing = True
            all_optimal = False
            notes.append(f"area {area.name or 'all'}: the solver found no grouping ({result.status})")
            unit_group = initial if initial is not None else np.zeros(len(area.units), np.int64)
        else:
            unit_group = result.unit_group
        if result.status != Status.OPTIMAL:
            all_optimal = False
        objective = result.objective if result.objective is not None else _score(area, distance_matrix(area.xy),
                                                                                  unit_group)[1]
        weighted_objective += objective * area.population
        population += area.population
        if result.bound is None:
            bound_known = False
        else:
            weighted_bound += result.bound * area.population
        number = label_groups(area, unit_group, problem.centres, number, labels, centres)
        log.info("area %s: %s objective %.4f bound %s in %.1fs (%d rounds, %d cuts)", area.name, result.status,
                 objective, result.bound, result.seconds, result.rounds, result.cuts)
    for code in heuristic.flagged:
        number += 1
        label = f"G{number:03d}"
        labels[code] = label
        centres[label] = code
    objective = weighted_objective / population if population else 0.0
    bound = weighted_bound / population if population and bound_known else None
    gap_value = None if bound is None else max(0.0, (objective - bound) / max(abs(objective), 1e-9))
    if any_missing:
        status = Status.NO_SOLUTION if heuristic.status != Status.FEASIBLE else Status.FEASIBLE
    else:
        status = Status.OPTIMAL if all_optimal else Status.FEASIBLE
    if status == Status.OPTIMAL and gap_value is not None and gap_value > 1e-4:
        notes.append(f"optimal within the requested gap tolerance {gap:g}: proven gap {gap_value:.2%}")
    if status != Status.OPTIMAL:
        notes.append("not proven optimal" + (f": gap {gap_value:.2%}" if gap_value is not None else "") +
                     f" after {time_limit:g} s" + ("" if bound is not None else " (no bound proven)"))
    return Grouping(
        labels=labels,
        status=status,
        objective=objective,
        bound=bound,
        gap=gap_value,
        seconds=time.perf_counter() - started,
        method="exact",
        solver=solver,
        seed=seed,
        centres=centres,
        flagged=heuristic.flagged,
        unwilling=heuristic.unwilling,
        notes=tuple(notes),
        params={**problem.to_dict(), "time_limit": time_limit, "gap_tolerance": gap, "areas": len(areas)},
    )


#: Region-growing starts whose groups seed the column pool of the exact method (the best 3/8 of them are
#: improved by oscillation: the better the incumbent, the smaller the slack of the enumeration that proves it).
POOL_RESTARTS = 32


def _colgen(area: AreaProblem, initial: np.ndarray | None, time_limit: float, solver: str,
            gap: float | None, seed: int) -> ExactAreaResult:
    starts = [initial] if initial is not None else []
    if len(area.units) > 1:
        budget = min(POOL_RESTARTS, max(4, 3000 // len(area.units)))
        pool = solve_area(area, seed, budget, keep_alternatives=True, oscillate=max(1, budget * 3 // 8))
        starts += list(pool.alternatives)
    outcome = solve_area_colgen(area, starts, time_limit=time_limit, solver=solver, gap=gap)
    return ExactAreaResult(outcome.unit_group, (), outcome.status, outcome.objective, outcome.bound, outcome.rounds,
                           outcome.columns, outcome.seconds, False)


def _initial_from(heuristic: Grouping, area: AreaProblem) -> np.ndarray | None:
    """The heuristic's grouping of ``area`` as a group per unit."""
    labels = [heuristic.labels.get(area.codes[members[0]], UNGROUPED) for members in area.units]
    if any(label == UNGROUPED for label in labels):
        return None
    _, groups = np.unique(labels, return_inverse=True)
    return groups.astype(np.int64)


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
                              centres=problem.centres)
    graph = adjacency_for(graph, problem)
    areas, _ = area_problems(graph, relaxed)
    total = bound = 0.0
    status = Status.OPTIMAL
    for area in areas:
        if len(area.units) == 1:
            total += area.population
            continue
        if len(area.codes) > ALL_CENTRES_MAX:
            return None, "too large for an all-centres model"
        model = _build(area, distance_matrix(area.xy), restricted=False)
        result = solve(model.problem, solver, time_limit=time_limit)
        if result.bound is None:
            return None, result.status
        if result.status != Status.OPTIMAL:
            status = Status.FEASIBLE
        bound += result.bound * area.population
        total += area.population
    return (bound / total if total else None), status


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
    progress=None,
    effort: str = "standard",
) -> Grouping:
    """Group practices by the ``"heuristic"`` (fast, seeded) or the ``"exact"`` MIP (bound and gap).

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> graph = synthetic_county(seed=1).with_adjacency()
    >>> print(group_practices(graph, method="heuristic", workers=1).status)
    FEASIBLE
    """
    if method == "heuristic":
        return group_heuristic(graph, problem, seed=seed, restarts=restarts, effort=effort, workers=workers,
                               progress=progress)
    if method == "exact":
        return solve_grouping_exact(graph, problem, time_limit=time_limit, solver=solver, seed=seed, gap=gap,
                                    restarts=restarts, workers=workers, effort=effort)
    raise InputError(f"unknown method; choose {', '.join(METHODS)}", source="--method", value=method)
