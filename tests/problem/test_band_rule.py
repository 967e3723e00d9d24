"""The one band rule (a group meets the band of its main sub-ICB by patients), tested where rules could differ:
a group that crosses sub-ICBs under a --band-for waiver, whose centre practice lies in the other sub-ICB."""

from __future__ import annotations

import numpy as np
import pytest

from clusterkit.metrics.grouping import evaluate_grouping
from clusterkit.problem.band import Band, band_of_group, group_band, loosest_band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.problem.pieces import piece_problems
from tests.grouping_checks import ORIGIN, assert_valid_grouping, make_graph, practice
from solvers.grouping import group_practices

#: 00V has a rural waiver of 20,000-50,000; 00T keeps 30,000-50,000.
WAIVER = GroupingProblem(band_for={"00V": Band(20_000, 50_000)})


def crossing_line():
    """Five practices on a line, 1 km apart: V1 (00V, 9k), T1 (00T, 10k), V2 (00V, 9k), T2 (00T, 15k), T3 (00T, 16k).

    By hand: 59,000 patients make at most two groups of 20,000+ and at least two of 50,000-; along the line the
    only split meeting the rule is {V1, T1, V2} | {T2, T3}: the first group has 18,000 patients in 00V and
    10,000 in 00T, so its main sub-ICB is 00V and its band the waiver (28,000 fits), the second 31,000 in 00T.
    The first group's centre (1-median) is T1 in 00T: a rule taking the centre's band would call it out of
    band and the problem infeasible. Optimum: (9,000 x 1 + 9,000 x 1 + 16,000 x 1) / 59,000 km (T2 and T3
    centred on either: 15,000 x 1 or 16,000 x 1, so T3: 15,000).
    """
    x0, y0 = ORIGIN
    rows = [("V1", 0, 9_000, "00V"), ("T1", 1, 10_000, "00T"), ("V2", 2, 9_000, "00V"), ("T2", 3, 15_000, "00T"),
            ("T3", 4, 16_000, "00T")]
    return make_graph(practice(code, x0 + km * 1000.0, y0, size, sub_icb=area)
                      for code, km, size, area in rows)


OPTIMUM = (9_000 + 9_000 + 15_000) / 59_000


def test_the_rule_on_practices_and_on_arrays_agree() -> None:
    graph = crossing_line()
    group = [graph.practice(code) for code in ("V1", "T1", "V2")]
    assert band_of_group(WAIVER, group) == Band(20_000, 50_000)
    assert band_of_group(WAIVER, [graph.practice("T1"), graph.practice("V1")]) == Band(30_000, 50_000)
    pieces, _ = piece_problems(graph, WAIVER)
    piece = pieces[0]
    index = np.array([piece.codes.index(code) for code in ("V1", "T1", "V2")])
    assert group_band(piece, index)[:2] == (20_000, 50_000)
    assert loosest_band(WAIVER, list(graph.practices)) == Band(20_000, 50_000)


@pytest.mark.parametrize("method", ["heuristic", "exact"])
def test_a_crossing_group_takes_its_main_sub_icbs_band(method: str) -> None:
    graph = crossing_line()
    grouping = group_practices(graph, WAIVER, method=method, workers=1, time_limit=20)
    assert_valid_grouping(graph, grouping, WAIVER)
    assert sorted(grouping.groups.values()) == [("T1", "V1", "V2"), ("T2", "T3")]
    assert grouping.objective == pytest.approx(OPTIMUM, rel=1e-9)
    metrics = evaluate_grouping(graph, grouping.labels, WAIVER)
    assert all(row.in_band for row in metrics.rows)
    assert {row.band for row in metrics.rows} == {"20000:50000", "30000:50000"}


def test_the_exact_bound_bounds_the_heuristic_on_the_same_problem() -> None:
    graph = crossing_line()
    heuristic = group_practices(graph, WAIVER, method="heuristic", workers=1)
    exact = group_practices(graph, WAIVER, method="exact", workers=1, time_limit=20)
    assert exact.status == "OPTIMAL"
    assert exact.bound is not None and exact.bound <= heuristic.objective + 1e-9
    assert exact.objective <= heuristic.objective + 1e-9


def test_within_and_units_take_partitions() -> None:
    """Top-down (stay inside given parts) and bottom-up (keep given blocks whole) as general arguments."""
    from clusterkit.model.partition import Partition

    graph = crossing_line()
    boundary = Partition({"V1": "W", "T1": "W", "V2": "W", "T2": "E", "T3": "E"})
    inside = group_practices(graph, GroupingProblem(band=Band(20_000, 50_000), within=boundary), workers=1)
    assert inside.partition.is_nested_in(boundary)
    blocks = Partition({"T2": "B1", "T3": "B1", "V1": "B2", "T1": "B2"})
    whole = group_practices(graph, GroupingProblem(band=Band(20_000, 50_000), units=blocks), workers=1)
    assert blocks.is_nested_in(whole.partition)
    assert whole.params["units"] == "2 blocks"
