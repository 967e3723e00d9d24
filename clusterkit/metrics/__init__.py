"""The quality of a grouping (and, later, the comparison of two)."""

from clusterkit.metrics.grouping import GroupingMetrics, GroupRow, evaluate_grouping, moved_practices

__all__ = ["GroupRow", "GroupingMetrics", "evaluate_grouping", "moved_practices"]
