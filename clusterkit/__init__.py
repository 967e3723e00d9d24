"""clusterkit: optimisation and clustering engine for designing collaborations of GP practices."""

from clusterkit.errors import ClusterkitError, InfeasibleError, InputError, SolverError
from clusterkit.model.graph import LAYERS, PracticeGraph
from clusterkit.model.practice import Practice, RELATION_KINDS, Relation

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "ClusterkitError",
    "InfeasibleError",
    "InputError",
    "SolverError",
    "LAYERS",
    "RELATION_KINDS",
    "Practice",
    "PracticeGraph",
    "Relation",
]
