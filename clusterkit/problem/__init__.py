"""What a planner asks for: the population band and its rule, the grouping problem, the one group score,
the independent pieces a problem splits into, and why a problem has no solution."""

from clusterkit.problem.band import Band
from clusterkit.problem.grouping import OBJECTIVES, GroupingProblem

__all__ = ["OBJECTIVES", "Band", "GroupingProblem"]
