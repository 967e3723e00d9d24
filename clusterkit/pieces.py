"""Independent pieces of a grouping problem: areas under the boundary rule, parts of the adjacency graph."""

from __future__ import annotations

import networkx as nx

from clusterkit.model import Practice, PracticeGraph
from clusterkit.problem import GroupingProblem

__all__ = ["split_areas", "too_large"]


def too_large(practice: Practice, problem: GroupingProblem) -> bool:
    """Whether a practice alone exceeds the upper bound of its band (it then stands alone, flagged)."""
    return practice.list_size > problem.band_of(practice.sub_icb, practice.icb).upper


def split_areas(graph: PracticeGraph, problem: GroupingProblem) -> tuple[list[tuple[str, tuple[str, ...]]], list[str]]:
    """Independent pieces of the problem: ``[(name, codes)]`` plus notes.

    Pieces are the areas of ``problem.within`` (or the whole selection), minus unwilling practices and
    practices too large for their band; with contiguity, each part of an area's adjacency graph is a
    piece of its own. Where leaving practices out splits an area's adjacency, the remaining practices
    are re-triangulated so that the unwilling do not block the willing.
    """
    notes: list[str] = []
    excluded = {p.code for p in graph.practices if not p.willing or too_large(p, problem)}
    if problem.within == "none":
        areas = {"": tuple(c for c in graph.codes if c not in excluded)}
    else:
        areas = {area or "NONE": tuple(c for c in codes if c not in excluded)
                 for area, codes in graph.areas(problem.within).items()}
    adjacency = graph.layer("adjacency")
    pieces: list[tuple[str, tuple[str, ...]]] = []
    for area, codes in sorted(areas.items()):
        if not codes:
            continue
        if not problem.contiguity:
            pieces.append((area, codes))
            continue
        restricted = adjacency.subgraph(codes)
        parts = sorted((tuple(sorted(c)) for c in nx.connected_components(restricted)), key=lambda c: c[0])
        if len(parts) > 1:
            everyone = [c for c in graph.codes if (problem.within == "none" or _area_of(graph, c, problem) == area)]
            before = nx.number_connected_components(adjacency.subgraph(everyone))
            if before < len(parts) and excluded:
                notes.append(f"area {area or 'all'}: leaving out unwilling or oversized practices split its "
                             "adjacency; its remaining practices were re-triangulated")
                parts = [codes]
        for number, part in enumerate(parts, start=1):
            name = area if len(parts) == 1 else f"{area or 'part'}-{number}"
            pieces.append((name, part))
    return pieces, notes


def _area_of(graph: PracticeGraph, code: str, problem: GroupingProblem) -> str:
    return getattr(graph.practice(code), problem.within) or "NONE"

