"""The output registry: which files each command's run writes, and one call that writes them.

``write_outputs(run, folder)`` looks up the writers of ``run.command`` and writes every file (or those of
the ``formats`` asked for). A new output format is one more entry of :data:`WRITERS`; a new command one
more key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

from geodata.write.budgets import write_budget_outputs
from geodata.write.grouping import write_grouping_outputs

__all__ = ["FORMATS", "WRITERS", "write_outputs"]

#: File formats a run may write.
FORMATS = ("csv", "geojson", "json")


def _grouping(run: Any, folder: Path) -> list[Path]:
    return write_grouping_outputs(folder, run.graph, run.result, run.metrics, run.summary)


def _budgets(run: Any, folder: Path) -> list[Path]:
    problem = run.result.params
    return write_budget_outputs(folder, run.graph, run.result, run.exposures, run.summary,
                                schedule=problem["schedule"], variance=problem["variance"],
                                loss_threshold=problem["loss_threshold"])


#: Command -> the writer of its output set.
WRITERS: dict[str, Callable[[Any, Path], list[Path]]] = {"group": _grouping, "demo": _grouping, "budgets": _budgets}


def write_outputs(run: Any, folder: str | Path, formats: Collection[str] | None = None) -> list[Path]:
    """Write the output set of ``run`` (a :class:`clusterkit.runs.Run`) into ``folder``; returns the paths.

    ``formats`` keeps only files of those suffixes (default: every file of the set).
    """
    unknown = set(formats or ()) - set(FORMATS)
    if unknown:
        from clusterkit.errors import InputError

        raise InputError(f"unknown output format(s) {', '.join(sorted(unknown))}; choose from {', '.join(FORMATS)}",
                         source="--format")
    writer = WRITERS.get(run.command)
    if writer is None:
        raise ValueError(f"no outputs registered for command {run.command!r}")
    written = writer(run, Path(folder))
    if formats is not None:
        keep = {f".{name}" for name in formats}
        for path in written:
            if path.suffix not in keep:
                path.unlink()
        written = [path for path in written if path.suffix in keep]
    return written
