"""The map layers of a run as GeoDataFrames in British National Grid (EPSG:27700): practices, group areas,
links and moves. The GeoJSON files, the GeoPackage and the QGIS styles are all written from these frames, so
every file holds the same rows with the same types.

Examples
--------
>>> from clusterkit.synthetic import synthetic_county, synthetic_relations
>>> graph = synthetic_county(seed=1)
>>> layer = practices_layer(graph, {"group": {code: "N1" for code in graph.codes}})
>>> len(layer) == len(graph), layer.crs.to_epsg(), str(layer["list_size"].dtype), str(layer["willing"].dtype)
(True, 27700, 'int64', 'bool')
>>> links = links_layer(graph.with_relations(synthetic_relations(graph, seed=1)), {})
>>> sorted(set(links["kind"])), bool(links["inside"].any())
(['alignment', 'shared_staff'], False)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from geodata.polygons import CRS, group_areas

__all__ = ["LINK_KINDS", "PRACTICE_PROPERTIES", "practice_records", "practices_layer", "groups_layer", "links_layer", "moves_layer"]

#: The relation layers drawn as links.
LINK_KINDS = ("alignment", "shared_staff")


#: The properties every practice has, before its attributes and a run's columns.
PRACTICE_PROPERTIES = ("practice_code", "practice_name", "list_size", "turnover", "sub_icb", "icb", "current_group",
                       "willing", "lat", "lon", "x_bng", "y_bng")


def practice_records(graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """Every practice's properties (code, name, list size, turnover, areas, current group, willing, lat/lon,
    BNG metres, its attributes) plus extra ``columns``: property -> practice code -> value (``None`` when
    missing)."""
    records = []
    for practice in graph.practices:
        record = {
            "practice_code": practice.code,
            "practice_name": practice.name,
            "list_size": practice.list_size,
            "turnover": practice.turnover,
            "sub_icb": practice.sub_icb,
            "icb": practice.icb,
            "current_group": practice.group,
            "willing": practice.willing,
            "lat": round(practice.lat, 6),
            "lon": round(practice.lon, 6),
            "x_bng": round(practice.x, 1),
            "y_bng": round(practice.y, 1),
        }
        for key, value in practice.attributes.items():
            record.setdefault(key, value)
        for name, values in (columns or {}).items():
            record[name] = values.get(practice.code)
        records.append(record)
    return records


def _frame(records: list[dict], geometry: Iterable[Any], columns: Iterable[str] = ()) -> Any:
    import geopandas

    frame = pd.DataFrame.from_records(records, columns=list(records[0]) if records else list(columns))
    return geopandas.GeoDataFrame(frame, geometry=list(geometry), crs=CRS)


def practices_layer(graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None) -> Any:
    """One point per practice with :func:`practice_records`' properties."""
    import shapely

    records = practice_records(graph, columns)
    return _frame(records, shapely.points(graph.xy) if len(graph) else [], [*PRACTICE_PROPERTIES, *(columns or {})])


def groups_layer(graph: PracticeGraph, labels: Mapping[str, str], table: pd.DataFrame,
                 boundary: Any = None) -> Any:
    """One polygon per row of ``table`` (a groups table with a ``group`` and a ``connected`` column).

    Adds ``parts`` (pieces of the area), ``area_km2`` and ``disconnected`` (not connected on the adjacency of
    practices, the rule a grouping obeys; a group in several pieces on the map is not always disconnected).
    """
    areas = group_areas(graph, labels, boundary).set_index("group")
    groups = table["group"].tolist()
    frame = table.reset_index(drop=True).copy()
    frame["parts"] = [int(areas.loc[group, "parts"]) if group in areas.index else 0 for group in groups]
    frame["area_km2"] = [float(areas.loc[group, "area_km2"]) if group in areas.index else 0.0 for group in groups]
    frame["disconnected"] = ~frame["connected"].astype(bool)
    import geopandas

    return geopandas.GeoDataFrame(frame, geometry=[areas.geometry.get(group) for group in groups], crs=CRS)


def links_layer(graph: PracticeGraph, labels: Mapping[str, str]) -> Any:
    """Lines between related practices: ``practice_a``, ``practice_b``, ``kind`` (alignment or shared_staff),
    ``value`` (the affinity, or the staff shared in all), ``resources`` (``district_nurse=1;...``), both groups
    and ``inside`` (the same group). None when the graph has no such relation."""
    import shapely

    index = graph.index
    records, lines = [], []
    for kind in LINK_KINDS:
        for a, b, data in sorted((min(a, b), max(a, b), data) for a, b, data in graph.layer(kind).edges(data=True)):
            group_a, group_b = labels.get(a) or None, labels.get(b) or None
            records.append({
                "practice_a": a, "practice_b": b, "kind": kind, "value": float(data.get("weight", 0.0)),
                "resources": ";".join(f"{name}={amount:g}" for name, amount in sorted(data.get("resources", {}).items())),
                "group_a": group_a, "group_b": group_b, "inside": group_a is not None and group_a == group_b,
            })
            lines.append(shapely.linestrings([graph.xy[index[a]], graph.xy[index[b]]]))
    return _frame(records, lines) if records else None


def moves_layer(graph: PracticeGraph, moves: Iterable[tuple[str, str, str]], names: tuple[str, str]) -> Any:
    """The practices that changed group, ``(practice, before, after)``, with ``group_<first>`` and
    ``group_<second>`` (e.g. ``group_current``, ``group_new``) beside their properties."""
    moves = sorted(moves)
    first, second = names
    return practices_layer(graph.subset([code for code, _, _ in moves]),
                           {f"group_{first}": {code: before or UNGROUPED for code, before, _ in moves},
                            f"group_{second}": {code: after or UNGROUPED for code, _, after in moves}})
