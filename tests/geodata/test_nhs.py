"""Reading NHS England's and ONS's published files and joining them into a practices file, on small files
written here by hand in the published layouts (the real files: tests/geodata/test_nhs_real.py)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from clusterkit.errors import InputError, StorageError
from geodata.read.nhs import postcode_key, read_list_sizes, read_mapping, read_postcodes
from geodata.read.nhs_join import (NO_LIST_SIZE, POSTCODE_NOT_FOUND, POSTCODE_WITHOUT_COORDINATES, import_published,
                                   join_published)
from geodata.read.practices import PRACTICES_FILE_HEADER, practices_from_table
from geodata.read.published import published_csv, published_csvs

MAPPING_HEADER = ("PUBLICATION,EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
                  "ONS_SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_CODE,SUB_ICB_LOCATION_NAME,ONS_ICB_CODE,ICB_CODE,ICB_NAME,"
                  "ONS_COMM_REGION_CODE,COMM_REGION_CODE,COMM_REGION_NAME,SUPPLIER_NAME")
LISTS_HEADER = ("PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,POSTCODE,SEX,AGE,"
                "NUMBER_OF_PATIENTS")


def mapping_row(code: str, name: str, postcode: str, pcn: str = "U89141", pcn_name: str = "STOCKTON PCN",
                sub_icb: str = "16C", icb: str = "QHM", date: str = "01Aug2026") -> str:
    return (f"GP_PRAC_PAT_LIST,{date},{code},{name},{postcode},{pcn},{pcn_name},E38000247,{sub_icb},NHS NENC - "
            f"{sub_icb},E54000050,{icb},NHS NENC ICB,E40000012,Y63,North East and Yorkshire,TPP")


def lists_row(code: str, postcode: str, patients: str, sex: str = "ALL", date: str = "2025-04-01") -> str:
    return f"GP_PRAC_PAT_LIST,{date},GP,16C,E38000247,{code},{postcode},{sex},ALL,{patients}"


#: Four practices: one matched as written, one whose postcode is written otherwise (spaces, case), one in no
#: PCN, one with a new postcode the lookup lacks (located by its earlier one), and one with no list size.
MAPPING = "\n".join([MAPPING_HEADER,
                     mapping_row("A81001", "THE DENSHAM SURGERY", "TS18 1HU"),
                     mapping_row("A81002", "QUEENS PARK MEDICAL CENTRE", "ts182aw"),
                     mapping_row("A81004", "ACKLAM MEDICAL CENTRE", "TS5 8SB", "U", "Unallocated"),
                     mapping_row("A81005", "SPRINGWOOD SURGERY", "TS14 9ZZ"),
                     mapping_row("A81006", "NEW SURGERY", "TS1 1AA")]) + "\n"
LISTS = "\n".join([LISTS_HEADER,
                   lists_row("A81001", "TS18 1HU", "3904"),
                   lists_row("A81001", "TS18 1HU", "1900", sex="MALE"),  # not a practice total: ignored
                   lists_row("A81002", "TS18 2AW", "18758"),
                   lists_row("A81004", "TS5 8SB", "11346"),
                   lists_row("A81005", "TS14 7DJ", "7677"),
                   lists_row("Y99999", "TS1 1AB", "25")]) + "\n"  # closed since: not in the mapping
POSTCODES = "Postcode,lat,long\nTS18 1HU,54.56163,-1.31899\nTS18 2AW,54.56917,-1.31389\nTS5 8SB,54.54570,-1.25630\n" \
            "TS14 7DJ,54.53467,-1.05600\nTS1 1AA,54.57586,-1.24495\nTS1 1AB,,\n"


@pytest.fixture
def published(tmp_path: Path) -> dict[str, Path]:
    """The three files as published: the mapping and the lists zipped, the postcodes a folder of two files."""
    files = {"mapping": _zipped(tmp_path / "gp-reg-pat-prac-map.zip", {"gp-reg-pat-prac-map.csv": MAPPING}),
             "lists": _zipped(tmp_path / "gp-reg-pat-prac-all.zip", {"gp-reg-pat-prac-all.csv": LISTS})}
    folder = tmp_path / "postcodes"
    folder.mkdir()
    header, *rows = POSTCODES.strip().splitlines()
    (folder / "TS1.csv").write_text("\n".join([header, *rows[:3]]) + "\n")
    (folder / "TS2.csv").write_text("\n".join([header, *rows[3:]]) + "\n")
    (folder / "README.txt").write_text("not a lookup: left alone\n")
    files["postcodes"] = folder
    return files


def _zipped(path: Path, members: dict[str, str]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def _raises(call, *parts: str) -> InputError:
    with pytest.raises(InputError) as caught:
        call()
    message = str(caught.value)
    for part in parts:
        assert part in message, message
    assert "\n" not in message
    return caught.value


# ---------------------------------------------------------------------------------------------- the join
def test_the_join_matches_postcodes_ignoring_spaces_and_case(published: dict[str, Path]) -> None:
    joined = import_published(published["mapping"], published["lists"], published["postcodes"])
    rows = {practice.code: practice for practice in joined.practices}
    assert list(rows) == ["A81001", "A81002", "A81004", "A81005"], "the mapping's order, A81006 left out"
    assert rows["A81002"].cells() == ("A81002", "QUEENS PARK MEDICAL CENTRE", "ts182aw", 54.56917, -1.31389, 18758,
                                      "U89141", "STOCKTON PCN", "16C", "QHM")
    assert rows["A81001"].list_size == 3904, "the practice total, not the MALE row"
    assert (rows["A81004"].pcn_code, rows["A81004"].pcn_name) == ("", ""), "PCN U is no PCN"
    assert joined.mapping_date == "2026-08-01" and joined.lists_date == "2025-04-01"
    assert joined.lists_not_in_mapping == ("Y99999",) and joined.postcodes_listed == 6


def test_a_practice_whose_postcode_is_missing_is_located_by_its_list_size_postcode(published) -> None:
    joined = import_published(published["mapping"], published["lists"], published["postcodes"])
    assert joined.located_by_list_postcode == (("A81005", "TS14 9ZZ", "TS14 7DJ"),)
    located = next(practice for practice in joined.practices if practice.code == "A81005")
    assert (located.postcode, located.lat, located.lon) == ("TS14 9ZZ", 54.53467, -1.056), "the mapping's postcode kept"


def test_practices_left_out_are_listed_with_their_reason_never_dropped(published: dict[str, Path]) -> None:
    joined = import_published(published["mapping"], published["lists"], published["postcodes"])
    assert [(p.code, p.postcode, p.list_size, p.reason) for p in joined.unmatched] == [
        ("A81006", "TS1 1AA", None, NO_LIST_SIZE)]
    assert len(joined.practices) + len(joined.unmatched) == 5
    summary = joined.to_dict()
    assert summary["extract_dates"] == {"mapping": "2026-08-01", "lists": "2025-04-01"}
    assert summary["unmatched_reasons"] == {NO_LIST_SIZE: 1} and summary["practices_in_mapping"] == 5


def test_each_reason_to_leave_a_practice_out(tmp_path: Path) -> None:
    mapping = tmp_path / "map.csv"
    mapping.write_text("\n".join([MAPPING_HEADER, mapping_row("A1", "GONE", "ZZ1 1ZZ"),
                                  mapping_row("B2", "NO GRID", "TS1 1AB"), mapping_row("C3", "NEITHER", "ZZ9 9ZZ")]))
    lists = tmp_path / "all.csv"
    lists.write_text("\n".join([LISTS_HEADER, lists_row("A1", "ZZ1 1ZZ", "10"), lists_row("B2", "TS1 1AB", "20")]))
    postcodes = tmp_path / "TS.csv"
    postcodes.write_text(POSTCODES)
    joined = import_published(mapping, lists, postcodes)
    assert joined.practices == ()
    assert [(p.code, p.reason) for p in joined.unmatched] == [
        ("A1", POSTCODE_NOT_FOUND), ("B2", POSTCODE_WITHOUT_COORDINATES),
        ("C3", f"{POSTCODE_NOT_FOUND}; {NO_LIST_SIZE}")]
    assert joined.reasons() == {POSTCODE_NOT_FOUND: 2, POSTCODE_WITHOUT_COORDINATES: 1, NO_LIST_SIZE: 1}


def test_the_rows_read_back_as_the_practices_file_format(published: dict[str, Path]) -> None:
    joined = import_published(published["mapping"], published["lists"], published["postcodes"])
    assert joined.header == PRACTICES_FILE_HEADER
    practices = practices_from_table(joined.table())
    assert [p.code for p in practices] == [p.code for p in joined.practices]
    assert practices[0].attributes["postcode"] == "TS18 1HU" and practices[0].group == "U89141"


def test_a_csv_and_its_zip_read_the_same(tmp_path: Path, published: dict[str, Path]) -> None:
    mapping_csv = tmp_path / "gp-reg-pat-prac-map.csv"
    mapping_csv.write_text(MAPPING)
    renamed = tmp_path / "download.csv"  # a zip whatever its name says
    renamed.write_bytes(published["lists"].read_bytes())
    lookup = _zipped(tmp_path / "NSPL.zip", {"__MACOSX/._TS.csv": "junk", "Data/TS.csv": POSTCODES})
    assert import_published(mapping_csv, renamed, lookup).practices == import_published(
        published["mapping"], published["lists"], published["postcodes"]).practices
    assert published_csv(lookup).source == f"{lookup} (Data/TS.csv)"
    assert [file.path.name for file in published_csvs(published["postcodes"])] == ["TS1.csv", "TS2.csv"]


def test_an_nspl_layout_with_no_grid_reference_postcodes(tmp_path: Path) -> None:
    nspl = tmp_path / "NSPL_MAY_2025_UK.csv"
    nspl.write_text('pcd,pcd2,pcds,dointr,doterm,usertype,oseast1m,osnrth1m,lat,long,imd\n'
                    '"TS181HU","TS18 1HU","TS18 1HU",198001,,0,444190,518820,54.561630,-1.318990,8000\n'
                    '"ZZ991ZZ","ZZ99 1ZZ","ZZ99 1ZZ",198001,,0,,,99.999999,0.000000,\n')
    lookup = read_postcodes(nspl, wanted={"TS181HU", "ZZ991ZZ"})
    assert dict(lookup.located) == {"TS181HU": (54.56163, -1.31899)}
    assert lookup.without_coordinates == {"ZZ991ZZ"} and lookup.postcodes == 2


def test_a_postcode_listed_twice_alike_is_fine_and_differently_an_error(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("Postcode,lat,long\nTS18 1HU,54.56163,-1.31899\n")
    (tmp_path / "b.csv").write_text("Postcode,lat,long\nTS1 1AA,54.5,-1.2\nts18 1hu,54.56163,-1.31899\n")
    assert len(read_postcodes(tmp_path, wanted={"TS181HU"}).located) == 1
    (tmp_path / "b.csv").write_text("Postcode,lat,long\nTS1 1AA,54.5,-1.2\nTS181HU,54.9,-1.31899\n")
    error = _raises(lambda: read_postcodes(tmp_path, wanted={"TS181HU"}), "b.csv", "row 3", "column 'lat'",
                    "a.csv row 2")
    assert error.value == "54.9"


def test_postcode_key() -> None:
    assert postcode_key(" m1 1aa ") == postcode_key("M11AA") == "M11AA"


# ---------------------------------------------------------------------------------------------- malformed files
#: (what, file's name, its content (a dict: a zip of those members; bytes; text), the reader, parts of the error).
MALFORMED = [
    ("the mapping given as the lists", "gp-reg-pat-prac-map.zip", {"gp-reg-pat-prac-map.csv": MAPPING}, "lists",
     ("gp-reg-pat-prac-map.zip (gp-reg-pat-prac-map.csv)", "is NHS England's practice mapping",
      "not NHS England's list sizes")),
    ("the lists given as the postcodes", "all.csv", LISTS, "postcodes", ("all.csv", "is NHS England's list sizes",
                                                                         "not a postcode lookup")),
    ("a practices file given as the mapping", "gp_practices_england.csv",
     ",".join(PRACTICES_FILE_HEADER) + "\nA1,X,TS1 1AA,54.5,-1.2,10,,,16C,QHM\n", "mapping",
     ("already a practices file",)),
    ("a missing column", "gp-reg-pat-prac-all.csv", LISTS.replace("NUMBER_OF_PATIENTS", "PATIENTS"), "lists",
     ("gp-reg-pat-prac-all.csv", "row 1", "missing required column 'NUMBER_OF_PATIENTS'")),
    ("a missing postcode column", "TS.csv", POSTCODES.replace("Postcode", "Where"), "postcodes",
     ("TS.csv", "missing required column 'pcds' or 'postcode'")),
    ("a zip with two CSVs", "map.zip", {"gp-reg-pat-prac-map.csv": MAPPING, "notes.csv": "a\n1\n"}, "mapping",
     ("map.zip", "holds 2 CSV files (gp-reg-pat-prac-map.csv, notes.csv)")),
    ("a zip with no CSV", "all.zip", {"readme.txt": "hello"}, "lists", ("all.zip", "holding no CSV file",
                                                                          "readme.txt")),
    ("an Excel workbook", "map.xlsx", {"[Content_Types].xml": "<x/>", "xl/workbook.xml": "<x/>"}, "mapping",
     ("map.xlsx", "Excel workbook", "export it as CSV")),
    ("a damaged zip", "all.zip", b"PK\x03\x04" + b"\x00" * 40, "lists", ("all.zip", "not a readable zip archive")),
    ("a binary file", "TS.csv", b"%PDF-1.7\n...", "postcodes", ("TS.csv", "a PDF document")),
    ("an empty file", "map.csv", "", "mapping", ("map.csv", "empty")),
    ("a header only", "map.csv", MAPPING_HEADER + "\n", "mapping", ("map.csv", "no practices")),
    ("two extract dates", "map.csv", MAPPING + mapping_row("B1", "LATER", "TS1 1AA", date="01Sep2026") + "\n",
     "mapping", ("map.csv", "row 7", "column 'EXTRACT_DATE'", "second extract date", "'01Sep2026'")),
    ("an extract date that is no date", "all.csv", LISTS.replace("2025-04-01", "April"), "lists",
     ("all.csv", "row 2", "is not a date", "'April'")),
    ("a practice twice in the mapping", "map.csv", MAPPING + mapping_row("A81001", "AGAIN", "TS1 1AA") + "\n",
     "mapping", ("map.csv", "row 7", "repeats a practice code (first on row 2)", "'A81001'")),
    ("a number of patients that is no number", "all.csv", LISTS.replace(",3904", ",many"), "lists",
     ("all.csv", "row 2", "column 'NUMBER_OF_PATIENTS'", "'many'")),
    ("a negative number of patients", "all.csv", LISTS.replace(",3904", ",-4"), "lists",
     ("all.csv", "row 2", "from 0 to 1,000,000", "'-4'")),
    ("no practice totals", "all.csv", LISTS.replace(",ALL,ALL,", ",MALE,ALL,"), "lists",
     ("all.csv", "no practice totals")),
    ("a coordinate that is no number", "TS.csv", POSTCODES.replace("54.56163", "north"), "postcodes",
     ("TS.csv", "row 2", "column 'lat'", "'north'")),
    ("a coordinate outside the UK", "TS.csv", POSTCODES.replace("-1.31899", "-31.899"), "postcodes",
     ("TS.csv", "row 2", "column 'long'", "outside the UK")),
    ("a quote never closed", "TS.csv", POSTCODES.replace("TS18 2AW,", 'TS18 2AW,"'), "postcodes",
     ("TS.csv", "row 3", "quote")),
    ("a folder with no lookup", "empty", None, "postcodes", ("empty", "folder holding no CSV or zip file")),
]

READERS = {"mapping": read_mapping, "lists": read_list_sizes,
           "postcodes": lambda path: read_postcodes(path, wanted={"TS181HU", "TS182AW"})}


@pytest.mark.parametrize("what, name, content, reader, parts", MALFORMED, ids=[case[0] for case in MALFORMED])
def test_a_malformed_file_is_one_line_naming_it(tmp_path: Path, what: str, name: str, content, reader: str,
                                                 parts: tuple[str, ...]) -> None:
    path = write_published(tmp_path, name, content)
    _raises(lambda: READERS[reader](path), *parts)


def write_published(folder: Path, name: str, content: dict[str, str] | bytes | str | None) -> Path:
    """A file (or a zip of members, or a folder when ``content`` is None) in ``folder``."""
    path = folder / name
    if content is None:
        path.mkdir()
    elif isinstance(content, dict):
        _zipped(path, content)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def test_a_file_that_cannot_be_read_names_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_published(tmp_path, "gp-reg-pat-prac-map.csv", MAPPING)
    real_open = Path.open

    def refused(self: Path, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)  # root reads any file: refuse it here
    with pytest.raises(StorageError) as caught:  # the machine refused, not the data: exit 4
        read_mapping(path)
    assert str(caught.value) == f"{path}: cannot be read (Permission denied)"


def test_a_damaged_member_of_a_zip_names_it(tmp_path: Path) -> None:
    path = _zipped(tmp_path / "all.zip", {"gp-reg-pat-prac-all.csv": LISTS * 20})
    data = bytearray(path.read_bytes())
    data[60:90] = b"\xff" * 30  # inside the compressed member
    path.write_bytes(bytes(data))
    _raises(lambda: read_list_sizes(path), "all.zip (gp-reg-pat-prac-all.csv)", "damaged")


def test_the_join_of_read_files_needs_no_files(published: dict[str, Path]) -> None:
    mapping, lists = read_mapping(published["mapping"]), read_list_sizes(published["lists"])
    lookup = read_postcodes(published["postcodes"])
    assert join_published(mapping, lists, lookup) == import_published(
        published["mapping"], published["lists"], published["postcodes"]), "keeping every postcode changes nothing"
