"""atomic_files: files that belong together are put in place together, or none of them."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

import geodata.write.files as files
from geodata.write.files import atomic_files, write_text


def _state(folder: Path) -> dict[str, str]:
    return {path.name: path.read_text() for path in sorted(folder.iterdir())}


def test_every_file_or_none(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("old a")
    with pytest.raises(RuntimeError):
        with atomic_files([tmp_path / "a.csv", tmp_path / "b.json"]) as (a, b):
            write_text(a, "new a")
            raise RuntimeError("the second file fails")
    assert _state(tmp_path) == {"a.csv": "old a"}, "no file replaced, no temporary left"
    with atomic_files([tmp_path / "a.csv", tmp_path / "b.json"]) as (a, b):
        write_text(a, "new a")
        write_text(b, "new b")
    assert _state(tmp_path) == {"a.csv": "new a", "b.json": "new b"}
    assert oct((tmp_path / "b.json").stat().st_mode & 0o777) != oct(0o600), "a plain file's permissions"


def test_a_signal_during_the_renames_comes_after_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    real_replace, done = os.replace, []

    def replace_then_interrupt(source, target):
        real_replace(source, target)
        done.append(Path(target).name)
        if len(done) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C between the first rename and the second

    monkeypatch.setattr(files.os, "replace", replace_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        with atomic_files([tmp_path / "a.csv", tmp_path / "b.csv"]) as (a, b):
            a.write_text("a")
            b.write_text("b")
    assert done == ["a.csv", "b.csv"] and _state(tmp_path) == {"a.csv": "a", "b.csv": "b"}, "the set is whole"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
