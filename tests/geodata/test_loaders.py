"""Loaders: practices (CSV, GeoJSON, GeoPackage), relations and groupings, and their validation."""

from __future__ import annotations

import math
import runpy
import warnings
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from tests.conftest import NHS_HEADER, REPOSITORY, PreparedCase
from shapely.geometry import LineString, Point

from clusterkit.command_line.reporting import flag_of
from clusterkit.errors import InputError
from clusterkit.model.coordinates import to_bng
from geodata import load_study_area, read_grouping, read_practices, read_relations, read_table


# ---------------------------------------------------------------------------------------------- every bad input
def test_bad_input_raises_input_error_at_the_right_place(bad_case: PreparedCase) -> None:
    case = bad_case.case
    with pytest.raises(InputError) as caught:
        graph = load_study_area(
            bad_case.practices,
            relations=bad_case.path(case.relations),
            icb=case.icb,
            sub_icb=case.sub_icb,
            columns=case.options,
            adjacency=None,
        )
        if case.groups:
            read_grouping(bad_case.path(case.groups), graph)
    error = caught.value
    assert error.source is not None
    where = flag_of(error.source) or Path(error.source).name  # a library parameter, shown as the CLI's flag
    assert where == case.culprit
    assert (error.row, error.column, error.value) == (case.row, case.column, case.value)
    assert case.fragment in str(error)
    assert error.exit_code == 2
    assert "\n" not in str(error)


# ---------------------------------------------------------------------------------------------- practices CSV
def test_nhs_columns_are_read_as_they_are(tiny_csv: Path) -> None:
    graph = read_practices(tiny_csv)
    assert graph.codes == ("A1", "B2", "C3", "D4", "E5")
    a1 = graph.practice("A1")
    assert (a1.name, a1.list_size, a1.turnover) == ("ALPHA SURGERY", 9_000, 1_080_000.0)
    assert (a1.sub_icb, a1.icb, a1.group, a1.willing) == ("00T", "QOP", "P1", True)
    assert (a1.lat, a1.lon) == (53.48, -2.24)
    x, y = to_bng(np.array([53.48]), np.array([-2.24]))
    assert (a1.x, a1.y) == pytest.approx((x[0], y[0]), abs=1e-6)
    assert dict(a1.attributes) == {"postcode": "M1 1AA", "pcn_name": "PCN P1"}
    assert graph.practice("E5").group is None
    assert graph.population == 34_000
    assert graph.meta["source"] == str(tiny_csv)


def test_other_column_names_are_mapped_by_options(write_file) -> None:
    path = write_file("mapped.csv", "ODS;Name;Latitude;Longitude;Patients;CCG;ICB;Network\n"
                                    "p1;One;53.48;-2.24;9000;00t;qop;N1\n"
                                    "P2;Two;53.49;-2.25;6000;00T;QOP;N1\n")
    graph = read_practices(path, columns={"code": "ods", "list_size": "Patients", "sub_icb": "CCG", "icb": "ICB",
                                          "group": "Network"})
    assert graph.codes == ("P1", "P2")
    assert [p.list_size for p in graph.practices] == [9_000, 6_000]
    assert {p.sub_icb for p in graph.practices} == {"00T"}  # area codes are upper-cased
    assert {p.icb for p in graph.practices} == {"QOP"}
    assert {p.group for p in graph.practices} == {"N1"}
    assert graph.practice("P1").name == "One"


def test_tab_delimited_with_bom_crlf_and_blank_lines_keeps_line_numbers(write_file) -> None:
    text = "\ufeffpractice_code\tlat\tlon\tlist_size\r\n\r\nA1\t53.48\t-2.24\t100\r\n\r\nB2\t53.49\t-2.25\tlots\r\n"
    path = write_file("tabs.tsv", text.encode("utf-8"))
    with pytest.raises(InputError) as caught:
        read_practices(path)
    assert (caught.value.row, caught.value.column, caught.value.value) == (5, "list_size", "lots")
    path.write_bytes(text.replace("lots", "200").encode("utf-8"))
    assert read_practices(path).population == 300


def test_excel_unicode_text_utf16_is_read(write_file) -> None:
    path = write_file("excel.txt", "practice_code\tlat\tlon\tlist_size\nA1\t53.48\t-2.24\t1,234\n".encode("utf-16"))
    graph = read_practices(path)
    assert graph.practice("A1").list_size == 1_234


