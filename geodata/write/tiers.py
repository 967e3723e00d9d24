"""The files of nested tiers: tiers.csv (a practice's group in every tier, smallest first), tiers_table.csv
(one row per group of every tier, with its parent and metrics) and the columns tiers add to their practices."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from clusterkit.metrics.grouping import GroupingMetrics
from clusterkit.model.graph import PracticeGraph
from clusterkit.tiers import Tiers
from geodata.write.files import write_csv

__all__ = ["TIERS_TABLE_COLUMNS", "tier_parents", "tiers_table", "tiered_practice_columns", "write_tiers_csv",
           "write_tiers_table"]

#: Columns of ``tiers_table.csv``.
TIERS_TABLE_COLUMNS = ("tier", "group", "parent", "path", "practices", "population", "in_band", "band", "centre",
                       "weighted_km", "diameter_km", "connected", "sub_icbs", "flagged")


def write_tiers_csv(path: Path, result: Tiers) -> Path:
    """``tiers.csv``: ``practice_code`` then one column per tier, smallest first, and the nested ``path``."""
    paths = result.paths()
    codes = sorted(result.groupings[0].labels)
    return write_csv(path, ("practice_code", *(tier.name for tier in result.tiers), "path"),
                     ([code, *(grouping.labels.get(code, "") for grouping in result.groupings),
                       paths.get(code, "")] for code in codes))


def tier_parents(result: Tiers) -> list[dict[str, str]]:
    """Per tier (smallest first), each group's group in the tier above (``""`` in the top tier)."""
    parents = []
    for level, grouping in enumerate(result.groupings):
        above = result.groupings[level + 1] if level + 1 < len(result.groupings) else None
        parents.append({group: above.labels.get(members[0], "") if above is not None else ""
                        for group, members in grouping.groups.items()})
    return parents


def tiers_table(result: Tiers, metrics: Sequence[GroupingMetrics]) -> pd.DataFrame:
    """Every group of every tier, its parent in the tier above and its metrics (:data:`TIERS_TABLE_COLUMNS`),
    typed as :func:`geodata.write.grouping.groups_table`."""
    rows = []
    parents, paths = tier_parents(result), result.paths()
    for level, (tier, grouping, measured) in enumerate(zip(result.tiers, result.groupings, metrics)):
        for row in measured.rows:
            first = grouping.groups[row.group][0]
            parent = parents[level].get(row.group, "")
            path_of = paths.get(first, "")
            rows.append([tier.name, row.group, parent, "/".join(path_of.split("/")[:len(result.tiers) - level]),
                         row.practices, row.population, row.in_band, row.band, grouping.centres.get(row.group, row.centre),
                         round(row.weighted_km, 4), round(row.diameter_km, 3), row.connected, row.sub_icbs,
                         row.flagged])
    frame = pd.DataFrame(rows, columns=list(TIERS_TABLE_COLUMNS))
    return frame.astype({"tier": object, "group": object, "parent": object, "path": object, "practices": "int64",
                         "population": "int64", "in_band": bool, "band": object, "centre": object,
                         "weighted_km": float, "diameter_km": float, "connected": bool, "sub_icbs": object,
                         "flagged": bool})


def write_tiers_table(path: Path, result: Tiers, metrics: Sequence[GroupingMetrics]) -> Path:
    """``tiers_table.csv``: :func:`tiers_table`."""
    return write_csv(path, TIERS_TABLE_COLUMNS, tiers_table(result, metrics).itertuples(index=False))


def tiered_practice_columns(graph: PracticeGraph, result: Tiers) -> dict[str, dict[str, str | None]]:
    """The columns tiers add to their practices: the group in every tier, and the nested ``path``."""
    columns = {tier.name: {code: grouping.labels.get(code) or None for code in graph.codes}
               for tier, grouping in zip(result.tiers, result.groupings)}
    paths = result.paths()
    columns["path"] = {code: paths.get(code) or None for code in graph.codes}
    return columns
