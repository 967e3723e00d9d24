"""One door to the MIP solvers: HiGHS (through highspy) by default, CBC as fallback.

:func:`solve` runs a :class:`pulp.LpProblem` and returns an :class:`~clusterkit.results.Outcome` whose status, objective,
best bound and relative gap are read from the solver itself. PuLP reports a time-limited HiGHS run as
"Optimal"; here a run is ``Status.OPTIMAL`` only when the solver proved it (HiGHS's model status is optimal, or
CBC's log says so), otherwise ``Status.FEASIBLE`` with the bound and gap the solver reached.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import pulp

from clusterkit.errors import SolverError
from clusterkit.results import Outcome, Status, relative_gap
from solvers import cbc, highs


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Adapter:
    """One solver behind the door: whether it can run here, and how to run a PuLP model with it.

    ``run(problem, time_limit, gap, threads, warm_start, verbose)`` returns ``(status, objective, bound,
    detail)`` read from the solver itself; ``version()`` the solver's version (None when unknown).
    """

    name: str
    label: str
    available: Callable[[], bool]
    run: Callable[..., tuple[Status, float | None, float | None, str]]
    version: Callable[[], str | None] = lambda: None


#: The solvers users may name (``--solver``), in order of preference.
REGISTRY: dict[str, Adapter] = {
    "highs": Adapter("highs", "HiGHS (highspy)", highs.available, highs.solve_highs, highs.version),
    "cbc": Adapter("cbc", "CBC (PuLP's bundled binary)", cbc.available, cbc.solve_cbc, cbc.version),
}

#: Solver names, in order of preference.
SOLVERS = tuple(REGISTRY)


def available_solvers() -> list[str]:
    """The solver names of :data:`SOLVERS` that can run on this machine."""
    return [name for name, adapter in REGISTRY.items() if adapter.available()]


def solver_version(name: str) -> str | None:
    """The version of the solver called ``name`` (None when unknown or not a MIP solver, e.g. ``clusterkit``).

    >>> solver_version("clusterkit") is None
    True
    """
    adapter = REGISTRY.get(name.lower())
    return adapter.version() if adapter is not None else None


def get_solver(name: str) -> Adapter:
    """The adapter called ``name`` (case-insensitive).

    Raises
    ------
    SolverError
        When no solver has that name, or it is not installed; the message lists the available ones.

    Examples
    --------
    >>> get_solver("HiGHS").name
    'highs'
    >>> get_solver("gurobi")
    Traceback (most recent call last):
    ...
    clusterkit.errors.SolverError: unknown solver 'gurobi'; available: highs, cbc
    """
    adapter = REGISTRY.get(name.lower())
    if adapter is None:
        raise SolverError(f"unknown solver {name!r}; available: {', '.join(available_solvers()) or 'none'}")
    if not adapter.available():
        raise SolverError(f"{adapter.label} is not installed; available: {', '.join(available_solvers()) or 'none'}")
    return adapter


def new_variable(problem: pulp.LpProblem, name: str, low: float | None = None, high: float | None = None,
                 category: str = pulp.LpContinuous) -> pulp.LpVariable:
    """A variable of ``problem`` (PuLP 3.3's ``add_variable``, the only way left in PuLP 4; ``LpVariable`` before)."""
    if hasattr(problem, "add_variable"):
        return problem.add_variable(name, low, high, cat=category)
    return pulp.LpVariable(name, low, high, cat=category)


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
    adapter = get_solver(solver)
    name = adapter.name
    if time_limit is not None and time_limit <= 0:
        raise SolverError(f"time limit must be positive (got {time_limit})")
    started = time.perf_counter()
    result = adapter.run(problem, time_limit, gap, threads, warm_start, verbose)
    seconds = time.perf_counter() - started
    log.info("%s: %s objective=%s bound=%s gap=%s in %.1fs", name, result[0], result[1], result[2],
             relative_gap(result[1], result[2]), seconds)
    status, objective, bound, detail = result
    if status == Status.OPTIMAL and bound is None:
        bound = objective
    return Outcome(status, objective, bound, None, seconds, name, time_limit, detail)
