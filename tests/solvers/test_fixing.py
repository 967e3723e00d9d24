"""The reach filter and reduced-cost fixing of the exact method, against brute force on tiny pieces; the exact
method's progress notes and honest status.

Reuses the hand-made and random instances of :mod:`tests.solvers.test_pricing` (5 to 9 practices, every
feasible group listed by brute force).
"""

from __future__ import annotations

import math
import re
import time

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterkit.problem import Band, GroupingProblem
from clusterkit.results import Status, relative_gap
from clusterkit.synthetic import synthetic_county
from solvers.grouping import colgen, enumeration, fixing, proof
from solvers.grouping.colgen import Watch, solve_piece_colgen
from solvers.grouping.enumeration import enumerate_columns
from solvers.grouping.exact import solve_grouping_exact
from solvers.grouping.fixing import centre_bounds, reach_populations
from solvers.grouping.pricing import Pricer
from tests.solvers.test_pricing import (INSTANCES, TOL, Instance, best_partition, build_graph, case, centred_cost,  # noqa: F401
                                        gap_instance,
                                        prepared, random_case, random_duals, random_instances, reduced,
                                        brute_force_settings, solvable_case, worst_partition)


# ---------------------------------------------------------------------------------------------- the reach rule
def test_reach_filter_by_hand() -> None:
    """A path of five practices, 6,000 patients each, band 6,000-15,000: from P0 a group reaches P1 (12,000) but
    never P2 (18,000 on the way); from P2 both neighbours and nothing further."""
    points = [(1000 * k, 0) for k in range(5)]
    graph = build_graph(points, [6000] * 5, [(k, k + 1) for k in range(4)])
    pricer = prepared(Instance("path5-reach", graph, GroupingProblem(band=Band(6000, 15000)))).pricer
    assert pricer.allowed(0).tolist() == [True, True, False, False, False]
    assert pricer.allowed(2).tolist() == [False, True, True, True, False]
    reach = reach_populations(pricer.adjacency, pricer.unit_sizes, 0, np.ones(5, bool))
    assert reach.round(3).tolist() == [6000, 12000, 18000, 24000, 30000]


def test_no_reach_filter_when_the_upper_bound_is_soft() -> None:
    points = [(1000 * k, 0) for k in range(5)]
    graph = build_graph(points, [6000] * 5, [(k, k + 1) for k in range(4)])
    soft = prepared(Instance("path5-soft", graph, GroupingProblem(band=Band(6000, 15000), soft=True))).pricer
    assert soft.allowed(0).all()


def test_every_feasible_group_is_allowed_around_each_of_its_practices(case) -> None:
    """The reach filter (and the diameter and hub rules) never removes a unit from a group that could hold it."""
    pricer = case.pricer
    for column in case.columns:
        for unit in column:
            for centre in case.piece.units[unit]:
                assert pricer.allowed(centre)[sorted(column)].all(), (centre, column)


# ---------------------------------------------------------------------------------------------- the pair bounds
@pytest.mark.parametrize("seed, mu", [(0, 0.0), (1, 0.0), (2, 0.02), (3, -0.02)])
def test_pair_bounds_are_lower_bounds_on_every_group_holding_the_pair(case, seed: int, mu: float) -> None:
    piece, pricer = case.piece, case.pricer
    duals = random_duals(case.columns, pricer.n, seed)
    tight = 0
    for centre in pricer.centres:
        bounds = centre_bounds(pricer, centre, duals, mu)
        root = pricer.unit_of[centre]
        for column in case.columns:
            if root not in column:
                continue
            value = reduced(centred_cost(piece, column, centre), column, duals, mu)
            assert value >= bounds[sorted(column)].max() - 1e-9, (centre, column)
            tight += value <= bounds[sorted(column)].max() + 1e-9
    assert tight > 0  # the bound is met somewhere: it is not trivially low


def test_fixing_removes_pairs_at_a_small_slack(case) -> None:
    pricer = case.pricer
    duals = random_duals(case.columns, pricer.n, 0)
    free = [fixing.free_units(pricer, centre, duals, 0.0, 0.0) for centre in pricer.centres]
    allowed = [pricer.allowed(centre) for centre in pricer.centres]
    assert sum(int(f.sum()) for f in free) < sum(int(a.sum()) for a in allowed)


@brute_force_settings(25)
@given(random_instances(), st.integers(0, 3), st.floats(0.0, 1.0))
def test_enumeration_with_fixing_is_the_enumeration_without(instance, seed: int, quantile: float) -> None:
    """Fixed pairs never hold a group within the slack: the groups found are the same, and those of brute force."""
    case = random_case(instance)
    if not case.columns:
        return
    pricer = case.pricer
    duals = random_duals(case.columns, pricer.n, seed)
    values = {column: reduced(cost, column, duals, 0.0) for column, cost in case.columns.items()}
    slack = float(np.quantile(list(values.values()), quantile))
    unfixed = {centre: pricer.allowed(centre) for centre in pricer.centres}
    deadline = time.perf_counter() + 20.0
    fixed = enumerate_columns(pricer, duals, 0.0, slack, deadline)
    plain = enumerate_columns(pricer, duals, 0.0, slack, deadline, free=unfixed)
    assert set(fixed) == set(plain) == {column for column, value in values.items() if value <= slack + 1e-12}


def _no_fixing(monkeypatch) -> None:
    """Switch reduced-cost fixing off (the reach filter stays: it is a rule of the model)."""
    monkeypatch.setattr(proof, "free_units", lambda pricer, centre, *args: pricer.allowed(centre))
    monkeypatch.setattr(enumeration, "free_units", lambda pricer, centre, *args: pricer.allowed(centre))
    monkeypatch.setattr(colgen, "centre_bounds",
                        lambda pricer, centre, *args: np.where(pricer.allowed(centre), -math.inf, math.inf))


