"""The solver door: status, objective, bound and gap read honestly from HiGHS and CBC."""

from __future__ import annotations

import itertools

import numpy as np
import pulp
import pytest

from clusterkit.errors import SolverError
from clusterkit.results import Outcome, Status
from solvers import SOLVERS, available_solvers, solve

OPTIMAL, FEASIBLE, INFEASIBLE, NO_SOLUTION = Status.OPTIMAL, Status.FEASIBLE, Status.INFEASIBLE, Status.NO_SOLUTION

INSTALLED = available_solvers()
every_solver = pytest.mark.parametrize(
    "solver", [pytest.param(name, marks=pytest.mark.skipif(name not in INSTALLED, reason=f"{name} not installed"))
               for name in SOLVERS]
)
#: The relative gap at which the solvers stop by default (HiGHS mip_rel_gap 1e-4; CBC is tighter).
DEFAULT_TOLERANCE = 1e-4

WEIGHTS = (12, 7, 11, 8, 9, 6, 5, 14)
VALUES = (24, 13, 23, 15, 16, 11, 9, 27)
CAPACITY = 30


def brute_force_best() -> tuple[int, tuple[int, ...]]:
    """The knapsack optimum by enumeration of all 256 subsets."""
    best = max(
        (sum(v for v, take in zip(VALUES, chosen) if take), chosen)
        for chosen in itertools.product((0, 1), repeat=len(WEIGHTS))
        if sum(w for w, take in zip(WEIGHTS, chosen) if take) <= CAPACITY
    )
    return best


def knapsack(sense: int, constant: float = 0.0) -> tuple[pulp.LpProblem, list[pulp.LpVariable]]:
    """Maximise value, or minimise minus value, plus ``constant``."""
    problem = pulp.LpProblem("knapsack", sense)
    take = [problem.add_variable(f"take_{k}", 0, 1, cat=pulp.LpInteger) for k in range(len(WEIGHTS))]
    sign = 1 if sense == pulp.LpMaximize else -1
    problem += pulp.lpSum(sign * v * x for v, x in zip(VALUES, take)) + constant
    problem += pulp.lpSum(w * x for w, x in zip(WEIGHTS, take)) <= CAPACITY, "capacity"
    return problem, take


def test_brute_force_reference() -> None:
    best, chosen = brute_force_best()
    assert best == 60  # by hand: items 0, 1, 2 weigh 12 + 7 + 11 = 30 and are worth 24 + 13 + 23 = 60
    assert sum(w for w, take in zip(WEIGHTS, chosen) if take) <= CAPACITY


@every_solver
@pytest.mark.parametrize("constant", [0.0, 100.0, -7.5])
@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize], ids=["max", "min"])
def test_knapsack_solved_to_proven_optimum(solver: str, sense: int, constant: float) -> None:
    best, _ = brute_force_best()
    expected = (best if sense == pulp.LpMaximize else -best) + constant
    problem, take = knapsack(sense, constant)
    result = solve(problem, solver)
    assert isinstance(result, Outcome)
    assert result.status == OPTIMAL and result.proven_optimal and result.has_solution
    assert result.solver == solver
    assert result.objective == pytest.approx(expected)
    assert result.bound == pytest.approx(expected)
    assert result.gap == pytest.approx(0.0, abs=1e-9)
    assert pulp.value(problem.objective) == pytest.approx(expected)  # the variables hold the solution
    assert sum(w * x.varValue for w, x in zip(WEIGHTS, take)) <= CAPACITY + 1e-6


@every_solver
def test_linear_programme_bound_equals_objective(solver: str) -> None:
    problem = pulp.LpProblem("lp", pulp.LpMaximize)
    x = problem.add_variable("x", 0)
    y = problem.add_variable("y", 0)
    problem += 3 * x + 2 * y + 1
    problem += x + y <= 4
    problem += x + 3 * y <= 6
    problem += x <= 3
    result = solve(problem, solver)
    assert result.status == OPTIMAL
    assert result.objective == pytest.approx(12.0)  # x = 3, y = 1: 9 + 2 + 1
    assert result.bound == pytest.approx(12.0) and result.gap == pytest.approx(0.0)


