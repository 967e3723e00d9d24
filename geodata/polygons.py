"""Areas of groups: the Voronoi cells of the practices' sites, dissolved per group, clipped to the study area.

A site's cell is the land nearer to it than to any other site of the area, so the cells of a group are where
its patients most likely live; dissolved per group they tile the study area with no gap and no overlap. The
study area is a buffered hull of the practices by default (:func:`study_boundary`) or any polygon layer (an
ICB boundary file, :func:`read_boundary`). Everything is computed in British National Grid metres
(EPSG:27700); the GeoJSON writer converts to WGS84.

**Shared sites.** Practices at the same place (several surgeries in one health centre: 947 practices at 415
sites in England) are one site, as they are for the adjacency: a practice is adjacent to every practice of its
own site and of the neighbouring sites. When a site's practices sit in different groups, its cell is cut into
cones from the site (:func:`split_site`) so that each group stays one piece where the adjacency keeps it
connected: for every neighbouring site (a cell sharing an edge) that holds practices of the same group, the
group's cone points at a point of that shared edge, and both sites choose the same point (the groups the two
sites have in common spread evenly along their edge), so the group's pieces on either side share a stretch of
the edge. A group with no such neighbour gets a cone in the widest gap between other groups. Where two groups need
crossing directions no planar drawing keeps both in one piece; the group's ``parts`` then count its pieces.

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

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import LineString
from shapely.geometry.base import BaseGeometry

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED

__all__ = ["BUFFER_M", "CRS", "group_areas", "group_polygons", "oriented", "read_boundary", "site_cells", "split_site",
           "study_boundary"]

#: The CRS the areas are computed in (British National Grid, metres).
CRS = "EPSG:27700"

#: How far the default study area reaches beyond the outermost practices, in metres.
BUFFER_M = 2000.0

#: Practices closer than this (metres) are one site.
SITE_M = 0.1

#: The grid (metres) a group's pieces are united on.
GRID_M = 0.01

#: Shared edges of cells shorter than this (metres) do not make two sites neighbours.
EDGE_M = 1e-3


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
        When the file cannot be read, has no CRS, or holds no polygon (one line naming the file).
    """
    import warnings

    import geopandas

    path = Path(path)
    if not path.is_file():
        raise InputError("no such file (a polygon layer such as ICB boundaries is expected)", source=str(path))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            layer = geopandas.read_file(path)
    except Exception as error:  # pyogrio's errors name no common base we could catch more narrowly
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise InputError(f"cannot be read as a polygon layer ({reason[:120]})", source=str(path)) from None
    if not isinstance(layer, geopandas.GeoDataFrame) or layer.geometry.isna().all():
        raise InputError("has no geometry (an ICB or sub-ICB boundary layer is expected)", source=str(path))
    polygons = layer[layer.geometry.notna() & layer.geometry.geom_type.isin(["Polygon", "MultiPolygon"])]
    if polygons.empty:
        kinds = ", ".join(sorted(set(layer.geometry.dropna().geom_type)))
        raise InputError(f"holds no polygon but {kinds} (an ICB or sub-ICB boundary layer is expected)",
                         source=str(path))
    if polygons.crs is None:
        raise InputError("has no coordinate reference system; save it with one (e.g. EPSG:27700)",
                         source=str(path))
    area = shapely.union_all(shapely.make_valid(polygons.to_crs(CRS).geometry.values))
    if area.is_empty or area.area <= 0:
        raise InputError("its polygons have no area", source=str(path))
    return area


def site_cells(xy: np.ndarray, boundary: BaseGeometry) -> tuple[np.ndarray, np.ndarray, list[BaseGeometry]]:
    """The sites of points ``xy`` (metres) and each site's Voronoi cell clipped to ``boundary``.

    Returns ``(site_of, centres, cells)``: the site of each point, each site's place, and its cell (empty
    where the site's cell misses the boundary).

    >>> site_of, centres, cells = site_cells(np.array([[0.0, 0.0], [0.0, 0.0], [10.0, 0.0]]), shapely.box(-5, -5, 15, 5))
    >>> site_of.tolist(), [round(cell.area) for cell in cells]
    ([0, 0, 1], [100, 100])
    """
    keys = np.round(np.asarray(xy, dtype=float) / SITE_M).astype(np.int64)
    _, first, site_of = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    site_of = np.ravel(site_of)
    centres = np.asarray(xy, dtype=float)[first]
    if len(centres) == 1:
        return site_of, centres, [boundary]
    points = shapely.points(centres)
    sites = shapely.multipoints(points)
    envelope = shapely.box(*shapely.bounds(shapely.union(boundary, sites))).buffer(1e4)
    regions = shapely.get_parts(shapely.voronoi_polygons(sites, extend_to=envelope))
    # voronoi_polygons does not keep the input order (before shapely 2.1's ordered=True): find each site's
    regions_of = shapely.STRtree(regions).query(points, predicate="intersects")
    region_of: dict[int, int] = {}
    for point, region in zip(regions_of[0].tolist(), regions_of[1].tolist()):
        region_of.setdefault(point, region)
    cells = [shapely.intersection(regions[region_of[i]], boundary) for i in range(len(points))]
    return site_of, centres, cells


