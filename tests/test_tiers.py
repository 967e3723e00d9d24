"""Nested tiers: nesting by construction, every practice once per tier, fixed tiers, bad tiers (issue 11)."""

from __future__ import annotations

import csv
import json
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from clusterkit.errors import InputError
from clusterkit.model.partition import UNGROUPED, Partition
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.synthetic import synthetic_county
from clusterkit.tiers import DEFAULT_TIERS, Tier, build_tiers, check_tiers
from geodata import write_practices_csv
from solvers.grouping import group_practices

GROUP = partial(group_practices, workers=1, effort="quick")


def _assert_nested(graph, result) -> None:
    willing = {p.code for p in graph.practices if p.willing}
    for grouping in result.groupings:
        grouped = {code for code, label in grouping.labels.items() if label != UNGROUPED}
        assert grouped == willing, "every willing practice in exactly one group of every tier"
    for lower, upper in zip(result.groupings, result.groupings[1:]):
        assert lower.partition.restrict(lower.partition.codes).is_nested_in(upper.partition)
    for code, path in result.paths().items():
        if code in willing:
            assert path.count("/") == len(result.tiers) - 1


@settings(max_examples=5, deadline=None)
@given(seed=st.integers(0, 200), order=st.sampled_from(["bottom-up", "top-down"]))
def test_tiers_nest_and_hold_every_practice_once(seed: int, order: str) -> None:
    graph = synthetic_county(seed=seed).with_adjacency()
    tiers = (Tier("network", Band(30_000, 50_000)), Tier("federation", Band(100_000, 400_000)))
    try:
        result = build_tiers(graph, tiers, group=GROUP, order=order)
    except Exception as error:  # an infeasible top-down cut is reported, never wrongly nested
        assert "no grouping can meet the rules" in str(error)
        return
    _assert_nested(graph, result)


def test_three_default_tiers_bottom_up_on_the_county() -> None:
    graph = synthetic_county(seed=1).with_adjacency()
    result = build_tiers(graph, DEFAULT_TIERS, group=GROUP)
    _assert_nested(graph, result)
    assert [tier.name for tier in result.tiers] == ["neighbourhood", "network", "federation"]
    assert [grouping.labels["X00001"][0] for grouping in result.groupings] == ["H", "N", "F"]
    assert str(result.status) == "FEASIBLE"


def test_a_fixed_tier_is_kept_and_the_others_nest_around_it() -> None:
    graph = synthetic_county(seed=1).with_adjacency()
    today = Partition({p.code: p.group for p in graph.practices if p.group})
    # today's PCNs are not all connected, so neighbourhoods inside them get a soft band
    tiers = (Tier("neighbourhood", Band(5_000, 25_000), GroupingProblem(soft=True)), Tier("network", Band(30_000, 50_000)),
             Tier("federation", Band(100_000, 400_000)))
    result = build_tiers(graph, tiers, group=GROUP, fixed={"network": today})
    assert result.partition("network").labels == {p.code: today.part_of(p.code) if p.willing else UNGROUPED
                                                  for p in graph.practices}  # the unwilling stay out of every tier
    assert result.fixed == ("network",)
    for lower, upper in zip(result.groupings, result.groupings[1:]):
        assert lower.partition.restrict(lower.partition.codes).is_nested_in(upper.partition)


@pytest.mark.parametrize(("tiers", "message"), [
    ((Tier("network", Band(30_000, 50_000)), Tier("neighbourhood", Band(10_000, 25_000))), "is not larger than"),
    ((Tier("network", Band(30_000, 50_000)), Tier("network", Band(100_000, 400_000))), "named twice"),
    ((Tier("network", Band(30_000, 50_000)), Tier("federation", Band(40_000, 55_000))), "cannot hold two"),
    ((), "at least one tier"),
])
def test_bad_tiers_are_refused(tiers, message) -> None:
    with pytest.raises(InputError, match=message):
        check_tiers(tiers)


@pytest.fixture(scope="module")
def county_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_practices_csv(tmp_path_factory.mktemp("county") / "practices.csv", synthetic_county(seed=1))


def test_the_tiers_command_writes_the_nested_table(county_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "tiers"
    result = CliRunner().invoke(main, ["tiers", str(county_csv), "--effort", "quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    layers = ["practices", "groups_neighbourhood", "groups_network", "groups_federation"]
    assert sorted(p.name for p in out.iterdir()) == sorted([
        "tiers.csv", "tiers_table.csv", *(f"{name}.{kind}" for name in layers for kind in ("geojson", "qml")),
        "clusterkit.gpkg", "map.png", "map.html", "report.md", "summary.json"])
    with open(out / "tiers.csv") as stream:
        rows = list(csv.DictReader(stream))
    assert list(rows[0]) == ["practice_code", "neighbourhood", "network", "federation", "path"]
    assert all(row["path"] == f"{row['federation']}/{row['network']}/{row['neighbourhood']}" for row in rows
               if row["path"])
    with open(out / "tiers_table.csv") as stream:
        table = list(csv.DictReader(stream))
    networks = {row["practice_code"]: row["network"] for row in rows}
    for row in table:
        if row["tier"] == "neighbourhood":
            members = [r["practice_code"] for r in rows if r["neighbourhood"] == row["group"]]
            assert {networks[code] for code in members} == {row["parent"]}
    summary = json.loads((out / "summary.json").read_text())
    assert summary["command"] == "tiers" and [t["tier"] for t in summary["tiers"]] == ["neighbourhood", "network",
                                                                                      "federation"]


@pytest.mark.parametrize(("options", "fragment"), [
    (["--tier", "network=30k:50k", "--tier", "network=100k:400k"], "named twice"),
    (["--tier", "federation=100k:400k", "--tier", "network=30k:50k"], "is not larger than"),
    (["--tier", "network"], "is written NAME=LOWER:UPPER"),
    (["--fixed", "region=current"], "names no tier"),
    (["--fixed", "network"], "is written NAME=FILE or NAME=current"),
])
def test_bad_tier_options_are_one_line_exit_2(county_csv: Path, tmp_path: Path, options, fragment) -> None:
    result = CliRunner().invoke(main, ["tiers", str(county_csv), *options, "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr
    assert not (tmp_path / "out").exists()


def test_an_impossible_tier_exits_3_with_the_reason(county_csv: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["tiers", str(county_csv), "--tier", "network=30k:50k",
                                       "--tier", "region=5000k:9000k", "--out", str(tmp_path / "out")])
    assert result.exit_code == 3, result.output
    assert "below the lower bound 5,000,000" in result.stderr and not (tmp_path / "out").exists()
