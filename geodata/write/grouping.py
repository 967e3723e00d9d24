"""The files of a grouping: groups.csv, groups_table.csv, practices.geojson and summary.json, each atomic."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from clusterkit.metrics.grouping import GroupingMetrics
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from clusterkit.results import Grouping
from geodata.write.files import write_csv, write_json
from geodata.write.geojson import write_practices_geojson
from geodata.write.tables import write_groups_csv

__all__ = ["GROUPS_TABLE_COLUMNS", "write_grouping_outputs"]

#: Columns of ``groups_table.csv``.
GROUPS_TABLE_COLUMNS = ("group", "practices", "population", "in_band", "centre", "weighted_km", "diameter_km",
                        "connected", "band", "sub_icbs", "flagged")


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
