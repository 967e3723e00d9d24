"""Writing files atomically: each to a temporary file in the same folder, flushed, then renamed into place;
a set of files beside each other put in place together (:func:`atomic_files`); JSON with NaN made null."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from clusterkit.signals import held_signals



def _process_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Read once: the permissions a plainly created file gets (mkstemp's files are owner-only, 0600).
_FILE_MODE = 0o666 & ~_process_umask()


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``, on error remove it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        kwargs = {"encoding": encoding, "newline": ""} if "b" not in mode else {}
        with os.fdopen(handle, mode, **kwargs) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


@contextmanager
def atomic_files(paths: Sequence[str | Path]) -> Iterator[tuple[Path, ...]]:
    """Write several files that belong together (a table and its companions beside it) whole, or none of them.

    Yields one staging path per target: a hidden temporary file in the target's folder, named as
    :func:`atomic_write` names its own. Write each there. When the block ends normally the staged files are
    renamed over their targets, in order, with Ctrl-C and SIGTERM held back for those few renames so that a
    signal cannot split the set; after an error or a signal inside the block every staged file is removed and
    the targets are as they were. (Only a SIGKILL or a power cut during the renames, microseconds, could leave
    some renamed and not others: put the main file last.)

    Examples
    --------
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_files([folder / "practices_unmatched.csv", folder / "practices.csv"]) as (unmatched, main):
    ...     _ = write_text(unmatched, "practice_code\\n")
    ...     _ = write_text(main, "practice_code\\nA81001\\n")
    >>> sorted(path.name for path in folder.iterdir())
    ['practices.csv', 'practices_unmatched.csv']
    """
    targets = [Path(path) for path in paths]
    staged: list[Path] = []
    try:
        for target in targets:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
            os.close(handle)
            staged.append(Path(temporary))
        yield tuple(staged)
        with held_signals():
            for temporary, target in zip(staged, targets):
                os.chmod(temporary, _FILE_MODE)
                os.replace(temporary, target)
    except BaseException:
        for temporary in staged:
            try:
                os.unlink(temporary)
            except FileNotFoundError:
                pass
        raise


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A free temporary path beside ``path`` for a writer that wants a file name (GDAL); on success it is
    renamed over ``path``, on error it (and any ``-journal``/``-wal``/``-shm`` beside it) is removed."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(handle)
    os.unlink(name)  # GDAL creates the file itself
    temporary = Path(name)
    try:
        yield temporary
        with open(temporary, "rb+") as stream:
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        for leftover in (temporary, *(Path(f"{temporary}{tail}") for tail in ("-journal", "-wal", "-shm"))):
            try:
                leftover.unlink()
            except FileNotFoundError:
                pass
        raise


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_write(path) as stream:
        stream.write(text)
    return Path(path)


def _json_safe(value: Any) -> Any:
    """Replace NaN and infinities (invalid JSON) by null, recursively; numpy scalars become Python."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def write_json(path: str | Path, document: Any) -> Path:
    """Write a JSON document atomically (NaN written as null)."""
    return write_text(path, json.dumps(_json_safe(document), indent=2, ensure_ascii=False) + "\n")


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV table atomically; ``None`` and NaN become empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell for cell in row])
    return write_text(path, buffer.getvalue())
