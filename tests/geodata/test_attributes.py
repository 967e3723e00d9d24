"""Attributes joined from another file, and alignment built from them (issue 11)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.errors import InputError
from clusterkit.synthetic import synthetic_county
from geodata import write_practices_csv
from geodata.read.attributes import read_attributes


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("county")
    graph = synthetic_county(seed=3)
    practices = write_practices_csv(folder / "practices.csv", graph)
    rows = ["practice_code,supplier_name,imd_score"]
    for k, practice in enumerate(graph.practices):
        imd = "" if k == 0 else f"{10 + (k * 7) % 40:.1f}"
        rows.append(f"{practice.code},{'EMIS' if k % 3 else 'TPP'},{imd}")
    rows.append("Z99999,EMIS,12.0")  # a practice outside the selection: left out
    extra = folder / "extra.csv"
    extra.write_text("\n".join(rows) + "\n")
    return practices, extra


def test_numeric_and_text_columns_and_a_blank_taking_the_mean(county, caplog) -> None:
    practices, extra = county
    graph = synthetic_county(seed=3)
    with caplog.at_level(logging.WARNING):
        values = read_attributes(extra, graph)
    first = graph.codes[0]
    assert values[graph.codes[1]]["supplier_name"] in ("EMIS", "TPP")
    assert isinstance(values[graph.codes[1]]["imd_score"], float)
    others = [values[code]["imd_score"] for code in graph.codes[1:]]
    assert values[first]["imd_score"] == pytest.approx(sum(others) / len(others))
    assert "1 practice(s) have no imd_score" in caplog.text and "Z99999" not in values


def test_a_missing_practice_or_column_is_named(county, tmp_path: Path) -> None:
    practices, extra = county
    graph = synthetic_county(seed=3)
    short = tmp_path / "short.csv"
    short.write_text("\n".join(extra.read_text().splitlines()[:-5]) + "\n")
    with pytest.raises(InputError, match="has no row for"):
        read_attributes(short, graph)
    with pytest.raises(InputError, match="has no column 'ccg'"):
        read_attributes(extra, graph, ("ccg",))


def test_grouping_by_alignment_from_attributes(county, tmp_path: Path) -> None:
    practices, extra = county
    runner = CliRunner()
    result = runner.invoke(main, ["group", str(practices), "--attributes", str(extra), "--alignment-from",
                                  "supplier_name,imd_score", "--objective", "blend", "--out", str(tmp_path / "a")])
    assert result.exit_code == 0, result.output
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    assert summary["metrics"]["alignment_kept_share"] > 0
    alone = runner.invoke(main, ["group", str(practices), "--objective", "alignment", "--out", str(tmp_path / "b")])
    assert alone.exit_code == 2 and "needs alignment or shared-staff relations" in alone.stderr
    assert not (tmp_path / "b").exists()