@every_solver
@pytest.mark.parametrize("integer", [True, False], ids=["mip", "lp"])
def test_infeasible_model(solver: str, integer: bool) -> None:
    problem = pulp.LpProblem("infeasible", pulp.LpMinimize)
    category = pulp.LpInteger if integer else pulp.LpContinuous
    x = problem.add_variable("x", 0, 10, cat=category)
    y = problem.add_variable("y", 0, 10, cat=category)
    problem += x + y
    problem += x + y >= 5
    problem += x + y <= 3
    result = solve(problem, solver)
    assert result.status == INFEASIBLE
    assert (result.objective, result.bound, result.gap) == (None, None, None)
    assert not result.has_solution and not result.proven_optimal


def test_unknown_solver_lists_the_available_ones() -> None:
    problem, _ = knapsack(pulp.LpMaximize)
    with pytest.raises(SolverError, match="unknown solver 'gurobi'; available: ") as caught:
        solve(problem, "gurobi")
    for name in INSTALLED:
        assert name in str(caught.value)
    assert caught.value.exit_code == 2


def test_solver_name_is_case_insensitive_and_time_limit_positive() -> None:
    problem, _ = knapsack(pulp.LpMaximize)
    assert solve(problem, "HiGHS").solver == "highs"
    with pytest.raises(SolverError, match="time limit must be positive"):
        solve(problem, "highs", time_limit=0)


# ---------------------------------------------------------------------------------------------- a harder MIP
def multi_knapsack(sense: int, items: int = 200, constraints: int = 8, seed: int = 1, constant: float = 10.0):
    """A random 0-1 multi-knapsack that neither solver closes in half a second."""
    rng = np.random.default_rng(seed)
    weights = rng.integers(20, 100, size=(constraints, items))
    values = rng.integers(20, 100, size=items) + weights.sum(axis=0) // constraints
    problem = pulp.LpProblem("multi_knapsack", sense)
    take = [problem.add_variable(f"take_{k}", 0, 1, cat=pulp.LpInteger) for k in range(items)]
    sign = 1 if sense == pulp.LpMaximize else -1
    problem += pulp.lpSum(sign * int(v) * x for v, x in zip(values, take)) + constant
    for row in range(constraints):
        problem += pulp.lpSum(int(w) * x for w, x in zip(weights[row], take)) <= int(weights[row].sum() // 2)
    return problem


def relaxation_value(sense: int) -> float:
    """The LP relaxation's optimum: no MIP bound may be weaker than it."""
    problem = multi_knapsack(sense)
    for variable in problem.variables():
        variable.cat = pulp.LpContinuous
    result = solve(problem, "highs")
    assert result.status == OPTIMAL
    return float(result.objective)


@every_solver
@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize], ids=["max", "min"])
def test_time_limited_run_reports_an_honest_bound(solver: str, sense: int) -> None:
    problem = multi_knapsack(sense)
    result = solve(problem, solver, time_limit=0.5, threads=1)
    assert result.status in (OPTIMAL, FEASIBLE)
    assert result.time_limit == 0.5
    assert result.objective == pytest.approx(pulp.value(problem.objective))
    assert result.bound is not None, "a solver that stopped on its time limit knows its best bound"
    relaxation = relaxation_value(sense)
    if sense == pulp.LpMinimize:
        assert relaxation - 1e-6 <= result.bound <= result.objective + 1e-6
    else:  # maximising: the bound is an upper bound, on the far side of the objective
        assert result.objective - 1e-6 <= result.bound <= relaxation + 1e-6
    assert result.gap == pytest.approx(abs(result.objective - result.bound) / abs(result.objective))
    if result.status == OPTIMAL:
        assert result.gap <= DEFAULT_TOLERANCE + 1e-9
    else:
        assert result.gap > 0


