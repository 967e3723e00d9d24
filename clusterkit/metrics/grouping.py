"""The quality of a grouping: band compliance, contiguity, weighted distance, diameter, relations kept,
boundary crossings and stability against a current grouping.

Distances are straight lines between practices (British National Grid). The *centre* of a group is the
practice that minimises the population-weighted distance of the group's patients to it (a 1-median);
``weighted_km`` is that distance per patient.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import networkx as nx
import numpy as np

from clusterkit.model.coordinates import distance_matrix
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.model.partition import UNGROUPED
from clusterkit.problem.score import connected as is_connected
from clusterkit.problem.score import one_median

__all__ = ["GroupRow", "GroupingMetrics", "best_centre", "evaluate_grouping", "moved_practices"]


@dataclass(frozen=True)
class GroupRow:
    """One group's line of ``groups_table.csv``."""

    group: str
    practices: int
    population: int
    in_band: bool
    band: str
    centre: str
    weighted_km: float
    diameter_km: float
    connected: bool
    sub_icbs: str
    flagged: bool = False


@dataclass(frozen=True)
class GroupingMetrics:
    """Metrics of a whole grouping; ``rows`` holds one :class:`GroupRow` per group."""

    groups: int
    practices_grouped: int
    ungrouped: int
    population: int
    in_band: int
    in_band_share: float
    connected: int
    connected_share: float
    weighted_km: float
    total_weighted_km: float
    max_diameter_km: float
    alignment_kept_share: float | None
    shared_staff_kept_share: float | None
    crossing_groups: int
    moved_practices: int | None
    moved_patients: int | None
    rows: tuple[GroupRow, ...]

    def to_dict(self, with_rows: bool = False) -> dict[str, Any]:
        """JSON-ready dict (without the per-group rows unless asked)."""
        values = asdict(self)
        if not with_rows:
            values.pop("rows")
        return values


def best_centre(xy: np.ndarray, sizes: np.ndarray) -> tuple[int, float]:
    """Index of the 1-median of points ``xy`` (metres) weighted by ``sizes``, and its total weighted km
    (the one 1-median, :func:`clusterkit.problem.score.one_median`, on the points' km)."""
    return one_median(distance_matrix(xy), sizes)


def moved_practices(labels: Mapping[str, str], current: Mapping[str, str]) -> set[str]:
    """Practices whose new group is not the successor of their current group.

    Each new group's successor-of label is the current group holding most of its practices (ties by
    label); a practice has moved when its current group differs from that.
    """
    members: dict[str, list[str]] = {}
    for code, label in labels.items():
        if label != UNGROUPED and code in current:
            members.setdefault(label, []).append(code)
    moved = set()
    for codes in members.values():
        counts = Counter(current[code] for code in codes)
        home = min(counts, key=lambda group: (-counts[group], group))
        moved.update(code for code in codes if current[code] != home)
    return moved


def evaluate_grouping(
    graph: PracticeGraph,
    labels: Mapping[str, str],
    band: Band | GroupingProblem | None = None,
    current: Mapping[str, str] | None = None,
    flagged: tuple[str, ...] = (),
) -> GroupingMetrics:
    """Measure a grouping of ``graph``'s practices.

    Parameters
    ----------
    labels : mapping
        Practice code -> group; practices absent or labelled ``""`` are ungrouped.
    band : Band or GroupingProblem, optional
        The band (a problem brings its rural waivers too); default 30,000-50,000.
    current : mapping, optional
        Current grouping, for the moved counts.
    flagged : tuple of str
        Practices above the band's upper bound standing alone (shown in the table).
    """
    problem = band if isinstance(band, GroupingProblem) else GroupingProblem(band=band or Band(30_000, 50_000))
    index = graph.index
    xy = graph.xy
    sizes = graph.list_sizes.astype(float)
    # a must-link unit counts as connected, as the search and the exact model treat it
    adjacency = nx.compose(graph.layer("adjacency"), graph.layer("must_link"))
    neighbours = [[index[other] for other in adjacency.neighbors(code)] for code in graph.codes]
    groups: dict[str, list[int]] = {}
    for code in graph.codes:
        label = labels.get(code, UNGROUPED)
        if label != UNGROUPED:
            groups.setdefault(label, []).append(index[code])
    rows = []
    for label in sorted(groups):
        members = np.array(groups[label])
        practices = [graph.practices[k] for k in members]
        centre, total_km = best_centre(xy[members], sizes[members])
        population = int(sizes[members].sum())
        sub_icbs = sorted({p.sub_icb or "" for p in practices})
        # the band of the group's main sub-ICB by patients (ties: first code), as the search takes it
        by_area: Counter[str | None] = Counter()
        for p in practices:
            by_area[p.sub_icb] += p.list_size
        majority = max(sorted(by_area, key=lambda area: area or ""), key=lambda area: by_area[area])
        group_band = problem.band_of(majority, next(p.icb for p in practices if p.sub_icb == majority))
        diameter = float(distance_matrix(xy[members]).max()) if len(members) > 1 else 0.0
        codes = [p.code for p in practices]
        connected = is_connected(neighbours, [index[code] for code in codes])
        rows.append(GroupRow(
            group=label,
            practices=len(members),
            population=population,
            in_band=group_band.contains(population),
            band=str(group_band),
            centre=codes[centre],
            weighted_km=total_km / population if population else 0.0,
            diameter_km=diameter,
            connected=connected,
            sub_icbs=";".join(code for code in sub_icbs if code),
            flagged=any(code in flagged for code in codes),
        ))
    grouped_population = sum(row.population for row in rows)
    total_km = sum(row.weighted_km * row.population for row in rows)
    kept = {}
    for layer in ("alignment", "shared_staff"):
        edges = graph.layer(layer).edges(data="weight", default=1.0)
        total = kept_weight = 0.0
        for a, b, weight in edges:
            total += weight
            if labels.get(a, UNGROUPED) != UNGROUPED and labels.get(a) == labels.get(b):
                kept_weight += weight
        kept[layer] = kept_weight / total if total else None
    moved = moved_practices(labels, current) if current else None
    count = len(rows)
    return GroupingMetrics(
        groups=count,
        practices_grouped=sum(row.practices for row in rows),
        ungrouped=len(graph) - sum(row.practices for row in rows),
        population=grouped_population,
        in_band=sum(row.in_band for row in rows),
        in_band_share=sum(row.in_band for row in rows) / count if count else 0.0,
        connected=sum(row.connected for row in rows),
        connected_share=sum(row.connected for row in rows) / count if count else 0.0,
        weighted_km=total_km / grouped_population if grouped_population else 0.0,
        total_weighted_km=total_km,
        max_diameter_km=max((row.diameter_km for row in rows), default=0.0),
        alignment_kept_share=kept["alignment"],
        shared_staff_kept_share=kept["shared_staff"],
        crossing_groups=sum(1 for row in rows if ";" in row.sub_icbs),
        moved_practices=None if moved is None else len(moved),
        moved_patients=None if moved is None else int(sum(graph.practice(code).list_size for code in moved)),
        rows=tuple(rows),
    )
