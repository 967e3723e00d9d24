"""Reading and writing practice data: CSV, GeoJSON and GeoPackage in; GeoJSON, CSV and JSON out."""

from geodata.practices import PRACTICE_COLUMNS, read_practices
from geodata.relations import read_grouping, read_practice_list, read_relations
from geodata.study import load_study_area
from geodata.tables import Table, read_table
from geodata.writers import (
    atomic_write,
    prepare_out_dir,
    write_csv,
    write_feature_collection,
    write_groups_csv,
    write_json,
    write_practices_csv,
    write_practices_geojson,
    write_relations_csv,
    write_text,
)

__all__ = [
    "PRACTICE_COLUMNS",
    "Table",
    "atomic_write",
    "prepare_out_dir",
    "read_grouping",
    "read_practice_list",
    "read_practices",
    "read_relations",
    "read_table",
    "write_csv",
    "write_feature_collection",
    "write_groups_csv",
    "write_json",
    "write_practices_csv",
    "write_practices_geojson",
    "write_relations_csv",
    "load_study_area",
    "write_text",
]
