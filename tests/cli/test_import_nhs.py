"""clusterkit import-nhs: exit codes, one line per bad file with nothing written, the set written whole."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from cli import main
from tests.geodata.test_nhs import LISTS, MAPPING, POSTCODES, lists_row, write_published

NAMES = ["practices.csv", "practices_summary.json", "practices_unmatched.csv"]


@pytest.fixture
def inputs(tmp_path: Path) -> dict[str, Path]:
    """Published files in ``tmp_path/in``: every practice of the mapping but A81006 has a list size."""
    folder = tmp_path / "in"
    folder.mkdir()
    return {"mapping": write_published(folder, "gp-reg-pat-prac-map.zip", {"gp-reg-pat-prac-map.csv": MAPPING}),
            "lists": write_published(folder, "gp-reg-pat-prac-all.zip", {"gp-reg-pat-prac-all.csv": LISTS}),
            "postcodes": write_published(folder, "TS.csv", POSTCODES)}


def _import(inputs: dict[str, Path], out: Path | str, *extra: str, **given: Path) -> Result:
    files = {**inputs, **given}
    return CliRunner().invoke(main, ["import-nhs", "--mapping", str(files["mapping"]), "--lists", str(files["lists"]),
                                     "--postcodes", str(files["postcodes"]), "--out", str(out), *extra])


def _state(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())} if folder.exists() else {}


def test_a_complete_import_exits_0(inputs: dict[str, Path], tmp_path: Path) -> None:
    complete = write_published(tmp_path / "in", "all.csv", LISTS + lists_row("A81006", "TS1 1AA", "42") + "\n")
    result = _import(inputs, tmp_path / "out" / "practices.csv", lists=complete)
    assert result.exit_code == 0, result.output
    assert "imported:    5 practices (41,727 patients), 1 located by their list-size postcode (A81005)" in result.stdout
    assert "unmatched:   0\n" in result.stdout and result.stderr == ""
    assert sorted(path.name for path in (tmp_path / "out").iterdir()) == NAMES
    assert (tmp_path / "out" / "practices_unmatched.csv").read_text().count("\n") == 1, "the header only"


def test_practices_left_out_are_counted_listed_and_exit_1(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "practices.csv"
    result = _import(inputs, out)
    assert result.exit_code == 1, result.output
    assert "unmatched:   1 (no list size in the list-size file: 1), listed in practices_unmatched.csv" in result.stdout
    assert result.stderr.strip() == ("clusterkit: 1 of 5 practices of the mapping are left out (no list size in the "
                                     "list-size file: 1)")
    unmatched = (tmp_path / "out" / "practices_unmatched.csv").read_text().splitlines()
    assert unmatched[1] == "A81006,NEW SURGERY,TS1 1AA,,16C,QHM,no list size in the list-size file"
    summary = json.loads((tmp_path / "out" / "practices_summary.json").read_text())
    assert summary["exit_code"] == 1 and summary["nhs_import"]["extract_dates"]["lists"] == "2025-04-01"
    assert (tmp_path / "out" / "practices.csv").read_text().count("\n") == 5


#: (what, the option given the bad file, its name, its content, parts of the one line).
BAD_FILES = [
    ("the mapping given for --lists", "lists", "gp-reg-pat-prac-map.zip", {"gp-reg-pat-prac-map.csv": MAPPING},
     ("gp-reg-pat-prac-map.zip (gp-reg-pat-prac-map.csv)", "practice mapping", "not NHS England's list sizes")),
    ("a missing column", "mapping", "map.csv", MAPPING.replace("PRACTICE_POSTCODE", "POSTCODE"),
     ("map.csv", "row 1", "missing required column 'PRACTICE_POSTCODE'")),
    ("a zip with two CSVs", "lists", "all.zip", {"gp-reg-pat-prac-all.csv": LISTS, "copy.csv": LISTS},
     ("all.zip", "holds 2 CSV files")),
    ("a zip with no CSV", "mapping", "map.zip", {"gp-reg-pat-prac-map.txt": MAPPING}, ("map.zip", "no CSV file")),
    ("a damaged zip", "mapping", "map.zip", b"PK\x03\x04not really", ("map.zip", "not a readable zip archive")),
    ("a missing file", "postcodes", "absent.csv", ..., ("absent.csv", "no such file")),
    ("a bad coordinate", "postcodes", "TS.csv", POSTCODES.replace("-1.31389", "west"),
     ("TS.csv", "row 3", "column 'long'", "'west'")),
]


@pytest.mark.parametrize("what, option, name, content, parts", BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_a_bad_file_is_one_line_exit_2_and_nothing_written(inputs: dict[str, Path], tmp_path: Path, what: str,
                                                           option: str, name: str, content, parts) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    path = bad / name if content is ... else write_published(bad, name, content)
    result = _import(inputs, tmp_path / "out" / "practices.csv", **{option: path})
    assert result.exit_code == 2, result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("clusterkit: error: ") and "Traceback" not in result.output
    for part in parts:
        assert part in lines[0], lines[0]
    assert result.stdout == "" and not (tmp_path / "out").exists()


def test_an_unreadable_file_is_one_line_exit_4(inputs: dict[str, Path], tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    real_open = Path.open

    def refused(self: Path, *args, **kwargs):
        if self == inputs["lists"]:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", refused)  # root reads any file: refuse this one here
    result = _import(inputs, tmp_path / "out" / "practices.csv")
    assert result.exit_code == 4 and result.stderr.count("\n") == 1
    assert "gp-reg-pat-prac-all.zip: cannot be read (Permission denied)" in result.stderr
    assert not (tmp_path / "out").exists()


def test_existing_files_need_overwrite(inputs: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out" / "practices.csv"
    out.parent.mkdir()
    (out.parent / "practices_unmatched.csv").write_text("old")
    (out.parent / "mine.txt").write_text("kept")
    result = _import(inputs, out)
    assert result.exit_code == 2 and "practices_unmatched.csv: exists; pass --overwrite" in result.stderr
    assert _state(out.parent) == {"mine.txt": "kept", "practices_unmatched.csv": "old"}
    assert _import(inputs, out, "--overwrite").exit_code == 1
    assert sorted(_state(out.parent)) == sorted([*NAMES, "mine.txt"]) and _state(out.parent)["mine.txt"] == "kept"


@pytest.mark.parametrize("out, part", [("practices.txt", "--out: must name a .csv file"),
                                       ("in/TS.csv", "is one of the input files"), ("", "--out: is empty")])
def test_a_bad_out_is_one_line_exit_2(inputs: dict[str, Path], tmp_path: Path, out: str, part: str) -> None:
    result = _import(inputs, tmp_path / out if out else "", "--overwrite")
    assert result.exit_code == 2 and part in result.stderr and result.stderr.count("\n") == 1


def _previous(out: Path) -> dict[str, str]:
    out.parent.mkdir()
    for name in NAMES:
        (out.parent / name).write_text(f"old {name}")
    return _state(out.parent)


def test_a_full_disk_exits_4_and_leaves_the_previous_set(inputs: dict[str, Path], tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out" / "practices.csv"
    before = _previous(out)
    real_fsync, calls = os.fsync, []

    def full(descriptor: int) -> None:
        calls.append(descriptor)
        if len(calls) == 3:  # the third file of the set: the practices file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(out))
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full)
    result = _import(inputs, out, "--overwrite")
    assert result.exit_code == 4 and "No space left on device" in result.stderr and result.stderr.count("\n") == 1
    assert _state(out.parent) == before, "the previous set, whole, and no temporary file"


def test_ctrl_c_while_writing_leaves_the_previous_set(inputs: dict[str, Path], tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    import geodata.write.nhs as nhs_files

    out = tmp_path / "out" / "practices.csv"
    before = _previous(out)
    real_write_csv, calls = nhs_files.write_csv, []

    def interrupted(*args, **kwargs):
        calls.append(args)
        if len(calls) == 2:  # the practices file, after its companions
            raise KeyboardInterrupt
        return real_write_csv(*args, **kwargs)

    monkeypatch.setattr(nhs_files, "write_csv", interrupted)
    result = _import(inputs, out, "--overwrite")
    assert result.exit_code == 130 and "left as it was" in result.stderr
    assert _state(out.parent) == before
