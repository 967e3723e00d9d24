"""``clusterkit group`` and ``clusterkit demo`` end to end: outputs, exit codes, messages; once on real data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from tests.grouping_checks import TWO_TOWNS_OBJECTIVE, two_towns

from cli import main
from clusterkit.errors import InputError
from clusterkit.heuristic.effort import EFFORTS
from clusterkit.metrics.grouping import moved_practices
from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata import read_practice_list, write_practices_csv, write_relations_csv
from geodata.write.grouping import GROUPS_TABLE_COLUMNS

def outputs(*layers: str) -> list[str]:
    """A grouping's output set in writing order, with the layers a run may have (``links``, ``moves``)."""
    names = ["groups.csv", "groups_table.csv"]
    for layer in ("practices", "groups", *(name for name in ("links", "moves") if name in layers)):
        names += [f"{layer}.geojson", f"{layer}.qml"]
    return [*names, "clusterkit.gpkg", "map.png", "map.html", "report.md", "summary.json"]


#: The two towns have no relations and no current group: no links, no moves.
OUTPUTS = outputs()


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The synthetic county (seed 1) as a practices CSV and a relations CSV."""
    folder = tmp_path_factory.mktemp("county")
    graph = synthetic_county(seed=1)
    return (write_practices_csv(folder / "practices.csv", graph),
            write_relations_csv(folder / "relations.csv", synthetic_relations(graph, seed=1)))


@pytest.fixture(scope="module")
def towns(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The two towns of :func:`grouping_checks.two_towns` as a practices CSV."""
    return write_practices_csv(tmp_path_factory.mktemp("towns") / "towns.csv", two_towns())


