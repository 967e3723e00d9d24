"""The files a grouping run writes into ``--out``: groups.csv, groups_table.csv, practices.geojson,
summary.json. Each is written atomically."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clusterkit import __version__
from clusterkit.metrics.grouping import GroupingMetrics
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from clusterkit.results import Grouping
from clusterkit.results import Status
from geodata.write.files import write_csv, write_json
from geodata.write.geojson import write_practices_geojson
from geodata.write.tables import write_groups_csv

__all__ = ["GROUPS_TABLE_COLUMNS", "file_digest", "grouping_summary", "write_grouping_outputs"]

#: Columns of ``groups_table.csv``.
GROUPS_TABLE_COLUMNS = ("group", "practices", "population", "in_band", "centre", "weighted_km", "diameter_km",
                        "connected", "band", "sub_icbs", "flagged")


def file_digest(paths: Iterable[str | Path | None]) -> dict[str, str]:
    """``{path: sha256}`` of the input files, so a summary says exactly what it was computed from."""
    digests = {}
    for path in paths:
        if path is None:
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as stream:
            for block in iter(lambda: stream.read(1 << 20), b""):
                digest.update(block)
        digests[str(path)] = digest.hexdigest()
    return digests


def grouping_summary(
    grouping: Grouping,
    metrics: GroupingMetrics,
    *,
    command: str = "group",
    inputs: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The machine-readable ``summary.json`` of a grouping run."""
    proven = grouping.status == Status.OPTIMAL
    summary: dict[str, Any] = {
        "clusterkit_version": __version__,
        "command": command,
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "inputs": dict(inputs or {}),
        "parameters": dict(grouping.params),
        "seed": grouping.seed,
        "method": grouping.method,
        "solver": grouping.solver,
        "status": grouping.status,
        "proven_optimal": proven,
        "objective": grouping.objective,
        "bound": grouping.bound,
        "gap": grouping.gap,
        "seconds": round(grouping.seconds, 3),
        "metrics": metrics.to_dict(),
        "unwilling": list(grouping.unwilling),
        "flagged": list(grouping.flagged),
        "notes": list(grouping.notes),
    }
    summary.update(extra or {})
    return summary


def write_grouping_outputs(
    folder: str | Path,
    graph: PracticeGraph,
    grouping: Grouping,
    metrics: GroupingMetrics,
    summary: Mapping[str, Any],
) -> list[Path]:
    """Write groups.csv, groups_table.csv, practices.geojson and summary.json into ``folder``."""
    folder = Path(folder)
    labels = {code: label for code, label in grouping.labels.items() if label != UNGROUPED}
    centre_of = set(grouping.centres.values())
    written = [
        write_groups_csv(folder / "groups.csv", labels),
        write_csv(
            folder / "groups_table.csv",
            GROUPS_TABLE_COLUMNS,
            ([row.group, row.practices, row.population, row.in_band, grouping.centres.get(row.group, row.centre),
              round(row.weighted_km, 4), round(row.diameter_km, 3), row.connected, row.band, row.sub_icbs,
              row.flagged] for row in metrics.rows),
        ),
        write_practices_geojson(
            folder / "practices.geojson",
            graph,
            {
                "group": {code: grouping.labels.get(code) or None for code in graph.codes},
                "is_centre": {code: code in centre_of for code in graph.codes},
                "unwilling": {code: code in grouping.unwilling for code in graph.codes},
                "flagged": {code: code in grouping.flagged for code in graph.codes},
            },
        ),
        write_json(folder / "summary.json", summary),
    ]
    return written
