"""Writers: RFC 7946 practices.geojson, CSV tables, JSON, atomic writes and the output folder."""

from __future__ import annotations

import json
import os
import stat
from decimal import Decimal
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clusterkit.errors import InputError, StorageError
from geodata.write.output_set import OutputSet
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Relation
from geodata import (
    atomic_write,
    read_grouping,
    read_practices,
    read_relations,
    write_csv,
    write_groups_csv,
    write_json,
    write_practices_csv,
    write_practices_geojson,
    write_relations_csv,
    write_text,
)


def _strict_json(text: str):
    """Parse JSON refusing NaN/Infinity (which RFC 8259 forbids) and keeping numbers as written."""

    def refuse(name: str):
        raise ValueError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=refuse, parse_float=Decimal, parse_int=Decimal)


def _decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# ---------------------------------------------------------------------------------------------- GeoJSON
@pytest.fixture
def labelled(tiny_graph: PracticeGraph, tmp_path: Path) -> tuple[PracticeGraph, dict[str, str], Path]:
    network = {"A1": "N1", "B2": "N1", "C3": "N2", "D4": "N3"}  # E5 unwilling: no network
    path = write_practices_geojson(tmp_path / "practices.geojson", tiny_graph, {"network": network})
    return tiny_graph, network, path


def test_practices_geojson_is_rfc7946(labelled) -> None:
    graph, _, path = labelled
    document = _strict_json(path.read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document
    assert len(document["features"]) == len(graph)
    for feature, practice in zip(document["features"], graph.practices):
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]  # RFC 7946: longitude first
        assert (float(lon), float(lat)) == pytest.approx((practice.lon, practice.lat), abs=5e-7)
        assert _decimals(lon) <= 6 and _decimals(lat) <= 6
        assert feature["properties"]["practice_code"] == practice.code


def test_practices_geojson_reads_back_with_every_row_and_attribute(labelled) -> None:
    graph, network, path = labelled
    frame = gpd.read_file(path, engine="pyogrio")
    assert frame.crs.to_epsg() == 4326
    assert frame["practice_code"].tolist() == list(graph.codes)
    assert frame["practice_name"].tolist() == [p.name for p in graph.practices]
    assert frame["list_size"].tolist() == [p.list_size for p in graph.practices]
    assert frame["turnover"].tolist() == [p.turnover for p in graph.practices]
    assert frame["sub_icb"].tolist() == [p.sub_icb for p in graph.practices]
    assert frame["icb"].tolist() == [p.icb for p in graph.practices]
    assert frame["willing"].tolist() == [p.willing for p in graph.practices]
    assert frame["current_group"].tolist()[:4] == ["P1", "P1", "P2", "P3"] and pd.isna(frame["current_group"][4])
    assert frame["network"].tolist()[:4] == [network[c] for c in graph.codes[:4]] and pd.isna(frame["network"][4])
    assert frame["philosophy"].tolist() == pytest.approx([0.0, 0.1, 0.2, 0.3, 0.4])
    assert frame["note"].tolist() == ["n0", "n1", "n2", "n3", "n4"]
    assert frame.geometry.x.tolist() == pytest.approx([p.lon for p in graph.practices], abs=5e-7)
    assert frame.geometry.y.tolist() == pytest.approx([p.lat for p in graph.practices], abs=5e-7)


def test_geojson_reads_back_as_practices(labelled) -> None:
    graph, _, path = labelled
    again = read_practices(path, columns={"sub_icb": "sub_icb", "icb": "icb", "group": "current_group"})
    assert again.codes == graph.codes
    assert [p.list_size for p in again.practices] == [p.list_size for p in graph.practices]
    assert [p.group for p in again.practices] == [p.group for p in graph.practices]
    assert [p.willing for p in again.practices] == [p.willing for p in graph.practices]


def test_nan_attributes_become_null(tiny_graph: PracticeGraph, tmp_path: Path) -> None:
    path = write_practices_geojson(tmp_path / "p.geojson", tiny_graph,
                                   {"score": {"A1": float("nan"), "B2": np.float64(2.5), "C3": float("inf")}})
    properties = [f["properties"] for f in _strict_json(path.read_text())["features"]]
    assert [p["score"] for p in properties] == [None, Decimal("2.5"), None, None, None]


# ---------------------------------------------------------------------------------------------- CSV, JSON
def test_practices_csv_round_trip(tiny_graph: PracticeGraph, tmp_path: Path) -> None:
    path = write_practices_csv(tmp_path / "practices.csv", tiny_graph)
    header = path.read_text().splitlines()[0]
    assert header == ("practice_code,practice_name,lat,lon,list_size,turnover,pcn_code,sub_icb_code,icb_code,"
                      "willing,note,philosophy")
    again = read_practices(path)
    assert again.practices == tiny_graph.practices
    assert [dict(p.attributes) for p in again.practices] == [dict(p.attributes) for p in tiny_graph.practices]


