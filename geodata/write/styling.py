"""Map styling shared by the PNG and HTML maps: the group palette, marker sizes, titles and attribution.

Neighbouring groups get different colours: the groups' adjacency (areas that touch) is coloured greedily
(networkx's ``greedy_color``, groups with most neighbours first, ties by name, so the same colours
every time) and each
colour class takes one colour of :data:`PALETTE`. The areas of a run's groups are computed once per
grouping and shared by every map of the run (:func:`group_areas`).

Examples
--------
>>> from clusterkit.synthetic import synthetic_county
>>> graph = synthetic_county(seed=1)
>>> middle = graph.xy[:, 0].mean()
>>> labels = {code: ("west" if x < middle else "east") for code, x in zip(graph.codes, graph.xy[:, 0])}
>>> colours = group_colours(group_areas(graph, labels))
>>> colours["west"] != colours["east"]
True
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import networkx as nx
import numpy as np
import shapely

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from clusterkit.synthetic import SYNTHETIC_ICB
from geodata.polygons import group_areas
from geodata.write.styles import PALETTE as LAYER_PALETTE
from geodata.write.styles import group_colours as colour_apart

__all__ = ["PALETTE", "UNGROUPED_COLOUR", "OUT_OF_BAND_COLOUR", "MOVED_COLOUR", "OGL", "group_adjacency",
           "group_colours", "group_areas", "boundary_of", "marker_radius", "attribution", "area_name"]

#: Fill colours of groups: the QGIS styles' palette (drawn at 80% opacity, so dots and labels read on top).
PALETTE = LAYER_PALETTE  # the maps and the QGIS styles colour groups from one palette

#: The area of practices in no group (unwilling ones).
UNGROUPED_COLOUR = "#d9d9d9"

#: Outline of a group outside its band.
OUT_OF_BAND_COLOUR = "#d7191c"

#: A practice that changed group.
MOVED_COLOUR = "#d7191c"

#: The Open Government Licence line the NHS England and ONS data ask for.
OGL = "Contains public sector information licensed under the Open Government Licence v3.0."

#: The ONS postcode lookup's terms (the practices' coordinates are its postcode centroids).
ONS_POSTCODES = ("Practice locations: ONS Postcode Lookup; Source: Office for National Statistics licensed under "
                 "the Open Government Licence v.3.0. Contains OS data © Crown copyright and database right 2025. "
                 "Contains Royal Mail data © Royal Mail copyright and database right 2025.")


def group_adjacency(areas: Any) -> nx.Graph:
    """The graph of groups whose areas touch (``areas``: a frame with ``group`` and ``geometry``).

    >>> import geopandas
    >>> boxes = [shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1), shapely.box(5, 5, 6, 6)]
    >>> squares = geopandas.GeoDataFrame({"group": ["a", "b", "c"]}, geometry=boxes)
    >>> sorted(group_adjacency(squares).edges())
    [('a', 'b')]
    """
    groups = list(areas["group"])
    geometries = np.asarray(areas.geometry.values)
    adjacency = nx.Graph()
    adjacency.add_nodes_from(groups)
    first, second = shapely.STRtree(geometries).query(geometries, predicate="intersects")
    adjacency.add_edges_from((groups[i], groups[j]) for i, j in zip(first.tolist(), second.tolist()) if i < j)
    return adjacency


def group_colours(areas: Any) -> dict[str, str]:
    """A fill colour per group such that groups whose areas touch differ (ungrouped practices grey): the
    colouring of the QGIS styles (:func:`geodata.write.styles.group_colours`) on the areas' contacts."""
    colours = colour_apart(areas["group"], group_adjacency(areas).edges())
    return {group: colours.get(group, UNGROUPED_COLOUR) for group in sorted(areas["group"])}


def label_point(geometry: Any) -> Any:
    """Where an area's label goes: a point inside its largest part; None for an empty area (a group whose
    practices all lie outside a ``--boundary``)."""
    import shapely

    if geometry is None or geometry.is_empty:
        return None
    return shapely.point_on_surface(max(shapely.get_parts(geometry), key=lambda part: part.area))


def boundary_of(run: Any) -> Any:
    """The study area a run's maps are clipped to: ``run.extra["boundary"]`` (a shapely geometry in British
    National Grid) when one was given, else ``None`` (a buffered hull of the practices)."""
    return run.extra.get("boundary")


def marker_radius(list_sizes: Sequence[int] | np.ndarray, practices: int) -> np.ndarray:
    """Radius of each practice's dot (points on a PNG, pixels on the web map), its area in proportion to
    its list size; smaller when the map shows many practices.

    >>> marker_radius([5_000, 20_000], practices=100).round(2).tolist()
    [2.5, 5.0]
    """
    base = float(np.clip(6.0 * np.sqrt(100 / max(practices, 1)), 0.9, 5.0))
    return base * np.sqrt(np.asarray(list_sizes, dtype=float).clip(min=0) / 20_000)


def is_synthetic(graph: PracticeGraph) -> bool:
    """Whether every practice is of the synthetic ICB (the demo's county, the examples)."""
    return bool(len(graph)) and all(practice.icb == SYNTHETIC_ICB for practice in graph.practices)


def attribution(graph: PracticeGraph) -> str:
    """The data credit a map carries: OGL and the ONS postcode terms for real practices, a note for synthetic."""
    if is_synthetic(graph):
        return "Synthetic practices made up by clusterkit (not real data). Areas: Voronoi cells of the practices."
    return f"{OGL} {ONS_POSTCODES} Areas: Voronoi cells of the practices, not registered boundaries."


def area_name(graph: PracticeGraph) -> str:
    """What area the practices are: ``ICB QOP``, ``sub-ICB 00T``, ``synthetic county`` or ``all practices``.

    >>> from clusterkit.synthetic import synthetic_county
    >>> area_name(synthetic_county(seed=1))
    'synthetic county'
    """
    if is_synthetic(graph):
        return "synthetic county"
    selection = graph.meta.get("selection") or {}
    parts = [f"{label} {', '.join(codes)}" for label, codes in (("ICB", selection.get("icb") or ()),
                                                                  ("sub-ICB", selection.get("sub_icb") or ()))
             if codes]
    return "; ".join(parts) or f"all {len(graph):,} practices"
