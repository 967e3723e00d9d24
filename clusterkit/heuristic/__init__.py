"""The seeded grouping heuristic: region growing, moves and swaps, repair, merge-and-resplit, strategic
oscillation and recombination of restarts, per independent piece."""

from clusterkit.heuristic.driver import group_heuristic
from clusterkit.heuristic.effort import EFFORTS, Effort, effort_of

__all__ = ["EFFORTS", "Effort", "effort_of", "group_heuristic"]
