"""Graph builders: Delaunay / k-nearest / distance adjacency, bridging, alignment and shared staff."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterkit.errors import InputError
from clusterkit.model.adjacency import build_adjacency, delaunay_edges, distance_edges, knearest_edges
from clusterkit.model.relations import alignment_from_attributes, alignment_from_relations, shared_staff_from_relations
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Practice, Relation

PROPERTY = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def graph_at(points, areas=None, attributes=None) -> PracticeGraph:
    """Practices at BNG metres ``points`` (lat/lon are placeholders), codes P00, P01, ..."""
    practices = []
    for k, (x, y) in enumerate(points):
        practices.append(Practice(f"P{k:02d}", "", 53.0, -2.0, float(x), float(y), 1_000, 120_000.0,
                                  sub_icb=areas[k] if areas else None, icb="QOP",
                                  attributes=attributes[k] if attributes else {}))
    return PracticeGraph.from_practices(practices)


# ---------------------------------------------------------------------------------------------- Delaunay
def test_delaunay_of_a_convex_quadrilateral_has_the_legal_diagonal() -> None:
    # A(0,0) B(10,0) C(10,10) D(0,11): the angles at B (90) and D (84.3) sum below 180, so AC is legal.
    edges = delaunay_edges(np.array([[0, 0], [10, 0], [10, 10], [0, 11]], float))
    assert edges == {(0, 1), (1, 2), (2, 3), (0, 3), (0, 2)}


def test_delaunay_of_a_triangle_with_an_inner_point_joins_every_pair() -> None:
    edges = delaunay_edges(np.array([[0, 0], [10, 0], [5, 10], [5, 3]], float))
    assert edges == {(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)}


def test_co_located_practices_are_joined_and_share_their_location_edges() -> None:
    # 1, 2 and 4 share a health centre at (10, 0)
    xy = np.array([[0, 0], [10, 0], [10, 0], [5, 8], [10, 0]], float)
    edges = delaunay_edges(xy)
    assert {(1, 2), (1, 4), (2, 4)} <= edges
    for member in (1, 2, 4):
        assert (0, member) in edges and tuple(sorted((3, member))) in edges
    assert (0, 3) in edges
    assert len(edges) == 3 + 3 * 2 + 1


def test_collinear_points_form_a_chain_along_the_line() -> None:
    edges = delaunay_edges(np.array([[0, 0], [2, 2], [1, 1], [3, 3]], float))
    assert edges == {(0, 2), (1, 2), (1, 3)}


def test_fewer_than_two_points_have_no_edge() -> None:
    assert delaunay_edges(np.zeros((0, 2))) == set()
    assert delaunay_edges(np.array([[5.0, 5.0]])) == set()
    assert delaunay_edges(np.array([[5.0, 5.0], [5.0, 5.0]])) == {(0, 1)}
    assert delaunay_edges(np.array([[0.0, 0.0], [1.0, 7.0]])) == {(0, 1)}


coordinate = st.one_of(
    st.floats(min_value=0, max_value=1_000, allow_nan=False),
    st.sampled_from([0.0, 1.0, 1e-9, 500.0]),  # repeats make co-located and collinear points likely
)
point_lists = st.lists(st.tuples(coordinate, coordinate), min_size=2, max_size=14)


@PROPERTY
@given(point_lists)
def test_delaunay_properties(points) -> None:
    xy = np.array(points, float) + np.array([400_000.0, 300_000.0])  # BNG-like magnitudes
    edges = delaunay_edges(xy)
    n = len(xy)
    assert all(isinstance(i, int) and isinstance(j, int) and 0 <= i < j < n for i, j in edges)
    touched = {point for edge in edges for point in edge}
    assert touched == set(range(n)), "every point gets an edge"
    for i in range(n):
        for j in range(i + 1, n):
            if (xy[i] == xy[j]).all():
                assert (i, j) in edges, "co-located points are linked"
    graph = nx.Graph(list(edges))
    assert nx.is_connected(graph), "a Delaunay triangulation is connected"


def test_nearly_co_located_points_are_not_dropped() -> None:
    # Qhull leaves out a point 1e-149 m from another ("coplanar"); it must still get its edges.
    edges = delaunay_edges(np.array([[0, 0], [0, 1], [0, 1.1532108355610438e-149], [1, 0]], float))
    assert {point for edge in edges for point in edge} == {0, 1, 2, 3}
    assert nx.is_connected(nx.Graph(list(edges)))


# ---------------------------------------------------------------------------------------------- k-nearest, distance
def test_knearest_edges_by_hand() -> None:
    xy = np.array([[0, 0], [1, 0], [5, 0], [7, 0]], float)
    assert knearest_edges(xy, 1) == {(0, 1), (2, 3)}
    assert knearest_edges(xy, 2) == {(0, 1), (0, 2), (1, 2), (2, 3), (1, 3)}  # 7's second nearest is 1
    assert knearest_edges(xy, 10) == {(i, j) for i in range(4) for j in range(i + 1, 4)}
    assert knearest_edges(xy[:1], 3) == set()


def test_distance_edges_by_hand() -> None:
    xy = np.array([[0, 0], [1_000, 0], [2_500, 0], [9_000, 0]], float)
    assert distance_edges(xy, 1.5) == {(0, 1), (1, 2)}
    assert distance_edges(xy, 2.5) == {(0, 1), (0, 2), (1, 2)}
    assert distance_edges(xy[:1], 100) == set()


@PROPERTY
@given(point_lists, st.integers(min_value=1, max_value=5))
def test_knearest_every_point_has_at_least_k_neighbours(points, k) -> None:
    xy = np.array(points, float)
    edges = knearest_edges(xy, k)
    degree = {i: 0 for i in range(len(xy))}
    for i, j in edges:
        assert i < j
        degree[i] += 1
        degree[j] += 1
    assert min(degree.values()) >= min(k, len(xy) - 1)


# ---------------------------------------------------------------------------------------------- build_adjacency
def test_build_adjacency_records_distances_in_km() -> None:
    graph = build_adjacency(graph_at([(0, 0), (3_000, 4_000), (6_000, 0)]))
    layer = graph.layer("adjacency")
    assert layer.edges["P00", "P01"]["distance_km"] == pytest.approx(5.0)
    assert layer.edges["P00", "P02"]["distance_km"] == pytest.approx(6.0)
    assert not any(data.get("bridge") for _, _, data in layer.edges(data=True))
    assert graph.meta["adjacency"]["method"] == "delaunay"


def test_long_edges_dropped_then_bridged_with_the_shortest_edge() -> None:
    # two clusters of three, 50 km apart; the closest pair across is P02 (2 km E) and P03 (50 km E)
    points = [(0, 0), (1_000, 1_000), (2_000, 0), (50_000, 0), (51_000, 1_000), (52_000, 0)]
    graph = build_adjacency(graph_at(points), max_edge_km=10)
    bridges = [(a, b) for a, b, data in graph.layer("adjacency").edges(data=True) if data.get("bridge")]
    assert bridges == [("P02", "P03")]
    assert graph.layer("adjacency").edges["P02", "P03"]["distance_km"] == pytest.approx(48.0)
    report = graph.meta["adjacency"]
    assert report["components"] == {"": 2}
    assert report["bridges"] == (("P02", "P03", pytest.approx(48.0)),)
    assert report["isolated"] == ()
    assert len(graph.components()) == 1
    unbridged = build_adjacency(graph_at(points), max_edge_km=10, connect=False)
    assert unbridged.components() == [("P00", "P01", "P02"), ("P03", "P04", "P05")]


def test_isolated_practices_are_reported() -> None:
    graph = build_adjacency(graph_at([(0, 0), (1_000, 0), (2_000, 500), (90_000, 0)]), max_edge_km=5)
    assert graph.meta["adjacency"]["isolated"] == ("P03",)
    assert graph.layer("adjacency").edges["P03", "P02"]["bridge"] is True


def test_within_sub_icb_no_edge_crosses_a_boundary() -> None:
    points = [(0, 0), (1_000, 0), (0, 1_000), (2_000, 0), (3_000, 0), (2_000, 1_000)]
    areas = ["00A", "00A", "00A", "00B", "00B", "00B"]
    graph = build_adjacency(graph_at(points, areas), within="sub_icb", connect=True)
    for a, b in graph.layer("adjacency").edges:
        assert graph.practice(a).sub_icb == graph.practice(b).sub_icb
    assert len(graph.components()) == 2
    assert graph.meta["adjacency"]["components"] == {"00A": 1, "00B": 1}


@PROPERTY
@given(
    st.lists(st.tuples(st.integers(0, 20_000), st.integers(0, 20_000), st.sampled_from(["00A", "00B", "00C"])),
             min_size=1, max_size=25),
    st.sampled_from(["delaunay", "knn", "distance"]),
)
def test_connected_adjacency_has_one_component_per_area(rows, method) -> None:
    graph = graph_at([(x, y) for x, y, _ in rows], [area for _, _, area in rows])
    built = build_adjacency(graph, method, k=2, radius_km=1.0, max_edge_km=8.0, within="sub_icb", connect=True)
    assert len(built.components()) == len(graph.areas("sub_icb"))
    for part in built.components():
        assert len({graph.practice(code).sub_icb for code in part}) == 1
    assert nx.is_frozen(built.layer("adjacency"))


def test_build_adjacency_rejects_bad_options() -> None:
    graph = graph_at([(0, 0), (1, 1), (2, 0)])
    with pytest.raises(InputError, match="unknown adjacency method 'voronoi'"):
        build_adjacency(graph, "voronoi")
    with pytest.raises(InputError, match="unknown area level 'county'"):
        build_adjacency(graph, within="county")
    with pytest.raises(InputError, match="k must be at least 1"):
        build_adjacency(graph, "knn", k=0)
    with pytest.raises(InputError, match=r"longest adjacency edge \(--max-edge-km\) must be a positive number of km"):
        build_adjacency(graph, max_edge_km=0)
    with pytest.raises(InputError, match=r"radius_km\) must be a positive number of km \(got nan\)"):
        build_adjacency(graph, "distance", radius_km=float("nan"))


# ---------------------------------------------------------------------------------------------- alignment, staff
def test_alignment_and_shared_staff_from_relations_take_only_their_kind() -> None:
    graph = graph_at([(0, 0), (1, 1), (2, 0)])
    relations = [Relation("P00", "P01", "alignment", 0.3), Relation("P01", "P02", "shared_staff", 2.0, "nurse"),
                 Relation("P00", "P02", "must_link")]
    aligned = alignment_from_relations(graph, relations)
    assert aligned.relation_counts() == {"adjacency": 0, "alignment": 1, "shared_staff": 0, "must_link": 0,
                                         "cannot_link": 0}
    staffed = shared_staff_from_relations(graph, relations)
    assert staffed.relation_counts()["shared_staff"] == 1 and staffed.relation_counts()["alignment"] == 0
    assert staffed.layer("shared_staff").edges["P01", "P02"]["weight"] == 2.0


def test_alignment_from_attributes_by_hand() -> None:
    # values 0, 1, 2 standardise to -1.2247, 0, 1.2247: gaussian exp(-d^2/2) gives exp(-0.75) and exp(-3)
    graph = graph_at([(0, 0), (1, 1), (2, 0)], attributes=[{"s": 0.0}, {"s": 1.0}, {"s": 2.0}])
    aligned = alignment_from_attributes(graph, ["s"], pairs="all")
    weights = {tuple(sorted((a, b))): w for a, b, w in aligned.layer("alignment").edges(data="weight")}
    assert weights == {
        ("P00", "P01"): pytest.approx(math.exp(-0.75)),
        ("P01", "P02"): pytest.approx(math.exp(-0.75)),
        ("P00", "P02"): pytest.approx(math.exp(-3.0)),
    }
    kept = alignment_from_attributes(graph, ["s"], pairs="all", min_alignment=0.1)
    assert kept.relation_counts()["alignment"] == 2
    cosine = alignment_from_attributes(graph, ["s"], pairs="all", metric="cosine")
    assert cosine.layer("alignment").edges["P00", "P02"]["weight"] == pytest.approx(0.0)
    same = graph_at([(0, 0), (1, 1)], attributes=[{"s": 4.0}, {"s": 4.0}])
    assert alignment_from_attributes(same, ["s"], pairs="all").layer("alignment").edges["P00", "P01"]["weight"] == 1.0


def test_alignment_from_attributes_on_adjacent_pairs_only() -> None:
    graph = build_adjacency(graph_at([(0, 0), (1_000, 0), (90_000, 0)], attributes=[{"s": 1}, {"s": 2}, {"s": 3}]),
                            max_edge_km=5, connect=False)
    aligned = alignment_from_attributes(graph, ["s"])
    assert sorted(aligned.layer("alignment").edges) == [("P00", "P01")]


def test_alignment_from_attributes_errors() -> None:
    graph = graph_at([(0, 0), (1, 1)], attributes=[{"s": 1.0}, {"t": 2.0}])
    with pytest.raises(InputError, match="attribute 's' is missing"):
        alignment_from_attributes(graph, ["s"], pairs="all")
    with pytest.raises(InputError, match="name at least one attribute"):
        alignment_from_attributes(graph, [])
    words = graph_at([(0, 0), (1, 1)], attributes=[{"s": "kind"}, {"s": "firm"}])
    with pytest.raises(InputError, match="must be numeric"):  # categories have no cosine
        alignment_from_attributes(words, ["s"], pairs="all", metric="cosine")
    numbers = graph_at([(0, 0), (1, 1)], attributes=[{"s": 1.0}, {"s": 2.0}])
    with pytest.raises(InputError, match="unknown similarity metric 'manhattan'"):
        alignment_from_attributes(numbers, ["s"], pairs="all", metric="manhattan")
    with pytest.raises(InputError, match="unknown pairs 'some'"):
        alignment_from_attributes(numbers, ["s"], pairs="some")


def test_real_icb_adjacency_is_connected_and_local(nhs_graph) -> None:
    qop = build_adjacency(nhs_graph.select(icb=["QOP"]))
    assert len(qop.components()) == 1
    assert qop.meta["adjacency"]["isolated"] == ()
    distances = [km for _, _, km in qop.layer("adjacency").edges(data="distance_km")]
    assert np.median(distances) < 3.0  # Greater Manchester practices sit a few km apart


def test_categorical_attributes_align_by_equality() -> None:
    """Issue 11: a categorical attribute (an IT supplier) counts a different value as 2 standard deviations."""
    graph = graph_at([(0, 0), (1, 1), (2, 0)], attributes=[{"it": "EMIS"}, {"it": "EMIS"}, {"it": "TPP"}])
    aligned = alignment_from_attributes(graph, ["it"], pairs="all").layer("alignment")
    assert aligned.edges["P00", "P01"]["weight"] == 1.0
    assert aligned.edges["P00", "P02"]["weight"] == pytest.approx(math.exp(-2.0))
    mixed = graph_at([(0, 0), (1, 1)], attributes=[{"it": "EMIS", "imd": 10.0}, {"it": "TPP", "imd": 30.0}])
    both = alignment_from_attributes(mixed, ["it", "imd"], pairs="all").layer("alignment")
    assert both.edges["P00", "P01"]["weight"] == pytest.approx(math.exp(-(4.0 + 4.0) / 4.0))
