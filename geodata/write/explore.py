"""The files of a sweep and of an ensemble.

Sweep: ``sweep.csv`` (one row per point, the front marked), ``pareto.png`` (km against alignment kept) and
``candidates/<point>/groups.csv``. Ensemble: ``ensemble.csv`` (one row per member), ``candidates/<member>/
groups.csv`` for each kept member, ``consensus_groups.csv``, ``stability.csv`` (per practice),
``co_assignment.csv`` (per pair of adjacent practices); its ``practices.geojson`` (the stability of each
practice) and ``groups.geojson`` (the consensus areas) are map layers (:mod:`geodata.write.run_layers`). Every file is written atomically; the run's output set is swapped in whole by
:class:`geodata.write.output_set.OutputSet`.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from clusterkit.explore.candidates import Candidate
from clusterkit.explore.ensemble import Ensemble
from clusterkit.explore.runs import candidate_row
from clusterkit.explore.sweep import Sweep
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from geodata.write.files import atomic_write, write_csv
from geodata.write.tables import write_groups_csv

__all__ = ["ENSEMBLE_COLUMNS", "STABILITY_COLUMNS", "SWEEP_COLUMNS", "write_candidates", "write_co_assignment",
           "write_consensus", "write_ensemble_csv", "write_pareto_png", "write_stability_csv",
           "write_sweep_csv"]

#: Columns of ``sweep.csv``.
SWEEP_COLUMNS = ("candidate", "weight", "move_penalty", "status", "proven", "objective", "bound", "gap", "weighted_km",
                 "alignment_kept", "shared_staff_kept", "moved_practices", "groups", "in_band_share",
                 "connected_share", "meets_rules", "non_dominated", "seconds")

#: Columns of ``ensemble.csv``.
ENSEMBLE_COLUMNS = ("candidate", "seed", "weight", "status", "objective", "weighted_km", "alignment_kept",
                    "shared_staff_kept", "moved_practices", "groups", "in_band_share", "connected_share",
                    "meets_rules", "non_dominated", "duplicate_of", "kept_rank", "is_consensus", "vi_to_consensus",
                    "seconds")

#: Columns of ``stability.csv``.
STABILITY_COLUMNS = ("practice_code", "practice_name", "list_size", "consensus_group", "stability", "mean_jaccard",
                     "swing", "neighbours", "contested_neighbours")


def write_sweep_csv(path: Path, sweep: Sweep) -> Path:
    """``sweep.csv``: the Pareto table, one row per point (:data:`SWEEP_COLUMNS`)."""
    rows = ({**candidate_row(point), "non_dominated": front} for point, front in zip(sweep.points, sweep.non_dominated))
    return write_csv(path, SWEEP_COLUMNS, ([row[column] for column in SWEEP_COLUMNS] for row in rows))


def write_ensemble_csv(path: Path, ensemble: Ensemble) -> Path:
    """``ensemble.csv``: one row per member (:data:`ENSEMBLE_COLUMNS`)."""
    rank = {member: position + 1 for position, member in enumerate(ensemble.kept)}
    names = [member.name for member in ensemble.members]

    def row(index: int, member: Candidate) -> list[Any]:
        duplicate = ensemble.duplicate_of[index]
        values = {**candidate_row(member), "non_dominated": ensemble.non_dominated[index],
                  "duplicate_of": None if duplicate is None else names[duplicate], "kept_rank": rank.get(index),
                  "is_consensus": index == ensemble.consensus,
                  "vi_to_consensus": round(float(ensemble.vi[index, ensemble.consensus]), 4)}
        return [values[column] for column in ENSEMBLE_COLUMNS]

    return write_csv(path, ENSEMBLE_COLUMNS, (row(index, member) for index, member in enumerate(ensemble.members)))


def _grouped(candidate: Candidate) -> dict[str, str]:
    return {code: label for code, label in candidate.grouping.labels.items() if label != UNGROUPED}


def write_candidates(folder: Path, candidates: Iterable[Candidate]) -> Path:
    """``candidates/<name>/groups.csv`` (``practice_code,group``) for each candidate; returns the folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for candidate in candidates:
        write_groups_csv(folder / candidate.name / "groups.csv", _grouped(candidate))
    return folder


def write_consensus(path: Path, ensemble: Ensemble) -> Path:
    """``consensus_groups.csv``: the consensus member's grouping, as ``groups.csv`` is written."""
    return write_groups_csv(path, _grouped(ensemble.members[ensemble.consensus]))


