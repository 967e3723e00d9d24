"""Areas of groups: each group's practices' Voronoi cells dissolved, clipped to the study area.

A practice's cell is the land nearer to it than to any other practice of the area, so the cells of a group
are where its patients most likely live; dissolved per group they tile the study area with no gap and no
overlap. The study area is a buffered hull of the practices by default (:func:`study_boundary`) or any
polygon layer (an ICB boundary file, :func:`read_boundary`). Everything is computed in British National
Grid metres (EPSG:27700); a GeoJSON writer converts to WGS84.

Practices at the very same place (two surgeries in one health centre) would share one cell; each is moved
by a metre in its own direction first (:func:`spread_coincident`), so each keeps a sliver of its own and a
group's area never takes another group's practice.

Examples
--------
>>> from clusterkit.synthetic import synthetic_county
>>> graph = synthetic_county(seed=1)
>>> labels = {code: ("west" if x < 0 else "east") for code, x in zip(graph.codes, graph.xy[:, 0] - graph.xy[:, 0].mean())}
>>> areas = group_polygons(graph, labels)
>>> sorted(areas["group"]), bool(areas.geometry.is_valid.all())
(['east', 'west'], True)
>>> bool(abs(areas.geometry.area.sum() / study_boundary(graph).area - 1) < 1e-6)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED

__all__ = ["BUFFER_M", "CRS", "group_polygons", "practice_cells", "read_boundary", "spread_coincident",
           "study_boundary"]

#: The CRS the areas are computed in (British National Grid, metres).
CRS = "EPSG:27700"

#: How far the default study area reaches beyond the outermost practices, in metres.
BUFFER_M = 2000.0

#: How far a practice that shares its exact place with others is moved, in metres.
SPREAD_M = 1.0


def spread_coincident(xy: np.ndarray, radius: float = SPREAD_M) -> np.ndarray:
    """Copy of ``xy`` with points at the same place moved apart by ``radius`` metres, each its own way.

    The first of a stack stays; the others move on a circle, evenly spaced, in input order.

    >>> spread_coincident(np.array([[0.0, 0.0], [0.0, 0.0], [5.0, 5.0]])).round(3).tolist()
    [[0.0, 0.0], [-1.0, 0.0], [5.0, 5.0]]
    """
    spread = np.array(xy, dtype=float, copy=True)
    _, first, inverse, counts = np.unique(np.round(spread, 3), axis=0, return_index=True, return_inverse=True,
                                          return_counts=True)
    inverse = np.ravel(inverse)
    for stack in np.flatnonzero(counts > 1):
        members = np.flatnonzero(inverse == stack)
        for turn, member in enumerate(members[1:], start=1):
            angle = np.pi * turn / (len(members) - 1) if len(members) > 2 else np.pi
            spread[member] += radius * np.array([np.cos(angle), np.sin(angle)])
    return spread


def study_boundary(graph: PracticeGraph, buffer_m: float = BUFFER_M) -> BaseGeometry:
    """The default study area: the convex hull of the practices, buffered by ``buffer_m`` metres."""
    if not len(graph):
        raise InputError("there are no practices to draw an area around", source="practices")
    return shapely.convex_hull(shapely.multipoints(graph.xy)).buffer(buffer_m)


def read_boundary(path: str | Path) -> BaseGeometry:
    """The union of every polygon of a layer (GeoJSON, GeoPackage, shapefile...), in British National Grid.

    Raises
    ------
    InputError
        When the file cannot be read, has no CRS and no WGS84 coordinates, or holds no polygon.
    """
    import geopandas

    path = Path(path)
    try:
        layer = geopandas.read_file(path)
    except Exception as error:  # pyogrio's errors name no common base we could catch more narrowly
        raise InputError(f"cannot read a polygon layer: {str(error).splitlines()[0]}", source=str(path)) from error
    polygons = layer[layer.geometry.notna() & layer.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        raise InputError("holds no polygon (an ICB or sub-ICB boundary layer is expected)", source=str(path))
    if polygons.crs is None:
        raise InputError("has no coordinate reference system; save it with one (e.g. EPSG:27700)",
                         source=str(path))
    area = shapely.union_all(shapely.make_valid(polygons.to_crs(CRS).geometry.values))
    if area.is_empty or area.area <= 0:
        raise InputError("its polygons have no area", source=str(path))
    return area


def practice_cells(graph: PracticeGraph, boundary: BaseGeometry | None = None) -> list[BaseGeometry]:
    """Each practice's Voronoi cell (in ``graph.codes`` order), clipped to ``boundary``.

    ``boundary`` defaults to :func:`study_boundary`; a practice outside a given boundary gets an empty cell.
    """
    boundary = study_boundary(graph) if boundary is None else boundary
    points = shapely.points(spread_coincident(graph.xy))
    if len(points) == 1:
        return [boundary]
    envelope = shapely.box(*shapely.bounds(shapely.union(boundary, shapely.multipoints(points))))
    regions = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope.buffer(1e4)))
    # voronoi_polygons does not keep input order: find each point's region
    tree = shapely.STRtree(regions)
    point_index, region_index = tree.query(points, predicate="intersects")
    cell_of = {}
    for point, region in zip(point_index.tolist(), region_index.tolist()):
        cell_of.setdefault(point, region)
    return [shapely.intersection(regions[cell_of[i]], boundary) for i in range(len(points))]


def group_polygons(graph: PracticeGraph, labels: Mapping[str, str], boundary: BaseGeometry | None = None):
    """One (Multi)Polygon per group: its practices' cells dissolved, clipped to the study area.

    Parameters
    ----------
    graph : PracticeGraph
    labels : mapping
        Practice code -> group; ungrouped practices (missing or ``""``) make a group of their own,
        ``""``, only when there are any.
    boundary : shapely geometry, optional
        The study area in British National Grid metres (default :func:`study_boundary`).

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``group``, ``parts`` (number of polygons: more than 1 for a group whose area is in pieces),
        ``area_km2`` and ``geometry``, in EPSG:27700, one row per group in sorted order. Exterior rings are
        counter-clockwise (RFC 7946's right-hand rule).
    """
    import geopandas

    cells = practice_cells(graph, boundary)
    members: dict[str, list[BaseGeometry]] = {}
    for code, cell in zip(graph.codes, cells):
        members.setdefault(labels.get(code, UNGROUPED) or UNGROUPED, []).append(cell)
    groups = sorted(members)
    shapes = [shapely.orient_polygons(shapely.make_valid(shapely.union_all(members[group]).buffer(0)))
              if hasattr(shapely, "orient_polygons") else _oriented(shapely.union_all(members[group]).buffer(0))
              for group in groups]
    parts = [len(shapely.get_parts(shape)) for shape in shapes]
    return geopandas.GeoDataFrame({"group": groups, "parts": parts,
                                   "area_km2": [round(shape.area / 1e6, 3) for shape in shapes]},
                                  geometry=shapes, crs=CRS)


def _oriented(shape: BaseGeometry) -> BaseGeometry:
    """``shape`` with counter-clockwise exterior rings and clockwise holes (shapely < 2.1)."""
    from shapely.geometry import MultiPolygon
    from shapely.geometry.polygon import orient

    polygons = [orient(part, sign=1.0) for part in shapely.get_parts(shape) if part.geom_type == "Polygon"]
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
