"""Relation layers: alignment from a pairwise table or from the similarity of practices' attributes, and
shared staff; each builder returns a new graph."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Relation


def alignment_from_relations(graph: PracticeGraph, relations: Iterable[Relation]) -> PracticeGraph:
    """A new graph with the ``alignment`` relations of a pairwise table added."""
    return graph.with_relations(r for r in relations if r.kind == "alignment")


def shared_staff_from_relations(graph: PracticeGraph, relations: Iterable[Relation]) -> PracticeGraph:
    """A new graph with the ``shared_staff`` relations of a pairwise table added."""
    return graph.with_relations(r for r in relations if r.kind == "shared_staff")


def alignment_from_attributes(
    graph: PracticeGraph,
    attributes: Sequence[str],
    *,
    pairs: str = "adjacency",
    metric: str = "gaussian",
    min_alignment: float = 0.0,
) -> PracticeGraph:
    """Alignment in [0, 1] from the similarity of practices' attribute vectors.

    Attributes are standardised (mean 0, standard deviation 1) before comparison.

    Parameters
    ----------
    attributes : sequence of str
        Numeric practice attributes, e.g. philosophy scores.
    pairs : {"adjacency", "all"}
        Score only adjacent pairs (scales to England) or every pair (small areas only).
    metric : {"gaussian", "cosine"}
        ``exp(-d^2 / (2 m))`` of the Euclidean distance ``d`` over ``m`` attributes, or cosine similarity
        mapped from [-1, 1] to [0, 1].
    min_alignment : float
        Drop pairs scoring below this.
    """
    if not attributes:
        raise InputError("name at least one attribute to compute alignment from")
    missing = [name for name in attributes if any(name not in p.attributes for p in graph.practices)]
    if missing:
        raise InputError(f"attribute '{missing[0]}' is missing for some practices; cannot compute alignment")
    try:
        vectors = np.array([[float(p.attributes[name]) for name in attributes] for p in graph.practices])
    except (TypeError, ValueError):
        raise InputError("alignment attributes must be numeric") from None
    spread = vectors.std(axis=0)
    spread[spread == 0] = 1.0
    vectors = (vectors - vectors.mean(axis=0)) / spread
    if pairs == "adjacency":
        i, j, _ = graph.edge_arrays("adjacency")
    elif pairs == "all":
        if len(graph) > 3000:
            raise InputError("pairs='all' is for areas of up to 3,000 practices; use pairs='adjacency'")
        i, j = np.triu_indices(len(graph), k=1)
    else:
        raise InputError(f"unknown pairs {pairs!r}; choose adjacency or all")
    if metric == "gaussian":
        squared = ((vectors[i] - vectors[j]) ** 2).sum(axis=1)
        score = np.exp(-squared / (2.0 * len(attributes)))
    elif metric == "cosine":
        norms = np.linalg.norm(vectors, axis=1)
        norms[norms == 0] = 1.0
        score = ((vectors[i] * vectors[j]).sum(axis=1) / (norms[i] * norms[j]) + 1.0) / 2.0
    else:
        raise InputError(f"unknown similarity metric {metric!r}; choose gaussian or cosine")
    codes = graph.codes
    relations = [
        Relation(codes[a], codes[b], "alignment", float(np.clip(s, 0.0, 1.0)))
        for a, b, s in zip(i, j, score)
        if s >= min_alignment
    ]
    return graph.with_relations(relations)
