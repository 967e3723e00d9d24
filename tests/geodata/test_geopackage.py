"""clusterkit.gpkg: every layer of a run reads back with geopandas with the same rows and types, in EPSG:27700,
with each layer's QGIS style as its default in layer_styles; a failed write leaves no file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest

from clusterkit.runs import run_grouping, run_tiers
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata.write.geopackage import STYLES_TABLE, write_geopackage
from geodata.write.outputs import write_outputs
from geodata.write.run_layers import layers_of
from tests.geodata.test_geojson import _kind


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory):
    county = synthetic_county(seed=4)
    graph = county.with_relations(synthetic_relations(county, seed=4)).with_adjacency()
    run = run_grouping(graph, seed=4, workers=1, effort="quick")
    folder = tmp_path_factory.mktemp("run")
    write_outputs(run, folder)
    return run, folder


def test_every_layer_of_the_run_is_in_the_geopackage_in_bng(written) -> None:
    run, folder = written
    listed = dict(pyogrio.list_layers(folder / "clusterkit.gpkg"))
    names = [layer.name for layer in layers_of(run)]
    assert names == ["practices", "groups", "links", "moves", "groups_table"]
    assert list(listed) == [*names, STYLES_TABLE]
    assert listed["groups"] in ("Polygon", "MultiPolygon")  # MultiPolygon when some group is in pieces
    assert listed["practices"] == "Point" and listed["links"] == "LineString"
    assert listed["groups_table"] is None


def test_geopandas_reads_every_layer_back_with_the_same_rows_and_types(written) -> None:
    run, folder = written
    for layer in layers_of(run):
        back = gpd.read_file(folder / "clusterkit.gpkg", layer=layer.name)
        assert len(back) == len(layer.frame), layer.name
        columns = [name for name in layer.frame.columns if name != "geometry"]
        assert [name for name in back.columns if name != "geometry"] == columns, layer.name
        for name in columns:
            assert _kind(back[name].dtype) == _kind(layer.frame[name].dtype), (layer.name, name)
            left = [None if pd.isna(value) else value for value in back[name]]
            right = [None if pd.isna(value) else value for value in layer.frame[name]]
            assert left == pytest.approx(right) if _kind(back[name].dtype) == "float" else left == right
        if layer.geojson:
            assert back.crs.to_epsg() == 27700
            # stored as computed: no reprojection
            assert back.geometry.area.sum() == pytest.approx(layer.frame.geometry.area.sum(), rel=1e-9)
    table = gpd.read_file(folder / "clusterkit.gpkg", layer="groups_table")
    assert table["population"].dtype.kind == "i" and table["in_band"].dtype == bool


def test_each_layers_style_is_its_default_in_layer_styles(written) -> None:
    run, folder = written
    with sqlite3.connect(folder / "clusterkit.gpkg") as database:
        rows = database.execute(f"SELECT f_table_catalog, f_table_schema, f_table_name, f_geometry_column, "
                                f"styleQML, useAsDefault FROM {STYLES_TABLE} ORDER BY id").fetchall()
        contents = dict(database.execute("SELECT table_name, data_type FROM gpkg_contents").fetchall())
        version = database.execute("PRAGMA user_version").fetchone()[0]
    styled = [layer for layer in layers_of(run) if layer.style]
    assert [row[2] for row in rows] == [layer.name for layer in styled]
    for (catalog, schema, name, geometry, qml, default), layer in zip(rows, styled):
        assert (catalog, schema, geometry, default) == ("", "", "geom", 1)
        assert qml == (folder / f"{name}.qml").read_text(encoding="utf-8") == layer.style
    assert contents[STYLES_TABLE] == "attributes" and contents["groups_table"] == "attributes"
    assert version == 10300  # GeoPackage 1.3: read without a warning by the GDAL of QGIS 3.22


def test_tiers_have_one_polygon_layer_per_tier_and_their_table(tmp_path: Path) -> None:
    run = run_tiers(synthetic_county(seed=1), effort="quick", workers=1)
    write_outputs(run, tmp_path, formats={"gpkg", "geojson"})
    listed = [name for name, _ in pyogrio.list_layers(tmp_path / "clusterkit.gpkg")]
    assert listed == ["practices", "groups_neighbourhood", "groups_network", "groups_federation", "tiers_table",
                      STYLES_TABLE]
    for tier in ("neighbourhood", "network", "federation"):
        areas = gpd.read_file(tmp_path / f"groups_{tier}.geojson")
        assert (areas["tier"] == tier).all() and (tmp_path / f"groups_{tier}.qml").is_file()
    network = gpd.read_file(tmp_path / "groups_network.geojson").to_crs(27700)
    federation = gpd.read_file(tmp_path / "groups_federation.geojson").to_crs(27700)
    assert network.area.sum() == pytest.approx(federation.area.sum(), rel=1e-4)
    practices = gpd.read_file(tmp_path / "practices.geojson")
    assert {"neighbourhood", "network", "federation", "path"} <= set(practices.columns)


def test_a_failed_write_leaves_no_file_behind(written, tmp_path: Path, monkeypatch) -> None:
    run, _ = written
    calls = []

    def failing(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OSError("disk full")
        return original(*args, **kwargs)

    original = pyogrio.write_dataframe
    monkeypatch.setattr(pyogrio, "write_dataframe", failing)
    with pytest.raises(OSError, match="disk full"):
        write_geopackage(tmp_path / "clusterkit.gpkg", [(layer.name, layer.frame, layer.style)
                                                        for layer in layers_of(run)])
    assert list(tmp_path.iterdir()) == []
