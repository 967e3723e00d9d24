"""The map layers on the command line: --format chooses the outputs, --boundary clips the group areas, both
refuse bad values in one line, the new files join the atomic output set, and every command's summary.json has
the one schema with the run's provenance."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from click.testing import CliRunner, Result

from cli import main
from clusterkit.model.coordinates import to_wgs84
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata import write_practices_csv, write_relations_csv
from geodata.polygons import group_polygons, study_boundary
from tests.geojson_checks import assert_rfc7946


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("county")
    graph = synthetic_county(seed=1)
    return (write_practices_csv(folder / "practices.csv", graph),
            write_relations_csv(folder / "relations.csv", synthetic_relations(graph, seed=1)))


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _one_line_error(result: Result, *parts: str) -> str:
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusterkit: error: ") and "Traceback" not in result.output
    for part in parts:
        assert part in lines[0], lines[0]
    return lines[0]


def test_format_chooses_the_outputs_and_summary_json_always_comes(county, tmp_path: Path) -> None:
    practices, relations = county
    out = tmp_path / "gpkg"
    result = _run("group", practices, "--relations", relations, "--sub-icb", "X1A", "--format", "gpkg", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == ["clusterkit.gpkg", "summary.json"]
    out = tmp_path / "geojson"
    result = _run("group", practices, "--sub-icb", "X1A", "--format", "geojson,csv", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in out.iterdir()) == sorted([
        "groups.csv", "groups_table.csv", "practices.geojson", "practices.qml", "groups.geojson", "groups.qml",
        "moves.geojson", "moves.qml", "summary.json"])
    for name in ("practices", "groups", "moves"):
        assert_rfc7946(out / f"{name}.geojson")


@pytest.mark.parametrize("command", ["group", "demo", "tiers", "evaluate", "compare", "budgets"])
def test_an_unknown_format_is_refused_in_one_line_before_any_work(county, tmp_path: Path, command: str) -> None:
    practices, _ = county
    arguments = {"group": [practices], "demo": [], "tiers": [practices], "evaluate": [practices, "current"],
                 "compare": [practices, "current", "current"],
                 "budgets": [practices, "--groups", "current", "--specialties", practices]}[command]
    result = _run(command, *arguments, "--format", "geojson,shp", "--out", tmp_path / "out")
    _one_line_error(result, "--format", "shp", "choose from csv, geojson, gpkg, json, md")
    assert not (tmp_path / "out").exists()


def _polygon_file(path: Path, xy: list[tuple[float, float]]) -> Path:
    """A GeoJSON polygon layer around British National Grid points ``xy``."""
    import numpy as np

    points = np.array(xy)
    lat, lon = to_wgs84(points[:, 0], points[:, 1])
    ring = [[float(x), float(y)] for x, y in zip(lon, lat)]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {"icb": "X"}, "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def test_boundary_clips_the_group_areas(county, tmp_path: Path) -> None:
    practices, _ = county
    graph = synthetic_county(seed=1).select(sub_icb=["X1A"])
    hull = study_boundary(graph, buffer_m=0.0)
    box = shapely.box(*hull.bounds).buffer(-1500)  # a boundary cutting through the practices' area
    corners = [tuple(c) for c in box.exterior.coords]
    boundary = _polygon_file(tmp_path / "boundary.geojson", corners)
    out = tmp_path / "out"
    result = _run("group", practices, "--sub-icb", "X1A", "--boundary", boundary, "--out", out)
    assert result.exit_code == 0, result.output
    areas = gpd.read_file(out / "groups.geojson").to_crs(27700)
    clipped = shapely.union_all(areas.geometry.values)
    assert clipped.difference(box).area < 1e-3 * box.area  # inside the boundary (drawn in WGS84, read in BNG)
    with open(out / "groups.csv", newline="", encoding="utf-8") as stream:
        labels = {row["practice_code"]: row["group"] for row in csv.DictReader(stream)}
    ungrouped = group_polygons(graph, labels, box).set_index("group").geometry.get("")  # unwilling practices
    assert areas.area.sum() + (ungrouped.area if ungrouped is not None else 0) == pytest.approx(box.area, rel=2e-3)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["area"]["boundary"] == str(boundary)
    assert summary["inputs"][str(boundary)] == hashlib.sha256(boundary.read_bytes()).hexdigest()


def test_a_boundary_that_is_not_a_polygon_layer_is_refused_in_one_line(county, tmp_path: Path) -> None:
    practices, _ = county
    points = tmp_path / "points.geojson"
    points.write_text(json.dumps({"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [-0.9, 52.2]}}]}))
    for command in (["group", practices, "--sub-icb", "X1A"], ["demo"], ["tiers", practices],
                    ["evaluate", practices, "current"]):
        result = _run(*command, "--boundary", points, "--out", tmp_path / "out")
        _one_line_error(result, str(points), "holds no polygon but Point")
        assert not (tmp_path / "out").exists()
    result = _run("group", practices, "--boundary", tmp_path / "missing.gpkg", "--out", tmp_path / "out")
    _one_line_error(result, "missing.gpkg", "no such file")


def test_an_interruption_while_writing_the_geopackage_leaves_out_as_it_was(county, tmp_path: Path,
                                                                           monkeypatch) -> None:
    import geodata.write.outputs as outputs

    practices, _ = county
    out = tmp_path / "out"
    out.mkdir()
    (out / "groups.csv").write_text("old")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(outputs, "write_geopackage", interrupted)
    result = _run("group", practices, "--sub-icb", "X1A", "--overwrite", "--out", out)
    assert result.exit_code == 130 and "--out was left as it was" in result.stderr
    assert {path.name: path.read_text() for path in out.iterdir()} == {"groups.csv": "old"}
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out"]


# ---------------------------------------------------------------------------------------------- provenance
#: Keys every summary.json has, whatever the command.
COMMON_KEYS = {"clusterkit_version", "command", "command_line", "created", "elapsed_seconds", "inputs",
               "inputs_sha256", "area", "data", "adjacency", "parameters", "settings", "seed", "method", "solver",
               "versions", "status", "proven_optimal", "objective", "objective_name", "bound", "gap", "seconds",
               "exit_code", "unmet", "notes"}


@pytest.fixture(scope="module")
def summaries(county, tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    practices, relations = county
    folder = tmp_path_factory.mktemp("runs")
    specialties = folder / "specialties.csv"
    specialties.write_text("specialty,rate_per_1000\nurology,13333\n")
    commands = {
        "group": ["group", practices, "--relations", relations, "--sub-icb", "X1A", "--effort", "quick",
                  "--workers", "1", "--lat-col", "lat"],
        "demo": ["demo", "--seed", "2"],
        "tiers": ["tiers", practices, "--icb", "QZZ", "--effort", "quick", "--workers", "1"],
        "evaluate": ["evaluate", practices, "current", "--sub-icb", "X2B"],
        "compare": ["compare", practices, "current", folder / "group" / "groups.csv", "--sub-icb", "X1A"],
        "budgets": ["budgets", practices, "--groups", "current", "--sub-icb", "X1A", "--specialties", specialties],
    }
    found = {}
    for name, command in commands.items():
        result = _run(*command, "--out", folder / name)
        assert result.exit_code in (0, 1), (name, result.output)
        found[name] = json.loads((folder / name / "summary.json").read_text())
    return found


def test_every_command_writes_the_one_summary_schema(summaries) -> None:
    for name, summary in summaries.items():
        assert COMMON_KEYS <= set(summary), (name, COMMON_KEYS - set(summary))
        assert summary["command_line"].startswith(f"clusterkit {name}"), name
        assert set(summary["versions"]) == {"clusterkit", "python", "pulp", "highs", "solver", "numpy", "shapely",
                                            "geopandas", "gdal"}
        assert all(len(digest) == 64 for digest in summary["inputs"].values()) and summary["inputs"]
        assert summary["elapsed_seconds"] >= summary["seconds"] >= 0


def test_the_summary_records_the_area_columns_adjacency_and_settings(summaries, county) -> None:
    group = summaries["group"]
    practices, relations = county
    assert group["command_line"] == (f"clusterkit group {practices} --relations {relations} --sub-icb X1A "
                                     f"--effort quick --workers 1 --lat-col lat --out {Path(group['command_line'].split()[-1])}")
    assert group["area"]["sub_icb"] == ["X1A"] and group["area"]["icb"] == [] and group["area"]["practices"] > 0
    assert group["data"]["columns"]["code"] == "practice_code" and group["data"]["columns"]["lat"] == "lat"
    assert group["data"]["funding_per_patient"] == 120.0
    assert group["adjacency"]["method"] == "delaunay" and group["adjacency"]["within"] == "none"
    assert group["settings"] == {"method": "heuristic", "effort": "quick", "restarts": None, "workers": 1,
                                 "time_limit": 60.0, "gap": None, "solver": "highs", "best_effort": False}
    assert set(group["inputs"]) == {str(practices), str(relations)}
    assert summaries["tiers"]["area"]["icb"] == ["QZZ"] and summaries["tiers"]["settings"]["effort"] == "quick"
    budgets = summaries["budgets"]
    assert budgets["solver"] == "highs" and budgets["versions"]["solver"] == budgets["versions"]["highs"]
