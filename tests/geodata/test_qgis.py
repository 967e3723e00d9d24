"""Real QGIS 3 (PyQGIS, headless): every layer of the GeoJSON files and of the GeoPackage opens valid and
styled (its renderer is not the default single symbol), and a real ICB renders into /tmp/qgis_render.png.

PyQGIS lives in the system Python (Debian's ``python3-qgis``), not in the project's environment: the test runs
``tests/geodata/qgis_load.py`` with ``/usr/bin/python3`` and is skipped where ``import qgis.core`` fails there.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import geopandas as gpd
import pyogrio
import pytest
from click.testing import CliRunner

from cli import main
from tests.conftest import REPOSITORY

QGIS_PYTHON = "/usr/bin/python3"
SCRIPT = Path(__file__).with_name("qgis_load.py")
ENVIRONMENT = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": ""}

#: Where the rendered map of a real ICB is left to look at.
RENDER = Path("/tmp/qgis_render.png")


def _qgis_importable() -> bool:
    try:
        return subprocess.run([QGIS_PYTHON, "-c", "import qgis.core"], env=ENVIRONMENT, capture_output=True,
                              timeout=60).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


pytestmark = pytest.mark.skipif(not _qgis_importable(), reason=f"PyQGIS is not importable by {QGIS_PYTHON}")


def open_in_qgis(folder: Path, image: Path | None = None) -> tuple[dict[str, dict], dict | None]:
    """Every layer of ``folder`` as QGIS sees it, and the render's report."""
    command = [QGIS_PYTHON, str(SCRIPT), str(folder), *([str(image)] if image else [])]
    done = subprocess.run(command, env=ENVIRONMENT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return {line["layer"]: line for line in lines if "layer" in line}, next((l for l in lines if "image" in l), None)


def assert_styled(folder: Path, layers: dict[str, dict]) -> None:
    """Every GeoJSON file and GeoPackage layer is loaded, valid, with its features and a style of its own."""
    expected = {f"geojson:{path.stem}" for path in folder.glob("*.geojson")}
    expected |= {f"gpkg:{name}" for name, _ in pyogrio.list_layers(folder / "clusterkit.gpkg") if name != "layer_styles"}
    assert set(layers) == expected
    for key, layer in layers.items():
        kind, name = key.split(":")
        assert layer["valid"], key
        source = folder / f"{name}.geojson" if kind == "geojson" else folder / "clusterkit.gpkg"
        assert layer["features"] == len(gpd.read_file(source, layer=None if kind == "geojson" else name)), key
        if layer["spatial"]:
            assert layer["renderer"] in ("categorizedSymbol", "RuleRenderer"), key
            assert layer["crs"] == ("EPSG:4326" if kind == "geojson" else "EPSG:27700"), key
            assert layer["labels"] == name.startswith("groups"), key
        else:
            assert name.endswith("_table"), key


def _run(*args) -> None:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code in (0, 1), result.output


def test_the_demo_opens_styled_in_qgis(tmp_path: Path) -> None:
    _run("demo", "--out", tmp_path / "demo")
    layers, _ = open_in_qgis(tmp_path / "demo")
    assert {"geojson:groups", "geojson:links", "geojson:moves", "gpkg:groups_table"} <= set(layers)
    assert_styled(tmp_path / "demo", layers)


def test_tiers_comparisons_budgets_and_ensembles_open_styled_in_qgis(tmp_path: Path) -> None:
    _run("demo", "--out", tmp_path / "demo", "--format", "csv")
    county = tmp_path / "demo" / "county_practices.csv"
    _run("tiers", county, "--effort", "quick", "--workers", "1", "--out", tmp_path / "tiers")
    _run("compare", county, "current", tmp_path / "demo" / "groups.csv", "--out", tmp_path / "compare")
    examples = REPOSITORY / "examples"
    _run("budgets", examples / "seeds_practices.csv", "--groups", examples / "seeds_groups.csv", "--specialties",
         examples / "seeds_specialties.csv", "--out", tmp_path / "budgets")
    _run("ensemble", county, "--members", "3", "--keep", "2", "--effort", "quick", "--restarts", "2", "--workers", "1",
         "--out", tmp_path / "ensemble")
    for name in ("tiers", "compare", "budgets", "ensemble"):
        layers, _ = open_in_qgis(tmp_path / name)
        assert_styled(tmp_path / name, layers)


def test_a_real_icb_renders_styled(nhs_practices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "qop"
    _run("group", nhs_practices_csv, "--icb", "QOP", "--effort", "quick", "--workers", "1", "--out", out)
    layers, render = open_in_qgis(out, RENDER)
    assert_styled(out, layers)
    assert layers["gpkg:groups"]["features"] > 60 and layers["gpkg:practices"]["features"] == 406
    assert render["errors"] == [] and RENDER.stat().st_size > 100_000
    assert render["coloured_share"] > 0.5 and render["colours"] > 50