def write_stability_csv(path: Path, graph: PracticeGraph, ensemble: Ensemble) -> Path:
    """``stability.csv``: each practice's consensus group and stability (:data:`STABILITY_COLUMNS`)."""
    return write_csv(path, STABILITY_COLUMNS, (
        [row.practice_code, graph.practice(row.practice_code).name, graph.practice(row.practice_code).list_size,
         row.consensus_group or None, round(row.stability, 4), round(row.mean_jaccard, 4), row.swing, row.neighbours,
         row.contested_neighbours] for row in ensemble.stability))


def write_co_assignment(path: Path, ensemble: Ensemble) -> Path:
    """``co_assignment.csv``: for each pair of adjacent practices, the share of members grouping them together."""
    return write_csv(path, ("practice_code", "neighbour_code", "together_share"),
                     ([first, second, round(share, 4)] for (first, second), share in sorted(ensemble.together.items())))


def write_pareto_png(path: Path, sweep: Sweep) -> Path:
    """``pareto.png``: weighted km against alignment kept, one labelled point per weight, the front joined.

    Points that break a rule are drawn as crosses; proven points (exact method) filled, others hollow.
    """
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    points = sweep.points
    km = [point.metrics.weighted_km for point in points]
    kept = [_kept_share(point) for point in points]
    figure = Figure(figsize=(7.5, 5.2), dpi=130)
    axes = figure.add_subplot()
    front = sorted((km[i], kept[i]) for i, on in enumerate(sweep.non_dominated) if on)
    if front:
        axes.plot([x for x, _ in front], [y for _, y in front], color="#1f6fb4", linewidth=1.5, zorder=1,
                  label="non-dominated (Pareto front)")
    for index, point in enumerate(points):
        on_front = sweep.non_dominated[index]
        if not point.meets_rules:
            axes.scatter(km[index], kept[index], marker="x", color="#b22222", s=60, zorder=3)
        else:
            axes.scatter(km[index], kept[index], s=70, zorder=3, edgecolors="#1f6fb4" if on_front else "#888888",
                         facecolors=("#1f6fb4" if on_front else "#888888") if point.proven else "white",
                         linewidths=1.6)
        axes.annotate(_point_label(point), (km[index], kept[index]), textcoords="offset points", xytext=(7, 5),
                      fontsize=8.5, color="#333333")
    legend = [("x", "#b22222", "#b22222", "breaks a rule (band, connected)", lambda point, on: not point.meets_rules),
              ("o", "#1f6fb4", "#1f6fb4", "on the front, proven optimal for its weight",
               lambda point, on: on and point.proven),
              ("o", "white", "#1f6fb4", "on the front (heuristic, not proven)",
               lambda point, on: on and point.meets_rules and not point.proven),
              ("o", "white", "#888888", "dominated by another point",
               lambda point, on: not on and point.meets_rules)]
    for marker, face, edge, label, applies in legend:
        if any(applies(point, on) for point, on in zip(points, sweep.non_dominated)):
            axes.scatter([], [], marker=marker, s=60, facecolors=face if marker != "x" else None,
                         edgecolors=edge if marker != "x" else None, color=edge if marker == "x" else None,
                         label=label)
    axes.margins(x=0.12, y=0.1)
    axes.set_xlabel("patient-weighted distance to the group's centre practice (km)")
    measured = [name for name, share in (("alignment", points[0].metrics.alignment_kept_share),
                                         ("shared staff", points[0].metrics.shared_staff_kept_share))
                if share is not None]
    axes.set_ylabel(f"{' and '.join(measured) or 'relations'} kept inside groups (%"
                    + (", mean of the two)" if len(measured) > 1 else ")"))
    axes.set_title(f"Distance against alignment: {len(points)} blend weights (w = share given to alignment)",
                   fontsize=10)
    axes.grid(True, color="#e5e5e5", linewidth=0.8)
    axes.legend(fontsize=8, loc="lower right", frameon=False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    with atomic_write(path, "wb") as stream:
        stream.write(buffer.getvalue())
    return path


def _kept_share(point: Candidate) -> float:
    """Percentage of relation weight kept inside groups (alignment and shared staff, each as measured)."""
    shares = [share for share in (point.metrics.alignment_kept_share, point.metrics.shared_staff_kept_share)
              if share is not None]
    return 100.0 * sum(shares) / len(shares) if shares else float("nan")


def _point_label(point: Candidate) -> str:
    label = f"w={point.weight:g}" if point.weight is not None else point.name
    return label if not point.move_penalty else f"{label}, move {point.move_penalty:g}"


def kept_candidates(ensemble: Ensemble) -> Sequence[Candidate]:
    """The kept members, best first."""
    return [ensemble.members[index] for index in ensemble.kept]
