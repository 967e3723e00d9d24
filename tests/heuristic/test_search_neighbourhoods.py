"""The heuristic's stronger steps: merge-and-resplit, strategic oscillation, recombination of restarts,
the chunked start of large pieces, and the effort levels."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterkit.errors import InputError
from clusterkit.problem.pieces import piece_problems
from clusterkit.heuristic.chunks import start_chunks
from clusterkit.heuristic.driver import group_heuristic
from clusterkit.heuristic.effort import EFFORTS, Effort, effort_of
from clusterkit.metrics.grouping import evaluate_grouping
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.heuristic.recombine import recombine
from clusterkit.heuristic.resplit import resplit_pass
from clusterkit.heuristic.construction import group_counts, grow
from clusterkit.heuristic.search import _local_search, _oscillate
from clusterkit.model.coordinates import distance_matrix
from clusterkit.heuristic.state import Memo, State
from clusterkit.problem.score import GroupScorer, connected
from solvers.partition import solve_set_partition
from clusterkit.synthetic import synthetic_county

SETTINGS = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------ recombination
def _table_score(table: dict[frozenset[int], float], infeasible: frozenset[int] | None = None):
    def score(units: frozenset[int]) -> tuple[float, float]:
        return (1.0 if units == infeasible else 0.0), table[units]
    return score


A = np.array([0, 0, 1, 1, 2, 2])  # {0,1} {2,3} {4,5}
B = np.array([0, 1, 0, 1, 2, 3])  # {0,2} {1,3} {4} {5}
COSTS = {frozenset({0, 1}): 3.0, frozenset({2, 3}): 3.0, frozenset({4, 5}): 1.0,
         frozenset({0, 2}): 1.0, frozenset({1, 3}): 1.0, frozenset({4}): 3.0, frozenset({5}): 3.0}


def test_recombination_mixes_groups_of_different_restarts() -> None:
    # by hand: A costs 3 + 3 + 1 = 7, B costs 1 + 1 + 3 + 3 = 8; {0,2} {1,3} (from B) with {4,5} (from A) cost 3,
    # and no other exact cover of these columns is cheaper
    combined = recombine([A, B], 6, _table_score(COSTS), solve_set_partition)
    groups = {frozenset(np.flatnonzero(combined == g).tolist()) for g in np.unique(combined)}
    assert groups == {frozenset({0, 2}), frozenset({1, 3}), frozenset({4, 5})}


def test_recombination_keeps_the_count_and_skips_infeasible_groups() -> None:
    # four groups: only B's partition has four columns
    combined = recombine([A, B], 6, _table_score(COSTS), solve_set_partition, count=4)
    assert len(np.unique(combined)) == 4 and combined[4] != combined[5]
    # a column that breaks a hard rule is never used: without {4,5}, only B covers 4 and 5
    combined = recombine([A, B], 6, _table_score(COSTS, infeasible=frozenset({4, 5})), solve_set_partition)
    groups = {frozenset(np.flatnonzero(combined == g).tolist()) for g in np.unique(combined)}
    assert groups == {frozenset({0, 2}), frozenset({1, 3}), frozenset({4}), frozenset({5})}


# ------------------------------------------------------------------------------------ resplit, oscillation
def _county_area(seed: int, lower: int = 30_000, upper: int = 50_000):
    graph = synthetic_county(seed=seed).with_adjacency()
    areas, _ = piece_problems(graph, GroupingProblem(band=Band(lower, upper)))
    return max(areas, key=lambda area: len(area.codes))


def _assert_partition_connected(state: State) -> None:
    p = state.problem
    assert sorted(u for members in state.members.values() for u in members) == list(range(len(p.units)))
    for group, members in state.members.items():
        assert members, "no empty group"
        assert all(state.unit_group[u] == group for u in members)
        assert connected(p.unit_neighbours, members)


@SETTINGS
@given(seed=st.integers(0, 50), start_seed=st.integers(0, 2**16))
def test_resplit_never_worsens_and_keeps_groups_connected(seed: int, start_seed: int) -> None:
    area = _county_area(seed)
    rng = np.random.default_rng(start_seed)
    state = State(area, grow(area, group_counts(area)[0], rng), Memo(GroupScorer(area, distance_matrix(area.xy))))
    _local_search(state, rng)
    before = state.totals()
    resplit_pass(state, set(area.hubs))
    after = state.totals()
    assert after[0] <= before[0] + 1e-9
    if abs(after[0] - before[0]) <= 1e-9:
        assert after[1] <= before[1] + 1e-12
    _assert_partition_connected(state)
    for group, members in state.members.items():  # scores kept in step with the groups
        assert state.score[group] == pytest.approx(state.evaluate(frozenset(members)))


@SETTINGS
@given(seed=st.integers(0, 50), start_seed=st.integers(0, 2**16))
def test_oscillation_returns_a_hard_band_state_never_worse(seed: int, start_seed: int) -> None:
    area = _county_area(seed)
    rng = np.random.default_rng(start_seed)
    distance = distance_matrix(area.xy)
    memo = Memo(GroupScorer(area, distance))
    state = State(area, grow(area, group_counts(area)[0], rng), memo)
    _local_search(state, rng)
    before = state.totals()
    result = _oscillate(area, state.unit_group.copy(), distance, rng, memo, {})
    after = result.totals()
    assert not result.problem.soft, "the band is restored before a state is returned"
    assert (after[0] < before[0] - 1e-9) or (abs(after[0] - before[0]) <= 1e-9 and after[1] <= before[1] + 1e-12)
    _assert_partition_connected(result)


def test_more_effort_is_never_worse_than_quick_on_the_county() -> None:
    graph = synthetic_county(seed=3).with_adjacency()
    quick = group_heuristic(graph, seed=0, effort="quick", workers=1)
    harder = group_heuristic(graph, seed=0, effort=Effort(restarts=6, oscillate=3, polish_oscillate=1), workers=1)
    assert quick.status == harder.status == "FEASIBLE"
    # the first four starts are quick's (same seed); more effort only adds starts, oscillation and recombination
    assert harder.objective <= quick.objective + 1e-12
    assert harder.params["restarts"] == 6 and harder.params["oscillate"] == 3
    assert quick.params["oscillate"] == 0


# ------------------------------------------------------------------------------------------ effort levels
def test_effort_levels_and_restarts_override() -> None:
    assert set(EFFORTS) == {"quick", "standard", "thorough"}
    assert effort_of("quick").oscillate == 0
    assert effort_of("standard", restarts=3) == replace(EFFORTS["standard"], restarts=3)
    with pytest.raises(InputError, match="unknown effort"):
        effort_of("heroic")
    with pytest.raises(InputError, match="at least 1"):
        effort_of("quick", restarts=0)


# ------------------------------------------------------------------------------------ chunks of a large piece
def test_start_chunks_partition_a_real_icb_into_connected_chunks(nhs_graph) -> None:
    graph = nhs_graph.select(icb=["QOP"]).with_adjacency("delaunay")
    chunks = start_chunks(graph, graph.codes, 30_000)
    assert sorted(code for chunk in chunks for code in chunk) == sorted(graph.codes)
    adjacency = graph.layer("adjacency")
    for chunk in chunks:
        assert nx.is_connected(adjacency.subgraph(chunk)), chunk[:5]
    assert len(chunks) <= len(graph.areas("sub_icb"))
    # every chunk but one made of a single part holds at least a group's worth of patients
    small = [chunk for chunk in chunks if sum(graph.practice(c).list_size for c in chunk) < 30_000]
    assert not small


def test_a_real_icb_across_sub_icbs_is_grouped_in_band_and_connected(nhs_graph) -> None:
    # QOP (406 practices) is one large piece under --within none: chunked start, then the polish
    graph = nhs_graph.select(icb=["QOP"]).with_adjacency("delaunay")
    problem = GroupingProblem()
    grouping = group_heuristic(graph, problem, seed=0, effort="quick", workers=2)
    assert grouping.status == "FEASIBLE", grouping.notes
    metrics = evaluate_grouping(graph, grouping.labels, problem, flagged=grouping.flagged)
    assert metrics.connected_share == 1.0
    out_of_band = metrics.groups - metrics.in_band
    assert out_of_band <= len(grouping.flagged)  # only practices above 50,000 standing alone
    assert metrics.practices_grouped == len(graph)
    crossing = sum(1 for label in set(grouping.labels.values())
                   if len({graph.practice(c).sub_icb for c, g in grouping.labels.items() if g == label}) > 1)
    assert crossing >= 1, "within none, some group should use the freedom to cross a sub-ICB boundary"


def test_a_grouping_that_breaks_a_rule_names_the_rule() -> None:
    """NO_SOLUTION says which rule failed and by how much, in a planner's words (not "violation 0.3")."""
    from tests.grouping_checks import two_towns

    graph = two_towns()  # six practices in two towns 23 km apart: one group of all six spans 23 km
    problem = GroupingProblem(band=Band(60_000, 80_000), max_diameter_km=5.0)
    grouping = group_heuristic(graph, problem, workers=1)
    assert grouping.status == "NO_SOLUTION"
    note = next(note for note in grouping.notes if "no grouping found" in note)
    assert "km above the diameter limit" in note and "violation" not in note
