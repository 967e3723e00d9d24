"""The command line: --version, --help, validate, demo, error reporting; once as a real subprocess."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

import click
import geopandas as gpd
import pytest
from click.testing import CliRunner, Result
from tests.conftest import PreparedCase

from clusterkit import __version__
from cli import main


def assert_input_error(result: Result, *parts: str) -> str:
    """Exit code 2, exactly one stderr line starting 'clusterkit: error:' holding every part, no traceback."""
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("clusterkit: error: ")
    for part in parts:
        assert part in lines[0]
    assert "Traceback" not in result.output
    assert result.stdout == ""
    return lines[0]


# ---------------------------------------------------------------------------------------------- version, help
def test_version(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"clusterkit, version {__version__}\n"


def test_help_lists_commands_and_examples(runner: CliRunner) -> None:
    result = runner.invoke(main, ["--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.stdout
    for name in ("validate", "demo"):
        assert name in result.stdout


@pytest.mark.parametrize("name", sorted(main.commands))
def test_every_command_has_help_with_examples(runner: CliRunner, name: str) -> None:
    result = runner.invoke(main, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Examples:" in result.stdout
    assert f"clusterkit {name}" in result.stdout.split("Examples:", 1)[1]


def test_usage_error_exits_2_without_traceback(runner: CliRunner) -> None:
    result = runner.invoke(main, ["validate", "--no-such-option"])
    assert result.exit_code == 2
    assert "No such option '--no-such-option'" in result.stderr
    assert "Traceback" not in result.output


# ---------------------------------------------------------------------------------------------- validate
def test_validate_prints_a_summary(runner: CliRunner, tiny_csv: Path) -> None:
    result = runner.invoke(main, ["validate", str(tiny_csv)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"source:      {tiny_csv}"
    assert "practices:   5" in lines
    assert "population:  34,000" in lines
    assert "areas:       2 ICB(s), 3 sub-ICB(s), 3 current group(s)" in lines
    assert "list size:   min 3,000, p10 3,400, p25 4,000, median 6,000, p75 9,000, p90 10,800, max 12,000" in lines
    assert "no current group: 1 (E5)" in lines
    assert lines[-1] == "ok"


def test_validate_selection_relations_and_grouping_as_json(runner: CliRunner, tiny_csv: Path, write_file) -> None:
    relations = write_file("rel.csv", "a,b,kind,value\nA1,B2,alignment,0.9\nA1,B2,shared_staff:nurse,1\n"
                                      "A1,D4,must_link,\n")
    groups = write_file("groups.csv", "practice_code,group\nA1,G1\nB2,G1\n")
    result = runner.invoke(main, ["validate", str(tiny_csv), "--icb", "qop", "--sub-icb", "00T", "--sub-icb", "00V",
                                  "--relations", str(relations), "--groups", str(groups), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["practices"], summary["population"]) == (3, 27_000)
    assert summary["relations"] == {"adjacency": 3, "alignment": 1, "shared_staff": 1, "must_link": 0,
                                    "cannot_link": 0}
    assert summary["grouping"] == {"practices": 2, "groups": 1, "not_covered": 1}
    assert summary["without_current_group"] == []


def test_validate_maps_other_column_names(runner: CliRunner, write_file) -> None:
    path = write_file("mine.csv", "ODS,Y,X,Patients\nA1,53.48,-2.24,100\nB2,53.49,-2.25,200\n")
    result = runner.invoke(main, ["validate", str(path), "--code-col", "ODS", "--lat-col", "Y", "--lon-col", "X"])
    assert result.exit_code == 0, result.output
    assert "practices:   2" in result.stdout and "population:  300" in result.stdout


def test_bad_input_is_one_line_and_exit_2(runner: CliRunner, bad_case: PreparedCase) -> None:
    case = bad_case.case
    parts = [case.culprit, case.fragment]
    if case.row is not None:
        parts.append(f"row {case.row}" if not case.practices.endswith("geojson") else f"feature {case.row}")
    if case.column is not None:
        parts.append(f"column '{case.column}'")
    if case.value is not None:
        parts.append(f"(got {case.value!r})")
    assert_input_error(runner.invoke(main, bad_case.cli_args()), *parts)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--max-edge-km", "-3"], "adjacency edge (--max-edge-km) must be a positive number of km (got -3.0)"),
        (["--funding-per-patient", "-5"], "funding per patient must be a non-negative number (got -5.0)"),
        (["--encoding", "klingon"], "--encoding: unknown text encoding 'klingon'"),
        (["--code-col", "ods"], "row 1: has no column 'ods' (given with --code-col); columns are: practice_code"),
    ],
)
def test_bad_option_values_are_one_line(runner: CliRunner, tiny_csv: Path, option, message) -> None:
    assert_input_error(runner.invoke(main, ["validate", str(tiny_csv), *option]), message)


def test_unexpected_failure_is_one_line_exit_1(runner: CliRunner, tiny_csv: Path, monkeypatch) -> None:
    import clusterkit.model.describe

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(clusterkit.model.describe, "describe", broken)
    result = runner.invoke(main, ["validate", str(tiny_csv)])
    assert result.exit_code == 1
    assert result.stderr == ("clusterkit: internal error: ZeroDivisionError: division by zero "
                             "(run with -vv for details)\n")
    debug = runner.invoke(main, ["-vv", "validate", str(tiny_csv)])
    assert isinstance(debug.exception, ZeroDivisionError)  # -vv keeps the traceback for a bug report


# ---------------------------------------------------------------------------------------------- demo
def test_demo_writes_outputs_that_read_back(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(main, ["demo", "--out", str(out), "--seed", "3"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "county_practices.csv", "county_relations.csv", "groups.csv", "groups_table.csv", "practices.geojson",
        "practices.qml", "groups.geojson", "groups.qml", "links.geojson", "links.qml", "moves.geojson", "moves.qml",
        "clusterkit.gpkg", "map.png", "map.html", "report.md", "summary.json"])
    assert f"{out}" in result.stdout
    with open(out / "county_practices.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    frame = gpd.read_file(out / "practices.geojson", engine="pyogrio")
    assert frame["practice_code"].tolist() == [row["practice_code"] for row in rows]
    assert frame["list_size"].tolist() == [int(row["list_size"]) for row in rows]
    assert frame["practice_name"].tolist() == [row["practice_name"] for row in rows]
    assert frame["current_group"].tolist() == [row["pcn_code"] for row in rows]
    assert frame["willing"].tolist() == [row["willing"] == "yes" for row in rows]
    assert frame["philosophy_innovation"].tolist() == pytest.approx([float(r["philosophy_innovation"]) for r in rows])
    assert frame.geometry.y.tolist() == pytest.approx([float(row["lat"]) for row in rows], abs=1e-9)
    assert "crs" not in json.loads((out / "practices.geojson").read_text())
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["clusterkit_version"], summary["command"], summary["seed"]) == (__version__, "demo", 3)
    assert summary["county"]["practices"] == len(rows)
    assert summary["status"] == "FEASIBLE"
    with open(out / "groups.csv", newline="") as stream:
        groups = {r["practice_code"]: r["group"] for r in csv.DictReader(stream)}
    # the proposed grouping: every willing practice in exactly one group, the unwilling in none
    willing = {row["practice_code"] for row in rows if row["willing"] == "yes"}
    assert set(groups) == willing
    assert frame.set_index("practice_code")["group"].dropna().to_dict() == groups
    with open(out / "groups_table.csv", newline="") as stream:
        table = list(csv.DictReader(stream))
    assert sum(int(r["practices"]) for r in table) == len(willing)
    assert all(r["in_band"] == "True" and r["connected"] == "True" for r in table)


def test_demo_refuses_a_non_empty_folder_unless_overwrite(runner: CliRunner, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert_input_error(runner.invoke(main, ["demo", "--out", str(out)]), str(out), "is not empty", "--overwrite")
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    result = runner.invoke(main, ["demo", "--out", str(out), "--overwrite"])
    assert result.exit_code == 0, result.output
    assert (out / "practices.geojson").is_file() and (out / "keep.txt").read_text() == "mine"


def test_demo_out_must_be_a_folder(runner: CliRunner, write_file) -> None:
    path = write_file("file.txt", "x")
    assert_input_error(runner.invoke(main, ["demo", "--out", str(path), "--overwrite"]), "exists and is not a folder")


def test_demo_is_reproducible(runner: CliRunner, tmp_path: Path) -> None:
    for name in ("one", "two"):
        assert runner.invoke(main, ["-q", "demo", "--out", str(tmp_path / name), "--seed", "5"]).exit_code == 0
    for name in ("practices.geojson", "groups.csv", "county_relations.csv"):
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()


# ---------------------------------------------------------------------------------------------- real data
def test_validate_all_of_england(runner: CliRunner, nhs_practices_csv: Path) -> None:
    result = runner.invoke(main, ["validate", str(nhs_practices_csv), "--format", "json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["practices"] == 6_129
    assert len(summary["without_current_group"]) == 52
    assert (summary["icbs"], summary["sub_icbs"]) == (36, 106)


def test_validate_one_icb_against_todays_pcns(runner: CliRunner, nhs_practices_csv: Path) -> None:
    # the NHS file doubles as a grouping (practice_code, pcn_code) of all England, checked against one ICB
    result = runner.invoke(main, ["validate", str(nhs_practices_csv), "--icb", "QOP",
                                  "--groups", str(nhs_practices_csv)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert "practices:   406" in lines
    assert "no current group: 1 (Y07697)" in lines
    assert "grouping:    405 practices in 65 groups; 1 not covered" in lines


# ---------------------------------------------------------------------------------------------- a real process
def _console_script() -> str:
    found = Path(sys.executable).parent / "clusterkit"
    if found.is_file():
        return str(found)
    on_path = shutil.which("clusterkit")
    if on_path is None:
        pytest.skip("the clusterkit console script is not installed")
    return on_path


def test_console_script_in_a_real_process(tiny_csv: Path, tmp_path: Path) -> None:
    script = _console_script()
    version = subprocess.run([script, "--version"], capture_output=True, text=True, timeout=60)
    assert (version.returncode, version.stdout) == (0, f"clusterkit, version {__version__}\n")
    good = subprocess.run([script, "validate", str(tiny_csv), "--icb", "QE1"], capture_output=True, text=True,
                          timeout=60)
    assert good.returncode == 0, good.stderr
    assert "practices:   2" in good.stdout and good.stdout.endswith("ok\n")
    bad = tmp_path / "bad.csv"
    bad.write_text("practice_code,lat,lon,list_size\nA1,53.48,-2.24,-7\n")
    failed = subprocess.run([script, "validate", str(bad)], capture_output=True, text=True, timeout=60)
    assert failed.returncode == 2
    assert failed.stdout == ""
    assert failed.stderr == (f"clusterkit: error: {bad}, row 2, column 'list_size': list size is negative "
                             f"(got '-7')\n")


def test_cli_module_is_a_click_group() -> None:
    assert isinstance(main, click.Group)


def test_bad_input_to_group_leaves_out_as_it_was(runner: CliRunner, bad_case: PreparedCase, tmp_path: Path) -> None:
    """The corpus again through `group --overwrite` into a folder holding a previous run: one line, exit 2, and
    --out exactly as it was, with nothing left beside it."""
    case = bad_case.case
    folder = tmp_path / "runs"
    out = folder / "out"
    out.mkdir(parents=True)
    (out / "groups.csv").write_text("previous")
    args = ["group" if arg == "validate" else ("--current" if arg == "--groups" else arg) for arg in bad_case.cli_args()]
    result = runner.invoke(main, [*args, "--overwrite", "--out", str(out)])
    assert_input_error(result, case.culprit, case.fragment)
    assert {p.name: p.read_text() for p in out.iterdir()} == {"groups.csv": "previous"}
    assert [p.name for p in folder.iterdir()] == ["out"]
