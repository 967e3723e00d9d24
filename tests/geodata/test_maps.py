"""map.png, map.html and report.md of every command that draws (group, demo, evaluate, tiers, compare,
budgets); the palette that keeps neighbouring groups apart; --no-maps."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.synthetic import synthetic_county
from geodata.polygons import group_polygons
from geodata.write.report import band_compliance
from geodata.write.styling import OGL, attribution, group_adjacency, group_colours
from tests.budgets.test_budgets_io import SEEDS


def _run(*args: str | Path) -> None:
    result = CliRunner().invoke(main, [str(arg) for arg in args])
    assert result.exit_code == 0, result.output


def _table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def assert_a_map_picture(path: Path) -> None:
    """A PNG that reads back, of a readable size, not one flat colour."""
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    picture = matplotlib.image.imread(path)
    height, width = picture.shape[:2]
    assert width >= 1000 and height >= 600, picture.shape
    assert float(np.std(picture[..., :3])) > 0.05


def assert_an_offline_web_map(path: Path) -> str:
    """An HTML page with Leaflet inside it and no script or style fetched from elsewhere."""
    text = path.read_text(encoding="utf-8")
    assert "L.map(" in text and 'L.version="1.9.3"' in text.replace("t.version", "L.version")
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=", text), "nothing is loaded from a CDN"
    return text


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("demo") / "out"
    _run("demo", "--out", out, "--seed", "1")
    return out


# ---------------------------------------------------------------------------------------------- group and demo
def test_the_demo_draws_a_map_picture(demo: Path) -> None:
    assert_a_map_picture(demo / "map.png")


def popup_figures(text: str) -> dict[str, dict]:
    """The properties of every group polygon of a web map, by group."""
    found = (json.loads(block) for block in re.findall(r"\{[^{}]*\}", text) if '"population"' in block)
    return {properties["group"]: properties for properties in found if "group" in properties}


def test_the_web_map_has_every_group_s_popup_figures(demo: Path) -> None:
    text = assert_an_offline_web_map(demo / "map.html")
    figures = popup_figures(text)
    for row in _table(demo / "groups_table.csv"):
        shown = figures[row["group"]]
        assert (shown["population"], shown["practices"]) == (int(row["population"]), int(row["practices"]))
        assert shown["in_band"] == ("yes" if row["in_band"] == "True" else "no")
        assert shown["weighted_km"] == round(float(row["weighted_km"]), 2)
    assert '"Patients"' in text and '"In band"' in text and '"Weighted km to centre"' in text


def test_the_report_has_a_row_per_group_band_compliance_solver_and_today_s_grouping(demo: Path) -> None:
    report = (demo / "report.md").read_text(encoding="utf-8")
    groups = [row["group"] for row in _table(demo / "groups_table.csv")]
    rows = [line for line in report.splitlines() if line.startswith("| G")]
    assert [line.split(" | ")[0].removeprefix("| ") for line in rows] == groups
    summary = json.loads((demo / "summary.json").read_text())
    compliance = re.search(r"^Band compliance: (\d+) of (\d+) groups", report, re.M)
    assert compliance and compliance.groups() == (str(summary["metrics"]["in_band"]), str(len(groups)))
    assert "| status | FEASIBLE (no bound: a heuristic proves nothing) |" in report
    assert "| gap | unknown |" in report and "## Parameters" in report
    assert "## current and proposed compared" in report and "adjusted Rand index" in report


def test_no_maps_writes_neither_picture_nor_web_map(tmp_path: Path) -> None:
    out = tmp_path / "out"
    _run("demo", "--out", out, "--no-maps")
    names = sorted(path.name for path in out.iterdir())
    assert "map.png" not in names and "map.html" not in names and "report.md" in names


def test_evaluate_draws_today_s_groups(demo: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["evaluate", str(demo / "county_practices.csv"), "current", "--out",
                                       str(tmp_path / "ev")])
    assert result.exit_code in (0, 1), result.output
    assert_a_map_picture(tmp_path / "ev" / "map.png")
    assert "Band compliance:" in (tmp_path / "ev" / "report.md").read_text()


# ---------------------------------------------------------------------------------------------- tiers, compare, budgets
def test_tiers_draw_a_panel_and_a_layer_per_tier(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiers"
    _run("tiers", demo / "county_practices.csv", "--effort", "quick", "--out", out)
    assert_a_map_picture(out / "map.png")
    text = assert_an_offline_web_map(out / "map.html")
    report = (out / "report.md").read_text()
    for tier in ("neighbourhood", "network", "federation"):
        assert f'"{tier} groups"' in text or f"{tier} groups" in text
        assert f"## {tier.capitalize()} (" in report
    assert report.count("Band compliance:") == 3


def test_compare_draws_the_practices_that_moved_and_both_outlines(demo: Path, tmp_path: Path) -> None:
    out = tmp_path / "cmp"
    _run("compare", demo / "county_practices.csv", "current", demo / "groups.csv", "--names", "today,proposed",
         "--out", out)
    assert_a_map_picture(out / "map.png")
    text = assert_an_offline_web_map(out / "map.html")
    moved = _table(out / "moves.csv")
    assert moved and all(f'"practice_code": "{row["practice_code"]}"' in text for row in moved)
    assert "practices that moved" in text and "outlines of today" in text
    report = (out / "report.md").read_text()
    assert "## today and proposed compared" in report and "today: Band compliance:" in report


def test_budgets_draw_the_holders_by_specialty(tmp_path: Path) -> None:
    out = tmp_path / "seeds"
    _run("budgets", *SEEDS, "--out", out)
    assert_a_map_picture(out / "map.png")
    text = assert_an_offline_web_map(out / "map.html")
    specialties = sorted({row["specialty"] for row in _table(out / "assignments.csv")})
    assert all(f"holders: {specialty}" in text for specialty in specialties)
    report = (out / "report.md").read_text()
    assert "## Holders by specialty" in report
    assert all(f"| {specialty} |" in report for specialty in specialties)


# ---------------------------------------------------------------------------------------------- styling, report parts
@pytest.mark.parametrize("seed", [1, 4])
def test_neighbouring_groups_never_share_a_colour(seed: int) -> None:
    graph = synthetic_county(seed=seed)
    labels = {code: f"P{int(x // 6000)}-{int(y // 6000)}" for code, (x, y) in zip(graph.codes, graph.xy)}
    areas = group_polygons(graph, labels)
    colours = group_colours(areas)
    adjacency = group_adjacency(areas)
    assert adjacency.number_of_edges() > 0
    assert all(colours[a] != colours[b] for a, b in adjacency.edges)
    assert group_colours(areas) == colours


def test_real_practices_carry_the_open_government_licence_and_synthetic_ones_say_so(tiny_graph) -> None:
    assert attribution(tiny_graph).startswith(OGL) and "Office for National Statistics" in attribution(tiny_graph)
    assert attribution(synthetic_county(seed=1)).startswith("Synthetic practices")


def test_band_compliance_counts_the_groups_in_band_and_connected() -> None:
    from types import SimpleNamespace as Row

    rows = (Row(band="30000:50000", in_band=True, flagged=False), Row(band="20000:50000", in_band=False, flagged=False))
    line = band_compliance(Row(groups=2, in_band=1, in_band_share=0.5, connected=1, rows=rows))
    assert line == ("Band compliance: 1 of 2 groups (50%) within their band (20,000–50,000, 30,000–50,000); "
                    "1 of 2 connected.")