def test_relations_csv_round_trip(tiny_graph: PracticeGraph, tmp_path: Path) -> None:
    relations = (
        Relation("A1", "B2", "alignment", 0.35),
        Relation("A1", "B2", "shared_staff", 1.5, "district_nurse"),
        Relation("A1", "C3", "must_link"),
        Relation("D4", "E5", "cannot_link"),
    )
    path = write_relations_csv(tmp_path / "relations.csv", relations)
    assert path.read_text().splitlines() == [
        "a,b,kind,value", "A1,B2,alignment,0.35", "A1,B2,shared_staff:district_nurse,1.5", "A1,C3,must_link,",
        "D4,E5,cannot_link,",
    ]
    assert read_relations(path, tiny_graph) == relations


def test_groups_csv_sorted_and_read_back(tiny_graph: PracticeGraph, tmp_path: Path) -> None:
    labels = {"C3": "N2", "A1": "N1", "B2": "N1"}
    path = write_groups_csv(tmp_path / "groups.csv", labels)
    assert path.read_text() == "practice_code,group\nA1,N1\nB2,N1\nC3,N2\n"
    assert read_grouping(path, tiny_graph) == labels


def test_csv_empty_cells_and_quoting(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "t.csv", ["a", "b"], [[None, float("nan")], ["x,y", 'say "hi"']])
    assert path.read_text() == 'a,b\n,\n"x,y","say ""hi"""\n'


def test_json_is_strict_and_plain(tmp_path: Path) -> None:
    path = write_json(tmp_path / "summary.json", {"gap": float("nan"), "n": np.int64(3), "ok": np.bool_(True),
                                                  "pairs": (1.5, float("-inf")), 7: "seven"})
    assert _strict_json(path.read_text()) == {"gap": None, "n": 3, "ok": True, "pairs": [Decimal("1.5"), None],
                                              "7": "seven"}


# ---------------------------------------------------------------------------------------------- atomic writes
def test_failed_write_keeps_the_previous_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = write_text(tmp_path / "report.md", "old report\n")
    with pytest.raises(RuntimeError, match="boom"):
        with atomic_write(target) as stream:
            stream.write("half a new rep")
            raise RuntimeError("boom")
    assert target.read_text() == "old report\n"
    assert os.listdir(tmp_path) == ["report.md"]


def test_interrupted_write_of_a_new_file_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(KeyboardInterrupt):
        with atomic_write(tmp_path / "new.geojson") as stream:
            stream.write("{")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_failing_serialisation_keeps_the_previous_file(tmp_path: Path) -> None:
    target = write_json(tmp_path / "summary.json", {"version": 1})
    with pytest.raises(TypeError):
        write_json(target, {"not serialisable": object()})
    assert json.loads(target.read_text()) == {"version": 1}
    assert os.listdir(tmp_path) == ["summary.json"]


def test_atomic_write_binary_and_permissions(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "map.png", "wb", encoding=None) as stream:
        stream.write(b"\x89PNG")
    target = tmp_path / "map.png"
    assert target.read_bytes() == b"\x89PNG"
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as a plain open() would give, not 0600


@settings(max_examples=60, deadline=None)
@given(old=st.one_of(st.none(), st.text(max_size=200)), new=st.text(max_size=200), fail=st.booleans())
def test_atomic_write_leaves_either_the_old_or_the_new_file(tmp_path_factory, old, new, fail) -> None:
    folder = tmp_path_factory.mktemp("atomic")
    target = folder / "out.txt"
    if old is not None:
        target.write_bytes(old.encode("utf-8", "surrogatepass"))
    try:
        with atomic_write(target) as stream:
            stream.write(new)
            if fail:
                raise ValueError("fail")
    except ValueError:
        pass
    names = os.listdir(folder)
    if fail:
        assert names == ([] if old is None else ["out.txt"])
        if old is not None:
            assert target.read_bytes().decode("utf-8", "surrogatepass") == old
    else:
        assert names == ["out.txt"]
        assert target.read_bytes().decode("utf-8", "surrogatepass") == new


