"""`evaluate` scores any grouping with group's columns and keys; `compare` sets two side by side."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata import write_practices_csv, write_relations_csv


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The synthetic county, its relations, and a grouping of it made by `group`."""
    folder = tmp_path_factory.mktemp("county")
    graph = synthetic_county(seed=2)
    practices = write_practices_csv(folder / "practices.csv", graph)
    relations = write_relations_csv(folder / "relations.csv", synthetic_relations(graph, seed=2))
    result = CliRunner().invoke(main, ["group", str(practices), "--relations", str(relations), "--out",
                                       str(folder / "made")])
    assert result.exit_code == 0, result.output
    return practices, relations, folder / "made"


def _run(*args):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def test_evaluating_our_own_grouping_matches_what_group_wrote(county, tmp_path: Path) -> None:
    practices, relations, made = county
    result = _run("evaluate", practices, made / "groups.csv", "--relations", relations, "--out", tmp_path / "ev")
    assert result.exit_code == 0, result.output
    assert "every group meets the band and is connected" in result.stdout
    with open(made / "groups_table.csv") as a, open(tmp_path / "ev" / "groups_table.csv") as b:
        ours, theirs = list(csv.DictReader(a)), list(csv.DictReader(b))
    assert ours == theirs, "the same columns and the same figures as group's own table"
    made_summary = json.loads((made / "summary.json").read_text())
    summary = json.loads((tmp_path / "ev" / "summary.json").read_text())
    assert set(made_summary) == set(summary) and summary["command"] == "evaluate"
    assert summary["metrics"] == made_summary["metrics"]
    assert summary["objective"] == pytest.approx(made_summary["metrics"]["weighted_km"])
    assert set(gpd.read_file(tmp_path / "ev" / "practices.geojson")["group"].dropna()) == {r["group"] for r in ours}


def test_today_s_groups_that_break_the_rules_exit_1_naming_them(county, tmp_path: Path) -> None:
    practices, relations, _ = county
    result = _run("evaluate", practices, "current", "--out", tmp_path / "pcns")
    assert result.exit_code == 1, result.output
    assert "groups lie outside the band" in result.stderr
    summary = json.loads((tmp_path / "pcns" / "summary.json").read_text())
    assert summary["exit_code"] == 1 and summary["status"] == "NO_SOLUTION" and summary["unmet"]
    written = {path.name for path in (tmp_path / "pcns").iterdir()}
    assert "groups.geojson" in written and "moves.geojson" not in written  # today's grouping moves nobody


def test_a_grouping_file_that_misses_practices_is_bad_input(county, tmp_path: Path) -> None:
    practices, _, made = county
    partial = tmp_path / "partial.csv"
    rows = (made / "groups.csv").read_text().splitlines()
    partial.write_text("\n".join(rows[:-3]) + "\n")
    result = _run("evaluate", practices, partial, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "willing practice(s) of the selection in no group" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_compare_writes_the_board_table_moves_and_the_measures(county, tmp_path: Path) -> None:
    practices, relations, made = county
    out = tmp_path / "cmp"
    result = _run("compare", practices, "current", made / "groups.csv", "--relations", relations,
                  "--names", "today,proposed", "--out", out)
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["clusterkit.gpkg", "comparison.json", "comparison.md",
                                                     "map.html", "map.png", "moves.csv", "moves.geojson", "moves.qml",
                                                     "report.md", "summary.json"]
    document = json.loads((out / "comparison.json").read_text())
    assert set(document) >= {"ari", "nmi", "vi", "moved", "metrics"} and set(document["metrics"]) == {"today",
                                                                                                   "proposed"}
    with open(out / "moves.csv") as stream:
        moves = list(csv.DictReader(stream))
    assert len(moves) == document["moved"] > 0 and set(moves[0]) == {"practice_code", "list_size", "group_today",
                                                                       "group_proposed"}
    moved = gpd.read_file(out / "moves.geojson")
    assert sorted(moved["practice_code"]) == sorted(row["practice_code"] for row in moves)
    assert "| groups in band |" in (out / "comparison.md").read_text()
    same = _run("compare", practices, made / "groups.csv", made / "groups.csv", "--out", tmp_path / "same")
    assert "ARI 1.000, NMI 1.000, VI 0.000" in same.stdout and "moved:       0 practices" in same.stdout


def test_compare_names_must_be_two_different_ones(county, tmp_path: Path) -> None:
    practices, _, made = county
    result = _run("compare", practices, "current", made / "groups.csv", "--names", "same,same", "--out", tmp_path / "x")
    assert result.exit_code == 2 and "--names" in result.stderr and not (tmp_path / "x").exists()
