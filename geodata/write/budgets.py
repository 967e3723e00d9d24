"""The files of a budget assignment: assignments.csv, exposure.csv, holders.geojson and summary.json."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from clusterkit.budgets.results import BudgetAssignment, Exposure, worst_loss_share
from clusterkit.model.graph import PracticeGraph
from geodata.write.files import write_csv
from geodata.polygons import CRS
from geodata.write.layers import practice_records


ASSIGNMENT_HEADER = ("network", "specialty", "budget", "holder", "members", "ratio", "kind", "turnover",
                     "list_size", "preference", "interdependence", "worst_loss_share", "flagged")


EXPOSURE_HEADER = ("network", "specialty", "holder", "party", "level", "year", "share", "budget", "turnover",
                   "gain", "loss", "share_of_turnover", "flagged")


def write_assignments_csv(path: str | Path, assignment: BudgetAssignment, schedule: Sequence[float],
                          variance: float, loss_threshold: float) -> Path:
    """Write ``assignments.csv``: one row per (network, specialty) with its holder.

    ``members`` is ``;``-separated; ``ratio`` is budget / holder turnover; ``interdependence`` the share
    of the network's population registered elsewhere; ``worst_loss_share`` the largest yearly loss on
    an overspend as a share of turnover; ``flagged`` whether it exceeds the loss threshold.
    """
    rows = []
    for h in assignment.holdings:
        worst = worst_loss_share(h, schedule, variance)
        rows.append([h.network, h.specialty, round(h.budget, 2), h.holder, ";".join(h.members), round(h.ratio, 6),
                     h.kind, round(h.turnover, 2), h.list_size, h.preference, round(h.interdependence, 6),
                     round(worst, 6), "yes" if worst > loss_threshold else "no"])
    return write_csv(path, ASSIGNMENT_HEADER, rows)


def write_exposure_csv(path: str | Path, exposures: Sequence[Exposure]) -> Path:
    """Write ``exposure.csv``: gain and loss by holder (and consortium member) and year."""
    rows = ([e.network, e.specialty, e.holder, e.party, e.level, e.year, e.share, round(e.budget, 2),
             round(e.turnover, 2), round(e.gain, 2), round(e.loss, 2), round(e.share_of_turnover, 6),
             "yes" if e.flagged else "no"] for e in exposures)
    return write_csv(path, EXPOSURE_HEADER, rows)


def holders_layer(graph: PracticeGraph, assignment: BudgetAssignment, schedule: Sequence[float], variance: float,
                  loss_threshold: float) -> Any:
    """One point per (holding, member practice) with the practice's properties plus ``network``,
    ``specialty``, ``budget``, ``holder``, ``members``, ``kind``, ``role`` (``holder`` or ``consortium
    member``), ``holder_turnover``, ``ratio``, ``interdependence``, ``worst_loss_share`` and ``flagged``."""
    import geopandas
    import pandas as pd
    import shapely

    base = {record["practice_code"]: record for record in practice_records(graph)}
    records: list[dict[str, Any]] = []
    points = []
    for h in assignment.holdings:
        worst = worst_loss_share(h, schedule, variance)
        for code in h.members:
            record = dict(base[code])
            record.update({
                "network": h.network,
                "specialty": h.specialty,
                "budget": round(h.budget, 2),
                "holder": h.holder,
                "members": ";".join(h.members),
                "kind": h.kind,
                "role": "holder" if len(h.members) == 1 else "consortium member",
                "holder_turnover": round(h.turnover, 2),
                "ratio": round(h.ratio, 6),
                "interdependence": round(h.interdependence, 6),
                "worst_loss_share": round(worst, 6),
                "flagged": worst > loss_threshold,
            })
            records.append(record)
            points.append(graph.xy[graph.index[code]])
    frame = pd.DataFrame.from_records(records)
    return geopandas.GeoDataFrame(frame, geometry=shapely.points(points) if points else [], crs=CRS)