@every_solver
@pytest.mark.parametrize("sense", [pulp.LpMaximize, pulp.LpMinimize], ids=["max", "min"])
def test_gap_tolerance_is_reported_not_hidden(solver: str, sense: int) -> None:
    problem = multi_knapsack(sense)
    result = solve(problem, solver, time_limit=10, gap=0.01, threads=1)
    assert result.status in (OPTIMAL, FEASIBLE)
    assert result.bound is not None and result.gap is not None
    assert result.gap <= 0.01 + 1e-9 or result.status == FEASIBLE
    if sense == pulp.LpMinimize:
        assert result.bound <= result.objective + 1e-6
    else:
        assert result.bound >= result.objective - 1e-6
    assert result.gap == pytest.approx(abs(result.objective - result.bound) / abs(result.objective))
    # both solvers stop this instance (deterministic with one thread) well before closing it: a gap of
    # exactly 0 would be one invented from the objective, not read from the solver
    assert result.gap > 0


def test_highs_warm_start_keeps_the_optimum() -> None:
    problem, take = knapsack(pulp.LpMaximize)
    best, chosen = brute_force_best()
    for variable, value in zip(take, chosen):
        variable.setInitialValue(value)
    result = solve(problem, "highs", warm_start=True)
    assert result.status == OPTIMAL and result.objective == pytest.approx(best)


def test_status_words() -> None:
    assert (OPTIMAL, FEASIBLE, INFEASIBLE, NO_SOLUTION) == ("OPTIMAL", "FEASIBLE", "INFEASIBLE", "NO_SOLUTION")
    assert Outcome(NO_SOLUTION, None, None, None, 1.0, "highs").has_solution is False
    assert Outcome(FEASIBLE, 3.0, 2.0, 1 / 3, 1.0, "cbc").proven_optimal is False


def test_highs_takes_a_new_thread_count_in_the_same_process() -> None:
    # HiGHS sizes one scheduler per process; highspy >= 1.16 refuses a later run with another thread count
    # unless the door resets it, and that refusal once surfaced as a silent NO_SOLUTION.
    for threads in (2, 1, None, 1):
        problem, _ = knapsack(pulp.LpMaximize)
        result = solve(problem, "highs", threads=threads)
        assert result.status == OPTIMAL and result.objective == pytest.approx(60.0)


def test_highs_prints_nothing_on_stdout() -> None:
    # highspy 1.16 prints a licence banner on stdout when a process makes its first Highs object; stdout is
    # where the CLI writes data, so the door spends that banner on /dev/null (a file-descriptor-level print:
    # only a separate process shows it)
    import subprocess
    import sys

    code = ("import pulp\nfrom solvers import solve\nfrom solvers.partition import solve_set_partition\n"
            "p = pulp.LpProblem('p', pulp.LpMaximize)\nx = p.add_variable('x', 0, 1, cat=pulp.LpInteger)\n"
            "p += x\nsolve(p, 'highs')\n"
            "solve_set_partition([frozenset({0}), frozenset({0, 1}), frozenset({1})], [1.0, 1.5, 1.0], 2)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout == ""


def test_set_partition_by_hand_with_count_and_warm_start() -> None:
    from solvers.partition import solve_set_partition

    columns = [frozenset({0}), frozenset({0, 1}), frozenset({1}), frozenset({2}), frozenset({1, 2})]
    costs = [1.0, 1.5, 1.0, 2.0, 2.2]
    # by hand: covers are {0}{1}{2} = 4.0, {0,1}{2} = 3.5, {0}{1,2} = 3.2; the last is cheapest
    result, picked = solve_set_partition(columns, costs, 3, start=[0, 2, 3])
    assert result.status == OPTIMAL and result.objective == pytest.approx(3.2)
    assert sorted(picked.tolist()) == [0, 4] and result.gap == pytest.approx(0.0, abs=1e-9)
    # exactly three groups: only {0}{1}{2}
    result, picked = solve_set_partition(columns, costs, 3, count=3)
    assert result.objective == pytest.approx(4.0) and sorted(picked.tolist()) == [0, 2, 3]
    # a unit no column covers: infeasible, said so
    result, picked = solve_set_partition(columns, costs, 4)
    assert result.status == INFEASIBLE and picked is None
