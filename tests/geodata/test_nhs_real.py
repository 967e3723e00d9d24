"""Importing the real published files (``$CLUSTERKIT_NHS_DATA/raw/``) reproduces ``gp_practices_england.csv`` for
every practice whose postcode the lookup covers, column by column; every other practice is listed as left out."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from clusterkit.runs import run_import_nhs, summary_of
from geodata import read_practices
from geodata.read.nhs import postcode_key
from geodata.read.nhs_join import POSTCODE_NOT_FOUND, UNMATCHED_HEADER
from geodata.read.practices import PRACTICES_FILE_HEADER
from geodata.write.nhs import write_import_outputs
from tests.conftest import NHS_DATA, NHS_PRACTICES

RAW = NHS_DATA / "raw"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory):
    """The import of the real files, and the files it wrote."""
    if not (RAW / "gp-reg-pat-prac-map.zip").is_file():
        pytest.skip(f"the published files are not in {RAW} (set CLUSTERKIT_NHS_DATA)")
    run = run_import_nhs(RAW / "gp-reg-pat-prac-map.zip", RAW / "gp-reg-pat-prac-all.zip", RAW / "postcodes")
    out = tmp_path_factory.mktemp("import") / "practices.csv"
    return run, write_import_outputs(run, out)


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _covered_postcodes() -> set[str]:
    """Every postcode of the lookup, read independently of the importer."""
    return {postcode_key(row["Postcode"]) for path in sorted((RAW / "postcodes").glob("*.csv"))
            for row in _rows(path) if row["lat"]}


def test_the_import_reproduces_every_column_of_every_covered_practice(written) -> None:
    _, (practices, _, _) = written
    reference = _rows(NHS_PRACTICES)
    covered = _covered_postcodes()
    expected = [row for row in reference if postcode_key(row["postcode"]) in covered]
    imported = _rows(practices)
    assert len(expected) == 369 == len(imported)
    assert list(imported[0]) == list(PRACTICES_FILE_HEADER) == list(reference[0])
    assert imported == expected, "every column of every covered practice, as text"


def test_every_other_practice_is_listed_as_left_out(written) -> None:
    run, (_, unmatched, _) = written
    reference = _rows(NHS_PRACTICES)
    covered = _covered_postcodes()
    left_out = _rows(unmatched)
    assert list(left_out[0]) == list(UNMATCHED_HEADER)
    assert [row["practice_code"] for row in left_out] == [row["practice_code"] for row in reference
                                                          if postcode_key(row["postcode"]) not in covered]
    assert len(left_out) == 5_760 and {row["reason"] for row in left_out} == {POSTCODE_NOT_FOUND}
    by_code = {row["practice_code"]: row for row in reference}
    assert all(row["list_size"] == by_code[row["practice_code"]]["list_size"] for row in left_out)
    assert run.exit_status == 1 and "5,760 of 6,129 practices" in run.unmet


def test_the_summary_records_both_extract_dates_in_the_one_schema(written) -> None:
    run, (_, _, summary_path) = written
    summary = json.loads(summary_path.read_text())
    common = summary_of("x", status="FEASIBLE", objective=None, objective_name="", bound=None, gap=None, seconds=0,
                        solver="", method="", seed=None, parameters={}, inputs={}, inputs_sha256="", exit_code=0,
                        unmet=None, notes=())
    assert set(common) <= set(summary) and summary["command"] == "import-nhs"
    provenance = summary["nhs_import"]
    assert provenance["extract_dates"] == {"mapping": "2026-08-01", "lists": "2025-04-01"}
    assert (provenance["imported"], provenance["unmatched"], provenance["lists_not_in_mapping"]) == (369, 5760, 110)
    assert len(summary["inputs"]) == 7, "the mapping, the lists and the five postcode files, each with its SHA-256"


def test_the_written_file_reads_back_as_the_graph_of_the_run(written) -> None:
    run, (practices, _, _) = written
    graph = read_practices(practices)
    assert graph.codes == run.graph.codes and graph.population == run.graph.population == 3_368_736
    assert [(p.lat, p.lon, p.list_size, p.group, p.sub_icb, p.icb) for p in graph.practices] == [
        (p.lat, p.lon, p.list_size, p.group, p.sub_icb, p.icb) for p in run.graph.practices]
