"""GeoJSON through GDAL: every layer of a run passes the RFC 7946 check and reads back with geopandas with the
same rows and types; polygons of a real ICB, which plain rounding to 6 decimals would make invalid, stay valid."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from clusterkit.model.graph import PracticeGraph
from clusterkit.runs import run_grouping
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata.write.geojson import write_geojson
from geodata.write.grouping import groups_table
from geodata.write.layers import groups_layer, links_layer, moves_layer, practices_layer
from tests.geojson_checks import assert_rfc7946


@pytest.fixture(scope="module")
def county_run():
    county = synthetic_county(seed=2)
    graph = county.with_relations(synthetic_relations(county, seed=2)).with_adjacency()
    return run_grouping(graph, seed=2, workers=1, effort="quick")


def _kind(dtype) -> str:
    """A column's kind as a reader sees it: integer, bool, float or text."""
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_integer_dtype(dtype):
        return "integer"
    if pd.api.types.is_float_dtype(dtype):
        return "float"
    return "text"


def assert_reads_back(path: Path, layer: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """geopandas reads ``path`` with the rows, columns, types and values of ``layer``."""
    back = gpd.read_file(path)
    assert back.crs.to_epsg() == 4326
    assert len(back) == len(layer)
    columns = [name for name in layer.columns if name != layer.geometry.name]
    assert [name for name in back.columns if name != "geometry"] == columns
    for name in columns:
        assert _kind(back[name].dtype) == _kind(layer[name].dtype), name
        if _kind(layer[name].dtype) == "float":
            assert np.allclose(back[name].astype(float), layer[name].astype(float), equal_nan=True), name
        else:
            expected = [None if pd.isna(value) else value for value in layer[name]]
            assert [None if pd.isna(value) else value for value in back[name]] == expected, name
    assert back.geometry.is_valid.all()
    again = back.to_crs(layer.crs)
    assert list(again.geom_type) == list(layer.geom_type)
    assert np.allclose(again.geometry.centroid.x, layer.geometry.centroid.x, atol=1.0)
    return back


def test_practices_layer_round_trip(county_run, tmp_path: Path) -> None:
    graph = county_run.graph
    layer = practices_layer(graph, {"group": dict(county_run.result.labels), "is_centre": {c: False for c in graph.codes}})
    path = write_geojson(tmp_path / "practices.geojson", layer, "practices")
    document = assert_rfc7946(path)
    assert document["name"] == "practices"
    back = assert_reads_back(path, layer)
    assert back["list_size"].dtype.kind == "i" and back["willing"].dtype == bool


def test_groups_layer_round_trip(county_run, tmp_path: Path) -> None:
    table = groups_table(county_run.result, county_run.metrics)
    layer = groups_layer(county_run.graph, county_run.result.labels, table)
    path = write_geojson(tmp_path / "groups.geojson", layer, "groups")
    document = assert_rfc7946(path)
    assert {feature["geometry"]["type"] for feature in document["features"]} <= {"Polygon", "MultiPolygon"}
    back = assert_reads_back(path, layer)
    assert back["population"].dtype.kind == "i" and back["in_band"].dtype == bool
    assert back["disconnected"].tolist() == (~table["connected"]).tolist()
    assert list(back.columns[:11]) == list(table.columns)
    # they tile the study area, in WGS84 as in metres
    assert back.to_crs(27700).area.sum() == pytest.approx(layer.area.sum(), rel=1e-6)


def test_links_layer_round_trip(county_run, tmp_path: Path) -> None:
    layer = links_layer(county_run.graph, county_run.result.labels)
    assert set(layer["kind"]) == {"alignment", "shared_staff"} and layer["inside"].any() and not layer["inside"].all()
    staff = layer[layer["kind"] == "shared_staff"]
    assert staff["resources"].str.contains("=").all()
    path = write_geojson(tmp_path / "links.geojson", layer, "links")
    assert_rfc7946(path)
    assert_reads_back(path, layer)


def test_no_relations_no_links(tiny_graph: PracticeGraph) -> None:
    assert links_layer(tiny_graph, {}) is None


def test_moves_layer_round_trip_and_empty(county_run, tmp_path: Path) -> None:
    graph = county_run.graph
    moves = [(code, "P1", "G001") for code in graph.codes[:3]]
    layer = moves_layer(graph, moves, ("current", "new"))
    assert layer["group_current"].tolist() == ["P1"] * 3 and layer["group_new"].tolist() == ["G001"] * 3
    assert_reads_back(write_geojson(tmp_path / "moves.geojson", layer, "moves"), layer)
    empty = write_geojson(tmp_path / "none.geojson", moves_layer(graph, [], ("current", "new")), "moves")
    assert assert_rfc7946(empty)["features"] == []


def test_infinities_and_nan_are_written_as_null(tiny_graph: PracticeGraph, tmp_path: Path) -> None:
    layer = practices_layer(tiny_graph, {"score": {"A1": float("inf"), "B2": 2.5, "C3": float("nan")}})
    document = assert_rfc7946(write_geojson(tmp_path / "p.geojson", layer, "practices"))
    assert [feature["properties"]["score"] for feature in document["features"]] == [None, 2.5, None, None, None]


def test_real_icb_polygons_stay_valid_on_the_six_decimal_grid(nhs_graph: PracticeGraph, tmp_path: Path) -> None:
    """QOP's PCN areas: rounding coordinates to 6 decimals alone leaves one polygon self-intersecting; snapped
    with shapely's set_precision they are all valid, and they still tile the hull."""
    from geodata.polygons import group_polygons

    qop = nhs_graph.select(icb=["QOP"])
    areas = group_polygons(qop, {p.code: p.group or "" for p in qop.practices})
    path = write_geojson(tmp_path / "groups.geojson", areas, "groups")
    assert_rfc7946(path)
    back = gpd.read_file(path).to_crs(27700)
    assert back.geometry.is_valid.all()
    assert back.area.sum() == pytest.approx(areas.area.sum(), rel=1e-4)
