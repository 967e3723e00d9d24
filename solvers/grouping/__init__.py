"""The grouping MIPs: constraint families, the band-constrained p-median, column generation (master,
pricing, enumeration) and the exact method that combines them with the heuristic."""

from solvers.grouping.exact import METHODS, group_practices, solve_grouping_exact
from solvers.grouping.pmedian import pmedian_lower_bound

__all__ = ["METHODS", "group_practices", "pmedian_lower_bound", "solve_grouping_exact"]
