"""Quality of a grouping: hand-computed values on tiny graphs, and today's PCNs of sub-ICB 00T."""

from __future__ import annotations

import numpy as np
import pytest
from tests.grouping_checks import ORIGIN, make_graph, practice, two_towns

from clusterkit.metrics.grouping import best_centre, evaluate_grouping, moved_practices
from clusterkit.model.practice import Relation
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.model.partition import UNGROUPED

X0, Y0 = ORIGIN


def test_best_centre_is_the_weighted_median_practice() -> None:
    xy = np.array([[0.0, 0.0], [1_000.0, 0.0], [3_000.0, 0.0]])
    assert best_centre(xy, np.array([1.0, 1.0, 1.0])) == (1, pytest.approx(3.0))
    # a heavy practice at the end pulls the centre to it: 1 x 3 km + 1 x 2 km
    assert best_centre(xy, np.array([1.0, 1.0, 10.0])) == (2, pytest.approx(5.0))
    assert best_centre(xy[:1], np.array([5.0])) == (0, 0.0)


def test_two_towns_by_hand() -> None:
    graph = two_towns()
    towns = {"A1": "a", "A2": "a", "A3": "a", "B1": "b", "B2": "b", "B3": "b"}
    metrics = evaluate_grouping(graph, towns)
    assert (metrics.groups, metrics.practices_grouped, metrics.ungrouped, metrics.population) == (2, 6, 0, 72_000)
    assert (metrics.in_band, metrics.connected, metrics.crossing_groups) == (2, 2, 0)
    a, b = metrics.rows
    assert (a.centre, b.centre) == ("A2", "B2")
    assert a.weighted_km == pytest.approx(36_000 / 36_000, rel=1e-12)
    assert b.weighted_km == pytest.approx(30_000 / 36_000, rel=1e-12)
    assert (a.diameter_km, b.diameter_km) == (pytest.approx(3.0), pytest.approx(2.5))
    assert metrics.total_weighted_km == pytest.approx(66_000, rel=1e-12)
    assert metrics.weighted_km == pytest.approx(66_000 / 72_000, rel=1e-12)
    assert metrics.moved_practices is None and metrics.alignment_kept_share is None


def test_disconnected_out_of_band_and_ungrouped_are_counted() -> None:
    graph = two_towns()
    labels = {"A1": "x", "B3": "x", "A2": "y", "A3": "y", "B1": "z", "B2": UNGROUPED}
    metrics = evaluate_grouping(graph, labels, Band(20_000, 30_000))
    rows = {row.group: row for row in metrics.rows}
    assert not rows["x"].connected  # A1 and B3 are not neighbours
    assert rows["y"].connected and rows["y"].in_band and not rows["z"].in_band
    assert (metrics.ungrouped, metrics.in_band, metrics.connected) == (1, 2, 2)
    assert metrics.in_band_share == pytest.approx(2 / 3)
    assert rows["x"].diameter_km == pytest.approx(np.hypot(22.5, 12.0))


def test_a_must_link_pair_counts_as_connected() -> None:
    graph = make_graph(two_towns().practices, [("A1", "B3", "must_link")])
    metrics = evaluate_grouping(graph, {"A1": "x", "B3": "x"})
    assert metrics.rows[0].connected


def test_a_group_takes_the_band_of_its_main_sub_icb_by_patients() -> None:
    practices = [practice("R1", X0, Y0, 5_000, sub_icb="11N"), practice("R2", X0 + 900, Y0, 5_000, sub_icb="11N"),
                 practice("U1", X0 + 1_800, Y0 + 300, 15_000, sub_icb="00T")]
    graph = make_graph(practices)
    problem = GroupingProblem(band_for={"11N": Band(20_000, 50_000)})
    row = evaluate_grouping(graph, {"R1": "g", "R2": "g", "U1": "g"}, problem).rows[0]
    # two practices of 11N but more patients in 00T: the group is held to 00T's band
    assert (row.band, row.in_band, row.sub_icbs) == ("30000:50000", False, "00T;11N")
    rural = evaluate_grouping(graph, {"R1": "g", "R2": "g"}, problem).rows[0]
    assert (rural.band, rural.in_band) == ("20000:50000", False)  # 10,000 patients


def test_moved_practices_follow_each_group_to_its_predecessor() -> None:
    current = {"A": "P1", "B": "P1", "C": "P1", "D": "P2", "E": "P2"}
    new = {"A": "G1", "B": "G1", "C": "G2", "D": "G2", "E": "G2"}
    assert moved_practices(new, current) == {"C"}
    assert moved_practices(current, current) == set()
    # a tie goes to the first label: G3 succeeds P1, so D moved
    assert moved_practices({"A": "G3", "D": "G3"}, current) == {"D"}


def test_relations_kept_inside_groups() -> None:
    graph = two_towns().with_relations([
        Relation("A1", "A2", "alignment", 0.8), Relation("A1", "B1", "alignment", 0.2),
        Relation("B1", "B2", "shared_staff", 2.0, "district_nurse"),
    ])
    metrics = evaluate_grouping(graph, {"A1": "a", "A2": "a", "A3": "a", "B1": "b", "B2": "b", "B3": "b"},
                                current={"A1": "P", "A2": "P", "A3": "Q", "B1": "Q", "B2": "Q", "B3": "Q"})
    assert metrics.alignment_kept_share == pytest.approx(0.8)
    assert metrics.shared_staff_kept_share == pytest.approx(1.0)
    assert (metrics.moved_practices, metrics.moved_patients) == (1, 12_000)  # A3 left Q for P's successor


def test_todays_pcns_of_sub_icb_00t(nhs_practices_csv) -> None:
    from geodata import load_study_area

    graph = load_study_area(nhs_practices_csv, sub_icb=["00T"])
    current = {p.code: p.group for p in graph.practices if p.group}
    metrics = evaluate_grouping(graph, current)
    assert len(graph) == 49 and metrics.population == 333_886
    assert metrics.groups == 9
    assert metrics.in_band_share == pytest.approx(6 / 9)
    assert metrics.weighted_km == pytest.approx(1.041, abs=0.005)
    assert metrics.moved_practices is None
    assert evaluate_grouping(graph, current, current=current).moved_practices == 0
