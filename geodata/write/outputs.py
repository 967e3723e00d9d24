"""The output registry: which files each command's run writes, and one call that writes them.

``write_outputs(run, folder)`` writes every file registered for ``run.command`` (or those of the ``formats``
asked for). A new output file is one more :class:`OutputFile` of :data:`OUTPUTS`; a new command one more key.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clusterkit.errors import InputError
from geodata.write.budgets import write_assignments_csv, write_exposure_csv, write_holders_geojson
from geodata.write.comparison import (write_comparison_json, write_comparison_markdown, write_moves_csv,
                                      write_moves_geojson)
from geodata.write.files import write_json
from geodata.write.explore import (kept_candidates, write_candidates, write_co_assignment, write_consensus,
                                   write_ensemble_csv, write_pareto_png, write_stability_csv, write_stability_geojson,
                                   write_sweep_csv)
from geodata.write.grouping import write_grouped_practices, write_groups, write_groups_table
from geodata.write.maps import (write_comparison_map, write_grouping_map, write_holders_map, write_stability_map,
                               write_tiers_map)
from geodata.write.report import write_report
from geodata.write.tiers import write_tiered_practices, write_tiers_csv, write_tiers_table
from geodata.write.webmap import (write_comparison_webmap, write_grouping_webmap, write_holders_webmap,
                                  write_tiers_webmap)

__all__ = ["FORMATS", "MAP_FORMATS", "OutputFile", "OUTPUTS", "write_outputs"]

#: File formats a run may write.
FORMATS = ("csv", "geojson", "json", "md", "png", "html")

#: The formats of the maps (``map.png``, ``map.html``), which ``--no-maps`` leaves out.
MAP_FORMATS = ("png", "html")


@dataclass(frozen=True)
class OutputFile:
    """One file of a run's output set: its name and how to write it from a :class:`clusterkit.runs.Run`."""

    name: str
    write: Callable[[Any, Path], Path]
    kind: str = ""

    @property
    def format(self) -> str:
        """The file's format (its suffix), or ``kind`` for a folder of files (``candidates/``: csv)."""
        return self.kind or self.name.rsplit(".", 1)[-1]


def _schedule(run: Any) -> tuple[Any, Any, Any]:
    params = run.result.params
    return params["schedule"], params["variance"], params["loss_threshold"]


_REPORT = OutputFile("report.md", lambda run, path: write_report(path, run))


def _maps(draw: Callable[[Path, Any], Path], web: Callable[[Path, Any], Path]) -> tuple[OutputFile, ...]:
    """``map.png`` (drawn by ``draw``), ``map.html`` (by ``web``) and ``report.md`` of a run."""
    return (OutputFile("map.png", lambda run, path: draw(path, run)),
            OutputFile("map.html", lambda run, path: web(path, run)), _REPORT)


_SUMMARY = OutputFile("summary.json", lambda run, path: write_json(path, run.summary))
_GROUPING = (
    OutputFile("groups.csv", lambda run, path: write_groups(path, run.result)),
    OutputFile("groups_table.csv", lambda run, path: write_groups_table(path, run.result, run.metrics)),
    OutputFile("practices.geojson", lambda run, path: write_grouped_practices(path, run.graph, run.result)),
    *_maps(write_grouping_map, write_grouping_webmap),
    _SUMMARY,
)

#: Command -> the files of its output set, in writing order.
OUTPUTS: dict[str, tuple[OutputFile, ...]] = {
    "group": _GROUPING,
    "demo": _GROUPING,
    "tiers": (
        OutputFile("tiers.csv", lambda run, path: write_tiers_csv(path, run.result)),
        OutputFile("tiers_table.csv", lambda run, path: write_tiers_table(path, run.result, run.extra["metrics"])),
        OutputFile("practices.geojson", lambda run, path: write_tiered_practices(path, run.graph, run.result)),
        *_maps(write_tiers_map, write_tiers_webmap),
        _SUMMARY,
    ),
    "evaluate": (
        OutputFile("groups_table.csv", lambda run, path: write_groups_table(path, run.result, run.metrics)),
        OutputFile("practices.geojson", lambda run, path: write_grouped_practices(path, run.graph, run.result)),
        *_maps(write_grouping_map, write_grouping_webmap),
        _SUMMARY,
    ),
    "compare": (
        OutputFile("comparison.md", lambda run, path: write_comparison_markdown(path, run.result)),
        OutputFile("comparison.json", lambda run, path: write_comparison_json(path, run.result)),
        OutputFile("moves.csv", lambda run, path: write_moves_csv(path, run.result)),
        OutputFile("moves.geojson", lambda run, path: write_moves_geojson(path, run.graph, run.result)),
        *_maps(write_comparison_map, write_comparison_webmap),
        _SUMMARY,
    ),
    "sweep": (
        OutputFile("sweep.csv", lambda run, path: write_sweep_csv(path, run.result)),
        OutputFile("pareto.png", lambda run, path: write_pareto_png(path, run.result)),
        OutputFile("candidates", lambda run, path: write_candidates(path, run.result.points), kind="csv"),
        _SUMMARY,
    ),
    "ensemble": (
        OutputFile("ensemble.csv", lambda run, path: write_ensemble_csv(path, run.result)),
        OutputFile("candidates", lambda run, path: write_candidates(path, kept_candidates(run.result)), kind="csv"),
        OutputFile("consensus_groups.csv", lambda run, path: write_consensus(path, run.result)),
        OutputFile("stability.csv", lambda run, path: write_stability_csv(path, run.graph, run.result)),
        OutputFile("co_assignment.csv", lambda run, path: write_co_assignment(path, run.result)),
        OutputFile("practices.geojson", lambda run, path: write_stability_geojson(path, run.graph, run.result)),
        OutputFile("map.png", lambda run, path: write_stability_map(path, run)),
        _SUMMARY,
    ),
    "budgets": (
        OutputFile("assignments.csv", lambda run, path: write_assignments_csv(path, run.result, *_schedule(run))),
        OutputFile("exposure.csv", lambda run, path: write_exposure_csv(path, run.exposures)),
        OutputFile("holders.geojson", lambda run, path: write_holders_geojson(path, run.graph, run.result,
                                                                              *_schedule(run))),
        *_maps(write_holders_map, write_holders_webmap),
        _SUMMARY,
    ),
}


def write_outputs(run: Any, folder: str | Path, formats: Collection[str] | None = None,
                  maps: bool = True) -> list[Path]:
    """Write the output set of ``run`` (a :class:`clusterkit.runs.Run`) into ``folder``; returns the paths.

    ``formats`` keeps only the files of those formats (default: every file of the set); ``maps=False``
    (``--no-maps``) leaves out the maps, ``map.png`` and ``map.html`` (:data:`MAP_FORMATS`).

    Raises
    ------
    InputError
        For an unknown format.
    """
    unknown = sorted(set(formats or ()) - set(FORMATS))
    if unknown:
        raise InputError(f"unknown output format(s) {', '.join(unknown)}; choose from {', '.join(FORMATS)}",
                         source="format")
    if run.command not in OUTPUTS:
        raise ValueError(f"no outputs registered for command {run.command!r}")
    folder = Path(folder)
    return [output.write(run, folder / output.name) for output in OUTPUTS[run.command]
            if (formats is None or output.format in formats) and (maps or output.format not in MAP_FORMATS)]
