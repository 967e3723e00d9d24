"""The environment, not the request: exit 4 with one line; --out written whole or left as it was."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from cli import main
from clusterkit.synthetic import synthetic_county
from geodata import write_practices_csv


@pytest.fixture(scope="module")
def practices(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_practices_csv(tmp_path_factory.mktemp("county") / "practices.csv", synthetic_county(seed=1))


def _run(*args: str | Path):
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _state(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())} if folder.exists() else {}


def _one_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    assert len(lines) == 1, text
    assert "Traceback" not in text
    return lines[0]


@pytest.mark.parametrize("previous", [None, {"groups.csv": "old", "summary.json": "old"}])
def test_a_full_disk_exits_4_naming_the_file_and_leaves_out_as_it_was(practices: Path, tmp_path: Path,
                                                                      monkeypatch, previous) -> None:
    out = tmp_path / "out"
    if previous:
        out.mkdir()
        for name, text in previous.items():
            (out / name).write_text(text)
    before = _state(out)
    real_fsync = os.fsync
    written = []

    def full(descriptor: int) -> None:
        written.append(descriptor)
        if len(written) == 3:  # the third file of the set
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "practices.geojson")
        real_fsync(descriptor)

    monkeypatch.setattr(os, "fsync", full)
    result = _run("group", practices, "--sub-icb", "X1A", "--out", out, *(["--overwrite"] if previous else []))
    assert result.exit_code == 4, result.output
    line = _one_line(result.stderr)
    assert "No space left on device" in line and "practices.geojson" in line and "internal error" not in line
    assert _state(out) == before, "--out is as it was"
    assert sorted(path.name for path in tmp_path.iterdir()) == (["out"] if previous else []), "no staging left"


def test_a_negative_seed_is_bad_input(practices: Path, tmp_path: Path) -> None:
    for command in (["group", practices, "--sub-icb", "X1A"], ["demo"]):
        result = _run(*command, "--seed", "-1", "--out", tmp_path / "o")
        assert result.exit_code == 2 and "--seed" in _one_line(result.stderr)
        assert not (tmp_path / "o").exists()


def test_an_empty_out_is_bad_input(practices: Path) -> None:
    result = _run("group", practices, "--sub-icb", "X1A", "--out", "")
    assert result.exit_code == 2 and "--out" in _one_line(result.stderr)


def test_a_run_that_fails_leaves_no_output_folder(practices: Path, tmp_path: Path) -> None:
    out = tmp_path / "never"
    result = _run("group", practices, "--sub-icb", "X1A", "--band", "900000:1000000", "--out", out)
    assert result.exit_code == 3
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_ctrl_c_while_writing_leaves_out_as_it_was(practices: Path, tmp_path: Path, monkeypatch) -> None:
    import geodata.write.outputs as output_files

    out = tmp_path / "out"
    out.mkdir()
    (out / "groups.csv").write_text("old")

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(output_files, "write_geojson", interrupted)  # the third file of the set
    result = _run("group", practices, "--sub-icb", "X1A", "--overwrite", "--out", out)
    assert result.exit_code == 130 and "--out was left as it was" in result.stderr
    assert _state(out) == {"groups.csv": "old"} and sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_input_the_machine_will_not_let_us_read_exits_4_naming_it(practices: Path, tmp_path: Path,
                                                                     monkeypatch) -> None:
    real_read_bytes = Path.read_bytes

    def refused(self: Path) -> bytes:
        if self == practices:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", refused)  # root reads any file: refuse this one here
    out = tmp_path / "out"
    result = _run("group", practices, "--out", out, "--effort", "quick")
    assert result.exit_code == 4, result.output
    assert _one_line(result.stderr) == f"clusterkit: error: {practices}: cannot be read (Permission denied)"
    assert not out.exists()