def test_encoding_option_reads_cp1252(write_file) -> None:
    text = "practice_code,practice_name,lat,lon,list_size\nA1,CAFÉ,53.48,-2.24,100\n"
    path = write_file("cp.csv", text.encode("cp1252"))
    assert read_practices(path, encoding="cp1252").practice("A1").name == "CAFÉ"
    with pytest.raises(InputError, match="unknown text encoding 'klingon'"):
        read_practices(path, encoding="klingon")


def test_easting_northing_instead_of_lat_lon(write_file) -> None:
    path = write_file("bng.csv", "code,easting,northing,patients\nA1,383000,398000,5000\n")
    practice = read_practices(path).practice("A1")
    assert (practice.x, practice.y) == (383_000.0, 398_000.0)
    x, y = to_bng(np.array([practice.lat]), np.array([practice.lon]))
    assert (x[0], y[0]) == pytest.approx((383_000.0, 398_000.0), abs=0.01)
    assert 53.4 < practice.lat < 53.5 and -2.3 < practice.lon < -2.2  # central Manchester


def test_northing_outside_uk_names_the_northing_column(write_file) -> None:
    path = write_file("bng.csv", "code,easting,northing,patients\nA1,383000,1398000,5000\n")
    with pytest.raises(InputError) as caught:
        read_practices(path)
    assert (caught.value.row, caught.value.column, caught.value.value) == (2, "northing", "1398000")


def test_willing_turnover_and_extra_attributes(write_file) -> None:
    path = write_file("extra.csv", "practice_code,lat,lon,list_size,turnover,willing,score,motto\n"
                                   "A1,53.48,-2.24,1000,\"£150,000\",no,0.5,care\n"
                                   "B2,53.49,-2.25,2000,,yes,,kind\n"
                                   "C3,53.50,-2.26,3000,,,2,\n")
    graph = read_practices(path, funding_per_patient=100.0)
    a1, b2, c3 = graph.practices
    assert (a1.turnover, b2.turnover, c3.turnover) == (150_000.0, 200_000.0, 300_000.0)
    assert (a1.willing, b2.willing, c3.willing) == (False, True, True)
    assert a1.attributes["score"] == 0.5 and math.isnan(b2.attributes["score"]) and c3.attributes["score"] == 2.0
    assert (a1.attributes["motto"], c3.attributes["motto"]) == ("care", "")


def test_bad_willing_and_negative_turnover_are_located(write_file) -> None:
    path = write_file("w.csv", "practice_code,lat,lon,list_size,willing\nA1,53.48,-2.24,1000,maybe\n")
    with pytest.raises(InputError, match="is not yes/no") as caught:
        read_practices(path)
    assert (caught.value.row, caught.value.column, caught.value.value) == (2, "willing", "maybe")
    path = write_file("t.csv", "practice_code,lat,lon,list_size,turnover\nA1,53.48,-2.24,1000,-1\n")
    with pytest.raises(InputError, match="turnover is negative") as caught:
        read_practices(path)
    assert (caught.value.row, caught.value.column) == (2, "turnover")


def test_negative_funding_per_patient_is_refused(tiny_csv: Path) -> None:
    with pytest.raises(InputError, match="funding per patient"):
        read_practices(tiny_csv, funding_per_patient=-1.0)


def test_repeated_header_column_is_refused(write_file) -> None:
    path = write_file("h.csv", "practice_code,lat,LAT,lon,list_size\nA1,53,53,-2,1\n")
    with pytest.raises(InputError, match=r"header names column 'LAT' twice \(columns 2 and 3\)") as caught:
        read_practices(path)
    assert caught.value.row == 1


def test_selection_while_reading(tiny_csv: Path) -> None:
    assert read_practices(tiny_csv, icb=["qop"]).codes == ("A1", "B2", "C3")
    assert read_practices(tiny_csv, icb=["QOP"], sub_icb=["00V", "01A"]).codes == ("C3",)


# ---------------------------------------------------------------------------------------------- vector files
def _points_frame(crs: int = 4326) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(
        {"practice_code": ["A1", "B2"], "list_size": [9_000, 6_000], "icb_code": ["QOP", "QOP"],
         "willing": [True, False], "score": [0.25, 0.75]},
        geometry=[Point(-2.24, 53.48), Point(-2.25, 53.49)],
        crs=4326,
    )
    return frame.to_crs(crs)


def test_geojson_points_are_read(tmp_path: Path) -> None:
    path = tmp_path / "practices.geojson"
    _points_frame().to_file(path, driver="GeoJSON")
    graph = read_practices(path)
    assert graph.codes == ("A1", "B2")
    a1, b2 = graph.practices
    assert (a1.lat, a1.lon, a1.list_size, a1.icb) == (53.48, -2.24, 9_000, "QOP")
    assert (a1.willing, b2.willing) == (True, False)
    assert b2.attributes["score"] == 0.75


