"""Grouping engine on hand-built graphs: provable optima, flagged and unwilling practices, the rules a
planner states (boundaries, links, hubs, counts, diameter, stability), and the exact method checked
against brute force."""

from __future__ import annotations

import itertools
from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from tests.grouping_checks import (ORIGIN, TWO_TOWNS_OBJECTIVE, assert_valid_grouping, make_graph, practice, two_towns,
                             weighted_km)

from clusterkit.heuristic.driver import group_heuristic
from clusterkit.problem.pieces import adjacency_for
from clusterkit.metrics.grouping import evaluate_grouping
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.model.partition import UNGROUPED
from clusterkit.synthetic import synthetic_county
from solvers.grouping.exact import group_practices

X0, Y0 = ORIGIN


# ---------------------------------------------------------------------------------------------- hand-checked
def test_two_towns_heuristic_finds_the_hand_computed_optimum() -> None:
    graph = two_towns()
    problem = GroupingProblem(band=Band(30_000, 50_000))
    grouping = group_practices(graph, problem, method="heuristic", seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"  # a heuristic never claims a proof
    assert sorted(grouping.groups.values()) == [("A1", "A2", "A3"), ("B1", "B2", "B3")]
    assert sorted(grouping.centres.values()) == ["A2", "B2"]
    # town A: 12,000 x (1 + 2) km; town B: 12,000 x (2 + 0.5) km; over 72,000 patients
    assert grouping.objective == pytest.approx(TWO_TOWNS_OBJECTIVE, rel=1e-9)
    assert TWO_TOWNS_OBJECTIVE == pytest.approx(0.9166666666666666, rel=1e-12)
    metrics = evaluate_grouping(graph, grouping.labels, problem)
    assert metrics.weighted_km == pytest.approx(TWO_TOWNS_OBJECTIVE, rel=1e-9)
    assert [row.weighted_km for row in metrics.rows] == pytest.approx([36_000 / 36_000, 30_000 / 36_000], rel=1e-9)


def test_two_towns_exact_proves_the_optimum() -> None:
    graph = two_towns()
    grouping = group_practices(graph, GroupingProblem(), method="exact", time_limit=20, workers=1)
    assert_valid_grouping(graph, grouping, GroupingProblem())
    assert grouping.status == "OPTIMAL"
    assert grouping.method == "exact" and grouping.solver == "highs"
    assert sorted(grouping.groups.values()) == [("A1", "A2", "A3"), ("B1", "B2", "B3")]
    assert grouping.objective == pytest.approx(TWO_TOWNS_OBJECTIVE, rel=1e-9)
    assert grouping.bound == pytest.approx(grouping.objective, abs=1e-6)
    assert grouping.gap == pytest.approx(0.0, abs=1e-6)


def test_a_practice_above_the_band_stands_alone_and_is_flagged() -> None:
    big = practice("Z9", X0 + 1_500, Y0 + 500, 60_000)
    graph = make_graph([*two_towns().practices, big])
    grouping = group_heuristic(graph, seed=0, workers=1)
    assert_valid_grouping(graph, grouping)
    assert grouping.status == "FEASIBLE"
    assert grouping.flagged == ("Z9",)
    assert grouping.groups[grouping.labels["Z9"]] == ("Z9",)
    assert grouping.centres[grouping.labels["Z9"]] == "Z9"
    assert any("Z9" in note and "stands alone" in note for note in grouping.notes)
    rows = {row.group: row for row in evaluate_grouping(graph, grouping.labels, flagged=grouping.flagged).rows}
    assert rows[grouping.labels["Z9"]].flagged and not rows[grouping.labels["Z9"]].in_band


def test_unwilling_practices_are_left_out_and_listed_never_dropped() -> None:
    towns = list(two_towns().practices)
    extra = [practice("A4", X0 + 500, Y0 + 800, 9_000, willing=False),
             practice("B4", X0 + 21_000, Y0 + 12_600, 4_000, willing=False)]
    graph = make_graph(towns + extra)
    grouping = group_heuristic(graph, seed=0, workers=1)
    assert_valid_grouping(graph, grouping)
    assert grouping.status == "FEASIBLE"
    assert grouping.unwilling == ("A4", "B4")
    assert grouping.labels["A4"] == grouping.labels["B4"] == UNGROUPED
    assert set(grouping.labels) == set(graph.codes)
    assert sorted(grouping.groups.values()) == [("A1", "A2", "A3"), ("B1", "B2", "B3")]
    metrics = evaluate_grouping(graph, grouping.labels)
    assert (metrics.ungrouped, metrics.practices_grouped) == (2, 6)


def test_unwilling_practice_in_the_middle_does_not_block_the_willing() -> None:
    # a chain of practices whose middle one is unwilling: the willing on both sides still group
    codes = [practice(f"C{k}", X0 + 1_000 * k, Y0 + (150 if k % 2 else 0), 10_000) for k in range(7)]
    codes[3] = replace(codes[3], willing=False)
    graph = make_graph(codes)
    problem = GroupingProblem(band=Band(55_000, 65_000))  # only the six willing together fit
    grouping = group_heuristic(graph, problem, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    assert len(grouping.groups) == 1 and grouping.labels["C3"] == UNGROUPED


# ---------------------------------------------------------------------------------------------- rules
def _grid(rows: int, columns: int, size: int, spacing: float = 1_500.0, **kwargs) -> list:
    rng = np.random.default_rng(7)
    return [practice(f"P{r}{c}", X0 + spacing * c + rng.uniform(-200, 200), Y0 + spacing * r + rng.uniform(-200, 200),
                     size, **kwargs) for r in range(rows) for c in range(columns)]


def test_groups_stay_within_sub_icbs() -> None:
    west = [replace(p, sub_icb="00W") for p in _grid(3, 3, 10_000) if int(p.code[2]) < 2]
    east = [replace(p, sub_icb="00E") for p in _grid(3, 3, 10_000) if int(p.code[2]) >= 2]
    graph = make_graph(west + east)
    problem = GroupingProblem(band=Band(25_000, 45_000), within="sub_icb")
    grouping = group_heuristic(graph, problem, seed=1, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    # without the rule the best grouping may cross; with it, no group holds both sub-ICBs
    for codes in grouping.groups.values():
        assert len({graph.practice(c).sub_icb for c in codes}) == 1


def test_must_link_and_cannot_link_are_kept() -> None:
    base = _grid(3, 4, 8_000)
    relations = [("P00", "P23", "must_link"), ("P01", "P02", "cannot_link"), ("P10", "P11", "cannot_link")]
    graph = make_graph(base, relations)
    problem = GroupingProblem(band=Band(30_000, 50_000), contiguity=False)
    grouping = group_heuristic(graph, problem, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    assert grouping.labels["P00"] == grouping.labels["P23"]
    assert grouping.labels["P01"] != grouping.labels["P02"]
    assert grouping.labels["P10"] != grouping.labels["P11"]


def test_hubs_centre_one_group_each() -> None:
    graph = make_graph(_grid(3, 4, 8_000))
    problem = GroupingProblem(band=Band(30_000, 50_000), centres=("P00", "P23"))
    grouping = group_heuristic(graph, problem, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    assert len(grouping.groups) == 2
    assert sorted(grouping.centres.values()) == ["P00", "P23"]
    assert grouping.labels["P00"] != grouping.labels["P23"]


def test_count_fixes_the_number_of_groups() -> None:
    graph = make_graph(_grid(3, 4, 8_000))  # 96,000 patients: 2 or 3 groups of 30-50k
    for count in (2, 3):
        problem = GroupingProblem(count=count)
        grouping = group_heuristic(graph, problem, seed=0, workers=1)
        assert_valid_grouping(graph, grouping, problem)
        assert grouping.status == "FEASIBLE" and len(grouping.groups) == count


def test_max_diameter_holds() -> None:
    graph = make_graph(_grid(3, 4, 8_000))
    problem = GroupingProblem(band=Band(15_000, 50_000), max_diameter_km=3.5)
    grouping = group_heuristic(graph, problem, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    assert evaluate_grouping(graph, grouping.labels, problem).max_diameter_km <= 3.5


def test_band_for_waives_the_band_in_one_area() -> None:
    rural = [replace(p, sub_icb="11N", code="R" + p.code[1:]) for p in _grid(1, 3, 7_000, spacing=4_000)]
    town = [replace(p, sub_icb="00T", y=p.y + 9_000) for p in _grid(2, 2, 10_000)]
    graph = make_graph(rural + town)
    strict = GroupingProblem(within="sub_icb")
    with pytest.raises(Exception, match="sub-ICB 11N has 21,000 patients in total, below the lower bound 30,000"):
        group_heuristic(graph, strict, seed=0, workers=1)
    waived = replace(strict, band_for={"11n": Band(20_000, 50_000)})
    grouping = group_heuristic(graph, waived, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, waived)
    assert grouping.status == "FEASIBLE"
    rows = {row.sub_icbs: row for row in evaluate_grouping(graph, grouping.labels, waived).rows}
    assert rows["11N"].band == "20000:50000" and rows["11N"].in_band
    assert rows["00T"].band == "30000:50000"


def test_move_penalty_keeps_a_feasible_current_grouping() -> None:
    # eight practices on a line; the current split (3 | 5) is feasible but not the nearest grouping
    sizes = [10_000] * 8
    offsets = [0, 1_000, 2_000, 3_000, 7_000, 8_000, 9_000, 10_000]
    line = [practice(f"L{k}", X0 + offsets[k], Y0 + (100 if k % 2 else 0), sizes[k],
                     group="OLD1" if k < 3 else "OLD2") for k in range(8)]
    graph = make_graph(line)
    current = {p.code: p.group for p in graph.practices}
    free = group_heuristic(graph, GroupingProblem(), seed=0, workers=1)
    moved_free = evaluate_grouping(graph, free.labels, current=current).moved_practices
    assert moved_free > 0  # distance alone moves L3 to the west group
    stable = GroupingProblem(move_penalty=5.0)
    grouping = group_heuristic(graph, stable, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, stable)
    assert evaluate_grouping(graph, grouping.labels, current=current).moved_practices == 0
    assert sorted(grouping.groups.values()) == [("L0", "L1", "L2"), ("L3", "L4", "L5", "L6", "L7")]


def test_soft_band_reports_groups_outside_it() -> None:
    graph = make_graph(_grid(2, 2, 10_000))  # 40,000 patients, band 45-60k: impossible when hard
    problem = GroupingProblem(band=Band(45_000, 60_000), soft=True)
    grouping = group_heuristic(graph, problem, seed=0, workers=1)
    assert_valid_grouping(graph, grouping, problem)
    assert grouping.status == "FEASIBLE"
    metrics = evaluate_grouping(graph, grouping.labels, problem)
    assert metrics.groups == 1 and metrics.in_band == 0


def test_progress_is_reported_per_area_and_results_are_deterministic() -> None:
    graph = synthetic_county(seed=2).with_adjacency()
    problem = GroupingProblem(within="sub_icb", soft=True)
    calls: list[tuple[int, int]] = []
    first = group_heuristic(graph, problem, seed=5, restarts=2, workers=1, progress=lambda d, t: calls.append((d, t)))
    assert calls == [(1, 3), (2, 3), (3, 3)]
    again = group_heuristic(graph, problem, seed=5, restarts=2, workers=1)
    assert dict(first.labels) == dict(again.labels)
    assert_valid_grouping(graph, first, problem)


def test_workers_do_not_change_the_result() -> None:
    # above PARALLEL_MIN_PRACTICES, so workers=2 really runs the areas on a process pool
    graph = synthetic_county(seed=4, n_practices=320).with_adjacency()
    problem = GroupingProblem(within="sub_icb", soft=True)
    one = group_heuristic(graph, problem, seed=3, restarts=1, workers=1)
    calls: list[tuple[int, int]] = []
    two = group_heuristic(graph, problem, seed=3, restarts=1, workers=2, progress=lambda d, t: calls.append((d, t)))
    assert dict(one.labels) == dict(two.labels)
    assert one.objective == two.objective
    assert [done for done, _ in calls] == [1, 2, 3] and {total for _, total in calls} == {3}


# ---------------------------------------------------------------------------------------------- brute force
def _partitions(items: list[str]):
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for partition in _partitions(rest):
        yield [[first], *partition]
        for k in range(len(partition)):
            yield [*partition[:k], [first, *partition[k]], *partition[k + 1:]]


def _brute_force(graph, problem) -> float:
    layer = adjacency_for(graph, problem).layer("adjacency")
    best = float("inf")
    for partition in _partitions(list(graph.codes)):
        if all(problem.band.contains(sum(graph.practice(c).list_size for c in block))
               and nx.is_connected(layer.subgraph(block)) for block in partition):
            best = min(best, weighted_km(graph, partition))
    return best


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_matches_brute_force_and_the_heuristic_is_never_below(seed: int) -> None:
    rng = np.random.default_rng(seed)
    practices = [practice(f"R{k}", X0 + rng.uniform(0, 12_000), Y0 + rng.uniform(0, 12_000),
                          int(rng.integers(6_000, 20_000))) for k in range(8)]
    graph = make_graph(practices)
    problem = GroupingProblem(band=Band(25_000, 50_000))
    optimum = _brute_force(graph, problem)
    assert np.isfinite(optimum), "the instance must be feasible"
    exact = group_practices(graph, problem, method="exact", time_limit=20, workers=1)
    assert_valid_grouping(graph, exact, problem)
    assert exact.status == "OPTIMAL"
    assert exact.objective == pytest.approx(optimum, rel=1e-7)
    assert exact.bound == pytest.approx(optimum, rel=1e-6)
    heuristic = group_practices(graph, problem, method="heuristic", workers=1)
    assert heuristic.objective >= optimum - 1e-9
    assert heuristic.objective == pytest.approx(weighted_km(graph, heuristic.groups.values()), rel=1e-9)


def test_partitions_enumerates_bell_numbers() -> None:
    assert [sum(1 for _ in _partitions(list("abcdefgh"[:n]))) for n in range(1, 7)] == [1, 2, 5, 15, 52, 203]
    assert sum(1 for _ in itertools.islice(_partitions(list("abcdefgh")), 10_000)) == 4140


def test_exact_proves_the_asked_gap_on_a_real_sub_icb_and_bounds_the_heuristic(nhs_graph) -> None:
    # QOP's sub-ICB 00V (25 practices): the proof at a 1% tolerance stops with a bound within 1% of its grouping,
    # and no grouping the heuristic finds may be below that bound
    graph = nhs_graph.select(sub_icb=["00V"]).with_adjacency("delaunay")
    problem = GroupingProblem()
    exact = group_practices(graph, problem, method="exact", gap=0.01, time_limit=120, workers=1)
    assert_valid_grouping(graph, exact, problem)
    assert exact.status == "OPTIMAL" and exact.gap <= 0.01 + 1e-9
    assert exact.bound <= exact.objective + 1e-12
    assert any("gap tolerance 0.01" in note for note in exact.notes) or exact.gap <= 1e-4
    heuristic = group_heuristic(graph, problem, seed=1, effort="quick", workers=1)
    assert heuristic.status == "FEASIBLE"
    assert heuristic.objective >= exact.bound - 1e-9


def test_hard_below_soft_above_by_hand() -> None:
    """Two towns of three 12,000-patient practices, band 30,000-35,000: no hard grouping exists (two practices
    are 24,000, three 36,000); hard below and soft above, each town is one group 1,000 over, so the optimum is
    the towns' distance plus 2 x 1,000 patients x penalty, over 72,000 patients."""
    from clusterkit.errors import InfeasibleError

    graph = two_towns()
    hard = GroupingProblem(band=Band(30_000, 35_000))
    with pytest.raises(InfeasibleError):
        group_practices(graph, hard, workers=1)
    problem = GroupingProblem(band=Band(30_000, 35_000), soft_above=True, penalty=0.5)
    expected = TWO_TOWNS_OBJECTIVE + 0.5 * 2_000 / 72_000
    for method in ("heuristic", "exact"):
        grouping = group_practices(graph, problem, method=method, workers=1, time_limit=20)
        assert grouping.objective == pytest.approx(expected, rel=1e-9), method
        sizes = [sum(graph.practice(code).list_size for code in codes) for codes in grouping.groups.values()]
        assert min(sizes) >= 30_000, "the lower bound stays hard"
    assert grouping.status == "OPTIMAL" and grouping.bound == pytest.approx(expected, rel=1e-6)
