"""Relation layers: alignment from a pairwise table or from the similarity of practices' attributes, and
shared staff; each builder returns a new graph."""

from __future__ import annotations

import math
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
    """Alignment in [0, 1] from the similarity of practices' attributes (numeric or categorical).

    A numeric attribute (every value a number) is standardised (mean 0, standard deviation 1); a categorical
    one (a clinical IT supplier, a philosophy) compares by equality, a different value counting as two standard
    deviations apart.

    Parameters
    ----------
    attributes : sequence of str
        Practice attributes, e.g. philosophy scores, deprivation, IT supplier.
    pairs : {"adjacency", "all"}
        Score only adjacent pairs (scales to England) or every pair (small areas only).
    metric : {"gaussian", "cosine"}
        ``exp(-d^2 / (2 m))`` of the distance ``d`` over ``m`` attributes, or cosine similarity mapped from
        [-1, 1] to [0, 1] (numeric attributes only).
    min_alignment : float
        Drop pairs scoring below this.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> county = synthetic_county(seed=1)
    >>> aligned = alignment_from_attributes(county.with_adjacency(), ["philosophy_innovation", "philosophy_collective"])
    >>> 0 < aligned.layer("alignment").number_of_edges() <= aligned.layer("adjacency").number_of_edges()
    True
    """
    if not attributes:
        raise InputError("name at least one attribute to compute alignment from")
    missing = [name for name in attributes if any(name not in p.attributes for p in graph.practices)]
    if missing:
        absent = [p.code for p in graph.practices if missing[0] not in p.attributes]
        raise InputError(f"attribute '{missing[0]}' is missing for some practices ({', '.join(absent[:10])}); "
                         "cannot compute alignment")
    columns = []
    for name in attributes:
        values = [p.attributes[name] for p in graph.practices]
        numeric = all(isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
                      for value in values)
        if numeric:
            column = np.array(values, dtype=float)
            spread = column.std() or 1.0
            columns.append(("numeric", (column - column.mean()) / spread))
        elif metric == "cosine":
            raise InputError(f"cosine similarity: alignment attributes must be numeric ('{name}' is not)")
        else:
            _, codes = np.unique(np.array([str(value) for value in values]), return_inverse=True)
            columns.append(("category", codes))
    if pairs == "adjacency":
        i, j, _ = graph.edge_arrays("adjacency")
    elif pairs == "all":
        if len(graph) > 3000:
            raise InputError("pairs='all' is for areas of up to 3,000 practices; use pairs='adjacency'")
        i, j = np.triu_indices(len(graph), k=1)
    else:
        raise InputError(f"unknown pairs {pairs!r}; choose adjacency or all")
    if metric == "gaussian":
        squared = np.zeros(len(i))
        for kind, column in columns:
            squared += (column[i] - column[j]) ** 2 if kind == "numeric" else 4.0 * (column[i] != column[j])
        score = np.exp(-squared / (2.0 * len(attributes)))
    elif metric == "cosine":
        vectors = np.column_stack([column for _, column in columns])
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
