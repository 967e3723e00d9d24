"""The Pareto front and the diversity measures: properties on random inputs, and small cases by hand."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.explore.diversity import (co_assignment, diversity, duplicate_of, encode, medoid,
                                          practice_stability, select_diverse, vi_matrix)
from clusterkit.explore.pareto import non_dominated
from clusterkit.metrics.compare import variation_of_information

scores = st.lists(st.lists(st.integers(0, 6).map(float), min_size=2, max_size=2), min_size=1, max_size=12)
labellings = st.integers(2, 9).flatmap(
    lambda practices: st.lists(st.lists(st.integers(0, 3), min_size=practices, max_size=practices), min_size=2,
                               max_size=6))


def dominates(first: list[float], second: list[float]) -> bool:
    return all(a <= b for a, b in zip(first, second)) and any(a < b for a, b in zip(first, second))


@given(scores, st.data())
def test_front_is_exactly_the_undominated_eligible_points(points, data):
    eligible = data.draw(st.lists(st.booleans(), min_size=len(points), max_size=len(points)))
    front = non_dominated(points, eligible)
    for index, on in enumerate(front):
        beaten = any(dominates(points[other], points[index]) for other in range(len(points)) if eligible[other])
        assert on == (eligible[index] and not beaten)


@given(scores, st.randoms())
def test_front_does_not_depend_on_the_order_of_the_points(points, random):
    order = list(range(len(points)))
    random.shuffle(order)
    front = non_dominated(points)
    shuffled = non_dominated([points[index] for index in order])
    assert [front[index] for index in order] == shuffled
    assert any(front)  # a finite set of points always has an undominated one


def test_front_by_hand():
    # (km, alignment lost): the third is beaten by the second, the fourth by the second too
    assert non_dominated([[1.0, 0.9], [1.2, 0.5], [1.3, 0.5], [1.2, 0.6], [2.0, 0.1]]) == [True, True, False, False,
                                                                                          True]
    assert non_dominated([[1.0, math.nan], [2.0, 0.5]]) == [True, True]  # nan is worst, not better


@given(labellings)
@settings(max_examples=60)
def test_vi_is_a_metric_matching_the_comparison_measure(rows):
    encoded = encode([{f"P{k}": str(label) for k, label in enumerate(row)} for row in rows],
                     [f"P{k}" for k in range(len(rows[0]))])
    matrix = vi_matrix(encoded)
    practices = encoded.shape[1]
    assert np.allclose(matrix, matrix.T) and np.allclose(np.diag(matrix), 0.0)
    assert (matrix >= 0).all() and (matrix <= 1 + 1e-9).all()
    for a in range(len(rows)):
        for b in range(len(rows)):
            expected = variation_of_information([str(x) for x in encoded[a]], [str(x) for x in encoded[b]])
            assert math.isclose(matrix[a, b] * math.log(practices), expected, abs_tol=1e-9)
            for c in range(len(rows)):
                assert matrix[a, c] <= matrix[a, b] + matrix[b, c] + 1e-9
            # VI is zero exactly when the two groupings are the same up to the names of the groups
            same = len(set(zip(encoded[a], encoded[b]))) == len(set(encoded[a])) == len(set(encoded[b]))
            assert (matrix[a, b] < 1e-12) == same


@given(labellings, st.integers(1, 6), st.floats(0.0, 0.6))
@settings(max_examples=60)
def test_kept_candidates_are_few_and_far_apart(rows, keep, min_vi):
    matrix = vi_matrix(np.array(rows))
    kept = select_diverse(list(range(len(rows))), matrix, keep, min_vi)
    assert 1 <= len(kept) <= keep and kept[0] == 0
    assert all(matrix[a, b] >= min_vi for a in kept for b in kept if a != b)
    # greedy: every candidate left out before the list filled up is too close to one kept before it
    if len(kept) < keep:
        for left_out in set(range(len(rows))) - set(kept):
            assert any(matrix[left_out, other] < min_vi for other in kept if other < left_out)


@given(labellings)
@settings(max_examples=60)
def test_duplicates_and_medoid(rows):
    matrix = vi_matrix(np.array(rows))
    duplicates = duplicate_of(matrix)
    for index, earlier in enumerate(duplicates):
        if earlier is not None:
            assert earlier < index and matrix[index, earlier] < 1e-12 and duplicates[earlier] is None
    assert diversity(matrix).distinct == sum(earlier is None for earlier in duplicates)
    centre = medoid(matrix)
    assert matrix[centre].sum() <= matrix.sum(axis=1).min() + 1e-12


def test_stability_by_hand():
    # three candidates over five practices; the consensus is the first
    codes = ["A", "B", "C", "D", "E"]
    encoded = np.array([[0, 0, 0, 1, 1],
                        [0, 0, 1, 1, 1],
                        [0, 0, 1, 1, 1]])
    together = co_assignment(encoded, codes, [("A", "B"), ("B", "C"), ("C", "D")])
    assert together == {("A", "B"): 1.0, ("B", "C"): 1 / 3, ("C", "D"): 2 / 3}
    rows = {row.practice_code: row for row in practice_stability(encoded, codes, 0, dict(zip(codes, "xxxyy")), together)}
    # C is with A and B in one candidate only: its group {C, D, E} overlaps {A, B, C} by 1 of 5 (Jaccard 0.2)
    assert rows["C"].stability == 1 / 3 and rows["C"].swing
    assert math.isclose(rows["C"].mean_jaccard, (1 + 0.2 + 0.2) / 3)
    # A and B keep 2 of 3 of their consensus group: Jaccard 2/3 >= 0.5 in every candidate
    assert rows["A"].stability == 1.0 and not rows["A"].swing
    # D's group {D, E} against {C, D, E}: Jaccard 2/3 — the same group, give or take a practice
    assert rows["D"].stability == 1.0
    assert rows["C"].neighbours == 2 and rows["C"].contested_neighbours == 2 and rows["A"].contested_neighbours == 0
