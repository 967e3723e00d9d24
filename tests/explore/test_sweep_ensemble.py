"""Sweeps and ensembles: a proven sweep by hand, the invariants of every candidate, seeds, workers, executors."""

from __future__ import annotations

import math

import pytest

from clusterkit.errors import InputError
from clusterkit.explore import build_ensemble, sweep_weights
from clusterkit.explore.ensemble import member_seeds
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.synthetic import synthetic_county, synthetic_relations
from tests.grouping_checks import assert_valid_grouping, make_graph, two_towns


def county():
    graph = synthetic_county(seed=4)
    return graph.with_relations(synthetic_relations(graph, seed=4)).with_adjacency()


def towns_with_alignment():
    """:func:`two_towns` with alignment inside each town: one group per town is best for every weight."""
    base = two_towns()
    return make_graph(base.practices, [("A1", "A2", "alignment"), ("A2", "A3", "alignment"),
                                       ("B1", "B2", "alignment"), ("B2", "B3", "alignment")])


def test_exact_sweep_is_proven_by_hand():
    # Groups hold three practices (36,000 in a 30-50k band of 12,000-patient practices), so every grouping is
    # two threes; one per town keeps all alignment and has the least distance (66,000 / 72,000 km), whatever
    # the weight: every point is that grouping, proven, and all are on the front (they tie).
    result = sweep_weights(towns_with_alignment(), weights=(0.0, 0.5, 1.0), method="exact", time_limit=30, workers=1)
    assert [point.name for point in result.points] == ["w0", "w0.5", "w1"]
    assert result.proven == 3 and str(result.status) == "OPTIMAL"
    for point in result.points:
        assert sorted(map(sorted, point.grouping.groups.values())) == [["A1", "A2", "A3"], ["B1", "B2", "B3"]]
        assert math.isclose(point.metrics.weighted_km, 66_000 / 72_000, rel_tol=1e-9)
        assert point.metrics.alignment_kept_share == 1.0
    assert result.non_dominated == (True, True, True)


def test_heuristic_sweep_points_are_valid_groupings_and_the_front_is_undominated():
    graph = county()
    result = sweep_weights(graph, weights=(0.0, 0.5, 1.0), effort="quick", restarts=2, workers=1)
    for point in result.points:
        assert_valid_grouping(graph, point.grouping, GroupingProblem(objective="blend", weight=point.weight))
        assert not point.proven
    on_front = [point for point, on in zip(result.points, result.non_dominated) if on]
    assert on_front, "a sweep of valid points has a front"
    # weight 0 is the distance-only point: no point with alignment in its objective may be much nearer
    assert result.points[0].metrics.weighted_km <= min(p.metrics.weighted_km for p in result.points) * 1.05


def test_sweep_refuses_bad_requests():
    graph = county()
    with pytest.raises(InputError, match="between 0 and 1"):
        sweep_weights(graph, weights=(0.0, 1.5))
    with pytest.raises(InputError, match="repeats"):
        sweep_weights(graph, weights=(0.5, 0.5))
    with pytest.raises(InputError, match="neither"):
        sweep_weights(synthetic_county(seed=4).with_adjacency(), weights=(0.0, 1.0))
    with pytest.raises(InputError, match="current grouping"):
        sweep_weights(graph, GroupingProblem(), weights=(0.0,), move_penalties=(0.0, 1.0))


def test_member_seeds_do_not_depend_on_the_number_of_members_nor_on_workers():
    graph = synthetic_county(seed=2).with_adjacency()
    small = build_ensemble(graph, members=3, keep=3, effort="quick", restarts=2, workers=1)
    large = build_ensemble(graph, members=5, keep=3, effort="quick", restarts=2, workers=2)
    assert member_seeds(7, 3) == member_seeds(7, 5)[:3] and len(set(member_seeds(7, 50))) == 50
    for first, second in zip(small.members, large.members):
        assert first.name == second.name and first.seed == second.seed
        assert first.grouping.labels == second.grouping.labels


def test_ensemble_members_kept_consensus_and_stability():
    graph = county()
    result = build_ensemble(graph, members=8, keep=4, min_vi=0.02, effort="quick", restarts=2, workers=2)
    for member in result.members:
        assert_valid_grouping(graph, member.grouping, GroupingProblem())
    assert 1 <= len(result.kept) <= 4
    assert all(result.vi[a, b] >= 0.02 for a in result.kept for b in result.kept if a != b)
    assert result.members[result.consensus].meets_rules
    assert {row.practice_code for row in result.stability} == set(graph.codes)
    assert all(0.0 <= row.stability <= 1.0 and row.swing == (row.stability < 0.5) for row in result.stability)
    edges = {tuple(sorted(edge)) for edge in graph.layer("adjacency").edges()}
    assert set(result.together) == edges
    assert result.diversity.pairs == 28 and result.diversity.distinct + result.diversity.duplicates == 8


def test_weight_jitter_stays_in_range_and_is_seeded():
    graph = county()
    problem = GroupingProblem(objective="blend", weight=0.9)
    first = build_ensemble(graph, problem, members=4, keep=2, weight_jitter=0.3, seed=5, effort="quick", restarts=2,
                           workers=1)
    again = build_ensemble(graph, problem, members=4, keep=2, weight_jitter=0.3, seed=5, effort="quick", restarts=2,
                           workers=1)
    weights = [member.weight for member in first.members]
    assert all(0.6 - 1e-9 <= weight <= 1.0 for weight in weights) and len(set(weights)) > 1
    assert weights == [member.weight for member in again.members]


@pytest.mark.parametrize("settings, message", [({"members": 0}, "at least|from 1"), ({"keep": 0}, "at least 1"),
                                               ({"min_vi": 1.5}, "between 0"), ({"weight_jitter": 0.7}, "between 0")])
def test_ensemble_refuses_bad_settings(settings, message):
    with pytest.raises(InputError, match=message):
        build_ensemble(synthetic_county(seed=2).with_adjacency(), **{"members": 2, **settings})


def test_real_sub_icb_ensemble(nhs_graph):
    """An ensemble of a real sub-ICB: every member a valid grouping, the consensus one of them."""
    graph = nhs_graph.select(sub_icb=["00T"]).with_adjacency()
    result = build_ensemble(graph, members=4, keep=3, effort="quick", restarts=2, workers=2)
    for member in result.members:
        assert_valid_grouping(graph, member.grouping, GroupingProblem())
    assert result.consensus in range(4) and 0.0 <= result.diversity.vi_max <= 1.0
