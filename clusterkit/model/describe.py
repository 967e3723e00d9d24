"""A summary of a study area: practices, population, areas, list-size quantiles, relations, isolation."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from clusterkit.model.graph import LAYERS, PracticeGraph

__all__ = ["AreaSummary", "describe"]

QUANTILES = (0.0, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0)


@dataclass(frozen=True)
class AreaSummary:
    """What :func:`describe` found.

    Attributes
    ----------
    practices, population : int
        Counts.
    icbs, sub_icbs, current_groups : int
        Distinct non-empty codes.
    without_current_group : tuple of str
        Practices with no current group (e.g. no PCN).
    unwilling : tuple of str
        Practices that do not take part.
    list_size_quantiles : dict
        Quantile (0, 0.1, ..., 1) -> list size.
    relations : dict
        Layer -> number of edges.
    isolated : tuple of str
        Practices with no adjacency edge before bridging.
    bridges : int
        Edges added to connect parts of an area.
    grouping : dict
        For an external grouping: practices covered, groups, practices not covered.
    """

    source: str
    practices: int
    population: int
    icbs: int
    sub_icbs: int
    current_groups: int
    without_current_group: tuple[str, ...]
    unwilling: tuple[str, ...]
    list_size_quantiles: dict[float, int]
    relations: dict[str, int]
    isolated: tuple[str, ...]
    bridges: int
    adjacency_method: str | None
    grouping: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        values = asdict(self)
        values["list_size_quantiles"] = {str(q): v for q, v in self.list_size_quantiles.items()}
        return values


def describe(graph: PracticeGraph, grouping: Mapping[str, str] | None = None) -> AreaSummary:
    """Summarise ``graph`` (and optionally an external ``grouping`` of its practices)."""
    sizes = graph.list_sizes
    quantiles = {q: int(round(float(np.quantile(sizes, q)))) for q in QUANTILES} if len(sizes) else {}
    adjacency = dict(graph.meta.get("adjacency") or {})
    covered: dict[str, Any] = {}
    if grouping is not None:
        inside = [code for code in graph.codes if code in grouping]
        covered = {
            "practices": len(inside),
            "groups": len({grouping[code] for code in inside}),
            "not_covered": len(graph) - len(inside),
        }
    return AreaSummary(
        source=str(graph.meta.get("source", "")),
        practices=len(graph),
        population=graph.population,
        icbs=len({p.icb for p in graph.practices if p.icb}),
        sub_icbs=len({p.sub_icb for p in graph.practices if p.sub_icb}),
        current_groups=len({p.group for p in graph.practices if p.group}),
        without_current_group=tuple(p.code for p in graph.practices if not p.group),
        unwilling=tuple(p.code for p in graph.practices if not p.willing),
        list_size_quantiles=quantiles,
        relations={name: count for name, count in graph.relation_counts().items() if name in LAYERS},
        isolated=tuple(adjacency.get("isolated", ())),
        bridges=len(adjacency.get("bridges", ())),
        adjacency_method=adjacency.get("method"),
        grouping=covered,
    )