def _shared_edge(first: BaseGeometry, second: BaseGeometry) -> LineString | None:
    """The longest stretch of boundary two cells share, start and end in a fixed order; None if none."""
    common = shapely.line_merge(shapely.intersection(shapely.boundary(first), shapely.boundary(second)))
    lines = [part for part in shapely.get_parts(common) if part.geom_type == "LineString" and part.length > EDGE_M]
    if not lines:
        return None
    line = max(lines, key=lambda part: (part.length, part.coords[0]))
    return line if tuple(line.coords[0]) <= tuple(line.coords[-1]) else line.reverse()


def split_site(cell: BaseGeometry, centre: Sequence[float], targets: Sequence[tuple[str, Sequence[float]]],
               groups: Sequence[str]) -> dict[str, BaseGeometry]:
    """Cut a shared site's cell into cones from ``centre``, one group's cones towards each of its targets.

    ``targets`` are ``(group, point)`` pairs (points on edges shared with neighbouring sites of the same group);
    every one of ``groups`` without a target gets a cone in the widest gap between two other groups' cones
    (so that it does not cut a group's span in two). Returns group -> piece.

    >>> pieces = split_site(shapely.box(-1, -1, 1, 1), (0, 0), [("west", (-1, 0)), ("east", (1, 0))], ["east", "west"])
    >>> {group: round(piece.area, 3) for group, piece in sorted(pieces.items())}
    {'east': 2.0, 'west': 2.0}
    """
    x, y = float(centre[0]), float(centre[1])
    rays: list[tuple[float, str]] = []
    for group, (tx, ty) in targets:
        if (tx, ty) != (x, y):
            rays.append((math.atan2(ty - y, tx - x), group))
    for group in groups:
        if any(owner == group for _, owner in rays):
            continue
        ordered = sorted(rays)
        if not ordered:
            rays.append((0.0, group))
            continue
        # the widest gap between two different groups' rays (one inside a group's own span would cut it)
        gaps = [(ordered[(i + 1) % len(ordered)][1] != owner, (ordered[(i + 1) % len(ordered)][0] - angle)
                 % (2 * math.pi) or 2 * math.pi, angle) for i, (angle, owner) in enumerate(ordered)]
        _, width, start = max(gaps)
        rays.append((start + width / 2, group))
    rays.sort()
    kept: list[tuple[float, str]] = []
    for angle, group in rays:  # one ray per direction: a second group there turns a hair aside
        if kept and abs(angle - kept[-1][0]) < 1e-9:
            if group == kept[-1][1]:
                continue
            angle = kept[-1][0] + 1e-6
        kept.append((angle, group))
    if len({group for _, group in kept}) == 1:
        return {kept[0][1]: cell}
    radius = 1.0
    points = shapely.points([(x + radius * math.cos(angle), y + radius * math.sin(angle)) for angle, _ in kept])
    envelope = shapely.box(*shapely.bounds(cell)).union(shapely.box(x - 2, y - 2, x + 2, y + 2)).buffer(1.0)
    regions = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=envelope))
    found = shapely.STRtree(regions).query(points, predicate="intersects")
    region_of: dict[int, int] = {}
    for point, region in zip(found[0].tolist(), found[1].tolist()):
        region_of.setdefault(point, region)
    pieces: dict[str, list[BaseGeometry]] = {}
    for index, (_, group) in enumerate(kept):
        pieces.setdefault(group, []).append(shapely.intersection(regions[region_of[index]], cell))
    return {group: shapely.union_all(parts) for group, parts in pieces.items()}


