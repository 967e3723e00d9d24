"""PuLP formulations and the solver door (HiGHS by default, CBC as fallback)."""

from clusterkit.results import Outcome, Status
from solvers.door import SOLVERS, available_solvers, solve

__all__ = ["SOLVERS", "Outcome", "Status", "available_solvers", "solve"]