@brute_force_settings(20)
@given(random_instances())
def test_fixing_never_removes_the_optimum(instance) -> None:
    """Seeded with the costliest grouping, the solver with fixing, and without, both prove the brute-force optimum."""
    case, optimum = solvable_case(instance)
    start = worst_partition(case.pricer.n, case.columns)
    with_fixing = solve_piece_colgen(case.piece, [start], time_limit=20)
    with pytest.MonkeyPatch.context() as patch:
        _no_fixing(patch)
        without = solve_piece_colgen(case.piece, [start], time_limit=20)
    for result in (with_fixing, without):
        assert result.status == "OPTIMAL"
        assert result.objective == pytest.approx(optimum, abs=TOL)
    assert with_fixing.fixed_share is not None and 0.0 <= with_fixing.fixed_share <= 1.0
    assert with_fixing.lp_bound <= optimum + TOL


# ---------------------------------------------------------------------------------------------- progress, status
def test_watch_shows_a_falling_incumbent_and_a_rising_bound() -> None:
    seen = []
    watch = Watch(lambda phase, incumbent, bound: seen.append((phase, incumbent, bound)))
    watch.tell("column generation", incumbent=2.0)
    watch.tell("column generation", bound=1.0)
    watch.tell("column generation", bound=0.5)  # weaker: not shown
    watch.tell("enumeration", incumbent=3.0)  # worse: the phase is shown with the best incumbent
    watch.tell("partition", incumbent=1.5, bound=1.2)
    assert seen == [("column generation", 2.0, None), ("column generation", 2.0, 1.0), ("enumeration", 2.0, 1.0),
                    ("partition", 1.5, 1.2)]


def _gaps(notes: list[str]) -> list[float]:
    return [float(match.group(1)) for note in notes if (match := re.search(r"gap ([0-9.]+)%", note))]


def test_exact_run_notes_its_phases_in_order_and_a_gap_that_never_grows() -> None:
    graph = synthetic_county(seed=1, n_practices=30).with_adjacency()
    calls = []
    grouping = solve_grouping_exact(graph, GroupingProblem(within="none"), time_limit=60, gap=0.01, workers=1,
                                    progress=lambda done, total, note="": calls.append((done, total, note)))
    notes = [note for _, _, note in calls]
    assert notes[0].startswith("start")
    assert notes[-1].startswith("done")
    phases = [note.split(":")[0] for note in notes]
    assert "column generation" in phases
    assert phases.index("column generation") < len(phases) - 1
    first_bound = next(k for k, note in enumerate(notes) if "bound" in note)
    assert all("start" not in phase for phase in phases[first_bound:])
    gaps = _gaps(notes)
    assert gaps and all(later <= earlier + 1e-9 for earlier, later in zip(gaps, gaps[1:]))
    assert [done for done, _, _ in calls] == sorted(done for done, _, _ in calls)
    assert calls[-1][0] == calls[-1][1]
    final = _gaps([notes[-1]])
    assert final and final[0] == pytest.approx(100 * grouping.gap, abs=0.006)


def test_a_time_limited_run_is_honest_about_its_status() -> None:
    """Whatever the limit lets the solver reach, OPTIMAL means proven within the gap, else FEASIBLE with its bound."""
    graph = synthetic_county(seed=2, n_practices=40).with_adjacency()
    for limit in (0.5, 20.0):
        grouping = solve_grouping_exact(graph, GroupingProblem(within="none"), time_limit=limit, gap=0.001,
                                        workers=1)
        assert grouping.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert grouping.bound is None or grouping.bound <= grouping.objective + 1e-9
        if grouping.status == Status.OPTIMAL:
            assert grouping.gap is not None and grouping.gap <= 0.001 + 1e-9
        else:
            assert grouping.gap is None or grouping.gap > 0.001
            assert any("not proven optimal" in note for note in grouping.notes)
        if grouping.bound is not None:
            assert grouping.gap == pytest.approx(relative_gap(grouping.objective, grouping.bound))
        assert grouping.params["proof"]


def test_an_unfinished_proof_that_used_the_time_leaves_no_partition_past_the_limit(monkeypatch) -> None:
    """A proof that stops short near the end (W2U3Z: a partition of 10.9 s over 269,772 groups) leaves the
    incumbent standing: no partition is started with less than FINAL_SECONDS left, so the limit is kept."""
    case = gap_instance()
    start = worst_partition(case.pricer.n, case.columns)
    calls: list[str] = []
    real_partition = colgen.best_partition

    def partition(*args, **kwargs):
        calls.append("partition")
        return real_partition(*args, **kwargs)

    def unfinished(pricer, pool, lp, incumbent, tolerance, solver, deadline, left, bounds, watch, fixing):
        calls.append("prove")
        fixing["fixed_share"] = 0.0
        while left() > 0.3:  # the proof's own partitions took the time
            time.sleep(0.01)
        return incumbent, False

    monkeypatch.setattr(colgen, "best_partition", partition)
    monkeypatch.setattr(colgen, "prove", unfinished)
    limit = 3.0
    result = solve_piece_colgen(case.piece, [start], time_limit=limit)
    assert calls.count("prove") == 1
    assert "partition" not in calls[calls.index("prove"):]
    assert result.seconds <= limit
    assert result.status == Status.FEASIBLE and result.unit_group is not None
    assert result.objective <= sum(case.columns[frozenset(np.flatnonzero(start == g).tolist())]
                                   for g in np.unique(start)) + TOL
