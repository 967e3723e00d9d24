"""Set partitioning straight into HiGHS: pick columns (groups) covering every unit exactly once at least cost.

The proof step of the exact grouping solves set-partitioning models of tens of thousands of columns; built
through PuLP, such a model takes longer to write than HiGHS takes to solve it, and the time limit does not
see the writing. Here the model goes to highspy as one sparse matrix. Status, objective, bound and gap are
read from HiGHS as :func:`solvers.base.solve` reads them (a time-limited run is never called optimal).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from clusterkit.results import Outcome
from solvers.base import _reset_thread_scheduler, read_highs, silence_highs_banner

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

    Returns
    -------
    (Outcome, ndarray or None)
        The solver's report, and the picked column indices when it has a solution.
    """
    import highspy

    silence_highs_banner()
    started = time.perf_counter()
    rows = np.fromiter((u for column in columns for u in column), dtype=np.int32)
    cols = np.repeat(np.arange(len(columns), dtype=np.int32), [len(column) for column in columns])
    matrix = sp.csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(units, len(columns)))
    lower = np.ones(units)
    upper = np.ones(units)
    if count is not None:
        matrix = sp.vstack([matrix, sp.csr_matrix(np.ones((1, len(columns))))]).tocsc()
        lower = np.append(lower, count)
        upper = np.append(upper, count)
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    highs.setOptionValue("threads", int(threads))
    if time_limit is not None:
        highs.setOptionValue("time_limit", float(max(0.1, time_limit)))
    if gap is not None:
        highs.setOptionValue("mip_rel_gap", float(gap))
    lp = highspy.HighsLp()
    lp.num_col_ = len(columns)
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.asarray(costs, dtype=float)
    lp.col_lower_ = np.zeros(len(columns))
    lp.col_upper_ = np.ones(len(columns))
    lp.row_lower_ = lower
    lp.row_upper_ = upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    lp.a_matrix_.num_col_ = len(columns)
    lp.a_matrix_.num_row_ = matrix.shape[0]
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
    picked = None
    if objective is not None:
        values = np.asarray(highs.getSolution().col_value)
        picked = np.flatnonzero(values > 0.5)
    result = Outcome(status, objective, bound, None, time.perf_counter() - started, "highs", time_limit, detail)
    return result, picked
