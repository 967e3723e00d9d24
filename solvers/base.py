"""One door to the MIP solvers: HiGHS (through highspy) by default, CBC as fallback.

:func:`solve` runs a :class:`pulp.LpProblem` and returns an :class:`~clusterkit.results.Outcome` whose status, objective,
best bound and relative gap are read from the solver itself. PuLP reports a time-limited HiGHS run as
"Optimal"; here a run is ``Status.OPTIMAL`` only when the solver proved it (HiGHS's model status is optimal, or
CBC's log says so), otherwise ``Status.FEASIBLE`` with the bound and gap the solver reached.
"""

from __future__ import annotations

import logging
import math
import os
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from typing import Any

import pulp

from clusterkit.errors import SolverError
from clusterkit.results import Outcome, Status, relative_gap

__all__ = ["SOLVERS", "available_solvers", "solve", "read_highs", "new_variable"]

log = logging.getLogger(__name__)

#: Solver names users may pass (``--solver``), in order of preference.
SOLVERS = ("highs", "cbc")


def available_solvers() -> list[str]:
    """The solver names of :data:`SOLVERS` that can run on this machine."""
    found = []
    if pulp.HiGHS(msg=False).available():
        found.append("highs")
    if pulp.PULP_CBC_CMD(msg=False).available():
        found.append("cbc")
    return found


class _HiGHS(pulp.HiGHS):  # type: ignore[misc, valid-type]
    """PuLP's highspy adapter, plus a warm start from the variables' current values."""

    def __init__(self, warm_start: bool = False, **options: Any) -> None:
        super().__init__(**options)
        self.warm_start = warm_start

    def callSolver(self, lp: pulp.LpProblem) -> None:  # noqa: N802 (PuLP's name)
        import highspy

        if self.warm_start:
            variables = lp.variables()
            if variables and all(var.varValue is not None for var in variables):
                solution = highspy.HighsSolution()
                solution.col_value = [float(var.varValue) for var in variables]
                solution.value_valid = True
                lp.solverModel.setSolution(solution)
        _reset_thread_scheduler()
        run_status = lp.solverModel.run()
        if run_status == highspy.HighsStatus.kError:
            raise pulp.PulpSolverError(
                f"run returned an error (model status {lp.solverModel.modelStatusToString(lp.solverModel.getModelStatus())})"
            )


def new_variable(problem: pulp.LpProblem, name: str, low: float | None = None, high: float | None = None,
                 category: str = pulp.LpContinuous) -> pulp.LpVariable:
    """A variable of ``problem`` (PuLP 3.3's ``add_variable``, the only way left in PuLP 4; ``LpVariable`` before)."""
    if hasattr(problem, "add_variable"):
        return problem.add_variable(name, low, high, cat=category)
    return pulp.LpVariable(name, low, high, cat=category)


_BANNER_SILENCED = False


def silence_highs_banner() -> None:
    """Keep HiGHS's licence banner off stdout, where the CLI writes its data.

    highspy 1.16 prints "Running HiGHS ..." on stdout when the first ``Highs`` object of a process is made,
    whatever ``output_flag`` says later. Making that first object here, with file descriptor 1 pointed at
    /dev/null for the moment, spends the banner; later objects print nothing.
    """
    global _BANNER_SILENCED
    if _BANNER_SILENCED:
        return
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SILENCED = True


def _reset_thread_scheduler() -> None:
    """Let HiGHS take a new thread count in this process.

    HiGHS keeps one task scheduler per process, sized by the first run; from highspy 1.16 on, a later run asking
    for another ``threads`` value fails ("the scheduler has already been initialized") unless it is reset first.
    Runs in this project are one per process at a time (pools fork), so resetting between runs is safe.
    """
    import highspy

    reset = getattr(highspy.Highs, "resetThreadScheduler", None)
    if reset is not None:
        reset(True)
    else:  # highspy < 1.16
        highspy.Highs.resetGlobalScheduler(True)


def solve(
    problem: pulp.LpProblem,
    solver: str = "highs",
    *,
    time_limit: float | None = None,
    gap: float | None = None,
    threads: int | None = None,
    warm_start: bool = False,
    verbose: bool = False,
) -> Outcome:
    """Solve ``problem`` in place (variables get values) and report what was proven.

    Parameters
    ----------
    problem : pulp.LpProblem
        The model.
    solver : {"highs", "cbc"}
        Which solver.
    time_limit : float, optional
        Seconds.
    gap : float, optional
        Relative gap at which the solver may stop (it then reports ``Status.OPTIMAL`` within that gap).
    threads : int, optional
        Threads the solver may use.
    warm_start : bool
        Start from the variables' current values (set with ``LpVariable.setInitialValue``).
    verbose : bool
        Show the solver's log on stderr.

    Raises
    ------
    SolverError
        When the solver is unknown or not installed (the message lists the available ones), or fails.
    """
    name = solver.lower()
    if name not in SOLVERS:
        raise SolverError(f"unknown solver {solver!r}; available: {', '.join(available_solvers()) or 'none'}")
    if time_limit is not None and time_limit <= 0:
        raise SolverError(f"time limit must be positive (got {time_limit})")
    started = time.perf_counter()
    if name == "highs":
        result = _solve_highs(problem, time_limit, gap, threads, warm_start, verbose)
    else:
        result = _solve_cbc(problem, time_limit, gap, threads, warm_start, verbose)
    seconds = time.perf_counter() - started
    log.info("%s: %s objective=%s bound=%s gap=%s in %.1fs", name, result[0], result[1], result[2],
             relative_gap(result[1], result[2]), seconds)
    status, objective, bound, detail = result
    if status == Status.OPTIMAL and bound is None:
        bound = objective
    return Outcome(status, objective, bound, None, seconds, name, time_limit, detail)


