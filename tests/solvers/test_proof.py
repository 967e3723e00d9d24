"""The proof of the exact method (enumeration, partitions with a cutoff), its polish and its last partition's
columns, against brute force on the tiny pieces of :mod:`tests.solvers.test_pricing`."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import assume, given

from clusterkit.heuristic import ruin
from solvers.grouping import proof
from solvers.grouping.colgen import Watch, _generate
from solvers.grouping.proof import final_columns, polish, prove
from solvers.partition import solve_set_partition
from tests.solvers.test_pricing import (
    TOL,
    best_partition,
    brute_force_settings,
    gap_instance,
    random_instances,
    solvable_case,
    worst_partition,
)


def _proof(case, tolerance: float = 1e-4):
    """The LP of ``case`` by column generation from the costliest grouping, then :func:`prove` from it."""
    start = worst_partition(case.pricer.n, case.columns)
    pool = {frozenset(np.flatnonzero(start == g).tolist()): None for g in np.unique(start)}
    pool = {column: case.pricer.cost(column) for column in pool}
    incumbent = (sum(pool.values()), start)
    _, converged, _, lp = _generate(case.pricer, pool, None, case.pricer.n, time.perf_counter() + 20, math.inf)
    assert converged
    bounds: dict = {}
    deadline = time.perf_counter() + 20

    def left(columns: int = 0) -> float:
        return max(0.05, deadline - time.perf_counter())

    found, proven = prove(case.pricer, pool, lp, incumbent, tolerance, "highs", deadline, left, bounds, Watch(None),
                          {})
    return lp, found, proven, bounds


def test_the_proof_closes_an_lp_gap_by_hand() -> None:
    """lp-gap8: the master LP is below the optimum; the enumeration and the partitions with a cutoff prove the
    brute-force optimum from the costliest start."""
    case = gap_instance()
    optimum = best_partition(case.pricer.n, case.columns)
    lp, found, proven, bounds = _proof(case)
    assert lp[0] < optimum - 1e-3  # a real integrality gap
    assert proven
    assert found[0] == pytest.approx(optimum, abs=TOL)
    assert bounds[None] <= optimum + TOL
    assert bounds[None] >= optimum * (1 - 1e-4) - TOL


@brute_force_settings(25)
@given(random_instances())
def test_the_proof_finds_the_brute_force_optimum_and_a_bound_below_it(instance) -> None:
    case, optimum = solvable_case(instance)
    _, found, proven, bounds = _proof(case)
    assert proven
    assert found[0] == pytest.approx(optimum, abs=TOL)
    assert bounds.get(None, -math.inf) <= optimum + TOL


def test_final_columns_keep_the_incumbent_and_the_least_reduced_costs(monkeypatch) -> None:
    monkeypatch.setattr(proof, "FINAL_COLUMNS", 2)
    pool = {frozenset({0}): 1.0, frozenset({1}): 1.0, frozenset({0, 1}): 1.5, frozenset({2}): 3.0,
            frozenset({1, 2}): 2.2}
    duals, mu = np.array([1.0, 1.0, 1.0]), 0.0  # reduced costs 0, 0, -0.5, 2, 0.2
    incumbent = (5.0, np.array([0, 1, 2]))  # the singletons
    kept = final_columns(pool, (0.0, duals, mu, None), incumbent)
    assert set(kept) == {frozenset({0, 1}), frozenset({0}), frozenset({1}), frozenset({2})}
    assert final_columns(pool, None, incumbent) == sorted(pool, key=lambda c: (len(c), sorted(c)))


def test_polish_never_worsens_the_incumbent_and_pools_its_groups() -> None:
    case = gap_instance()
    start = worst_partition(case.pricer.n, case.columns)
    cost = sum(case.pricer.cost(frozenset(np.flatnonzero(start == g).tolist())) for g in np.unique(start))
    pool: dict = {}
    value, grouping = polish(case.pricer, pool, (cost, start), "highs")
    assert value <= cost + TOL
    groups = {frozenset(np.flatnonzero(grouping == g).tolist()) for g in np.unique(grouping)}
    if value < cost - TOL:
        assert groups <= set(pool)
        assert value == pytest.approx(sum(pool[column] for column in groups))
    assert value >= best_partition(case.pricer.n, case.columns) - TOL


@brute_force_settings(30)
@given(random_instances())
def test_the_recombination_of_ruin_and_recreate_draws_on_the_columns_it_is_given(instance) -> None:
    """With windows of one group (which can move nothing between groups), what ruin and recreate gains comes
    from its recombination; given every feasible group as columns, that is the brute-force optimum."""
    case, optimum = solvable_case(instance)
    assume(len(case.piece.units) >= 3)
    start = worst_partition(case.pricer.n, case.columns)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(ruin, "WINDOW_GROUPS", (1,))
        grouping = ruin.ruin_and_recreate(case.piece, start, 0, passes=2, set_partition=solve_set_partition,
                                          columns=list(case.columns))
    groups = [frozenset(np.flatnonzero(grouping == g).tolist()) for g in np.unique(grouping)]
    assert all(group in case.columns for group in groups)
    assert sum(case.columns[group] for group in groups) == pytest.approx(optimum, abs=TOL)
