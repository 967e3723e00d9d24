"""The data model: practices, their relations, the immutable :class:`PracticeGraph`, and partitions of it."""

from clusterkit.model.graph import LAYERS, PracticeGraph
from clusterkit.model.partition import UNGROUPED, Partition
from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT, RELATION_KINDS, Practice, Relation

__all__ = ["DEFAULT_FUNDING_PER_PATIENT", "LAYERS", "RELATION_KINDS", "UNGROUPED", "Partition", "Practice",
           "PracticeGraph", "Relation"]
