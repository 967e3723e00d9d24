"""The practices file an NHS import makes, and its two companions, written together or not at all.

``--out practices.csv`` names the set:

- ``practices.csv``: the practices in the project's format (the columns of ``gp_practices_england.csv``,
  :data:`~geodata.read.practices.PRACTICES_FILE_HEADER`), in the mapping's order;
- ``practices_unmatched.csv``: the practices of the mapping left out, with the reason
  (:data:`~geodata.read.nhs_join.UNMATCHED_HEADER`); only its header when none is;
- ``practices_summary.json``: the import's provenance in the summary schema of every command
  (:func:`clusterkit.runs.summary_of`): the extract dates of the mapping and the list sizes, the SHA-256 of
  every input file, the counts.

The three sit in a folder with other files (a run's ``--out`` folder is its own), so they are put in place
by :func:`~geodata.write.files.atomic_files`, not by :class:`~geodata.write.output_set.OutputSet`.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from clusterkit.errors import InputError, StorageError
from geodata.read.nhs_join import UNMATCHED_HEADER
from geodata.write.files import atomic_files, write_csv, write_json

__all__ = ["import_outputs", "check_import_outputs", "write_import_outputs"]


def import_outputs(out: str | Path) -> tuple[Path, Path, Path]:
    """The practices file, its unmatched list and its summary, named after ``out``.

    Examples
    --------
    >>> [path.name for path in import_outputs("data/practices.csv")]
    ['practices.csv', 'practices_unmatched.csv', 'practices_summary.json']
    """
    practices = Path(out)
    return (practices, practices.with_name(f"{practices.stem}_unmatched.csv"),
            practices.with_name(f"{practices.stem}_summary.json"))


def check_import_outputs(out: str | Path, overwrite: bool = False,
                         inputs: Iterable[str | Path | None] = ()) -> tuple[Path, Path, Path]:
    """Check, before any reading, that the set can be written at ``out``; returns its paths.

    Raises
    ------
    InputError
        When ``out`` does not name a ``.csv`` file, is a folder or one of the inputs, or a file of the set
        exists and ``overwrite`` is off.
    StorageError
        When the folder cannot be written.
    """
    if not str(out).strip():
        raise InputError("is empty; name the practices file to write, e.g. practices.csv", source="--out")
    if Path(out).suffix.lower() != ".csv":
        raise InputError("must name a .csv file, e.g. practices.csv", source="--out", value=str(out))
    paths = import_outputs(out)
    given = {Path(path).resolve() for path in inputs if path is not None}
    for path in paths:
        if path.is_dir():
            raise InputError("is a folder; name the practices file to write, e.g. practices.csv", source=str(path))
        if path.resolve() in given:
            raise InputError("is one of the input files; write the practices elsewhere", source=str(path))
        if path.exists() and not overwrite:
            raise InputError("exists; pass --overwrite to replace it", source=str(path))
    folder = paths[0].absolute().parent
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError("the folder cannot be written (permission denied)", str(folder))
    return paths


def write_import_outputs(run: Any, out: str | Path) -> list[Path]:
    """Write the set of an import run (a :class:`clusterkit.runs.Run` of ``import-nhs``) at ``out``.

    The companions are staged first and the practices file put in place last; every file or none.
    """
    result = run.result
    practices, unmatched, summary = import_outputs(out)
    with atomic_files([summary, unmatched, practices]) as (staged_summary, staged_unmatched, staged_practices):
        write_json(staged_summary, run.summary)
        write_csv(staged_unmatched, UNMATCHED_HEADER, (practice.cells() for practice in result.unmatched))
        write_csv(staged_practices, result.header, (practice.cells() for practice in result.practices))
    return [practices, unmatched, summary]
