"""Comparing two groupings: agreement measures, group changes, moves (hand-checked and by property)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from clusterkit.metrics.compare import compare_groupings, variation_of_information
from clusterkit.model.partition import Partition
from tests.grouping_checks import ORIGIN, make_graph, practice

labelling = st.lists(st.sampled_from("abcd"), min_size=2, max_size=12)


@pytest.fixture(scope="module")
def six():
    x0, y0 = ORIGIN
    return make_graph([practice(f"P{k}", x0 + 1000.0 * k, y0 + (k % 2) * 300.0, 10_000 + 1000 * k) for k in range(6)])


def test_a_grouping_compared_with_itself(six) -> None:
    groups = {"P0": "N1", "P1": "N1", "P2": "N1", "P3": "N2", "P4": "N2", "P5": "N2"}
    same = compare_groupings(six, groups, groups, names=("today", "today"))
    assert (same.ari, same.nmi, same.vi, same.moved, same.left_out) == (1.0, 1.0, 0.0, 0, 0)
    assert {change.kind for change in same.changes} == {"kept"}


def test_splits_merges_and_moves_by_hand(six) -> None:
    before = {"P0": "A", "P1": "A", "P2": "B", "P3": "B", "P4": "C", "P5": "C"}
    after = {"P0": "X", "P1": "X", "P2": "X", "P3": "Y", "P4": "Y", "P5": "Y"}
    comparison = compare_groupings(six, before, after)
    kinds = {change.group: change.kind for change in comparison.changes}
    assert kinds == {"A": "merged", "B": "split and merged", "C": "merged"}
    # X's successor-of is A (2 of its 3), Y's is C (2 of 3): P2 (from B into X) and P3 (from B into Y) moved
    assert [(move.practice, move.before, move.after) for move in comparison.moves] == [("P2", "B", "X"),
                                                                                       ("P3", "B", "Y")]
    assert comparison.moved_patients == 12_000 + 13_000
    assert comparison.contingency == {"A": {"X": 2}, "B": {"X": 1, "Y": 1}, "C": {"Y": 2}}
    assert comparison.vi == pytest.approx(variation_of_information(list("AABBCC"), list("XXXYYY")))
    assert comparison.to_dict()["moved"] == 2


def test_practices_grouped_on_one_side_only_are_left_out(six) -> None:
    comparison = compare_groupings(six, {"P0": "A", "P1": "A", "P2": "B"}, {"P0": "X", "P1": "X", "P3": "Y"})
    assert comparison.practices == 2 and comparison.left_out == 2


@settings(max_examples=60, deadline=None)
@given(labelling, st.data())
def test_agreement_measures_and_the_vi_metric(first: list[str], data) -> None:
    second = data.draw(st.lists(st.sampled_from("wxyz"), min_size=len(first), max_size=len(first)))
    third = data.draw(st.lists(st.sampled_from("pq"), min_size=len(first), max_size=len(first)))
    codes = [f"P{k}" for k in range(len(first))]
    x0, y0 = ORIGIN
    graph = make_graph([practice(code, x0 + 500.0 * k, y0 + 37.0 * (k % 3), 1000) for k, code in enumerate(codes)])
    comparison = compare_groupings(graph, dict(zip(codes, first)), dict(zip(codes, second)))
    assert comparison.ari == pytest.approx(adjusted_rand_score(first, second))
    assert comparison.nmi == pytest.approx(normalized_mutual_info_score(first, second))
    vi = variation_of_information
    assert vi(first, second) == pytest.approx(vi(second, first)) and 0 <= vi(first, second) <= math.log(len(first)) + 1e-9
    assert vi(first, third) <= vi(first, second) + vi(second, third) + 1e-9  # a metric: the triangle inequality
    renamed = [{"a": "d", "b": "c", "c": "b", "d": "a"}[label] for label in first]
    assert vi(first, renamed) == pytest.approx(0.0, abs=1e-12)
    same = sorted(Partition(dict(zip(codes, first))).parts.values()) == sorted(Partition(dict(zip(codes, second))).parts.values())
    assert (comparison.vi < 1e-12) == same, "VI is 0 exactly for the same partition"
    assert (comparison.moved == 0) >= same
