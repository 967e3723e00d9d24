"""The HiGHS adapter (through highspy): runs a PuLP model, warm-started, and reads status, objective and the
MIP dual bound from HiGHS itself (PuLP calls a time-limited HiGHS run "Optimal"; here it is FEASIBLE)."""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import pulp

from clusterkit.errors import SolverError
from clusterkit.results import Status


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


def available() -> bool:
    """Whether highspy can run here."""
    return bool(pulp.HiGHS(msg=False).available())


def version() -> str | None:
    """HiGHS's version (that of the highspy package, which bundles it), or None when not installed."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as package_version

    try:
        return package_version("highspy")
    except PackageNotFoundError:
        return None


def solve_highs(problem: pulp.LpProblem, time_limit: float | None, gap: float | None, threads: int | None,
                warm_start: bool, verbose: bool) -> tuple[Status, float | None, float | None, str]:
    """Run HiGHS (highspy) on ``problem``: ``(status, objective, bound, HiGHS's status words)``."""
    silence_highs_banner()
    adapter = _HiGHS(warm_start=warm_start, msg=verbose, timeLimit=time_limit, gapRel=gap, threads=threads)
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
