"""Loading a study area in one call: practices, relations, area selection and adjacency."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT
from clusterkit.model.relations import alignment_from_attributes
from geodata.read.attributes import read_attributes
from geodata.read.practices import read_study_practices
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
    attributes: str | Path | None = None,
    alignment_from: Sequence[str] = (),
) -> PracticeGraph:
    """Read practices and relations, keep the selected areas and build the adjacency layer.

    Only the rows of the selected areas become practices (the others are checked for their codes and areas:
    :func:`~geodata.read.practices.read_study_practices`). Relations are checked against every practice of the
    file (a relation may name a practice outside the selected area; it is then left out), and the adjacency is
    built on the selection only.

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
    attributes : path, optional
        A table joined on ``practice_code`` whose columns become practice attributes.
    alignment_from : sequence of str
        Attributes to build the alignment layer from (adjacent pairs; numeric by similarity, categorical by
        equality; see :func:`clusterkit.model.relations.alignment_from_attributes`).
    """
    graph, codes = read_study_practices(practices, columns=columns, encoding=encoding,
                                        funding_per_patient=funding_per_patient, icb=icb, sub_icb=sub_icb)
    if relations is not None:
        graph = graph.with_relations(read_relations(relations, graph, encoding=encoding, known=codes))
    if attributes is not None:
        graph = graph.with_attributes(read_attributes(attributes, graph, tuple(alignment_from) or None, encoding))
    if adjacency:
        graph = graph.with_adjacency(adjacency, **dict(adjacency_options or {}))
    if alignment_from:
        if not graph.layer("adjacency").number_of_edges() and len(graph) > 1:
            raise InputError("alignment from attributes scores adjacent practices; build an adjacency",
                             source="--alignment-from")
        graph = alignment_from_attributes(graph, list(alignment_from))
    if attributes is not None or alignment_from:
        graph = graph.with_meta(attributes=str(attributes) if attributes is not None else None,
                                alignment_from=list(alignment_from))
    return graph
