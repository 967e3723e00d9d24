"""Specialty budget files and the ``clusterkit budgets`` command: readers, writers, exit codes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.budgets.problem import Specialty
from clusterkit.errors import InputError
from geodata.read.budgets import read_consortia, read_preferences, read_specialties
from geodata.read.relations import read_networks
from tests.budgets.test_budgets import EXAMPLES, graph_of, practice

SEEDS = [str(EXAMPLES / "seeds_practices.csv"), "--groups", str(EXAMPLES / "seeds_groups.csv"),
         "--specialties", str(EXAMPLES / "seeds_specialties.csv")]


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture()
def graph():
    return graph_of([practice("A1", 9_000, 0, 0, group="P1"), practice("B2", 6_000, 1, 0, group="P1"),
                     practice("C3", 4_000, 0, 1, group="P2"), practice("D4", 5_000, 1, 1, willing=False, group="P2")])


# ---------------------------------------------------------------------------------------- readers
def test_read_specialties_rates_budgets_and_overrides(tmp_path):
    path = write(tmp_path, "s.csv", "specialty,rate_per_1000,budget,network\nurology,13333.33,,\n"
                                    "ENT,,\"£600,000\",\nurology,,1200000,P2\n")
    assert read_specialties(path, networks={"P1", "P2"}) == (
        Specialty("urology", rate_per_1000=13333.33), Specialty("ENT", budget=600_000.0),
        Specialty("urology", budget=1_200_000.0, network="P2"))


@pytest.mark.parametrize("text, message", [
    ("specialty,budget\nurology,1000000\nENT,-5\n", "s.csv, row 3, column 'budget': is negative"),
    ("specialty,budget\nurology,1000000\nUrology,5\n", "s.csv, row 3, column 'specialty': specialty appears twice"),
    ("specialty,rate_per_1000,budget\nurology,1,2\n", "row 2, column 'rate_per_1000': give either"),
    ("specialty,budget\nurology,\n", "row 2, column 'budget': give either a rate per 1,000 patients or a budget, "
                                      "not neither"),
    ("specialty,budget\n,5\n", "row 2, column 'specialty': specialty is empty"),
    ("specialty,budget\nurology,lots\n", "row 2, column 'budget': is not an amount in £ (got 'lots')"),
    ("specialty,cost\nurology,5\n", "row 1: needs a column 'rate_per_1000'"),
    ("specialty,budget,network\nurology,5,P9\n",
     "row 2, column 'network': names a network that is not in the grouping"),
])
def test_read_specialties_names_the_bad_cell(tmp_path, text, message):
    path = write(tmp_path, "s.csv", text)
    with pytest.raises(InputError) as caught:
        read_specialties(path, networks={"P1", "P2"})
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_read_preferences_and_its_errors(tmp_path, graph):
    specialties = (Specialty("urology", budget=1.0), Specialty("ENT", budget=1.0))
    good = write(tmp_path, "p.csv", "practice_code,specialty,score\na1,Urology,2\nB2,ent,-1\n")
    assert read_preferences(good, graph, specialties) == (("A1", "urology", 2.0), ("B2", "ENT", -1.0))
    for text, message in (
        ("practice_code,specialty,score\nZZ9,urology,1\n", "row 2, column 'practice_code': names a practice"),
        ("practice_code,specialty,score\nA1,cardiology,1\n", "row 2, column 'specialty': names a specialty"),
        ("practice_code,specialty,score\nA1,urology,x\n", "row 2, column 'score': is not a score"),
        ("practice_code,specialty,score\nA1,urology,1\nA1,urology,2\n",
         "row 3: preference of A1 for urology appears twice"),
    ):
        with pytest.raises(InputError, match=message):
            read_preferences(write(tmp_path, "bad.csv", text), graph, specialties)


def test_read_consortia_and_its_errors(tmp_path, graph):
    labels = {"A1": "P1", "B2": "P1", "C3": "P2", "D4": "P2"}
    good = write(tmp_path, "c.csv", "consortium,practice_code\nNorth,B2\nNorth,A1\n")
    consortia = read_consortia(good, graph, labels)
    assert [(c.name, c.members) for c in consortia] == [("North", ("A1", "B2"))]
    for text, message in (
        ("consortium,practice_code\nX,A1\nX,C3\n", "row 3, column 'practice_code': consortium X spans networks P1"),
        ("consortium,practice_code\nX,A1\n", "row 2, column 'consortium': consortium X has one member"),
        ("consortium,practice_code\nX,A1\nX,D4\n", "row 3, column 'practice_code': names an unwilling practice"),
        ("consortium,practice_code\nX,A1\nX,Q7\n", "row 3, column 'practice_code': names a practice that is not"),
        ("consortium,practice_code\nX,A1\nX,A1\n", "row 3, column 'practice_code': A1 appears twice"),
    ):
        with pytest.raises(InputError, match=message):
            read_consortia(write(tmp_path, "bad.csv", text), graph, labels)


def test_read_networks_from_a_file_or_the_current_groups(tmp_path, graph):
    assert read_networks("current", graph) == {"A1": "P1", "B2": "P1", "C3": "P2", "D4": "P2"}
    assert read_networks("PCN", graph) == read_networks("current", graph)
    path = write(tmp_path, "g.csv", "practice_code,group\nA1,N1\nC3,N1\n")
    assert read_networks(path, graph) == {"A1": "N1", "C3": "N1"}
    no_groups = graph_of([practice("A1", 9_000, 0, 0)])
    with pytest.raises(InputError, match="no practice has a current group"):
        read_networks("current", no_groups)


# ---------------------------------------------------------------------------------------- the command
def run(arguments: list[str]):
    return CliRunner().invoke(main, ["budgets", *arguments])


def test_cli_seeds_writes_its_output_set(tmp_path):
    out = tmp_path / "out"
    result = run([*SEEDS, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == ["assignments.csv", "clusterkit.gpkg", "exposure.csv",
                                                     "holders.geojson", "holders.qml", "map.html", "map.png",
                                                     "report.md", "summary.json"]
    with open(out / "assignments.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0])[:6] == ["network", "specialty", "budget", "holder", "members", "ratio"]
    assert len(rows) == 7 and all(float(row["ratio"]) <= 1.0 for row in rows)
    members = [code for row in rows for code in row["members"].split(";")]
    assert len(members) == len(set(members)) == 8
    with open(out / "exposure.csv", newline="", encoding="utf-8") as stream:
        exposure = list(csv.DictReader(stream))
    year_one = [row for row in exposure if row["specialty"] == "urology" and row["year"] == "1"]
    assert [float(row["loss"]) for row in year_one] == [10_000.0]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "OPTIMAL" and summary["solver"] == "highs"
    assert summary["objective"] == pytest.approx(1 / 1.14)  # the common schema: a number, named apart
    assert summary["objective_name"] == "largest budget/turnover ratio"
    assert summary["bound"] == pytest.approx(1 / 1.14) and summary["gap"] == pytest.approx(0, abs=1e-6)
    assert summary["networks"]["by_status"]["OPTIMAL"] == 1 and len(summary["inputs_sha256"]) == 64
    geojson = json.loads((out / "holders.geojson").read_text())
    assert geojson["type"] == "FeatureCollection" and "crs" not in geojson
    assert len(geojson["features"]) == 8  # 6 practices and the 2 members of the orthopaedics consortium
    for feature in geojson["features"]:
        lon, lat = feature["geometry"]["coordinates"]
        assert -0.95 < lon < -0.85 and 52.7 < lat < 52.8
        assert round(lon, 6) == lon and round(lat, 6) == lat
        assert {"network", "specialty", "budget", "ratio", "holder"} <= set(feature["properties"])


def test_cli_current_groups_and_refuses_a_full_folder(tmp_path):
    out = tmp_path / "out"
    arguments = [str(EXAMPLES / "seeds_practices.csv"), "--groups", "current", "--specialties",
                 str(EXAMPLES / "seeds_specialties.csv"), "--out", str(out)]
    assert run(arguments).exit_code == 0
    again = run(arguments)
    assert again.exit_code == 2 and "--overwrite" in again.stderr
    assert run([*arguments, "--overwrite", "--max-per-practice", "2"]).exit_code == 0


@pytest.mark.parametrize("extra, file_text, message", [
    (["--schedule", "0.1,1.5"], None, "--schedule: every share of the schedule must lie between 0 and 1"),
    (["--risk-cap", "-1"], None, "--risk-cap: must be a positive number"),
    ([], "specialty,budget\nurology,-1\n", "row 2, column 'budget': is negative"),
    ([], "specialty,budget\nurology,1\nurology,2\n", "specialty appears twice"),
])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, extra, file_text, message):
    arguments = list(SEEDS)
    if file_text is not None:
        arguments[-1] = str(write(tmp_path, "bad.csv", file_text))
    result = run([*arguments, *extra, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert message in result.stderr and result.stderr.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_cli_unknown_practice_in_preferences_exits_2(tmp_path):
    preferences = write(tmp_path, "p.csv", "practice_code,specialty,score\nZZZ999,urology,1\n")
    result = run([*SEEDS, "--preferences", str(preferences), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "p.csv, row 2, column 'practice_code': names a practice that is not in the practices file" in result.stderr


def test_cli_infeasible_exits_3_with_the_reason_and_still_writes(tmp_path):
    out = tmp_path / "out"
    result = run([*SEEDS, "--max-consortium-size", "1", "--out", str(out)])
    assert result.exit_code == 3
    assert result.stderr.strip() == ("clusterkit: error: network SEEDS: orthopaedics £1.9m exceeds 1.0 × turnover of "
                                     "every practice (largest £1.74m)")
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "INFEASIBLE" and summary["infeasible"][0]["network"] == "SEEDS"


def test_cli_partly_infeasible_writes_the_feasible_networks(tmp_path):
    groups = write(tmp_path, "g.csv", "practice_code,group\n" + "".join(
        f"{code},{network}\n" for code, network in (("Y91001", "N1"), ("Y91002", "N1"), ("Y91003", "N1"),
                                                     ("Y91004", "N2"), ("Y91005", "N2"), ("Y91006", "N2"),
                                                     ("Y91007", "N3"), ("Y91008", "N3"))))
    out = tmp_path / "out"
    arguments = [str(EXAMPLES / "seeds_practices.csv"), "--groups", str(groups), "--specialties",
                 str(EXAMPLES / "seeds_specialties.csv"), "--max-per-practice", "3", "--out", str(out)]
    result = run(arguments)
    assert result.exit_code == 3
    assert "network N3: orthopaedics £1.9m exceeds" in result.stderr
    assert "1 of 3 networks cannot be served" in result.stderr
    assert "not in a network: 1 (Y91009)" in result.stdout
    with open(out / "assignments.csv", newline="", encoding="utf-8") as stream:
        networks = {row["network"] for row in csv.DictReader(stream)}
    assert networks == {"N1", "N2"}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["ungrouped"] == ["Y91009"] and summary["networks"]["by_status"]["INFEASIBLE"] == 1


@pytest.mark.parametrize("option, value", [("--gap", "-0.1"), ("--time-limit", "0"), ("--workers", "0"),
                                           ("--max-per-practice", "0"), ("--variance", "2")])
def test_cli_bad_solver_options_exit_2(tmp_path, option, value):
    result = run([*SEEDS, option, value, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and option in result.stderr and result.stderr.count("\n") == 1
