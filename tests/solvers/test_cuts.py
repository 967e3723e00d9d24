"""Subset-row cuts of the exact method's master: their penalties, their separation, and the pricing, the
enumeration and the LP bound with them, against brute force on the tiny pieces of
:mod:`tests.solvers.test_pricing`."""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from solvers.grouping.colgen import _generate
from solvers.grouping.cuts import RowCuts, cut_rows, separate
from solvers.grouping.enumeration import enumerate_columns
from tests.solvers.test_pricing import (
    INSTANCES,
    TOL,
    Prepared,
    best_partition,
    brute_force_settings,
    centred_cost,
    gap_instance,
    prepared,
    random_duals,
    random_instances,
    reduced,
    solvable_case,
    worst_partition,
)

UNITS = 8


@pytest.fixture(params=INSTANCES, ids=[instance.name for instance in INSTANCES])
def hand_made(request) -> Prepared:
    """The hand-made pieces of :mod:`tests.solvers.test_pricing`, with their brute-force groups."""
    return prepared(request.param)


def held(column: frozenset[int], triple: tuple[int, int, int]) -> bool:
    """Whether ``column`` holds two or more units of ``triple`` (the cut's row), counted by hand."""
    return len(column & set(triple)) >= 2


def brute_penalty(cuts: RowCuts, column: frozenset[int]) -> float:
    return sum(float(penalty) for triple, penalty in zip(cuts.triples, cuts.penalties) if held(column, triple))


triples_strategy = st.lists(st.lists(st.integers(0, UNITS - 1), min_size=3, max_size=3, unique=True)
                            .map(lambda units: tuple(sorted(units))), max_size=6, unique=True)
columns_strategy = st.lists(st.frozensets(st.integers(0, UNITS - 1), min_size=1, max_size=UNITS), min_size=1,
                            max_size=12)


@given(triples_strategy, columns_strategy, st.data())
def test_penalties_are_the_cuts_a_group_holds_two_units_of(triples, columns, data) -> None:
    penalties = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.25, 0.5, 1.5]), min_size=len(triples),
                                            max_size=len(triples))))
    cuts = RowCuts(tuple(triples), penalties)
    expected = [brute_penalty(cuts, column) for column in columns]
    assert [cuts.penalty(column) for column in columns] == pytest.approx(expected, abs=TOL)
    assert cuts.penalties_of(columns, UNITS).tolist() == pytest.approx(expected, abs=TOL)
    rows = cut_rows(triples, columns, UNITS).toarray()
    assert rows.tolist() == [[float(held(column, triple)) for column in columns] for triple in triples]
    for column in columns:  # joining a unit adds exactly what the cuts of the larger group add
        for unit in range(UNITS):
            if unit not in column:
                grown = brute_penalty(cuts, column | {unit}) - brute_penalty(cuts, column)
                assert cuts.added(column, unit) == pytest.approx(grown, abs=TOL)
    assert bool(cuts) == bool((penalties > 0).any())


@given(columns_strategy, st.data())
def test_separation_finds_exactly_the_violated_triples(columns, data) -> None:
    x = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.25, 1 / 3, 0.5, 2 / 3, 1.0]), min_size=len(columns),
                                    max_size=len(columns))))
    # a master's solution covers each unit at most once (exactly, in the master; the artificial columns fill up)
    x /= max(1.0, max(sum(x[k] for k, column in enumerate(columns) if unit in column) for unit in range(UNITS)))
    known = set(data.draw(triples_strategy))
    found = separate(columns, x, known, most=1000)
    fractional = (x > 1e-6) & (x < 1 - 1e-6)
    expected = set()
    for triple in itertools.combinations(range(UNITS), 3):
        left = sum(x[k] for k, column in enumerate(columns) if fractional[k] and held(column, triple))
        if left > 1 + 1e-3 and triple not in known:
            expected.add(triple)
    assert set(found) == expected
    assert len(found) == len(set(found))
    lefts = [sum(x[k] for k, column in enumerate(columns) if fractional[k] and held(column, triple))
             for triple in found]
    assert lefts == sorted(lefts, reverse=True)  # the most violated first
    assert separate(columns, x, known, most=1) == found[:1]


