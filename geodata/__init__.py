"""Reading and writing practice data: CSV, GeoJSON and GeoPackage in; CSV, JSON, RFC 7946 GeoJSON with QGIS
styles and a styled GeoPackage out; the group areas (:mod:`geodata.polygons`)."""

from geodata.read.practices import PRACTICE_COLUMNS, read_practices
from geodata.read.relations import read_grouping, read_practice_list, read_relations
from geodata.read.study import load_study_area
from geodata.read.tables import Table, read_table
from geodata.write.files import atomic_write, write_csv, write_json, write_text
from geodata.write.output_set import OutputSet
from geodata.write.geojson import write_geojson, write_practices_geojson
from geodata.write.tables import write_groups_csv, write_practices_csv, write_relations_csv

__all__ = [
    "PRACTICE_COLUMNS",
    "Table",
    "atomic_write",
    "OutputSet",
    "read_grouping",
    "read_practice_list",
    "read_practices",
    "read_relations",
    "read_table",
    "write_csv",
    "write_geojson",
    "write_groups_csv",
    "write_json",
    "write_practices_csv",
    "write_practices_geojson",
    "write_relations_csv",
    "load_study_area",
    "write_text",
]