def test_geopackage_in_british_national_grid_is_reprojected(tmp_path: Path) -> None:
    path = tmp_path / "practices.gpkg"
    _points_frame(27700).to_file(path, driver="GPKG", layer="practices")
    graph = read_practices(path)
    a1 = graph.practice("A1")
    assert (a1.lat, a1.lon) == pytest.approx((53.48, -2.24), abs=1e-7)
    x, y = to_bng(np.array([53.48]), np.array([-2.24]))
    assert (a1.x, a1.y) == pytest.approx((x[0], y[0]), abs=0.01)


def test_vector_file_errors_name_the_feature(tmp_path: Path) -> None:
    frame = _points_frame()
    shapes = [Point(-2.24, 53.48), LineString([(-2.2, 53.4), (-2.3, 53.5)])]
    lines = gpd.GeoDataFrame(frame.drop(columns="geometry"), geometry=shapes, crs=4326)
    path = tmp_path / "lines.geojson"
    lines.to_file(path, driver="GeoJSON")
    with pytest.raises(InputError, match="feature 2: is a LineString; practices must be points") as caught:
        read_practices(path)
    assert caught.value.row == 2
    empty = tmp_path / "empty.geojson"
    empty.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(InputError, match="has no features"):
        read_practices(empty)
    missing = tmp_path / "missing.geojson"
    missing.write_text('{"type": "FeatureCollection", "features": ['
                       '{"type": "Feature", "properties": {"practice_code": "A1", "list_size": 5}, "geometry": null}]}')
    with pytest.raises(InputError, match="feature 1, column 'lat': coordinate is missing"):
        read_practices(missing)


def test_vector_reader_warnings_do_not_reach_the_user(tmp_path: Path) -> None:
    path = tmp_path / "mixed.geojson"
    path.write_text('{"type": "FeatureCollection", "features": ['
                    '{"type": "Feature", "properties": {"practice_code": "A1", "list_size": 5},'
                    ' "geometry": {"type": "Point", "coordinates": [-2.24, 53.48]}},'
                    '{"type": "Feature", "properties": {"practice_code": "B2", "list_size": "many"},'
                    ' "geometry": {"type": "Point", "coordinates": [-2.25, 53.49]}}]}')
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InputError) as caught:
            read_practices(path)
    assert (caught.value.row, caught.value.column, caught.value.value) == (2, "list_size", "many")
    assert "feature 2" in str(caught.value)


# ---------------------------------------------------------------------------------------------- relations, groupings
def test_relations_of_every_kind(tiny_graph, write_file) -> None:
    path = write_file("rel.csv", "a,b,kind,value\n"
                                 "b2,a1,alignment,0.75\n"
                                 "A1,B2,shared_staff:district_nurse,0.5\n"
                                 "A1,B2,shared_staff:ecg_machine,\n"
                                 "C3,A1,Must_Link,\n"
                                 "D4,E5,cannot_link,1\n")
    relations = read_relations(path, tiny_graph)
    assert [(r.a, r.b, r.kind, r.value, r.resource) for r in relations] == [
        ("A1", "B2", "alignment", 0.75, None),
        ("A1", "B2", "shared_staff", 0.5, "district_nurse"),
        ("A1", "B2", "shared_staff", 1.0, "ecg_machine"),
        ("A1", "C3", "must_link", 1.0, None),
        ("D4", "E5", "cannot_link", 1.0, None),
    ]


def test_repeated_relation_and_bad_amounts_are_refused(tiny_graph, write_file) -> None:
    path = write_file("rel.csv", "a,b,kind,value\nA1,B2,alignment,0.5\nB2,A1,alignment,0.6\n")
    with pytest.raises(InputError, match=r"repeats the alignment relation of A1 and B2 \(first on row 2\)") as caught:
        read_relations(path, tiny_graph)
    assert caught.value.row == 3
    path = write_file("rel2.csv", "a,b,kind,value\nA1,B2,shared_staff:nurse,0\n")
    with pytest.raises(InputError, match="shared staff must be a positive amount"):
        read_relations(path, tiny_graph)
    path = write_file("rel3.csv", "a,b,kind,value\nA1,B2,must_link,2\n")
    with pytest.raises(InputError, match="must_link takes no value") as caught:
        read_relations(path, tiny_graph)
    assert (caught.value.column, caught.value.value) == ("value", "2")


