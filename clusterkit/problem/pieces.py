"""Independent pieces of a grouping problem: areas under the boundary rule, parts of the adjacency graph."""

from __future__ import annotations

from collections.abc import Sequence

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from clusterkit.errors import InputError
from clusterkit.model.adjacency import delaunay_edges
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import Partition
from clusterkit.model.practice import Practice
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.piece import PieceProblem

__all__ = ["split_pieces", "too_large", "piece_problems", "adjacency_for"]


def too_large(practice: Practice, problem: GroupingProblem) -> bool:
    """Whether a practice alone exceeds the upper bound of its band (it then stands alone, flagged)."""
    return practice.list_size > problem.band_of(practice.sub_icb, practice.icb).upper


def split_pieces(graph: PracticeGraph, problem: GroupingProblem) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """Independent pieces of the problem: ``[(name, codes)]`` plus notes.

    Pieces are the areas of ``problem.within`` (or the whole selection), minus unwilling practices and
    practices too large for their band; with contiguity, each part of an area's adjacency graph is a
    piece of its own. Where leaving practices out splits an area's adjacency, the remaining practices
    are re-triangulated so that the unwilling do not block the willing.
    """
    notes: list[str] = []
    excluded = {p.code for p in graph.practices if not p.willing or too_large(p, problem)}
    boundary = problem.boundary(graph)
    if boundary is None:
        areas = {"": tuple(c for c in graph.codes if c not in excluded)}
    else:
        areas = {area: tuple(c for c in codes if c not in excluded) for area, codes in boundary.parts.items()}
    adjacency = graph.layer("adjacency")
    pieces: list[tuple[str, tuple[str, ...]]] = []
    for area, codes in sorted(areas.items()):
        if not codes:
            continue
        if not problem.contiguity:
            pieces.append((area, codes))
            continue
        restricted = adjacency.subgraph(codes)
        parts = sorted((tuple(sorted(c)) for c in nx.connected_components(restricted)), key=lambda c: c[0])
        if len(parts) > 1:
            everyone = list(graph.codes) if boundary is None else list(boundary.members(area))
            before = nx.number_connected_components(adjacency.subgraph(everyone))
            if before < len(parts) and excluded:
                notes.append(f"area {area or 'all'}: leaving out unwilling or oversized practices split its "
                             "adjacency; its remaining practices were re-triangulated")
                parts = [codes]
        for number, part in enumerate(parts, start=1):
            name = area if len(parts) == 1 else f"{area or 'part'}-{number}"
            pieces.append((name, part))
    return pieces, notes


def _within_name(within: str | Partition, boundary: Partition) -> str:
    """How an adjacency build records the boundary it was built inside (a level name, or the parts' count)."""
    return within if isinstance(within, str) else f"{len(boundary)} parts"


def piece_problems(graph: PracticeGraph, problem: GroupingProblem,
                  pieces: Sequence[tuple[str, tuple[str, ...]]] | None = None) -> tuple[list[PieceProblem], list[str]]:
    """The :class:`PieceProblem` of every independent piece (or of the ``(name, codes)`` given), and notes."""
    notes: list[str] = []
    if pieces is None:
        pieces, notes = split_pieces(graph, problem)
    relation_scale = _shared_staff_scale(graph)
    current = dict(problem.current) if problem.current is not None else {p.code: p.group for p in graph.practices
                                                                         if p.group}
    current_ids = {label: k for k, label in enumerate(sorted(set(current.values())))}
    result = []
    for name, codes in pieces:
        result.append(_area_problem(graph, problem, name, codes, relation_scale, current, current_ids, notes))
    return result, notes


def _shared_staff_scale(graph: PracticeGraph) -> float:
    weights = [w for _, _, w in graph.layer("shared_staff").edges(data="weight", default=1.0)]
    return max(weights) if weights else 1.0


