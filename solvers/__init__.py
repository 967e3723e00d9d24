"""PuLP formulations and the solver door (HiGHS by default, CBC as fallback)."""

from solvers.base import (
    FEASIBLE,
    INFEASIBLE,
    NO_SOLUTION,
    OPTIMAL,
    SOLVERS,
    SolveResult,
    available_solvers,
    solve,
)

__all__ = ["FEASIBLE", "INFEASIBLE", "NO_SOLUTION", "OPTIMAL", "SOLVERS", "SolveResult", "available_solvers", "solve"]
