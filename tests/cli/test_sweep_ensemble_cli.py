"""`sweep` and `ensemble` on the command line: the files they write, and one line for each bad request."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from PIL import Image

from cli import main
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata import write_practices_csv, write_relations_csv


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("county")
    graph = synthetic_county(seed=3)
    return (write_practices_csv(folder / "practices.csv", graph),
            write_relations_csv(folder / "relations.csv", synthetic_relations(graph, seed=3)))


def _run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="") as stream:
        return list(csv.DictReader(stream))


def test_sweep_writes_the_pareto_table_plot_candidates_and_summary(county, tmp_path):
    practices, relations = county
    out = tmp_path / "sweep"
    result = _run("sweep", practices, "--relations", relations, "--weights", "0,0.5,1", "--effort", "quick",
                  "--restarts", "2", "--workers", "1", "--out", out)
    assert result.exit_code == 0, result.output
    rows = _rows(out / "sweep.csv")
    assert [row["candidate"] for row in rows] == ["w0", "w0.5", "w1"]
    assert any(row["non_dominated"] == "True" for row in rows) and all(row["proven"] == "False" for row in rows)
    with Image.open(out / "pareto.png") as image:
        assert image.size[0] > 600 and image.size[1] > 400
    for row in rows:
        groups = _rows(out / "candidates" / row["candidate"] / "groups.csv")
        assert len({line["practice_code"] for line in groups}) == len(groups) > 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"] == "sweep" and summary["proven_optimal"] is False
    assert summary["sweep"]["front"] == [row["candidate"] for row in rows if row["non_dominated"] == "True"]
    assert "front (*)" in result.stdout


def test_ensemble_writes_candidates_stability_and_a_stability_layer(county, tmp_path):
    practices, relations = county
    out = tmp_path / "ensemble"
    result = _run("ensemble", practices, "--relations", relations, "--members", "6", "--keep", "3", "--effort",
                  "quick", "--restarts", "2", "--workers", "2", "--out", out)
    assert result.exit_code == 0, result.output
    members = _rows(out / "ensemble.csv")
    assert len(members) == 6 and sum(row["is_consensus"] == "True" for row in members) == 1
    kept = sorted((int(row["kept_rank"]), row["candidate"]) for row in members if row["kept_rank"])
    assert sorted(path.name for path in (out / "candidates").iterdir()) == sorted(name for _, name in kept)
    stability = _rows(out / "stability.csv")
    layer = gpd.read_file(out / "practices.geojson")
    practices_count = len(_rows(practices))
    assert len(stability) == len(layer) == practices_count
    assert {"stability", "swing", "group"} <= set(layer.columns)
    consensus = next(row["candidate"] for row in members if row["is_consensus"] == "True")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ensemble"]["consensus"] == consensus and summary["ensemble"]["members"] == 6
    willing = sum(row["willing"] == "yes" for row in _rows(practices)) if "willing" in _rows(practices)[0] else None
    assert 0 < len(_rows(out / "consensus_groups.csv")) <= practices_count
    if willing is not None:
        assert len(_rows(out / "consensus_groups.csv")) == willing


@pytest.mark.parametrize("args, message", [
    (["sweep", "--weights", "0,1.5"], "--weights: every weight must lie between 0 and 1"),
    (["sweep", "--weights", "0,half"], "--weights: is a comma-separated list"),
    (["ensemble", "--members", "0"], "--members: must be from 1"),
    (["ensemble", "--keep", "0"], "--keep: must be at least 1"),
    (["ensemble", "--scheduler", "tcp://127.0.0.1:9"], "--scheduler: cannot reach the Dask scheduler"),
])
def test_bad_requests_exit_2_quickly_with_one_line_and_nothing_written(county, tmp_path, args, message):
    if "--scheduler" in args:
        pytest.importorskip("distributed", reason="the dask extra is not installed")
    practices, relations = county
    out = tmp_path / "never"
    started = time.perf_counter()
    result = _run(args[0], practices, "--relations", relations, *args[1:], "--out", out)
    assert result.exit_code == 2, result.output
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output
    assert not out.exists() and not list(tmp_path.glob(".never*"))
    assert time.perf_counter() - started < 15


def test_a_sweep_without_relations_says_what_it_needs(county, tmp_path):
    practices, _ = county
    result = _run("sweep", practices, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "give --relations or --alignment-from" in result.stderr
