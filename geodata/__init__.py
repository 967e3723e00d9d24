"""Reading and writing practice data: CSV, GeoJSON and GeoPackage in; CSV, JSON, RFC 7946 GeoJSON with QGIS
styles and a styled GeoPackage out; the group areas (:mod:`geodata.polygons`).

Each name is imported on first use (:mod:`clusterkit.lazy`): reading a CSV needs neither shapely nor GDAL.
"""

from typing import TYPE_CHECKING

from clusterkit.lazy import lazy_names

if TYPE_CHECKING:
    from geodata.read.practices import PRACTICE_COLUMNS, read_practices
    from geodata.read.relations import read_grouping, read_practice_list, read_relations
    from geodata.read.study import load_study_area
    from geodata.read.tables import Table, read_table
    from geodata.write.files import atomic_write, write_csv, write_json, write_text
    from geodata.write.geojson import write_geojson, write_practices_geojson
    from geodata.write.output_set import OutputSet
    from geodata.write.tables import write_groups_csv, write_practices_csv, write_relations_csv

_LAZY = {
    "PRACTICE_COLUMNS": "geodata.read.practices",
    "Table": "geodata.read.tables",
    "atomic_write": "geodata.write.files",
    "OutputSet": "geodata.write.output_set",
    "read_grouping": "geodata.read.relations",
    "read_practice_list": "geodata.read.relations",
    "read_practices": "geodata.read.practices",
    "read_relations": "geodata.read.relations",
    "read_table": "geodata.read.tables",
    "write_csv": "geodata.write.files",
    "write_geojson": "geodata.write.geojson",
    "write_groups_csv": "geodata.write.tables",
    "write_json": "geodata.write.files",
    "write_practices_csv": "geodata.write.tables",
    "write_practices_geojson": "geodata.write.geojson",
    "write_relations_csv": "geodata.write.tables",
    "load_study_area": "geodata.read.study",
    "write_text": "geodata.write.files",
}

__all__ = list(_LAZY)

__getattr__ = lazy_names(__name__, globals(), _LAZY)
