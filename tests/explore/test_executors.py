"""The same sweep and ensemble on this process, a local pool and a Dask LocalCluster: the same results."""

from __future__ import annotations

import time

import pytest

from clusterkit.errors import InputError
from clusterkit.explore import build_ensemble, sweep_weights
from clusterkit.parallel import scheduler_executor
from clusterkit.synthetic import synthetic_county, synthetic_relations


def county():
    graph = synthetic_county(seed=6)
    return graph.with_relations(synthetic_relations(graph, seed=6)).with_adjacency()


def fingerprint(candidates):
    return [(candidate.name, candidate.seed, dict(candidate.grouping.labels), candidate.grouping.objective,
             candidate.metrics.weighted_km) for candidate in candidates]


@pytest.fixture(scope="module")
def dask_executor():
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    with scheduler_executor("local", workers=2) as executor:
        yield executor


def test_ensemble_is_the_same_inline_on_a_pool_and_on_dask(dask_executor):
    graph = county()
    inline = build_ensemble(graph, members=5, keep=3, seed=11, effort="quick", restarts=2, workers=1)
    pool = build_ensemble(graph, members=5, keep=3, seed=11, effort="quick", restarts=2, workers=2)
    dask = build_ensemble(graph, members=5, keep=3, seed=11, effort="quick", restarts=2,
                          executor=dask_executor)
    assert fingerprint(inline.members) == fingerprint(pool.members) == fingerprint(dask.members)
    assert inline.kept == pool.kept == dask.kept and inline.consensus == dask.consensus
    assert inline.stability == dask.stability


def test_sweep_is_the_same_on_a_pool_and_on_dask(dask_executor):
    graph = county()
    pool = sweep_weights(graph, weights=(0.0, 0.4, 1.0), seed=3, effort="quick", restarts=2, workers=2)
    dask = sweep_weights(graph, weights=(0.0, 0.4, 1.0), seed=3, effort="quick", restarts=2,
                         executor=dask_executor)
    assert fingerprint(pool.points) == fingerprint(dask.points)
    assert pool.non_dominated == dask.non_dominated


def test_an_unreachable_scheduler_is_one_clear_error_within_seconds():
    pytest.importorskip("distributed", reason="the dask extra is not installed")
    started = time.perf_counter()
    with pytest.raises(InputError, match="cannot reach the Dask scheduler"):
        with scheduler_executor("tcp://127.0.0.1:9", timeout=1.0):
            pass
    assert time.perf_counter() - started < 10


def test_a_missing_dask_extra_says_how_to_install_it(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed -> ImportError
    with pytest.raises(InputError, match=r'pip install -e "\.\[dask\]"'):
        with scheduler_executor("local"):
            pass


def test_a_decomposed_grouping_is_the_same_on_a_pool_and_on_dask(dask_executor):
    """group's areas are tasks too (--scheduler on group): the same grouping wherever they run."""
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.runs import run_grouping

    graph = synthetic_county(seed=6).with_adjacency()
    problem = GroupingProblem(within="sub_icb")
    pool = run_grouping(graph, problem, effort="quick", workers=2)
    dask = run_grouping(graph, problem, effort="quick", executor=dask_executor)
    assert dict(pool.result.labels) == dict(dask.result.labels)
    assert pool.result.objective == dask.result.objective
