"""The adjacency layer: Delaunay (of sites, co-located practices joined), k-nearest or distance neighbours.

Every builder takes a :class:`~clusterkit.model.PracticeGraph` and returns a new one. Adjacency builders
work on British National Grid metres, may build within each area (``within="sub_icb"`` or ``"icb"``) so
that no edge crosses a boundary, and by default bridge the parts they leave disconnected with the
shortest possible edges (flagged ``bridge=True``), recording in ``graph.meta["adjacency"]`` which
practices were isolated before bridging.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import networkx as nx
import numpy as np
from scipy.spatial import Delaunay, QhullError, cKDTree

from clusterkit.errors import InputError
from clusterkit.model.partition import Partition

if TYPE_CHECKING:
    from clusterkit.model.graph import PracticeGraph


log = logging.getLogger(__name__)


ADJACENCY_METHODS = ("delaunay", "knn", "distance")


def delaunay_edges(xy: np.ndarray) -> set[tuple[int, int]]:
    """Edges ``(i, j)``, ``i < j``, of the Delaunay triangulation of points ``xy``.

    Practices often share a postcode centroid (a health centre hosting several practices): co-located
    points are joined to each other and each receives every edge of their shared location. Collinear
    or too few distinct points fall back to a chain along the line.
    """
    n = len(xy)
    if n < 2:
        return set()
    unique, inverse = np.unique(xy, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    members: list[list[int]] = [[] for _ in range(len(unique))]
    for point, location in enumerate(inverse):
        members[location].append(point)
    location_edges: set[tuple[int, int]] = set()
    if len(unique) == 2:
        location_edges.add((0, 1))
    elif len(unique) > 2:
        try:
            triangulation = Delaunay(unique)
            for simplex in triangulation.simplices:
                a, b, c = sorted(int(v) for v in simplex)
                location_edges.update({(a, b), (a, c), (b, c)})
            for point, _, vertex in triangulation.coplanar:  # too close to a vertex for Qhull: treat as co-located
                members[int(vertex)].extend(members[int(point)])
                members[int(point)] = []
        except QhullError:  # all points on one line
            centred = unique - unique.mean(axis=0)
            direction = np.linalg.svd(centred, full_matrices=False)[2][0]
            order = np.argsort(centred @ direction, kind="stable")
            location_edges.update(tuple(sorted((int(a), int(b)))) for a, b in zip(order, order[1:]))
    edges: set[tuple[int, int]] = set()
    for group in members:
        for position, a in enumerate(group):
            for b in group[position + 1 :]:
                edges.add((min(a, b), max(a, b)))
    for u, v in location_edges:
        for a in members[u]:
            for b in members[v]:
                edges.add((min(a, b), max(a, b)))
    return edges


def knearest_edges(xy: np.ndarray, k: int) -> set[tuple[int, int]]:
    """Edges joining each point to its ``k`` nearest others (symmetrised)."""
    n = len(xy)
    if n < 2:
        return set()
    neighbours = min(k, n - 1)
    _, found = cKDTree(xy).query(xy, k=neighbours + 1)
    found = np.asarray(found).reshape(n, -1)
    edges = set()
    for i in range(n):
        for j in found[i]:
            j = int(j)
            if j != i:
                edges.add((min(i, j), max(i, j)))
    return edges


def distance_edges(xy: np.ndarray, radius_km: float) -> set[tuple[int, int]]:
    """Edges between points at most ``radius_km`` apart."""
    if len(xy) < 2:
        return set()
    pairs = cKDTree(xy).query_pairs(radius_km * 1000.0, output_type="ndarray")
    return {(int(min(a, b)), int(max(a, b))) for a, b in pairs}


def _bridge(xy: np.ndarray, edges: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Shortest edges that join the components of ``edges`` over points ``xy`` into one."""
    n = len(xy)
    helper = nx.Graph()
    helper.add_nodes_from(range(n))
    helper.add_edges_from(edges)
    bridges: list[tuple[int, int]] = []
    while True:
        parts = sorted((sorted(part) for part in nx.connected_components(helper)), key=lambda p: (len(p), p[0]))
        if len(parts) <= 1:
            return bridges
        smallest = np.array(parts[0])
        others = np.setdiff1d(np.arange(n), smallest)
        distance, nearest = cKDTree(xy[others]).query(xy[smallest], k=1)
        best = int(np.argmin(distance))
        a, b = int(smallest[best]), int(others[int(nearest[best])])
        bridge = (min(a, b), max(a, b))
        helper.add_edge(*bridge)
        bridges.append(bridge)


