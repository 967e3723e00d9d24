"""The data model: practices, their relations, the immutable :class:`PracticeGraph`, and partitions of it.

Each name is imported on first use (:mod:`clusterkit.lazy`): :class:`Practice` needs no numpy, and a
:class:`Partition` no scipy.
"""

from typing import TYPE_CHECKING

from clusterkit.lazy import lazy_names

if TYPE_CHECKING:
    from clusterkit.model.graph import LAYERS, PracticeGraph
    from clusterkit.model.partition import UNGROUPED, Partition
    from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT, RELATION_KINDS, Practice, Relation

_LAZY = {
    "DEFAULT_FUNDING_PER_PATIENT": "clusterkit.model.practice",
    "LAYERS": "clusterkit.model.graph",
    "RELATION_KINDS": "clusterkit.model.practice",
    "UNGROUPED": "clusterkit.model.partition",
    "Partition": "clusterkit.model.partition",
    "Practice": "clusterkit.model.practice",
    "PracticeGraph": "clusterkit.model.graph",
    "Relation": "clusterkit.model.practice",
}

__all__ = list(_LAZY)

__getattr__ = lazy_names(__name__, globals(), _LAZY)