def _solve_highs(problem, time_limit, gap, threads, warm_start, verbose):
    silence_highs_banner()
    adapter = _HiGHS(warm_start=warm_start, msg=verbose, timeLimit=time_limit, gapRel=gap, threads=threads)
    if not adapter.available():
        raise SolverError(f"HiGHS (highspy) is not installed; available: {', '.join(available_solvers()) or 'none'}")
    try:
        problem.solve(adapter)
    except pulp.PulpSolverError as error:
        raise SolverError(f"HiGHS failed: {error}") from None
    is_mip = any(var.cat == pulp.LpInteger for var in problem.variables())
    # PuLP hands HiGHS the objective negated when maximising, and without its constant term.
    multiplier = -1.0 if problem.sense == pulp.LpMaximize else 1.0
    constant = float(problem.objective.constant) if problem.objective is not None else 0.0
    return read_highs(problem.solverModel, is_mip, multiplier, constant)


def read_highs(highs: Any, is_mip: bool, multiplier: float = 1.0,
               constant: float = 0.0) -> tuple[str, float | None, float | None, str]:
    """``(status, objective, bound, HiGHS's status text)`` of a finished HiGHS run, in the model's own sense.

    The objective and the MIP dual bound are HiGHS's own (``multiplier`` and ``constant`` undo what was done
    to the objective before it was passed); a time-limited run with a solution is ``Status.FEASIBLE``, never optimal.
    """
    import highspy

    model_status = highs.getModelStatus()
    info = highs.getInfo()
    has_values = info.primal_solution_status == 2  # kSolutionStatusFeasible
    objective = float(highs.getObjectiveValue()) if has_values else None
    bound = None
    if is_mip:
        dual = float(info.mip_dual_bound)
        bound = dual if math.isfinite(dual) else None
    if objective is not None:
        objective = multiplier * objective + constant
    if bound is not None:
        bound = multiplier * bound + constant
    if model_status == highspy.HighsModelStatus.kOptimal:
        status = Status.OPTIMAL
        if not is_mip:
            bound = objective
    elif model_status == highspy.HighsModelStatus.kInfeasible:
        status, objective, bound = Status.INFEASIBLE, None, None
    elif has_values:
        status = Status.FEASIBLE
    else:
        status = Status.NO_SOLUTION
    return status, objective, bound, highs.modelStatusToString(model_status)


_CBC_PATTERNS = {
    "result": re.compile(r"^Result - (.+)$", re.MULTILINE),
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.MULTILINE),
    # CBC prints "Lower bound:" when minimising and "Upper bound:" when maximising (in the problem's own sense).
    "bound": re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.MULTILINE),
}


def _solve_cbc(problem, time_limit, gap, threads, warm_start, verbose):
    adapter_options = dict(msg=verbose, timeLimit=time_limit, gapRel=gap, threads=threads, warmStart=warm_start)
    handle, log_path = tempfile.mkstemp(prefix="clusterkit-cbc-", suffix=".log")
    os.close(handle)
    try:
        adapter = pulp.PULP_CBC_CMD(logPath=log_path, **adapter_options)
        if not adapter.available():
            raise SolverError(f"CBC is not installed; available: {', '.join(available_solvers()) or 'none'}")
        try:
            problem.solve(adapter)
        except pulp.PulpSolverError as error:
            raise SolverError(f"CBC failed: {error}") from None
        with open(log_path, encoding="utf-8", errors="replace") as stream:
            text = stream.read()
    finally:
        os.unlink(log_path)
    result = _CBC_PATTERNS["result"].search(text)
    detail = result.group(1).strip() if result else pulp.LpStatus[problem.status]
    objective = pulp.value(problem.objective) if problem.sol_status in (1, 2) else None
    if objective is not None:
        objective = float(objective)
    bound = None
    found = _CBC_PATTERNS["bound"].search(text)
    if found:
        try:
            bound = float(found.group(1))
        except ValueError:
            bound = None
        if bound is not None and not abs(bound) < 1e30:  # CBC's "infinity": no bound yet
            bound = None
        if bound is not None and problem.objective is not None and problem.objective.constant:
            bound += float(problem.objective.constant)
    is_mip = any(var.cat == pulp.LpInteger for var in problem.variables())
    if problem.status == pulp.LpStatusInfeasible or "infeasible" in detail.lower():
        return Status.INFEASIBLE, None, None, detail
    if problem.sol_status == pulp.LpSolutionOptimal and (not is_mip or "optimal solution found" in detail.lower()):
        return Status.OPTIMAL, objective, bound if bound is not None else objective, detail
    if objective is not None and problem.sol_status in (1, 2):
        return Status.FEASIBLE, objective, bound, detail
    return Status.NO_SOLUTION, None, bound, detail