def build_adjacency(
    graph: PracticeGraph,
    method: str = "delaunay",
    *,
    k: int = 6,
    radius_km: float = 5.0,
    max_edge_km: float | None = None,
    within: str | Partition | None = None,
    connect: bool = True,
) -> PracticeGraph:
    """A new graph whose ``adjacency`` layer links neighbouring practices.

    Parameters
    ----------
    graph : PracticeGraph
        The practices.
    method : {"delaunay", "knn", "distance"}
        Delaunay triangulation, ``k`` nearest neighbours, or every pair within ``radius_km``.
    k : int
        Neighbours per practice for ``"knn"``.
    radius_km : float
        Radius for ``"distance"``.
    max_edge_km : float, optional
        Drop edges longer than this (e.g. a Delaunay edge across an estuary).
    within : {None, "sub_icb", "icb"} or Partition
        Build separately inside each area, so that no edge crosses its boundary.
    connect : bool
        Join the parts left disconnected inside each area with their shortest edges (``bridge=True``).

    Returns
    -------
    PracticeGraph
        With ``meta["adjacency"]`` describing the build: ``isolated`` (practices with no edge before
        bridging), ``components`` (per area, before bridging) and ``bridges``.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> graph = build_adjacency(synthetic_county(seed=1))
    >>> len(graph.components())
    1
    """
    if method not in ADJACENCY_METHODS:
        raise InputError(f"unknown adjacency method {method!r}; choose one of {', '.join(ADJACENCY_METHODS)}")
    if not isinstance(within, Partition) and within not in (None, "none", "sub_icb", "icb"):
        raise InputError(f"unknown area level {within!r} for adjacency; choose none, sub_icb or icb")
    if k < 1:
        raise InputError("k must be at least 1", value=k)
    if not radius_km > 0:
        raise InputError("the adjacency radius (radius_km) must be a positive number of km", value=radius_km)
    if max_edge_km is not None and not max_edge_km > 0:
        raise InputError("the longest adjacency edge (--max-edge-km) must be a positive number of km", value=max_edge_km)
    if isinstance(within, Partition):
        areas = {area: codes for area, codes in within.restrict(graph.codes).parts.items()}
        areas.update({"": tuple(code for code in graph.codes if within.part_of(code) == "")} if
                     any(within.part_of(code) == "" for code in graph.codes) else {})
    else:
        areas = {"": graph.codes} if within in (None, "none") else graph.areas(within)
    xy = graph.xy
    index = graph.index
    layer = nx.Graph()
    layer.add_nodes_from(graph.codes)
    isolated: list[str] = []
    bridges: list[tuple[str, str, float]] = []
    components: dict[str, int] = {}
    for area, codes in areas.items():
        points = np.array([index[code] for code in codes])
        area_xy = xy[points]
        if method == "delaunay":
            edges = delaunay_edges(area_xy)
        elif method == "knn":
            edges = knearest_edges(area_xy, k)
        else:
            edges = distance_edges(area_xy, radius_km)
        if max_edge_km is not None:
            edges = {(a, b) for a, b in edges if np.hypot(*(area_xy[a] - area_xy[b])) <= max_edge_km * 1000.0}
        touched = {point for edge in edges for point in edge}
        isolated.extend(codes[p] for p in range(len(codes)) if p not in touched and len(codes) > 1)
        helper = nx.Graph()
        helper.add_nodes_from(range(len(codes)))
        helper.add_edges_from(edges)
        components[area] = nx.number_connected_components(helper)
        added = _bridge(area_xy, edges) if connect else []
        for a, b in sorted(edges):
            layer.add_edge(codes[a], codes[b], distance_km=float(np.hypot(*(area_xy[a] - area_xy[b]))) / 1000.0)
        for a, b in added:
            km = float(np.hypot(*(area_xy[a] - area_xy[b]))) / 1000.0
            layer.add_edge(codes[a], codes[b], distance_km=km, bridge=True)
            bridges.append((codes[a], codes[b], km))
    if isolated:
        log.info("%d practice(s) had no neighbour before bridging: %s", len(isolated), ", ".join(isolated[:10]))
    report: dict[str, Any] = {
        "method": method,
        "within": (f"{len(within)} parts" if isinstance(within, Partition) else within) or "none",
        "k": k if method == "knn" else None,
        "radius_km": radius_km if method == "distance" else None,
        "max_edge_km": max_edge_km,
        "isolated": tuple(sorted(isolated)),
        "components": components,
        "bridges": tuple(bridges),
    }
    return graph.with_layer("adjacency", layer, adjacency=report)
