"""The model: Practice, PracticeGraph, relation layers, selection and immutability."""

from __future__ import annotations

import copy
import dataclasses
import pickle

import networkx as nx
import numpy as np
import pytest
from tests.conftest import tiny_practices

from clusterkit.errors import InputError
from clusterkit.model.graph import LAYERS, PracticeGraph
from clusterkit.model.practice import Practice, Relation


def test_practices_are_sorted_by_code_and_layers_empty() -> None:
    graph = PracticeGraph.from_practices(reversed(tiny_practices()))
    assert graph.codes == ("A1", "B2", "C3", "D4", "E5")
    assert dict(graph.index) == {"A1": 0, "B2": 1, "C3": 2, "D4": 3, "E5": 4}
    assert set(graph.layers) == set(LAYERS)
    assert graph.relation_counts() == {name: 0 for name in LAYERS}
    assert all(sorted(graph.layer(name).nodes) == list(graph.codes) for name in LAYERS)
    assert len(graph) == 5 and graph.population == 34_000
    assert graph.list_sizes.tolist() == [9_000, 6_000, 12_000, 4_000, 3_000]
    assert graph.xy.shape == (5, 2)


def test_duplicate_code_is_refused() -> None:
    practices = tiny_practices()
    with pytest.raises(InputError, match="duplicate practice code") as caught:
        PracticeGraph.from_practices([*practices, dataclasses.replace(practices[2], name="COPY")])
    assert caught.value.value == "C3"


# ---------------------------------------------------------------------------------------------- immutability
def test_layers_are_frozen(tiny_graph: PracticeGraph) -> None:
    for name in LAYERS:
        with pytest.raises(nx.NetworkXError):
            tiny_graph.layer(name).add_edge("A1", "B2")
        with pytest.raises(nx.NetworkXError):
            tiny_graph.layer(name).remove_node("A1")
    with pytest.raises(TypeError):
        tiny_graph.layers["adjacency"] = nx.Graph()  # type: ignore[index]
    with pytest.raises(TypeError):
        tiny_graph.meta["source"] = "changed"  # type: ignore[index]


