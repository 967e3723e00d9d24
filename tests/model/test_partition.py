"""Partition: both ways, nesting, hierarchical ids, quotient graph."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.errors import InputError
from clusterkit.model.partition import UNGROUPED, Partition, quotient_graph
from tests.grouping_checks import ORIGIN, make_graph, practice


def test_both_ways_and_ungrouped() -> None:
    partition = Partition({"C": "N2", "A": "N1", "B": "N1", "D": UNGROUPED})
    assert dict(partition.parts) == {"N1": ("A", "B"), "N2": ("C",)}
    assert partition.part_of("B") == "N1" and partition.part_of("Z") == UNGROUPED
    assert partition.ungrouped == ("D",) and partition.codes == ("A", "B", "C")
    assert pickle.loads(pickle.dumps(partition)) == partition
    with pytest.raises(TypeError):
        partition.labels["A"] = "N3"  # type: ignore[index]


def test_from_parts_refuses_a_practice_in_two_parts() -> None:
    assert Partition.from_parts({"N1": ["A", "B"]}).labels == {"A": "N1", "B": "N1"}
    with pytest.raises(InputError, match="practice B is in two parts, N1 and N2"):
        Partition.from_parts({"N1": ["A", "B"], "N2": ["B"]})


def test_nesting_and_hierarchical_ids() -> None:
    networks = Partition({"A": "N1", "B": "N1", "C": "N2", "D": "N2"})
    federations = Partition({"A": "F1", "B": "F1", "C": "F1", "D": "F1"})
    assert networks.is_nested_in(federations) and not federations.is_nested_in(networks)
    assert networks.nested_ids(federations).labels == {"A": "F1/N1", "B": "F1/N1", "C": "F1/N2", "D": "F1/N2"}
    straddling = Partition({"A": "N1", "C": "N1"})
    assert straddling.nesting_violations(Partition({"A": "F1", "C": "F2"})) == {"N1": ("F1", "F2")}
    with pytest.raises(InputError, match="part N1 is not nested"):
        straddling.nested_ids(Partition({"A": "F1", "C": "F2"}))


def test_quotient_graph_keeps_members_and_sums_edges() -> None:
    x0, y0 = ORIGIN
    graph = make_graph([practice("A", x0, y0, 5_000), practice("B", x0 + 1_000, y0, 6_000),
                        practice("C", x0 + 2_000, y0 + 10, 7_000), practice("D", x0 + 3_000, y0, 8_000)])
    quotient = quotient_graph(graph, Partition({"A": "W", "B": "W", "C": "E", "D": "E"}))
    assert quotient.nodes["W"] == {"members": ("A", "B"), "list_size": 11_000}
    crossing = sum(1 for a, b in graph.layer("adjacency").edges() if {a, b} & {"A", "B"} and {a, b} & {"C", "D"})
    assert quotient["W"]["E"]["weight"] == crossing >= 1


@settings(max_examples=40, deadline=None)
@given(st.dictionaries(st.sampled_from("ABCDEFGH"), st.sampled_from(["N1", "N2", "N3", UNGROUPED]), min_size=1))
def test_every_practice_in_exactly_one_part(labels: dict[str, str]) -> None:
    partition = Partition(labels)
    members = [code for codes in partition.parts.values() for code in codes]
    assert sorted(members) == sorted(code for code, label in labels.items() if label != UNGROUPED)
    assert all(partition.part_of(code) == label for label, codes in partition.parts.items() for code in codes)
    coarse = Partition({code: "F" for code in labels})
    assert partition.is_nested_in(coarse)