def _run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _table(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _summary(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


def assert_one_line_error(result: Result, *parts: str) -> None:
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusterkit: error: "), result.stderr
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------- success
def test_group_writes_its_output_set(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, relations = county
    out = tmp_path / "out"
    result = _run("group", practices, "--relations", relations, "--seed", "2", "--workers", "1", "--out", out)
    assert result.exit_code == 0, result.output
    written = outputs("links", "moves")
    assert sorted(p.name for p in out.iterdir()) == sorted(written)
    lines = result.stdout.splitlines()
    assert lines[0] == "status:      feasible (heuristic: optimality not proven)"
    assert f"wrote {', '.join(written)} to {out}" in lines
    assert any(line.startswith("moved:") for line in lines) and any(line.startswith("unwilling:") for line in lines)

    rows = _table(practices)
    willing = {row["practice_code"] for row in rows if row["willing"] == "yes"}
    groups = {row["practice_code"]: row["group"] for row in _table(out / "groups.csv")}
    assert set(groups) == willing and all(groups.values())

    table = _table(out / "groups_table.csv")
    assert tuple(table[0]) == GROUPS_TABLE_COLUMNS
    assert {row["group"] for row in table} == set(groups.values())
    assert sum(int(row["population"]) for row in table) == sum(int(r["list_size"]) for r in rows
                                                              if r["practice_code"] in willing)
    assert all(row["in_band"] == "True" or row["flagged"] == "True" for row in table)
    assert all(row["connected"] == "True" for row in table)

    frame = gpd.read_file(out / "practices.geojson", engine="pyogrio")
    assert "group" in frame.columns and len(frame) == len(rows)
    by_code = dict(zip(frame["practice_code"], frame["group"]))
    assert all(by_code[code] == group for code, group in groups.items())
    assert all(gpd.pd.isna(by_code[row["practice_code"]]) for row in rows if row["willing"] == "no")

    summary = _summary(out)
    for key in ("status", "objective", "bound", "gap", "seconds", "seed", "method", "solver", "parameters",
                "metrics", "inputs"):
        assert key in summary
    assert (summary["status"], summary["bound"], summary["gap"], summary["seed"]) == ("FEASIBLE", None, None, 2)
    assert summary["exit_code"] == 0 and summary["unmet"] is None
    assert set(summary["inputs"]) == {str(practices), str(relations)}
    assert all(len(digest) == 64 for digest in summary["inputs"].values())
    assert summary["metrics"]["groups"] == len(table)
    assert summary["parameters"]["band"] == "30000:50000"


def test_group_is_reproducible_for_a_seed(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    first, second = tmp_path / "a", tmp_path / "b"
    assert _run("group", practices, "--seed", "4", "--within", "sub_icb", "--out", first).exit_code == 0
    assert _run("group", practices, "--seed", "4", "--within", "sub_icb", "--workers", "2", "--out",
                second).exit_code == 0
    assert (first / "groups.csv").read_text() == (second / "groups.csv").read_text()
    table = _table(first / "groups_table.csv")
    assert all(";" not in row["sub_icbs"] for row in table)  # --within sub_icb: no group crosses


def test_effort_levels_are_recorded_and_quick_is_feasible(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    for effort, restarts, oscillate in (("quick", 4, 0), ("standard", EFFORTS["standard"].restarts,
                                                         EFFORTS["standard"].oscillate)):
        out = tmp_path / effort
        assert _run("group", practices, "--effort", effort, "--out", out).exit_code == 0
        summary = json.loads((out / "summary.json").read_text())
        assert summary["status"] == "FEASIBLE"
        assert summary["parameters"]["restarts"] == restarts and summary["parameters"]["oscillate"] == oscillate
    out = tmp_path / "restarts"
    assert _run("group", practices, "--effort", "quick", "--restarts", "2", "--out", out).exit_code == 0
    assert json.loads((out / "summary.json").read_text())["parameters"]["restarts"] == 2


def test_exact_method_proves_the_two_towns_optimum(towns: Path, tmp_path: Path) -> None:
    out = tmp_path / "exact"
    result = _run("group", towns, "--method", "exact", "--time-limit", "20", "--out", out)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("status:      optimal (proven by highs): objective 0.9167, bound 0.9167, gap 0.00%")
    summary = _summary(out)
    assert (summary["status"], summary["method"], summary["solver"], summary["proven_optimal"]) == (
        "OPTIMAL", "exact", "highs", True)
    assert summary["objective"] == pytest.approx(TWO_TOWNS_OBJECTIVE, rel=1e-4)  # lat/lon in 6 decimals
    assert summary["bound"] == pytest.approx(summary["objective"], abs=1e-6)
    assert summary["gap"] == pytest.approx(0.0, abs=1e-6)
    assert sorted(row["centre"] for row in _table(out / "groups_table.csv")) == ["A2", "B2"]


def test_hubs_current_grouping_and_band_waivers(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    rows = _table(practices)
    in_x2b = [row for row in rows if row["sub_icb_code"] == "X2B" and row["willing"] == "yes"]
    hubs = tmp_path / "hubs.txt"
    hubs.write_text(f"{in_x2b[0]['practice_code']}\n{in_x2b[-1]['practice_code'].lower()}\n", encoding="utf-8")
    current = tmp_path / "current.csv"
    old = {row["practice_code"]: "OLD1" if k % 3 else "OLD2" for k, row in enumerate(in_x2b)}
    current.write_text("practice_code,group\n" + "".join(f"{code},{group}\n" for code, group in old.items()),
                       encoding="utf-8")
    out = tmp_path / "hubs"
    result = _run("group", practices, "--sub-icb", "X2B", "--centres", hubs, "--current", current,
                  "--band-for", "x2b=20000:200000", "--out", out)
    assert result.exit_code == 0, result.output
    table = _table(out / "groups_table.csv")
    assert sorted(row["centre"] for row in table) == sorted([in_x2b[0]["practice_code"], in_x2b[-1]["practice_code"]])
    assert {row["band"] for row in table} == {"20000:200000"}
    summary = _summary(out)
    assert summary["parameters"]["centres"] == sorted(row["centre"] for row in table)
    assert summary["parameters"]["current"] == f"{len(in_x2b)} practices"
    # moved against --current, not against the file's pcn_code column
    groups = {row["practice_code"]: row["group"] for row in _table(out / "groups.csv")}
    assert summary["metrics"]["moved_practices"] == len(moved_practices(groups, old)) > 0


# ---------------------------------------------------------------------------------------------- exit 1
def test_soft_band_with_groups_outside_exits_1_with_outputs(towns: Path, tmp_path: Path) -> None:
    out = tmp_path / "soft"
    result = _run("group", towns, "--band", "40000:50000", "--soft", "--out", out)
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)
    assert result.stderr.startswith("clusterkit: ") and "outside the band (soft mode)" in result.stderr
    assert len(result.stderr.splitlines()) == 1
    summary = _summary(out)
    assert summary["exit_code"] == 1 and summary["status"] == "FEASIBLE"
    assert summary["metrics"]["in_band"] < summary["metrics"]["groups"]


def test_no_grouping_found_exits_1_with_outputs(towns: Path, tmp_path: Path) -> None:
    # one group of all six fits the band but spans 25 km: the diameter rule cannot be met (not proven)
    out = tmp_path / "none"
    result = _run("group", towns, "--band", "60000:80000", "--max-diameter-km", "5", "--out", out)
    assert result.exit_code == 1, result.output
    assert "no grouping meeting every hard rule found" in result.stdout
    assert "not proven impossible" in result.stderr
    assert _summary(out)["status"] == "NO_SOLUTION"
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUTS)


def test_best_effort_groups_softly_and_exits_1(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    out = tmp_path / "best"
    result = _run("group", practices, "--sub-icb", "X1A", "--band", "900000:1000000", "--best-effort", "--out", out)
    assert result.exit_code == 1, result.output
    assert "below the lower bound 900,000" in result.stderr and "--best-effort" in result.stderr
    summary = _summary(out)
    assert summary["parameters"]["soft"] is True and "below the lower bound" in summary["best_effort"]
    assert summary["exit_code"] == 1


# ---------------------------------------------------------------------------------------------- exit 3 and 2
def test_infeasible_request_exits_3_and_writes_nothing(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    out = tmp_path / "never"
    result = _run("group", practices, "--sub-icb", "X1A", "--band", "900000:1000000", "--out", out)
    assert result.exit_code == 3, result.output
    assert result.stderr.startswith("clusterkit: error: no grouping can meet the rules: ")
    assert "patients in total, below the lower bound 900,000" in result.stderr
    assert "Traceback" not in result.output and result.stdout == ""
    assert not out.exists()
    existing = tmp_path / "existing"
    existing.mkdir()
    assert _run("group", practices, "--sub-icb", "X1A", "--band", "900k:1000k", "--out", existing).exit_code == 3
    assert existing.is_dir() and not any(existing.iterdir())  # a folder the user made is left alone


BAD_OPTIONS = [
    (["--band", "50000:30000"], ["--band", "lower bound exceeds its upper bound", "'50000:30000'"]),
    (["--band", "lots"], ["--band", "a band is written lower:upper"]),
    (["--weight", "1.5"], ["--weight", "between 0 and 1", "1.5"]),
    (["--icb", "QXX"], ["--icb", "ICB code 'QXX' selects no practice", "QZZ"]),
    (["--sub-icb", "99Z"], ["--sub-icb", "'99Z' selects no practice", "X1A"]),
    (["--band-for", "11N"], ["--band-for", "AREA=LOWER:UPPER", "'11N'"]),
    (["--band-for", "=20000:50000"], ["--band-for", "AREA=LOWER:UPPER"]),
    (["--band-for", "X1A=50k:20k"], ["--band-for X1A", "lower bound exceeds"]),
    (["--band-for", "11N=20000:50000"], ["--band-for", "area 11N is no sub-ICB or ICB", "X1A"]),
    (["--band-for", "X1A=20k:50k", "--band-for", "x1a=25k:50k"], ["--band-for", "gives area X1A a band twice"]),
    (["--penalty", "-1"], ["--penalty", "must not be negative"]),
    (["--max-diameter-km", "0"], ["--max-diameter-km", "must be positive"]),
    (["--count", "0"], ["--count", "at least 1"]),
    (["--restarts", "0"], ["--restarts", "at least 1"]),
    (["--effort", "heroic"], ["--effort", "'heroic'", "quick"]),
    (["--workers", "0"], ["--workers", "at least 1"]),
    (["--time-limit", "0"], ["--time-limit", "positive"]),
    (["--gap", "2"], ["--gap", "[0, 1)"]),
    (["--current", "missing.csv"], ["missing.csv", "no such file"]),
    (["--method", "exact", "--move-penalty", "1"], ["--method exact", "--move-penalty", "heuristic only"]),
]


@pytest.mark.parametrize("options, parts", BAD_OPTIONS, ids=[" ".join(o) for o, _ in BAD_OPTIONS])
def test_bad_options_exit_2_with_one_line(county: tuple[Path, Path], tmp_path: Path, options: list[str],
                                          parts: list[str]) -> None:
    practices, _ = county
    out = tmp_path / "out"
    result = _run("group", practices, *[str(tmp_path / o) if o.endswith(".csv") else o for o in options],
                  "--out", out)
    assert_one_line_error(result, *parts)
    assert not out.exists(), "a usage error must not create the output folder"


def test_bad_centres_file_names_file_row_column_value(county: tuple[Path, Path], tmp_path: Path) -> None:
    practices, _ = county
    hubs = tmp_path / "hubs.csv"
    hubs.write_text("practice_code,note\nX00001,main\nQ99999,typo\n", encoding="utf-8")
    result = _run("group", practices, "--centres", hubs, "--out", tmp_path / "out")
    assert_one_line_error(result, f"{hubs}, row 3, column 'practice_code'", "not in the practices file", "'Q99999'")
    twice = tmp_path / "twice.txt"
    twice.write_text("X00001\nX00002\nx00001\n", encoding="utf-8")
    result = _run("group", practices, "--centres", twice, "--out", tmp_path / "out")
    assert_one_line_error(result, f"{twice}, row 3", "practice appears twice (first on row 1)")
    outside = tmp_path / "outside.txt"
    code = next(row["practice_code"] for row in _table(practices) if row["sub_icb_code"] == "X3C")
    outside.write_text(code + "\n", encoding="utf-8")
    result = _run("group", practices, "--sub-icb", "X1A", "--centres", outside, "--out", tmp_path / "out")
    assert_one_line_error(result, "not among the selected practices (--sub-icb X1A)", code)


def test_out_refuses_a_non_empty_folder_unless_overwrite(towns: Path, tmp_path: Path) -> None:
    out = tmp_path / "full"
    out.mkdir()
    (out / "keep.txt").write_text("mine", encoding="utf-8")
    assert_one_line_error(_run("group", towns, "--out", out), "not empty", "--overwrite")
    assert sorted(p.name for p in out.iterdir()) == ["keep.txt"]
    result = _run("group", towns, "--out", out, "--overwrite")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(["keep.txt", *OUTPUTS])


def test_unknown_choice_is_a_usage_error(towns: Path, tmp_path: Path) -> None:
    result = _run("group", towns, "--objective", "fastest", "--out", tmp_path / "out")
    assert result.exit_code == 2 and "'fastest' is not one of" in result.stderr
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------- reader
def test_read_practice_list_forms(tmp_path: Path) -> None:
    graph = two_towns()
    forms = {
        "column.csv": "practice_code,why\nA1,hub\nb2,hub\n",
        "lines.txt": "A1\nb2\n\n",
        "one.txt": "B2\n",
        "code.csv": "code\nB2\n",
    }
    expected = {"column.csv": ("A1", "B2"), "lines.txt": ("A1", "B2"), "one.txt": ("B2",), "code.csv": ("B2",)}
    for name, text in forms.items():
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        assert read_practice_list(path, graph) == expected[name], name
    header_only = tmp_path / "header.csv"
    header_only.write_text("practice_code\n", encoding="utf-8")
    with pytest.raises(InputError, match="has a header but no practice codes"):
        read_practice_list(header_only, graph)
    no_column = tmp_path / "wide.csv"
    no_column.write_text("name,size\nA1,3\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column 'practice_code'"):
        read_practice_list(no_column, graph)
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("A1\nZ9\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_practice_list(unknown, graph)
    assert (caught.value.row, caught.value.column, caught.value.value) == (2, "practice_code", "Z9")


# ---------------------------------------------------------------------------------------------- demo, real data
def test_demo_groups_the_synthetic_county(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = _run("demo", "--out", out, "--seed", "3")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(["county_practices.csv", "county_relations.csv",
                                                            *outputs("links", "moves")])
    assert "status:      feasible (heuristic: optimality not proven)" in result.stdout
    assert f"to {out}" in result.stdout.splitlines()[-1]
    summary = _summary(out)
    assert (summary["command"], summary["seed"], summary["method"], summary["status"]) == ("demo", 3, "heuristic",
                                                                                          "FEASIBLE")
    assert summary["county"]["practices"] == len(_table(out / "county_practices.csv"))
    assert set(summary["inputs"]) == {str(out / "county_practices.csv"), str(out / "county_relations.csv")}
    table = _table(out / "groups_table.csv")
    assert all(row["connected"] == "True" and (row["in_band"] == "True" or row["flagged"] == "True")
               for row in table)
    frame = gpd.read_file(out / "practices.geojson", engine="pyogrio")
    assert set(frame["group"].dropna()) == {row["group"] for row in table}


def test_real_sub_icb_00t_is_grouped_in_band_and_connected(nhs_practices_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "00T"
    result = _run("group", nhs_practices_csv, "--sub-icb", "00T", "--out", out)
    assert result.exit_code == 0, result.output
    table = _table(out / "groups_table.csv")
    assert 7 <= len(table) <= 11  # 333,886 patients in groups of 30-50k
    assert all(row["in_band"] == "True" and row["connected"] == "True" for row in table)
    assert sum(int(row["population"]) for row in table) == 333_886
    summary = _summary(out)
    assert summary["metrics"]["in_band_share"] == 1.0 and summary["metrics"]["connected_share"] == 1.0
    # better than today's PCNs (1.041 km), not better than the p-median bound without contiguity (0.707 km)
    assert 0.70 <= summary["metrics"]["weighted_km"] < 1.041
    assert "100% in band 30000:50000, 100% connected" in result.stdout
