"""Reading only the selected areas of a practices file: the same practices as reading all and selecting, every
selected row validated, the rows outside checked for their code and areas only."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from cli import main
from clusterkit.errors import InputError
from geodata import load_study_area, read_practices
from geodata.read.practices import read_study_practices
from tests.cli.test_cli import assert_input_error
from tests.conftest import NHS_HEADER, TINY, tiny_csv_text

ICBS = sorted({row[6] for row in TINY}) + ["QXX"]
SUB_ICBS = sorted({row[5] for row in TINY}) + ["99Z"]

#: A row of ICB QE1 whose list size is not a number.
BAD_QE1_ROW = "F6,ZETA SURGERY,LS1 1AA,53.8,-1.55,lots,P3,PCN P3,01A,QE1"


def _outcome(read):  # the graph's practices and meta, or the error's message
    try:
        graph = read()
    except InputError as error:
        return str(error)
    return graph.practices, dict(graph.meta)


@settings(max_examples=40, deadline=None)
@given(icb=st.lists(st.sampled_from(ICBS), max_size=2), sub_icb=st.lists(st.sampled_from(SUB_ICBS), max_size=2))
def test_reading_a_selection_is_reading_all_then_selecting(tmp_path_factory: pytest.TempPathFactory,
                                                          icb: list[str], sub_icb: list[str]) -> None:
    path = tmp_path_factory.mktemp("selection") / "practices.csv"
    path.write_text(tiny_csv_text(), encoding="utf-8")
    selected = _outcome(lambda: read_practices(path, icb=icb, sub_icb=sub_icb))
    assert selected == _outcome(lambda: read_practices(path).select(icb=icb, sub_icb=sub_icb))


def test_every_code_of_the_file_is_returned(tiny_csv: Path) -> None:
    graph, codes = read_study_practices(tiny_csv, icb=["QE1"])
    assert graph.codes == ("D4", "E5")
    assert codes == {row[0] for row in TINY}


def test_a_bad_row_outside_the_selection_is_not_read(write_file) -> None:
    path = write_file("practices.csv", tiny_csv_text() + BAD_QE1_ROW + "\n")
    assert read_practices(path, icb=["QOP"]).codes == ("A1", "B2", "C3")
    with pytest.raises(InputError, match="row 7.*list_size.*lots"):
        read_practices(path, icb=["QE1"])


def test_a_bad_row_inside_the_selection_is_one_line_naming_file_row_column_value(write_file) -> None:
    path = write_file("practices.csv", tiny_csv_text() + BAD_QE1_ROW + "\n")
    runner = CliRunner()
    assert runner.invoke(main, ["validate", str(path), "--icb", "QOP"]).exit_code == 0
    assert_input_error(runner.invoke(main, ["validate", str(path), "--sub-icb", "01A"]),
                       "practices.csv", "row 7", "list_size", "lots")


def test_an_empty_or_repeated_code_outside_the_selection_is_still_an_error(write_file) -> None:
    repeated = write_file("repeated.csv", tiny_csv_text() + "D4,AGAIN,LS1 1AA,53.8,-1.55,100,P3,PCN P3,01A,QE1\n")
    with pytest.raises(InputError, match="row 7.*duplicate practice code"):
        read_practices(repeated, icb=["QOP"])
    empty = write_file("empty.csv", tiny_csv_text() + ",NO CODE,LS1 1AA,53.8,-1.55,100,P3,PCN P3,01A,QE1\n")
    with pytest.raises(InputError, match="row 7.*practice code is empty"):
        read_practices(empty, icb=["QOP"])


def test_relations_may_name_practices_outside_the_selection_but_not_outside_the_file(write_file) -> None:
    practices = write_file("practices.csv", tiny_csv_text())
    across = write_file("across.csv", "a,b,kind,value\nA1,B2,alignment,0.8\nA1,D4,alignment,0.5\n")
    graph = load_study_area(practices, relations=across, icb=["QOP"])
    assert sorted(graph.layer("alignment").edges) == [("A1", "B2")]
    unknown = write_file("unknown.csv", "a,b,kind,value\nA1,ZZ9,alignment,0.5\n")
    with pytest.raises(InputError, match="row 2.*not in the practices file.*ZZ9"):
        load_study_area(practices, relations=unknown, icb=["QOP"])


def test_a_file_without_an_icb_column_says_so(write_file) -> None:
    header = NHS_HEADER.rsplit(",", 1)[0]
    rows = [line.rsplit(",", 1)[0] for line in tiny_csv_text().splitlines()[1:]]
    path = write_file("no_icb.csv", "\n".join([header, *rows]) + "\n")
    with pytest.raises(InputError, match="selects no practice.*no such column"):
        read_practices(path, icb=["QOP"])
