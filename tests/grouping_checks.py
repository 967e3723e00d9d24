"""Shared checks and builders for the grouping tests: one ``assert_valid_grouping`` for every method.

Graphs are built from British National Grid metres (so distances are exact and can be checked by
hand), with WGS84 positions from :func:`clusterkit.geo.to_wgs84`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx
import numpy as np

from clusterkit.model.coordinates import to_wgs84
from clusterkit.model.adjacency import delaunay_edges
from clusterkit.problem.pieces import adjacency_for
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Practice, Relation
from clusterkit.problem.pieces import split_pieces
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.model.partition import UNGROUPED
from clusterkit.results import Grouping
from clusterkit.results import Status

#: Where the hand-built graphs sit: the English Midlands.
ORIGIN = (450_000.0, 300_000.0)


def practice(code: str, x: float, y: float, list_size: int, *, sub_icb: str = "00A", icb: str = "QAA",
             group: str | None = None, willing: bool = True) -> Practice:
    """A practice at BNG ``(x, y)`` metres, turnover £120 a patient."""
    lat, lon = to_wgs84(np.array([x]), np.array([y]))
    return Practice(code, f"{code} SURGERY", float(lat[0]), float(lon[0]), float(x), float(y), int(list_size),
                    list_size * 120.0, sub_icb, icb, group, willing)


def make_graph(practices: Iterable[Practice], relations: Sequence[tuple[str, str, str]] = (),
               adjacency: bool = True) -> PracticeGraph:
    """A graph of ``practices`` with ``(a, b, kind)`` link relations and a Delaunay adjacency."""
    graph = PracticeGraph.from_practices(practices, meta={"source": "test"})
    if relations:
        graph = graph.with_relations(Relation(*sorted((a, b)), kind, 1.0) for a, b, kind in relations)
    return graph.with_adjacency() if adjacency else graph


def two_towns() -> PracticeGraph:
    """Two towns 20 km apart, three practices of 12,000 patients each on a line in each town.

    Town A at 0, 1 and 3 km (east); town B at 0, 2 and 2.5 km, 20 km east and 12 km north of A.
    With a 30,000-50,000 band the only feasible sizes are groups of three or four practices, so
    every grouping is two groups of three; one per town is optimal, each centred on its middle
    practice: (12,000 x (1 + 2) + 12,000 x (2 + 0.5)) / 72,000 = 66,000 / 72,000 km.
    """
    x0, y0 = ORIGIN
    town_a = [practice(f"A{k}", x0 + offset, y0, 12_000) for k, offset in enumerate((0.0, 1_000.0, 3_000.0), 1)]
    town_b = [practice(f"B{k}", x0 + 20_000.0 + offset, y0 + 12_000.0, 12_000)
              for k, offset in enumerate((0.0, 2_000.0, 2_500.0), 1)]
    return make_graph(town_a + town_b)


TWO_TOWNS_OBJECTIVE = 66_000 / 72_000


def contiguity_graph(graph: PracticeGraph, problem: GroupingProblem) -> nx.Graph:
    """The adjacency a grouping must be connected on: the problem's adjacency plus the must-link pairs
    (a must-link unit is one node to the search and the exact model), plus a re-triangulation of each
    piece that leaving out the unwilling split (as documented in ``split_pieces``)."""
    graph = adjacency_for(graph, problem)
    adjacency = graph.layer("adjacency")
    layer = nx.compose(adjacency, graph.layer("must_link"))
    pieces, _ = split_pieces(graph, problem)
    for _, codes in pieces:
        if len(codes) > 1 and not nx.is_connected(adjacency.subgraph(codes)):
            xy = np.array([(graph.practice(c).x, graph.practice(c).y) for c in codes])
            layer.add_edges_from((codes[a], codes[b]) for a, b in delaunay_edges(xy))
    return layer


def assert_valid_grouping(graph: PracticeGraph, grouping: Grouping, problem: GroupingProblem | Band | None = None,
                          ) -> None:
    """The invariants every grouping method must keep, whatever its status.

    - every practice is a key of ``labels``; unwilling ones are :data:`UNGROUPED` and listed, the willing
      are all in a group (never silently dropped);
    - a practice above its band stands alone and is flagged; nothing else is flagged;
    - must-link pairs share a group; with ``within``, no group crosses the boundary;
    - the heuristic never claims a proof (no OPTIMAL, no bound, no gap);
    - when the status is FEASIBLE or OPTIMAL: hard bands hold, groups are connected (with
      contiguity), cannot-link pairs are apart, the diameter limit holds;
    - each group's centre is one of its members.
    """
    problem = problem if isinstance(problem, GroupingProblem) else GroupingProblem(band=problem or Band(30_000, 50_000))
    assert grouping.status in tuple(Status)
    assert set(grouping.labels) == set(graph.codes), "every practice must be a key of labels"
    unwilling = {p.code for p in graph.practices if not p.willing}
    assert set(grouping.unwilling) == unwilling
    for code, label in grouping.labels.items():
        assert (label == UNGROUPED) == (code in unwilling), f"{code}: labelled {label!r}"
    groups = grouping.groups
    assert sum(len(codes) for codes in groups.values()) == len(graph) - len(unwilling)
    oversized = {p.code for p in graph.practices if p.willing and p.list_size > problem.band_of(p.sub_icb, p.icb).upper}
    assert set(grouping.flagged) == oversized
    for code in oversized:
        assert groups[grouping.labels[code]] == (code,), f"flagged {code} must stand alone"
    for a, b in graph.layer("must_link").edges():
        if a not in unwilling and b not in unwilling:
            assert grouping.labels[a] == grouping.labels[b], f"must-link {a}-{b} split"
    boundary = problem.boundary(graph)
    if boundary is not None:
        for label, codes in groups.items():
            assert len({boundary.part_of(c) for c in codes}) == 1, f"{label} crosses"
    for label, codes in groups.items():
        assert grouping.centres[label] in codes, f"centre of {label} is not a member"
    if grouping.method == "heuristic":
        assert grouping.status != "OPTIMAL" and grouping.bound is None and grouping.gap is None
    if grouping.status not in ("FEASIBLE", "OPTIMAL"):
        return
    layer = contiguity_graph(graph, problem)
    for label, codes in groups.items():
        if len(codes) == 1 and codes[0] in oversized:
            continue
        population = sum(graph.practice(c).list_size for c in codes)
        band = _group_band(graph, codes, problem)
        if not problem.soft:
            assert band.contains(population), f"{label}: {population} outside {band}"
        if problem.contiguity:
            assert nx.is_connected(layer.subgraph(codes)), f"{label} {codes} is not connected"
        if problem.max_diameter_km is not None and len(codes) > 1:
            xy = np.array([(graph.practice(c).x, graph.practice(c).y) for c in codes])
            diameter = float(np.sqrt(((xy[:, None] - xy[None, :]) ** 2).sum(axis=2)).max()) / 1000.0
            assert diameter <= problem.max_diameter_km + 1e-9, f"{label} spans {diameter:.2f} km"
    for a, b in graph.layer("cannot_link").edges():
        if a not in unwilling and b not in unwilling:
            assert grouping.labels[a] != grouping.labels[b], f"cannot-link {a}-{b} together"


def _group_band(graph: PracticeGraph, codes: Sequence[str], problem: GroupingProblem) -> Band:
    """The band of a group: that of its main sub-ICB by patients (as the search and the metrics take it)."""
    by_area: dict[str | None, int] = {}
    for code in codes:
        p = graph.practice(code)
        by_area[p.sub_icb] = by_area.get(p.sub_icb, 0) + p.list_size
    main = max(sorted(by_area, key=lambda area: area or ""), key=lambda area: by_area[area])
    icb = next(graph.practice(c).icb for c in codes if graph.practice(c).sub_icb == main)
    return problem.band_of(main, icb)


def weighted_km(graph: PracticeGraph, groups: Iterable[Sequence[str]]) -> float:
    """Population-weighted km to each group's best centre practice, by brute force over centres."""
    total = population = 0.0
    for codes in groups:
        practices = [graph.practice(c) for c in codes]
        best = min(sum(q.list_size * np.hypot(q.x - c.x, q.y - c.y) / 1000.0 for q in practices) for c in practices)
        total += best
        population += sum(p.list_size for p in practices)
    return total / population
