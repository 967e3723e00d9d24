"""The one set-partitioning model: pick columns (groups) covering every unit exactly once at least cost.

Used by the heuristic's recombination of restarts and by every step of the exact column generation. The
proof step solves models of tens of thousands of columns; built through PuLP, such a model takes longer to
write than HiGHS takes to solve it, and the time limit does not see the writing. So with HiGHS the model
goes to highspy as one sparse matrix; with CBC it is built through PuLP and :func:`solvers.door.solve`.
Status, objective, bound and gap are read from the solver either way (a time-limited run is never called
optimal).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import pulp

from clusterkit.results import Outcome, Status
from solvers.door import get_solver, new_variable, solve
from solvers.highs import _reset_thread_scheduler, read_highs, silence_highs_banner

__all__ = ["solve_set_partition"]


def solve_set_partition(
    columns: Sequence[frozenset[int]],
    costs: Sequence[float],
    units: int,
    *,
    count: int | None = None,
    time_limit: float | None = None,
    gap: float | None = None,
    start: Sequence[int] | None = None,
    threads: int = 1,
    solver: str = "highs",
    presolve: bool = True,
    cutoff: float | None = None,
) -> tuple[Outcome, np.ndarray | None]:
    """Minimise the cost of columns covering each of ``units`` exactly once (``count`` columns if given).

    Parameters
    ----------
    columns : sequence of frozenset of int
        The units each column covers.
    costs : sequence of float
        Cost of each column.
    units : int
        Number of units (rows).
    count : int, optional
        Number of columns to pick.
    time_limit, gap : float, optional
        Seconds, and relative gap at which HiGHS may stop.
    start : sequence of int, optional
        Indices of columns forming a feasible partition (a warm start).
    threads : int
        HiGHS threads.
    solver : {"highs", "cbc"}
        Which solver.
    presolve : bool
        HiGHS's presolve (off: on the proof's pools of 10,000+ groups it costs more than it saves, e.g. 5.8 s
        against 0.4 s to the same optimum over 14,304 groups of ICB QE1).
    cutoff : float, optional
        Only partitions cheaper than this are wanted (HiGHS's ``objective_bound``: nodes whose bound reaches it
        are pruned). A run that ends with none proves that none exists: its outcome is ``INFEASIBLE`` with
        ``bound`` = ``cutoff``. HiGHS only.

    Returns
    -------
    (Outcome, ndarray or None)
        The solver's report, and the picked column indices when it has a solution.

    Examples
    --------
    >>> outcome, picked = solve_set_partition([frozenset({0, 1}), frozenset({0}), frozenset({1})],
    ...                                       [3.0, 1.0, 1.0], 2)
    >>> str(outcome.status), outcome.objective, picked.tolist()
    ('OPTIMAL', 2.0, [1, 2])
    """
    if cutoff is None and len(columns) <= SMALL_POOL and all(cost >= 0 for cost in costs):
        found = _small_cover(columns, costs, units, count)
        if found is not None:
            return found
    if get_solver(solver).name != "highs":
        return _solve_through_pulp(columns, costs, units, count, time_limit, gap, start, solver)
    import highspy

    silence_highs_banner()
    started = time.perf_counter()
    starts, indices, rows = _column_matrix(columns, units, count is not None)
    lower = np.ones(rows)
    upper = np.ones(rows)
    if count is not None:
        lower[-1] = upper[-1] = count
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", int(threads))
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(max(0.1, time_limit)))
    if gap is not None:
        highs.setOptionValue("mip_rel_gap", float(gap))
    if not presolve:
        highs.setOptionValue("presolve", "off")
    if cutoff is not None:
        highs.setOptionValue("objective_bound", float(cutoff))
    lp = highspy.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = rows
    lp.col_cost_ = np.asarray(costs, dtype=float)
    lp.col_lower_ = np.zeros(len(columns))
    lp.col_upper_ = np.ones(len(columns))
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = starts
    lp.a_matrix_.index_ = indices
    lp.a_matrix_.value_ = np.ones(len(indices))
    lp.a_matrix_.num_col_ = len(columns)
    lp.a_matrix_.num_row_ = rows
    lp.integrality_ = [highspy.HighsVarType.kInteger] * len(columns)
    highs.passModel(lp)
    if start is not None:
        solution = highspy.HighsSolution()
        values = np.zeros(len(columns))
        values[list(start)] = 1.0
        solution.col_value = values.tolist()
        solution.value_valid = True
        highs.setSolution(solution)
    _reset_thread_scheduler()
    highs.run()
    status, objective, bound, detail = read_highs(highs, is_mip=True)
    if cutoff is not None and objective is not None and objective >= cutoff:
        # HiGHS may return a partition at or above its objective bound (one it found before pruning, e.g. all
        # singletons at 9 with a cutoff of 8): not one that was asked for; optimal, it proves the cutoff
        status, objective = (Status.INFEASIBLE if status == Status.OPTIMAL else Status.NO_SOLUTION), None
    if cutoff is not None and objective is None and (
            status == Status.INFEASIBLE or highs.getModelStatus() == highspy.HighsModelStatus.kObjectiveBound):
        status, bound = Status.INFEASIBLE, float(cutoff)  # searched to the end: no partition below the cutoff
    picked = None
    if objective is not None:
        values = np.asarray(highs.getSolution().col_value)
        picked = np.flatnonzero(values > 0.5)
    result = Outcome(status, objective, bound, None, time.perf_counter() - started, "highs", time_limit, detail)
    return result, picked


#: Pools of at most this many columns (the heuristic's windows: a few groupings of 3-5 groups) are solved by
#: enumeration here: a HiGHS run costs about 0.5 ms to set up for a model it solves at its root.
SMALL_POOL = 40

#: Nodes the enumeration may visit before it leaves the pool to the solver.
SMALL_POOL_NODES = 5000


def _small_cover(columns: Sequence[frozenset[int]], costs: Sequence[float], units: int,
                 count: int | None) -> tuple[Outcome, np.ndarray | None] | None:
    """The cheapest exact cover of a small pool by depth-first enumeration (costs not negative), proven optimal;
    None when it needs more than :data:`SMALL_POOL_NODES` nodes. Columns are tried from the lowest uncovered
    unit, cheapest first; the first of equally cheap covers met is kept.

    Examples
    --------
    >>> outcome, picked = _small_cover([frozenset({0, 1}), frozenset({0}), frozenset({1})], [3.0, 1.0, 1.0], 2, None)
    >>> str(outcome.status), outcome.objective, picked.tolist()
    ('OPTIMAL', 2.0, [1, 2])
    >>> _small_cover([frozenset({0, 1}), frozenset({0}), frozenset({1})], [3.0, 1.0, 1.0], 2, 1)[1].tolist()
    [0]
    >>> str(_small_cover([frozenset({0})], [1.0], 2, None)[0].status)
    'INFEASIBLE'
    """
    started = time.perf_counter()
    masks = [sum(1 << unit for unit in column) for column in columns]
    full = (1 << units) - 1
    covering: list[list[int]] = [[] for _ in range(units)]
    for j in sorted(range(len(columns)), key=lambda j: (costs[j], j)):
        for unit in columns[j]:
            covering[unit].append(j)
    best_cost = float("inf")
    best: list[int] | None = None
    nodes = 0
    picked: list[int] = []

    def search(covered: int, cost: float) -> bool:  # False: out of nodes
        nonlocal best_cost, best, nodes
        nodes += 1
        if nodes > SMALL_POOL_NODES:
            return False
        if covered == full:
            if count is None or len(picked) == count:
                best_cost, best = cost, sorted(picked)
            return True
        if count is not None and len(picked) >= count:
            return True
        free = ~covered & full
        unit = (free & -free).bit_length() - 1
        for j in covering[unit]:
            if masks[j] & covered or cost + costs[j] >= best_cost:
                continue
            picked.append(j)
            finished = search(covered | masks[j], cost + costs[j])
            picked.pop()
            if not finished:
                return False
        return True

    if not search(0, 0.0):
        return None
    seconds = time.perf_counter() - started
    if best is None:
        return Outcome(Status.INFEASIBLE, None, None, None, seconds, "enumeration"), None
    objective = float(sum(costs[j] for j in best))
    return Outcome(Status.OPTIMAL, objective, objective, None, seconds, "enumeration"), np.array(best, dtype=np.int64)


def _column_matrix(columns: Sequence[frozenset[int]], units: int, count_row: bool) -> tuple[np.ndarray, np.ndarray, int]:
    """The covering matrix by columns (HiGHS's column-wise format: starts, sorted row indices; every value 1),
    with a last row of ones when ``count_row``, and its number of rows.

    Examples
    --------
    >>> starts, indices, rows = _column_matrix([frozenset({1, 0}), frozenset({2})], 3, True)
    >>> starts.tolist(), indices.tolist(), rows
    ([0, 3, 5], [0, 1, 3, 2, 3], 4)
    """
    extra = int(count_row)
    lengths = np.fromiter((len(column) + extra for column in columns), dtype=np.int64, count=len(columns))
    starts = np.zeros(len(columns) + 1, dtype=np.int32)
    np.cumsum(lengths, out=starts[1:])
    tail = [units] if count_row else []
    indices = np.fromiter((u for column in columns for u in (*sorted(column), *tail)), dtype=np.int32,
                          count=int(starts[-1]))
    return starts, indices, units + extra


def _solve_through_pulp(columns: Sequence[frozenset[int]], costs: Sequence[float], units: int, count: int | None,
                        time_limit: float | None, gap: float | None, start: Sequence[int] | None,
                        solver: str) -> tuple[Outcome, np.ndarray | None]:
    """The same model built through PuLP, for a solver other than HiGHS."""
    model = pulp.LpProblem("set_partition", pulp.LpMinimize)
    pick = [new_variable(model, f"g_{k}", 0, 1, pulp.LpBinary) for k in range(len(columns))]
    model += pulp.lpSum(cost * var for cost, var in zip(costs, pick))
    covering: list[list[pulp.LpVariable]] = [[] for _ in range(units)]
    for var, column in zip(pick, columns):
        for unit in column:
            covering[unit].append(var)
    if any(not variables for variables in covering):  # a unit no column covers
        return Outcome(Status.INFEASIBLE, None, None, solver=solver, time_limit=time_limit), None
    for unit, variables in enumerate(covering):
        model += pulp.lpSum(variables) == 1, f"cover_{unit}"
    if count is not None:
        model += pulp.lpSum(pick) == count, "count"
    if start is not None:
        chosen = set(start)
        for k, var in enumerate(pick):
            var.setInitialValue(1 if k in chosen else 0)
    outcome = solve(model, solver, time_limit=time_limit, gap=gap, warm_start=start is not None)
    if not outcome.has_solution:
        return outcome, None
    return outcome, np.array([k for k, var in enumerate(pick) if (var.varValue or 0) > 0.5], dtype=np.int64)
