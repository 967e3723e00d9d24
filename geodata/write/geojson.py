"""RFC 7946 GeoJSON, written by GDAL (pyogrio) from a layer's GeoDataFrame.

The layers of a run (:mod:`geodata.write.layers`) are GeoDataFrames in British National Grid; this writer
reprojects one to WGS84, snaps its coordinates to the 6-decimal grid it will be written on (``set_precision``
keeps polygons valid where plain rounding could make a sliver cross itself), orients polygons
counter-clockwise, turns infinities into null and lets GDAL write it with ``RFC7946=YES`` and
``COORDINATE_PRECISION=6``: lon/lat order, no ``crs`` member, right-hand rule, typed properties (integers,
booleans as ``true``/``false``, null for NaN). The same frames go to the GeoPackage, so both files hold the
same rows and types. The round-trip tests (``tests/geodata/test_geojson.py``) read every file back with an
RFC 7946 check and geopandas.

Examples
--------
>>> import json, tempfile
>>> from clusterkit.synthetic import synthetic_county
>>> path = write_practices_geojson(Path(tempfile.mkdtemp()) / "practices.geojson", synthetic_county(seed=1))
>>> document = json.loads(path.read_text())
>>> "crs" in document, document["features"][0]["geometry"]["type"]
(False, 'Point')
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from clusterkit.model.graph import PracticeGraph
from geodata.polygons import oriented
from geodata.write.files import atomic_path

__all__ = ["COORDINATE_DECIMALS", "GEOJSON_OPTIONS", "on_wgs84_grid", "write_geojson", "write_practices_geojson"]

#: Decimal places of WGS84 coordinates (about 0.1 m), as RFC 7946 recommends.
COORDINATE_DECIMALS = 6

#: GDAL's GeoJSON layer options.
GEOJSON_OPTIONS = {"RFC7946": "YES", "COORDINATE_PRECISION": str(COORDINATE_DECIMALS)}


def on_wgs84_grid(layer: Any) -> Any:
    """``layer`` (a GeoDataFrame) in WGS84, its coordinates snapped to 1e-6 degrees, polygons valid and
    counter-clockwise, infinite numbers as NaN."""
    import shapely

    frame = layer.to_crs(4326) if layer.crs is not None and layer.crs.to_epsg() != 4326 else layer.copy()
    geometry = np.asarray(frame.geometry.values, dtype=object)
    polygons = np.isin(shapely.get_type_id(geometry), (3, 6))  # Polygon, MultiPolygon
    if polygons.any():  # reprojected, a valid ring may touch itself by a hair: repair before snapping
        geometry[polygons] = shapely.make_valid(geometry[polygons])
    geometry = shapely.set_precision(geometry, 10.0 ** -COORDINATE_DECIMALS)
    if polygons.any():
        geometry[polygons] = [oriented(shape) for shape in geometry[polygons]]
    frame = frame.set_geometry(geometry, crs=4326)
    for column in frame.columns:
        if column != frame.geometry.name and frame[column].dtype.kind == "f":
            frame[column] = frame[column].where(np.isfinite(frame[column]))
    return frame


def write_geojson(path: str | Path, layer: Any, name: str) -> Path:
    """Write ``layer`` (a GeoDataFrame in any CRS) as RFC 7946 GeoJSON named ``name``, atomically."""
    import pyogrio

    frame = on_wgs84_grid(layer)
    with atomic_path(path) as temporary, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # GDAL's notes on null values
        pyogrio.write_dataframe(frame, temporary, driver="GeoJSON", layer=name, layer_options=GEOJSON_OPTIONS,
                                geometry_type=None if len(frame) else "Point")
    return Path(path)


def write_practices_geojson(path: str | Path, graph: PracticeGraph,
                            columns: Mapping[str, Mapping[str, Any]] | None = None) -> Path:
    """Write ``practices.geojson``: one point per practice with every attribute and extra ``columns``
    (:func:`geodata.write.layers.practices_layer`)."""
    from geodata.write.layers import practices_layer

    return write_geojson(path, practices_layer(graph, columns), "practices")