def test_relations_outside_the_selection_are_left_out(tiny_csv: Path, write_file) -> None:
    relations = write_file("rel.csv", "a,b,kind,value\nA1,B2,alignment,0.9\nD4,E5,must_link,\nA1,D4,cannot_link,\n")
    graph = load_study_area(tiny_csv, relations=relations, icb=["QOP"])
    assert graph.codes == ("A1", "B2", "C3")
    assert graph.relation_counts()["alignment"] == 1
    assert graph.relation_counts()["must_link"] == 0
    assert graph.relation_counts()["cannot_link"] == 0
    assert len(graph.components()) == 1  # the adjacency was built on the selection


def test_grouping_is_read(tiny_graph, write_file) -> None:
    path = write_file("groups.csv", "practice_code,group\nb2,North\nA1,North\nC3,7\n")
    assert read_grouping(path, tiny_graph) == {"A1": "North", "B2": "North", "C3": "7"}


def test_grouping_of_a_selection_leaves_out_other_areas_and_blank_groups(tiny_graph, write_file) -> None:
    # a national grouping (e.g. the NHS file's pcn_code) checked against one ICB
    path = write_file("pcns.csv", "practice_code,pcn_code\nA1,P1\nB2,P1\nC3,\nD4,P3\nE5,P3\n")
    assert read_grouping(path, tiny_graph.select(icb=["QOP"])) == {"A1": "P1", "B2": "P1"}
    assert read_grouping(path, tiny_graph) == {"A1": "P1", "B2": "P1", "D4": "P3", "E5": "P3"}
    repeated = write_file("twice.csv", "practice_code,group\nA1,G1\nD4,G2\na1,G3\n")
    with pytest.raises(InputError, match="practice appears twice") as caught:
        read_grouping(repeated, tiny_graph.select(icb=["QOP"]))
    assert caught.value.row == 4


def test_relations_against_a_selection_name_the_selection(tiny_graph, write_file) -> None:
    path = write_file("rel.csv", "a,b,kind,value\nA1,D4,must_link,\n")
    with pytest.raises(InputError, match=r"not among the selected practices \(--icb QOP --sub-icb 00T\)") as caught:
        read_relations(path, tiny_graph.select(icb=["QOP"], sub_icb=["00T"]))
    assert (caught.value.row, caught.value.column, caught.value.value) == (2, "b", "D4")


def test_read_table_rows_are_file_line_numbers(write_file) -> None:
    table = read_table(write_file("t.csv", "x,y\n1,2\n\n\"a\nb\",3\n"))
    assert [row for row, _ in table] == [2, 5]
    assert table.rows[1][1] == {"x": "a\nb", "y": "3"}


# ---------------------------------------------------------------------------------------------- real data
def test_real_file_has_every_english_practice(nhs_graph, nhs_practices_csv: Path) -> None:
    frame = pd.read_csv(nhs_practices_csv, dtype=str)
    assert list(frame.columns) == NHS_HEADER.split(",")
    assert len(nhs_graph) == 6_129 == len(frame)
    assert nhs_graph.population == int(frame["list_size"].astype(int).sum())
    assert len([p for p in nhs_graph.practices if p.group is None]) == 52
    assert len(nhs_graph.areas("icb")) == 36


def test_real_file_area_selection(nhs_graph) -> None:
    qop = nhs_graph.select(icb=["QOP"])
    assert len(qop) == 406
    assert nhs_graph.select(icb=["qop"]).codes == qop.codes
    sub = nhs_graph.select(icb=["QOP"], sub_icb=["00T"])
    assert (len(sub), sub.population) == (49, 333_886)  # DESIGN.md's figures for sub-ICB 00T
    assert nhs_graph.select(sub_icb=["00T"]).codes == sub.codes
    with pytest.raises(InputError, match="no practice is in ICB QOP and sub-ICB 16C at once"):
        nhs_graph.select(icb=["QOP"], sub_icb=["16C"])


def test_example_loads_one_real_icb(nhs_practices_csv: Path, capsys) -> None:
    example = runpy.run_path(str(REPOSITORY / "examples" / "load_real_icb.py"))
    assert example["main"](["QOP", "--data", str(nhs_practices_csv.parent)]) == 0
    out = capsys.readouterr().out
    assert "practices:   406" in out
    assert "population:  3,296,371" in out
    assert example["main"](["QXX", "--data", str(nhs_practices_csv.parent)]) == 2
    assert "ICB code 'QXX' selects no practice" in capsys.readouterr().err