# ---------------------------------------------------------------------------------------------- output folder
def test_output_set_checks_the_folder_before_any_work(tmp_path: Path) -> None:
    fresh = tmp_path / "a" / "b"
    with OutputSet(fresh) as staging:  # a folder not there yet: created at commit
        (staging.folder / "new.csv").write_text("x")
    assert fresh.is_dir() and sorted(p.name for p in fresh.iterdir()) == ["new.csv"]
    (fresh / "new.csv").unlink()
    OutputSet(fresh).discard()  # empty: fine
    (fresh / "old.csv").write_text("x")
    with pytest.raises(InputError, match="output folder is not empty; pass --overwrite") as caught:
        OutputSet(fresh)
    assert caught.value.source == str(fresh)
    kept = OutputSet(fresh, overwrite=True)
    kept.discard()
    assert (fresh / "old.csv").exists()
    with pytest.raises(InputError, match="exists and is not a folder"):
        OutputSet(fresh / "old.csv", overwrite=True)
    with pytest.raises(InputError, match="is empty"):
        OutputSet("")
    assert not [p for p in tmp_path.rglob(".*")], "no staging left behind"


def test_output_set_is_replaced_whole_or_kept_whole(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "groups.csv").write_text("old")
    (out / "summary.json").write_text("old")
    with pytest.raises(RuntimeError):
        with OutputSet(out, overwrite=True) as staging:
            (staging.folder / "groups.csv").write_text("new")
            raise RuntimeError("the disk filled up")
    assert {p.name: p.read_text() for p in out.iterdir()} == {"groups.csv": "old", "summary.json": "old"}
    with OutputSet(out, overwrite=True) as staging:
        (staging.folder / "groups.csv").write_text("new")
    # the new set replaced the file it has; a file it does not write (a user's own) is kept
    assert {p.name: p.read_text() for p in out.iterdir()} == {"groups.csv": "new", "summary.json": "old"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"], "no staging or previous set left beside"


def test_stale_staging_of_a_killed_run_is_cleaned_and_a_set_left_aside_restored(tmp_path: Path) -> None:
    out = tmp_path / "out"
    dead = 2**22 + 12345  # no such process
    (tmp_path / f".out.staging-{dead}").mkdir()
    (tmp_path / f".out.staging-{dead}" / "groups.csv").write_text("half")
    (tmp_path / f".out.previous-{dead}").mkdir()
    (tmp_path / f".out.previous-{dead}" / "groups.csv").write_text("previous")
    with pytest.raises(InputError, match="not empty"):  # the previous set is back, so --out holds files again
        OutputSet(out)
    assert (out / "groups.csv").read_text() == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    (out / ".groups.csv.abc123xy.tmp").write_text("")  # a temporary file of an old run is not content
    (out / "groups.csv").unlink()
    OutputSet(out).discard()


def test_an_unwritable_output_folder_is_an_environment_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root may write anywhere")
    out = tmp_path / "locked"
    out.mkdir()
    out.chmod(0o500)
    try:
        with pytest.raises(StorageError) as caught:
            OutputSet(out)
        assert caught.value.exit_code == 4
    finally:
        out.chmod(0o700)


def test_write_creates_missing_parent_folders(tmp_path: Path) -> None:
    path = write_text(tmp_path / "deep" / "er" / "x.txt", "hi")
    assert path.read_text() == "hi"


def test_the_output_registry_writes_a_runs_set_or_the_formats_asked(tmp_path: Path) -> None:
    from clusterkit.runs import run_grouping
    from clusterkit.synthetic import synthetic_county
    from geodata.write.outputs import OUTPUTS, write_outputs

    run = run_grouping(synthetic_county(seed=1).with_adjacency(), workers=1)
    (tmp_path / "all").mkdir()
    every = write_outputs(run, tmp_path / "all")
    registered = [output.name for output in OUTPUTS["group"]]
    # no relations: no links; each GeoJSON with its style
    assert [path.name for path in every] == [
        "groups.csv", "groups_table.csv", "practices.geojson", "practices.qml", "groups.geojson", "groups.qml",
        "moves.geojson", "moves.qml", "clusterkit.gpkg", "map.png", "map.html", "report.md", "summary.json"]
    assert set(path.name for path in every if not path.name.endswith(".qml")) <= set(registered)
    (tmp_path / "no-maps").mkdir()
    without_maps = write_outputs(run, tmp_path / "no-maps", maps=False)
    assert [path.name for path in without_maps] == [path.name for path in every
                                                    if path.name not in ("map.png", "map.html")]
    (tmp_path / "csv").mkdir()
    only_csv = write_outputs(run, tmp_path / "csv", formats={"csv"})
    assert sorted(path.name for path in only_csv) == ["groups.csv", "groups_table.csv", "summary.json"]
    assert sorted(path.name for path in (tmp_path / "csv").iterdir()) == ["groups.csv", "groups_table.csv",
                                                                          "summary.json"]
    with pytest.raises(InputError, match="unknown output format"):
        write_outputs(run, tmp_path, formats={"shp"})