def _area_problem(graph, problem, name, codes, relation_scale, current, current_ids, notes) -> PieceProblem:
    index = {code: k for k, code in enumerate(codes)}
    practices = [graph.practice(code) for code in codes]
    n = len(codes)
    xy = np.array([(p.x, p.y) for p in practices], dtype=float)
    sizes = np.array([p.list_size for p in practices], dtype=float)
    # units: must-link chains and the blocks of problem.units, each kept whole
    links = nx.Graph()
    links.add_nodes_from(range(n))
    for a, b in graph.layer("must_link").edges():
        if a in index and b in index:
            links.add_edge(index[a], index[b])
    if problem.units is not None:
        for block in problem.units.parts.values():
            inside = [index[code] for code in block if code in index]
            links.add_edges_from(zip(inside, inside[1:]))
    units = tuple(sorted(tuple(sorted(c)) for c in nx.connected_components(links)))
    unit_of = np.empty(n, dtype=np.int64)
    for u, members in enumerate(units):
        unit_of[list(members)] = u
    # neighbours between units
    pairs: set[tuple[int, int]] = set()
    adjacency = graph.layer("adjacency").subgraph(codes)
    edges = [(index[a], index[b]) for a, b in adjacency.edges()]
    if problem.contiguity and n > 1 and not nx.is_connected(adjacency):
        edges = sorted(delaunay_edges(xy))  # re-triangulated (see split_pieces)
    if not problem.contiguity and n > 1:
        _, near = cKDTree(xy).query(xy, k=min(n, 9))
        edges += [(i, int(j)) for i in range(n) for j in np.atleast_1d(near[i]) if int(j) != i]
    for i, j in edges:
        a, b = int(unit_of[i]), int(unit_of[j])
        if a != b:
            pairs.add((min(a, b), max(a, b)))
    neighbours: list[set[int]] = [set() for _ in units]
    for a, b in pairs:
        neighbours[a].add(b)
        neighbours[b].add(a)
    # bands and areas
    area_codes = sorted({p.sub_icb or "" for p in practices})
    area_id = {code: k for k, code in enumerate(area_codes)}
    lower = np.array([problem.band_of(p.sub_icb, p.icb).lower for p in practices], dtype=float)
    upper = np.array([problem.band_of(p.sub_icb, p.icb).upper for p in practices], dtype=float)
    band_area = np.array([area_id[p.sub_icb or ""] for p in practices], dtype=np.int64)
    cannot: list[list[int]] = [[] for _ in range(n)]
    for a, b in graph.layer("cannot_link").edges():
        if a in index and b in index:
            cannot[index[a]].append(index[b])
            cannot[index[b]].append(index[a])
    # relations between units
    relation: list[dict[int, float]] = [dict() for _ in units]
    relation_total = 0.0
    for layer, scale in (("alignment", 1.0), ("shared_staff", relation_scale)):
        for a, b, weight in graph.layer(layer).edges(data="weight", default=1.0):
            if a in index and b in index:
                value = float(weight) / scale
                relation_total += value
                ua, ub = int(unit_of[index[a]]), int(unit_of[index[b]])
                if ua != ub:
                    relation[ua][ub] = relation[ua].get(ub, 0.0) + value
                    relation[ub][ua] = relation[ub].get(ua, 0.0) + value
    # objective weights
    if problem.objective == "distance":
        distance_weight, relation_weight, scale = 1.0, 0.0, 1.0
    else:
        relation_weight = 1.0 if problem.objective == "alignment" else problem.weight
        distance_weight = 1e-3 if problem.objective == "alignment" else 1.0 - problem.weight
        scale = _distance_scale(xy, sizes, lower, upper)
    if relation_weight and relation_total == 0:
        notes.append(f"area {name or 'all'}: no alignment or shared-staff relations; grouped by distance only")
        relation_weight, distance_weight = 0.0, 1.0
    hubs = []
    hub_practice = {}
    for code in problem.centres:
        if code in index:
            unit = int(unit_of[index[code]])
            if unit in hub_practice:
                raise InputError(f"hub practices {code} and {codes[hub_practice[unit]]} are must-linked; "
                                 "two hubs cannot centre one group", source="centres")
            hubs.append(unit)
            hub_practice[unit] = index[code]
    current_array = np.array([current_ids.get(current.get(code, ""), -1) for code in codes], dtype=np.int64)
    return PieceProblem(
        name=name,
        codes=tuple(codes),
        sizes=sizes,
        xy=xy,
        units=units,
        unit_neighbours=tuple(tuple(sorted(s)) for s in neighbours),
        lower=lower,
        upper=upper,
        band_area=band_area,
        cannot=tuple(tuple(c) for c in cannot),
        relation=tuple(relation),
        relation_total=relation_total,
        current=current_array,
        hubs=tuple(sorted(hubs)),
        hub_practice=hub_practice,
        count=problem.count,
        distance_weight=distance_weight,
        relation_weight=relation_weight,
        distance_scale=scale,
        soft_penalty=problem.penalty,
        cross_penalty=problem.cross_penalty,
        move_penalty=problem.move_penalty,
        soft=problem.soft,
        soft_above=problem.soft_above and not problem.soft,
        contiguity=problem.contiguity,
        max_diameter_km=problem.max_diameter_km,
    )


def _distance_scale(xy: np.ndarray, sizes: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """A typical group radius (km): weighted mean distance to the ``m/2``-th nearest practice, where
    ``m`` is the number of practices of a mid-band group. Makes distance and alignment comparable."""
    n = len(xy)
    if n < 2:
        return 1.0
    per_group = max(2, int(round(n * float(np.median((lower + upper) / 2.0)) / max(sizes.sum(), 1.0))))
    k = min(n - 1, max(1, per_group // 2))
    distance, _ = cKDTree(xy).query(xy, k=k + 1)
    radius = np.atleast_2d(distance)[:, -1] / 1000.0
    value = float(np.average(radius, weights=np.maximum(sizes, 1.0)))
    return value if value > 0 else 1.0


def adjacency_for(graph: PracticeGraph, problem: GroupingProblem) -> PracticeGraph:
    """The graph with an adjacency built inside each NHS area of ``problem.within`` (when it is not already).

    A triangulation of the whole selection, restricted to one sub-ICB or ICB, can leave parts of that area
    unconnected although the area is one piece on the map; triangulating each area anew avoids that. A
    ``within`` given as a partition (the groups of a tier above, made on this adjacency) keeps the adjacency
    as it is: triangulating inside each group anew would join practices across the groups around it.
    """
    built = dict(graph.meta.get("adjacency") or {})
    if len(graph) < 2 or not problem.contiguity:
        return graph
    boundary = problem.boundary(graph) if isinstance(problem.within, str) else None
    if not built and graph.layer("adjacency").number_of_edges() == 0:
        return graph.with_adjacency("delaunay", within=boundary)
    if boundary is not None and built.get("within", "none") != _within_name(problem.within, boundary):
        return graph.with_adjacency(built.get("method", "delaunay"), within=boundary,
                                    max_edge_km=built.get("max_edge_km"),
                                    **({"k": built["k"]} if built.get("k") else {}),
                                    **({"radius_km": built["radius_km"]} if built.get("radius_km") else {}))
    return graph
