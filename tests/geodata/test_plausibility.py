"""Input that lies: numbers read the way the file means them, or refused with the value named (issue 9)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.errors import InfeasibleError
from clusterkit.problem.grouping import GroupingProblem
from geodata import read_practices
from solvers.grouping import group_practices
from tests.conftest import NHS_HEADER


def _write(path: Path, rows: list[str], separator: str = ",") -> Path:
    path.write_text("\n".join([NHS_HEADER.replace(",", separator), *rows]) + "\n", encoding="utf-8")
    return path


def test_a_semicolon_file_reads_decimal_commas_as_decimals(tmp_path: Path) -> None:
    rows = ["A1;X;M1;53,48;-2,24;8800;P1;N;00T;QOP", "B2;Y;M2;53.49;-2.25;6000;P1;N;00T;QOP"]
    graph = read_practices(_write(tmp_path / "semi.csv", rows, ";"))
    assert (graph.practice("A1").lat, graph.practice("A1").lon) == (53.48, -2.24)
    assert graph.practice("B2").lon == -2.25


def test_thousands_separators_still_read(tmp_path: Path) -> None:
    graph = read_practices(_write(tmp_path / "k.csv", ['A1,X,M1,53.48,-2.24,"8,800",P1,N,00T,QOP']))
    assert graph.practice("A1").list_size == 8_800


def test_a_practice_with_no_patients_is_reported(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    rows = ["A1,X,M1,53.48,-2.24,0,P1,N,00T,QOP", "B2,Y,M2,53.49,-2.25,6000,P1,N,00T,QOP"]
    with caplog.at_level(logging.WARNING):
        graph = read_practices(_write(tmp_path / "zero.csv", rows))
    assert graph.practice("A1").list_size == 0
    assert "1 practice(s) have list size 0" in caplog.text and "A1" in caplog.text


def test_all_practices_unwilling_is_infeasible_with_the_reason(tmp_path: Path) -> None:
    header = NHS_HEADER + ",willing"
    path = tmp_path / "nobody.csv"
    path.write_text("\n".join([header, "A1,X,M1,53.48,-2.24,9000,P1,N,00T,QOP,no",
                               "B2,Y,M2,53.49,-2.25,6000,P1,N,00T,QOP,no"]) + "\n")
    graph = read_practices(path).with_adjacency()
    with pytest.raises(InfeasibleError, match="every one of the 2 selected practices is unwilling"):
        group_practices(graph, GroupingProblem(), workers=1)
    result = CliRunner().invoke(main, ["group", str(path), "--out", str(tmp_path / "out")])
    assert result.exit_code == 3 and "unwilling" in result.stderr and not (tmp_path / "out").exists()


def test_a_zero_budget_is_bad_input_and_a_failed_budgets_run_leaves_no_folder(tmp_path: Path) -> None:
    from tests.budgets.test_budgets import EXAMPLES

    specialties = tmp_path / "specialties.csv"
    specialties.write_text("specialty,budget\nurology,0\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["budgets", str(EXAMPLES / "seeds_practices.csv"), "--groups",
                                       str(EXAMPLES / "seeds_groups.csv"), "--specialties", str(specialties),
                                       "--out", str(out)])
    assert result.exit_code == 2 and "£0 budget" in result.stderr and not out.exists()
    result = CliRunner().invoke(main, ["budgets", str(EXAMPLES / "seeds_practices.csv"), "--groups",
                                       str(EXAMPLES / "seeds_groups.csv"), "--specialties",
                                       str(EXAMPLES / "seeds_specialties.csv"), "--time-limit", "0", "--out", str(out)])
    assert result.exit_code == 2 and "--time-limit" in result.stderr
    assert not out.exists() and sorted(p.name for p in tmp_path.iterdir()) == ["specialties.csv"]