def random_cuts(n: int, seed: int, scale: float) -> RowCuts:
    """Up to eight random triples of the piece's units with penalties of about ``scale`` (some zero)."""
    rng = np.random.default_rng(seed)
    triples = sorted({tuple(sorted(rng.choice(n, 3, replace=False).tolist())) for _ in range(8)})
    penalties = rng.choice([0.0, 0.5, 1.0, 2.0], size=len(triples)) * scale
    return RowCuts(tuple(triples), penalties)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_exact_pricing_with_cuts_is_the_least_reduced_cost_with_their_penalties(hand_made: Prepared,
                                                                                 seed: int) -> None:
    piece, pricer, columns = hand_made.piece, hand_made.pricer, hand_made.columns
    duals = random_duals(columns, pricer.n, seed)
    cuts = random_cuts(pricer.n, seed, float(np.mean(np.abs(duals))))
    for centre in pricer.centres:
        root = pricer.unit_of[centre]
        candidates = {column: reduced(centred_cost(piece, column, centre), column, duals, 0.0)
                      + brute_penalty(cuts, column) for column in columns if root in column}
        value, column = pricer.exact(centre, duals, 0.0, 10.0, cuts=cuts)
        if not candidates:
            assert value == math.inf and column is None
            continue
        assert value == pytest.approx(min(candidates.values()), abs=TOL), centre
        assert candidates[column] == pytest.approx(value, abs=TOL), (centre, column)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_greedy_and_enumeration_with_cuts_count_their_penalties(hand_made: Prepared, seed: int) -> None:
    pricer, columns = hand_made.pricer, hand_made.columns
    duals = random_duals(columns, pricer.n, seed)
    cuts = random_cuts(pricer.n, seed, float(np.mean(np.abs(duals))))
    values = {column: reduced(cost, column, duals, 0.0) + brute_penalty(cuts, column)
              for column, cost in columns.items()}
    for centre in pricer.centres:
        for rc, column in pricer.greedy(centre, duals, 0.0, cuts=cuts):
            assert rc == pytest.approx(values[column], abs=TOL) and rc < -1e-9
    for slack in (-1e-9, 0.0, float(np.quantile(list(values.values()), 0.5))):
        result = enumerate_columns(pricer, duals, 0.0, slack, time.perf_counter() + 10.0, cuts=cuts)
        assert set(result) == {column for column, value in values.items() if value <= slack}, slack
    # the penalties only remove groups: with the cuts, a subset of the groups found without them
    plain = enumerate_columns(pricer, duals, 0.0, 0.0, time.perf_counter() + 10.0)
    assert set(enumerate_columns(pricer, duals, 0.0, 0.0, time.perf_counter() + 10.0, cuts=cuts)) <= set(plain)


def _lp(case: Prepared, separating: bool) -> tuple:
    start = worst_partition(case.pricer.n, case.columns)
    pool = {frozenset(np.flatnonzero(start == g).tolist()) for g in np.unique(start)}
    pool = {column: case.pricer.cost(column) for column in pool}
    triples: list = []
    bound, converged, _, lp = _generate(case.pricer, pool, None, case.pricer.n, time.perf_counter() + 20, math.inf,
                                        triples=triples, separating=separating)
    assert converged
    return bound, lp, triples, pool


def test_cuts_raise_the_lp_bound_of_a_gap_by_hand() -> None:
    """lp-gap8: the LP is below the optimum; its subset-row cuts raise the converged LP, which stays a bound."""
    case = gap_instance()
    optimum = best_partition(case.pricer.n, case.columns)
    plain, plain_lp, none, _ = _lp(case, separating=False)
    cut, cut_lp, triples, pool = _lp(case, separating=True)
    assert none == [] and triples
    assert plain == pytest.approx(plain_lp[0]) and cut == pytest.approx(cut_lp[0])
    assert plain < cut <= optimum + TOL
    assert cut - plain > 0.2 * (optimum - plain)  # a real share of the gap closed
    # every group of the pool has a reduced cost of at least zero under the duals with cuts (the LP converged)
    _, duals, mu, cuts = cut_lp
    assert min(reduced(cost, column, duals, mu) + brute_penalty(cuts, column) for column, cost in pool.items()) \
        >= -1e-7
    # and so does every feasible group (no negative column was left out of the pricing)
    assert min(reduced(cost, column, duals, mu) + brute_penalty(cuts, column)
               for column, cost in case.columns.items()) >= -1e-7


@brute_force_settings(25)
@given(random_instances())
def test_the_lp_with_cuts_bounds_the_brute_force_optimum(instance) -> None:
    case, optimum = solvable_case(instance)
    plain, _, _, _ = _lp(case, separating=False)
    cut, lp, _, _ = _lp(case, separating=True)
    assert plain - 1e-7 <= cut <= optimum + TOL
    _, duals, mu, cuts = lp
    assert min(reduced(cost, column, duals, mu) + cuts.penalty(column) for column, cost in case.columns.items()) \
        >= -1e-7