def _group_pieces(site_of: np.ndarray, centres: np.ndarray, cells: list[BaseGeometry], label_of: Sequence[str]
                  ) -> tuple[dict[str, list[BaseGeometry]], dict[str, list[BaseGeometry]]]:
    """Each group's whole cells (sites of one group) and its cones of shared sites (:func:`split_site`)."""
    groups_at: list[set[str]] = [set() for _ in cells]
    for point, site in enumerate(site_of.tolist()):
        groups_at[site].add(label_of[point])
    pieces: dict[str, list[BaseGeometry]] = {}
    cones: dict[str, list[BaseGeometry]] = {}
    shared = [site for site, here in enumerate(groups_at) if len(here) > 1 and not cells[site].is_empty]
    tree = shapely.STRtree(cells) if shared else None
    edges: dict[tuple[int, int], LineString | None] = {}
    for site, here in enumerate(groups_at):
        if len(here) == 1:
            pieces.setdefault(next(iter(here)), []).append(cells[site])
    for site in shared:
        targets: list[tuple[str, tuple[float, float]]] = []
        for other in sorted(int(i) for i in tree.query(cells[site], predicate="intersects")):
            common = sorted(groups_at[site] & groups_at[other])
            if other == site or not common:
                continue
            key = (min(site, other), max(site, other))
            if key not in edges:
                edges[key] = _shared_edge(cells[key[0]], cells[key[1]])
            edge = edges[key]
            if edge is None:
                continue
            for position, group in enumerate(common):
                point = edge.interpolate((position + 0.5) / len(common), normalized=True)
                targets.append((group, (point.x, point.y)))
        for group, piece in split_site(cells[site], centres[site], targets, sorted(groups_at[site])).items():
            cones.setdefault(group, []).append(piece)
    return pieces, cones


def _united(cells: list[BaseGeometry], cones: list[BaseGeometry]) -> BaseGeometry:
    """A group's area: its whole cells united (they share their edges vertex for vertex), then each cone added
    by an overlay snap-rounded to :data:`GRID_M` (a cone meets its neighbour's edge at a point computed apart,
    collinear only to within rounding: one overlay of the two on one grid nodes them together)."""
    shape = shapely.union_all(cells)
    for cone in cones:
        shape = shapely.union(shape, cone, grid_size=GRID_M)
    return shape


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
        counter-clockwise (RFC 7946's right-hand rule); a group whose practices lie outside a given boundary
        has an empty geometry.
    """
    import geopandas

    boundary = study_boundary(graph) if boundary is None else boundary
    label_of = [labels.get(code, UNGROUPED) or UNGROUPED for code in graph.codes]
    cells, cones = _group_pieces(*site_cells(graph.xy, boundary), label_of)
    groups = sorted(set(label_of))
    shapes = [oriented(shapely.make_valid(_united(cells.get(group, []), cones.get(group, [])))) for group in groups]
    parts = [0 if shape.is_empty else len(shapely.get_parts(shape)) for shape in shapes]
    return geopandas.GeoDataFrame({"group": groups, "parts": parts,
                                   "area_km2": [round(shape.area / 1e6, 3) for shape in shapes]},
                                  geometry=shapes, crs=CRS)


def oriented(shape: BaseGeometry) -> BaseGeometry:
    """``shape``'s polygons only (from any collection), with counter-clockwise exterior rings and clockwise
    holes.

    >>> from shapely.geometry import GeometryCollection, LineString, Polygon
    >>> mixed = GeometryCollection([Polygon([(0, 0), (0, 1), (1, 1)]), LineString([(2, 2), (3, 3)])])
    >>> oriented(mixed).exterior.is_ccw
    True
    """
    from shapely.geometry import MultiPolygon, Polygon
    from shapely.geometry.polygon import orient

    polygons, stack = [], [shape]
    while stack:
        part = stack.pop()
        if part is None or part.is_empty:
            continue
        if part.geom_type == "Polygon":
            polygons.append(orient(part, sign=1.0))
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            stack.extend(reversed(list(shapely.get_parts(part))))
    if not polygons:
        return Polygon()
    return polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)


#: The last group areas computed, so that one run's layers, PNG and HTML map share them: (graph, labels key,
#: boundary, areas), the graph and boundary compared by identity.
_AREAS: list[tuple[PracticeGraph, int, Any, Any]] = []


def group_areas(graph: PracticeGraph, labels: Mapping[str, str], boundary: BaseGeometry | None = None):
    """:func:`group_polygons`, kept for the next caller asking for the same grouping of the same graph (the last
    four are kept): the layers and the maps of a run compute the areas once. Treat the frame as read-only.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> county = synthetic_county(seed=1)
    >>> labels = {practice.code: practice.group for practice in county.practices}
    >>> group_areas(county, labels) is group_areas(county, dict(labels))
    True
    """
    key = hash(tuple(sorted((code, label or UNGROUPED) for code, label in labels.items())))
    for cached_graph, cached_key, cached_boundary, areas in _AREAS:
        if cached_graph is graph and cached_key == key and cached_boundary is boundary:
            return areas
    areas = group_polygons(graph, labels, boundary)
    _AREAS[:] = [*_AREAS[-3:], (graph, key, boundary, areas)]
    return areas
