"""What a run was computed from: SHA-256 digests of its input files."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

__all__ = ["file_digest", "inputs_digest"]


def file_digest(paths: Iterable[str | Path | tuple[str, str | Path] | None]) -> dict[str, str]:
    """``{path: sha256}`` of the input files, so a summary says exactly what it was computed from.

    An entry ``(name, path)`` reads ``path`` and reports it as ``name`` (a file staged before it is in place).
    """
    digests = {}
    for entry in paths:
        name, path = entry if isinstance(entry, tuple) else (entry, entry)
        if path is None or not Path(path).is_file():
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        digests[str(name)] = digest.hexdigest()
    return digests


def inputs_digest(paths: Iterable[str | Path | tuple[str, str | Path] | None]) -> str:
    """SHA-256 over the bytes of the given files (``None`` and non-files skipped), in order."""
    digest = hashlib.sha256()
    for entry in paths:
        path = entry[1] if isinstance(entry, tuple) else entry
        if path is None or not Path(path).is_file():
            continue
        digest.update(Path(path).name.encode())
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()
