"""``clusterkit.gpkg``: every layer of a run in one GeoPackage, each with its QGIS style as its default.

**CRS: British National Grid (EPSG:27700).** The group areas are computed in it (metres), so they are stored
as computed, without a reprojection that would move shared edges by fractions of a millimetre; areas and
lengths measured in QGIS are metres; it is the grid Ordnance Survey and NHS England publish boundaries in. The
GeoJSON files are WGS84 only because RFC 7946 requires it.

Written by GDAL (pyogrio) as a GeoPackage 1.3 (read by the GDAL of every QGIS 3), tables without geometry as
attribute tables, a layer mixing polygons and multipolygons as multipolygons (one declared type, as
QGIS expects; the ``parts`` column still says which groups are in pieces), and the styles in the ``layer_styles`` table QGIS itself creates (``useAsDefault`` true, so
QGIS opens each layer styled); the whole file is written under a temporary name and renamed into place.

Examples
--------
>>> import tempfile, pandas as pd, pyogrio
>>> table = pd.DataFrame({"group": ["N1"], "population": [41_000]})
>>> path = write_geopackage(Path(tempfile.mkdtemp()) / "clusterkit.gpkg", [("groups_table", table, None)])
>>> [name for name, _ in pyogrio.list_layers(path)]
['groups_table']
"""

from __future__ import annotations

import datetime
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from geodata.write.files import atomic_path

__all__ = ["STYLES_TABLE", "write_geopackage"]

#: The table QGIS reads a layer's default style from.
STYLES_TABLE = "layer_styles"

#: Options of the GeoPackage file.
_DATASET_OPTIONS = {"VERSION": "1.3"}


def _styles_table(layers: Sequence[tuple[str, Any, str | None]]) -> Any:
    """The ``layer_styles`` rows, in the columns QGIS writes (its ``id`` is the feature id)."""
    import pandas as pd

    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    rows = [{"f_table_catalog": "", "f_table_schema": "", "f_table_name": name,
             "f_geometry_column": "geom" if hasattr(frame, "geometry") else "", "styleName": name,
             "styleQML": style, "styleSLD": "", "useAsDefault": True,
             "description": f"clusterkit style of {name}", "owner": "", "ui": "", "update_time": now}
            for name, frame, style in layers if style]
    return pd.DataFrame(rows)


def write_geopackage(path: str | Path, layers: Sequence[tuple[str, Any, str | None]]) -> Path:
    """Write ``layers`` — ``(name, frame, style)``: a GeoDataFrame (or a DataFrame for a table) and its QML
    style, or None — into one GeoPackage at ``path``, atomically. Spatial layers are stored in their frame's
    CRS (clusterkit's layers are in EPSG:27700)."""
    import pyogrio

    styles = _styles_table(layers)
    with atomic_path(path) as temporary, warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for number, (name, frame, _) in enumerate(layers):
            options: dict[str, Any] = {"driver": "GPKG", "layer": name}
            if number == 0:
                options["dataset_options"] = _DATASET_OPTIONS
            if hasattr(frame, "geometry"):
                options["geometry_type"] = None if len(frame) else "Point"
            pyogrio.write_dataframe(frame, temporary, **options)
        if len(styles):
            pyogrio.write_dataframe(styles, temporary, driver="GPKG", layer=STYLES_TABLE,
                                    layer_options={"FID": "id"})
    return Path(path)
