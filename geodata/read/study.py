"""Loading a study area in one call: practices, relations, area selection and adjacency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT
from geodata.read.practices import read_practices
from geodata.read.relations import read_relations

__all__ = ["load_study_area"]


def load_study_area(
    practices: str | Path,
    *,
    relations: str | Path | None = None,
    icb: Sequence[str] | None = None,
    sub_icb: Sequence[str] | None = None,
    columns: Mapping[str, str | None] | None = None,
    encoding: str = "utf-8",
    funding_per_patient: float = DEFAULT_FUNDING_PER_PATIENT,
    adjacency: str | None = "delaunay",
    adjacency_options: Mapping[str, object] | None = None,
) -> PracticeGraph:
    """Read practices and relations, keep the selected areas and build the adjacency layer.

    Relations are checked against every practice of the file (a relation may name a practice outside
    the selected area; it is then left out), and the adjacency is built on the selection only.

    Parameters
    ----------
    practices : path
        Practices file (CSV, GeoJSON or GeoPackage).
    relations : path, optional
        Long relations table ``a,b,kind,value``.
    icb, sub_icb : sequence of str, optional
        Areas to keep.
    adjacency : {"delaunay", "knn", "distance"} or None
        Adjacency builder; ``None`` leaves the layer empty.
    adjacency_options : mapping, optional
        Keyword arguments of :func:`clusterkit.model.adjacency.build_adjacency`.
    """
    graph = read_practices(practices, columns=columns, encoding=encoding, funding_per_patient=funding_per_patient)
    if relations is not None:
        graph = graph.with_relations(read_relations(relations, graph, encoding=encoding))
    graph = graph.select(icb=icb, sub_icb=sub_icb)
    if adjacency:
        graph = graph.with_adjacency(adjacency, **dict(adjacency_options or {}))
    return graph
