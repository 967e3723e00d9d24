"""The CBC adapter (PuLP's bundled binary): runs a PuLP model and reads status, objective and bound from
CBC's own log, since PuLP reports no bound."""

from __future__ import annotations

import os
import re
import tempfile

import pulp

from clusterkit.errors import SolverError
from clusterkit.results import Status


_CBC_PATTERNS = {
    "result": re.compile(r"^Result - (.+)$", re.MULTILINE),
    "objective": re.compile(r"^Objective value:\s+(\S+)", re.MULTILINE),
    # CBC prints "Lower bound:" when minimising and "Upper bound:" when maximising (in the problem's own sense).
    "bound": re.compile(r"^(?:Lower|Upper) bound:\s+(\S+)", re.MULTILINE),
}


def available() -> bool:
    """Whether PuLP's CBC binary can run here."""
    return bool(pulp.PULP_CBC_CMD(msg=False).available())


def version() -> str | None:
    """The version CBC's binary reports (``Version: 2.10.3``), or None when it cannot run."""
    import re
    import subprocess

    try:
        path = pulp.PULP_CBC_CMD(msg=False).path
        shown = subprocess.run([path, "-quit"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError, pulp.PulpSolverError):
        return None
    found = re.search(r"Version:\s*(\S+)", shown)
    return found.group(1) if found else None


def solve_cbc(problem: pulp.LpProblem, time_limit: float | None, gap: float | None, threads: int | None,
              warm_start: bool, verbose: bool) -> tuple[Status, float | None, float | None, str]:
    """Run CBC on ``problem``: ``(status, objective, bound, CBC's result words)`` read from CBC's own log."""
    adapter_options = dict(msg=verbose, timeLimit=time_limit, gapRel=gap, threads=threads, warmStart=warm_start)
    handle, log_path = tempfile.mkstemp(prefix="clusterkit-cbc-", suffix=".log")
    os.close(handle)
    try:
        adapter = pulp.PULP_CBC_CMD(logPath=log_path, **adapter_options)
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
