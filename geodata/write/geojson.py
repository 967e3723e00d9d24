"""RFC 7946 GeoJSON: WGS84 lon/lat points rounded to 6 decimals, no ``crs`` member, written atomically."""

from __future__ import annotations

from geodata.write.files import _json_safe, write_text

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from clusterkit.model.graph import PracticeGraph


#: Decimal places of WGS84 coordinates (about 0.1 m), as RFC 7946 recommends.
COORDINATE_DECIMALS = 6


def _round(value: float) -> float:
    return round(float(value), COORDINATE_DECIMALS)


def practice_features(graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """GeoJSON point features of every practice with all its attributes plus extra ``columns``.

    ``columns`` maps a property name (e.g. ``"network"``) to practice code -> value; practices missing
    from a column get ``null``.
    """
    features = []
    for practice in graph.practices:
        properties = {
            "practice_code": practice.code,
            "practice_name": practice.name,
            "list_size": practice.list_size,
            "turnover": practice.turnover,
            "sub_icb": practice.sub_icb,
            "icb": practice.icb,
            "current_group": practice.group,
            "willing": practice.willing,
            "lat": _round(practice.lat),
            "lon": _round(practice.lon),
            "x_bng": round(practice.x, 1),
            "y_bng": round(practice.y, 1),
        }
        for key, value in practice.attributes.items():
            properties.setdefault(key, value)
        for name, values in (columns or {}).items():
            properties[name] = values.get(practice.code)
        features.append({
            "type": "Feature",
            "properties": properties,
            "geometry": {"type": "Point", "coordinates": [_round(practice.lon), _round(practice.lat)]},
        })
    return features


def write_feature_collection(path: str | Path, features: Sequence[Mapping[str, Any]], name: str | None = None) -> Path:
    """Write an RFC 7946 FeatureCollection (WGS84 lon/lat, no ``crs`` member) atomically."""
    document: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        document["name"] = name
    document["features"] = list(features)
    text = json.dumps(_json_safe(document), ensure_ascii=False, separators=(",", ":"))
    return write_text(path, text + "\n")


def write_practices_geojson(
    path: str | Path, graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None
) -> Path:
    """Write ``practices.geojson``: one point per practice with every attribute and group columns."""
    return write_feature_collection(path, practice_features(graph, columns), name="practices")
