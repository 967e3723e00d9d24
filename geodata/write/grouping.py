"""The tables of a grouping: groups.csv and groups_table.csv (typed, also the groups layer's properties), and
the columns a grouping adds to its practices; each file atomic."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from clusterkit.metrics.grouping import GroupingMetrics
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from clusterkit.results import Grouping
from geodata.write.files import write_csv
from geodata.write.tables import write_groups_csv

__all__ = ["GROUPS_TABLE_COLUMNS", "groups_table", "grouped_practice_columns", "write_groups",
           "write_groups_table"]

#: Columns of ``groups_table.csv``.
GROUPS_TABLE_COLUMNS = ("group", "practices", "population", "in_band", "centre", "weighted_km", "diameter_km",
                        "connected", "band", "sub_icbs", "flagged")


def write_groups(path: Path, grouping: Grouping) -> Path:
    """``groups.csv``: ``practice_code,group`` of every grouped practice."""
    return write_groups_csv(path, {code: label for code, label in grouping.labels.items() if label != UNGROUPED})


def groups_table(grouping: Grouping, metrics: GroupingMetrics) -> pd.DataFrame:
    """One row per group with its metrics (:data:`GROUPS_TABLE_COLUMNS`), typed: counts as integers, flags as
    booleans, distances as floats; the same table goes to ``groups_table.csv``, the groups layer and the
    GeoPackage."""
    rows = [[row.group, row.practices, row.population, row.in_band, grouping.centres.get(row.group, row.centre),
             round(row.weighted_km, 4), round(row.diameter_km, 3), row.connected, row.band, row.sub_icbs, row.flagged]
            for row in metrics.rows]
    frame = pd.DataFrame(rows, columns=list(GROUPS_TABLE_COLUMNS))
    return frame.astype({"group": object, "practices": "int64", "population": "int64", "in_band": bool,
                         "centre": object, "weighted_km": float, "diameter_km": float, "connected": bool,
                         "band": object, "sub_icbs": object, "flagged": bool})


def write_groups_table(path: Path, grouping: Grouping, metrics: GroupingMetrics) -> Path:
    """``groups_table.csv``: one row per group with its metrics (:func:`groups_table`)."""
    return write_csv(path, GROUPS_TABLE_COLUMNS, groups_table(grouping, metrics).itertuples(index=False))


def grouped_practice_columns(graph: PracticeGraph, grouping: Grouping) -> dict[str, dict[str, object]]:
    """The columns a grouping adds to its practices: ``group``, ``is_centre``, ``unwilling``, ``flagged``."""
    centre_of = set(grouping.centres.values())
    return {
        "group": {code: grouping.labels.get(code) or None for code in graph.codes},
        "is_centre": {code: code in centre_of for code in graph.codes},
        "unwilling": {code: code in grouping.unwilling for code in graph.codes},
        "flagged": {code: code in grouping.flagged for code in graph.codes},
    }