def test_graph_and_practices_cannot_be_reassigned(tiny_graph: PracticeGraph) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        tiny_graph.practices = ()  # type: ignore[misc]
    practice = tiny_graph.practice("A1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        practice.list_size = 1  # type: ignore[misc]
    with pytest.raises(TypeError):
        practice.attributes["philosophy"] = 9  # type: ignore[index]


def test_practice_attributes_are_copied_not_shared() -> None:
    attributes = {"score": 1}
    practice = Practice("A1", "", 53.0, -2.0, 0.0, 0.0, 10, 1200.0, attributes=attributes)
    attributes["score"] = 2
    assert practice.attributes["score"] == 1


def test_builders_return_new_graphs_and_leave_the_old_one_alone(tiny_graph: PracticeGraph) -> None:
    related = tiny_graph.with_relations([Relation("A1", "B2", "alignment", 0.5)])
    adjacent = tiny_graph.with_adjacency("delaunay")
    assert related is not tiny_graph and adjacent is not tiny_graph
    assert tiny_graph.relation_counts() == {name: 0 for name in LAYERS}
    assert related.relation_counts()["alignment"] == 1 and adjacent.relation_counts()["adjacency"] > 0
    assert "adjacency" not in tiny_graph.meta and "adjacency" in adjacent.meta
    assert nx.is_frozen(related.layer("alignment")) and nx.is_frozen(adjacent.layer("adjacency"))


def test_graph_survives_pickle_and_deepcopy(tiny_graph: PracticeGraph) -> None:
    graph = tiny_graph.with_adjacency().with_relations([Relation("A1", "B2", "shared_staff", 0.5, "nurse")])
    for copied in (pickle.loads(pickle.dumps(graph)), copy.deepcopy(graph)):
        assert copied.practices == graph.practices
        assert [dict(p.attributes) for p in copied.practices] == [dict(p.attributes) for p in graph.practices]
        assert copied.relation_counts() == graph.relation_counts()
        assert copied.layer("shared_staff").edges["A1", "B2"]["resources"] == {"nurse": 0.5}
        assert dict(copied.meta)["adjacency"]["method"] == "delaunay"
        with pytest.raises(nx.NetworkXError):
            copied.layer("adjacency").add_edge("A1", "E5")
        with pytest.raises(TypeError):
            copied.practices[0].attributes["note"] = "x"  # type: ignore[index]


# ---------------------------------------------------------------------------------------------- selection
def test_select_intersects_icb_and_sub_icb(tiny_graph: PracticeGraph) -> None:
    assert tiny_graph.select(icb=["QOP"]).codes == ("A1", "B2", "C3")
    assert tiny_graph.select(sub_icb=["00T", "01A"]).codes == ("A1", "B2", "D4", "E5")
    assert tiny_graph.select(icb=["QOP"], sub_icb=["00T", "01A"]).codes == ("A1", "B2")
    assert tiny_graph.select(icb=["QOP", "QE1"], sub_icb=["00V", "01A"]).codes == ("C3", "D4", "E5")
    assert tiny_graph.select() is tiny_graph and tiny_graph.select(icb=[], sub_icb=None) is tiny_graph


def test_select_is_case_and_space_insensitive(tiny_graph: PracticeGraph) -> None:
    assert tiny_graph.select(icb=[" qop "], sub_icb=["00v"]).codes == ("C3",)


def test_select_records_the_selection(tiny_graph: PracticeGraph) -> None:
    assert tiny_graph.select(icb=["qop"]).meta["selection"] == {"icb": ["QOP"], "sub_icb": []}


@pytest.mark.parametrize(
    ("icb", "sub_icb", "source", "message"),
    [
        (["QXX"], [], "icb", "ICB code 'QXX' selects no practice; codes in the input: QE1, QOP"),
        (["QOP", "QZZ"], [], "icb", "ICB code 'QZZ' selects no practice"),
        ([], ["99Z"], "sub_icb", "sub-ICB code '99Z' selects no practice; codes in the input: 00T, 00V, 01A"),
        (["QE1"], ["00T"], "icb/sub_icb", "no practice is in ICB QE1 and sub-ICB 00T at once"),
    ],
)
def test_select_names_the_code_that_selects_nothing(tiny_graph, icb, sub_icb, source, message) -> None:
    with pytest.raises(InputError) as caught:
        tiny_graph.select(icb=icb, sub_icb=sub_icb)
    assert caught.value.source == source
    assert message in str(caught.value)


def test_subset_restricts_every_layer(tiny_graph: PracticeGraph) -> None:
    graph = tiny_graph.with_relations([
        Relation("A1", "B2", "alignment", 0.4),
        Relation("A1", "D4", "must_link"),
        Relation("D4", "E5", "cannot_link"),
    ])
    part = graph.subset(["B2", "A1", "E5"])
    assert part.codes == ("A1", "B2", "E5")
    assert list(part.layer("alignment").edges(data="weight")) == [("A1", "B2", 0.4)]
    assert part.relation_counts()["must_link"] == 0 and part.relation_counts()["cannot_link"] == 0
    assert sorted(part.layer("cannot_link").nodes) == ["A1", "B2", "E5"]
    assert nx.is_frozen(part.layer("alignment"))
    with pytest.raises(InputError, match="unknown practice code"):
        graph.subset(["A1", "ZZ9"])


def test_practice_lookup_and_areas(tiny_graph: PracticeGraph) -> None:
    assert tiny_graph.practice("C3").name == "GAMMA HEALTH CENTRE"
    with pytest.raises(InputError, match="unknown practice code") as caught:
        tiny_graph.practice("ZZ9")
    assert caught.value.value == "ZZ9"
    assert tiny_graph.areas("sub_icb") == {"00T": ("A1", "B2"), "00V": ("C3",), "01A": ("D4", "E5")}
    assert tiny_graph.areas("group") == {"": ("E5",), "P1": ("A1", "B2"), "P2": ("C3",), "P3": ("D4",)}
    with pytest.raises(ValueError, match="unknown area level"):
        tiny_graph.areas("region")


# ---------------------------------------------------------------------------------------------- relation layers
def test_with_relations_fills_each_layer_and_sums_shared_staff(tiny_graph: PracticeGraph) -> None:
    graph = tiny_graph.with_relations([
        Relation("A1", "B2", "alignment", 0.8),
        Relation("A1", "B2", "shared_staff", 0.5, "district_nurse"),
        Relation("B2", "A1", "shared_staff", 0.25, "district_nurse"),
        Relation("A1", "B2", "shared_staff", 1.0, "ecg_machine"),
        Relation("C3", "D4", "shared_staff", 2.0),
        Relation("A1", "C3", "must_link"),
        Relation("D4", "E5", "cannot_link"),
        Relation("A1", "ZZ9", "must_link"),  # outside the graph: ignored
    ])
    assert graph.layer("alignment").edges["B2", "A1"]["weight"] == 0.8
    staff = graph.layer("shared_staff")
    assert staff.edges["A1", "B2"]["resources"] == {"district_nurse": 0.75, "ecg_machine": 1.0}
    assert staff.edges["A1", "B2"]["weight"] == 1.75
    assert staff.edges["C3", "D4"]["resources"] == {"staff": 2.0}
    assert sorted(graph.layer("must_link").edges) == [("A1", "C3")]
    assert sorted(graph.layer("cannot_link").edges) == [("D4", "E5")]
    assert graph.relation_counts() == {"adjacency": 0, "alignment": 1, "shared_staff": 2, "must_link": 1,
                                       "cannot_link": 1}
    assert "ZZ9" not in graph.layer("must_link")
    # adding more relations to a graph that already has some accumulates, never mutates the first graph
    more = graph.with_relations([Relation("A1", "B2", "shared_staff", 0.25, "district_nurse")])
    assert more.layer("shared_staff").edges["A1", "B2"]["resources"]["district_nurse"] == 1.0
    assert staff.edges["A1", "B2"]["resources"]["district_nurse"] == 0.75


def test_edge_arrays_and_sparse_shapes(tiny_graph: PracticeGraph) -> None:
    graph = tiny_graph.with_relations([
        Relation("E5", "A1", "alignment", 0.2),
        Relation("C3", "B2", "alignment", 0.6),
        Relation("A1", "B2", "alignment", 0.9),
    ])
    i, j, value = graph.edge_arrays("alignment", weight="weight")
    assert (i.tolist(), j.tolist(), value.tolist()) == ([0, 0, 1], [1, 4, 2], [0.9, 0.2, 0.6])
    assert i.dtype == np.int64 and value.dtype == float
    assert graph.edge_arrays("alignment")[2].tolist() == [1.0, 1.0, 1.0]
    matrix = graph.sparse("alignment", weight="weight")
    assert matrix.shape == (5, 5) and matrix.nnz == 6
    assert (matrix != matrix.T).nnz == 0
    assert matrix[4, 0] == 0.2 and matrix[1, 2] == 0.6
    empty_i, empty_j, empty_value = graph.edge_arrays("must_link")
    assert empty_i.shape == empty_j.shape == empty_value.shape == (0,)
    assert graph.sparse("must_link").shape == (5, 5) and graph.sparse("must_link").nnz == 0


def test_components_isolated_and_to_networkx(tiny_graph: PracticeGraph) -> None:
    graph = tiny_graph.with_relations([Relation("A1", "B2", "must_link"), Relation("D4", "E5", "must_link")])
    assert graph.components("must_link") == [("A1", "B2"), ("D4", "E5"), ("C3",)]
    assert graph.isolated("must_link") == ("C3",)
    adjacent = tiny_graph.with_adjacency()
    copy_ = adjacent.to_networkx()
    copy_.add_edge("A1", "ZZ9")  # a mutable copy
    assert "ZZ9" not in adjacent.layer("adjacency")
    assert copy_.nodes["D4"]["list_size"] == 4_000 and copy_.nodes["A1"]["philosophy"] == 0.0


def test_with_layer_rejects_unknown_layer(tiny_graph: PracticeGraph) -> None:
    with pytest.raises(ValueError, match="unknown layer 'friends'"):
        tiny_graph.with_layer("friends", nx.Graph())
