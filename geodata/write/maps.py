"""``map.png``: a static map of a run (matplotlib, Agg), written atomically.

Every map has the groups' areas (:func:`geodata.write.styling.group_areas`, neighbouring groups in different
colours), the practices as dots whose area follows their list size, labels when there are few enough groups
to read them, a legend, a km scale bar, a north arrow (British National Grid's north, within 3° of true north
in England) and the data's attribution line. One function per command's map:

- :func:`write_grouping_map` (``group``, ``demo``, ``evaluate``): groups outside their band outlined in red,
  groups in pieces hatched;
- :func:`write_tiers_map` (``tiers``): one panel per tier, each outlined by the tier above;
- :func:`write_comparison_map` (``compare``): the practices that moved, the old and the new outlines;
- :func:`write_holders_map` (``budgets``): one panel per specialty, its holders over the networks;
- :func:`write_stability_map` (``ensemble``): the consensus grouping, practices by stability, swing ones ringed.

Figures are made with :class:`matplotlib.figure.Figure` (no pyplot, no global state); PNG is rendered by Agg.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.patheffects import withStroke

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from geodata.write.files import atomic_write
from geodata.write.styling import (MOVED_COLOUR, OUT_OF_BAND_COLOUR, PALETTE, area_name, attribution, boundary_of,
                                   group_areas, group_colours, label_point, marker_radius)

__all__ = ["write_grouping_map", "write_tiers_map", "write_comparison_map", "write_holders_map", "write_stability_map",
           "scale_length_km"]

#: Resolution of map.png.
DPI = 150

#: Most groups labelled on one map (beyond, labels would cover the map; map.html names every group).
MAX_LABELS = 150

#: Dots of practices, their outline and the outline of groups.
PRACTICE_COLOUR, PRACTICE_EDGE, AREA_EDGE = "#2b2b2b", "#ffffff", "#4d4d4d"

#: Outlines of the tier above, and of the earlier grouping on a comparison.
ABOVE_EDGE, BEFORE_EDGE = "#1a1a1a", "#6a3d9a"

#: Outline of a group that is one practice above the band (flagged, standing alone).
FLAGGED_COLOUR = "#ff7f00"

#: Holders on the budgets map: a practice alone, a consortium's members.
HOLDER_COLOUR, CONSORTIUM_COLOUR = "#1f78b4", "#ff7f00"

#: Ring around a swing practice of an ensemble.
SWING_EDGE = "#1a1a1a"

#: Hatching of a network none of whose budgets could be held.
UNSERVED_EDGE = "#7f7f7f"


# ---------------------------------------------------------------------------------------------- parts of a map
def scale_length_km(width_km: float) -> float:
    """A round scale-bar length about a fifth of the map's width.

    >>> scale_length_km(60), scale_length_km(600), scale_length_km(3)
    (10, 100, 0.5)
    >>> scale_length_km(70)
    10
    """
    lengths = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
    return max((length for length in lengths if length <= width_km / 5), default=lengths[0])


def _scale_bar(ax: Axes) -> None:
    """A black-and-white km bar in the lower left corner (the axes are in metres)."""
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    length = scale_length_km((x1 - x0) / 1000) * 1000
    left, bottom, height = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0), 0.012 * (y1 - y0)
    for step, colour in enumerate(("black", "white")):
        ax.add_patch(Rectangle((left + step * length / 2, bottom), length / 2, height, facecolor=colour,
                               edgecolor="black", linewidth=0.8, zorder=6))
    halo = [withStroke(linewidth=2.5, foreground="white")]
    for offset, text in ((0, "0"), (length / 2, f"{length / 2000:g}"), (length, f"{length / 1000:g} km")):
        ax.text(left + offset, bottom + 1.6 * height, text, ha="center", va="bottom", fontsize=7, zorder=6,
                path_effects=halo)


def _north_arrow(ax: Axes) -> None:
    ax.annotate("", xy=(0.96, 0.95), xytext=(0.96, 0.86), xycoords="axes fraction",
                arrowprops={"facecolor": "black", "edgecolor": "black", "width": 3, "headwidth": 10, "headlength": 10},
                zorder=6)
    ax.text(0.96, 0.955, "N", transform=ax.transAxes, ha="center", va="bottom", fontsize=11, fontweight="bold",
            zorder=6, path_effects=[withStroke(linewidth=2.5, foreground="white")])


def _frame(ax: Axes, areas: Any) -> None:
    """Fit the axes to the areas with a margin; equal scale, no ticks."""
    x0, y0, x1, y1 = shapely.bounds(shapely.union_all(areas.geometry.values))
    margin = 0.03 * max(x1 - x0, y1 - y0, 1.0)
    ax.set_xlim(x0 - margin, x1 + margin)
    ax.set_ylim(y0 - margin, y1 + margin)
    ax.set_aspect("equal")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_edgecolor("#999999")


def _fill(ax: Axes, areas: Any, colours: Mapping[str, str], alpha: float = 0.8, width: float = 0.5) -> None:
    areas.plot(ax=ax, color=[colours[group] for group in areas["group"]], alpha=alpha, edgecolor=AREA_EDGE,
               linewidth=width, zorder=1)


def _outline(ax: Axes, areas: Any, colour: str, width: float, style: str = "solid", zorder: int = 2) -> None:
    if len(areas):
        areas.boundary.plot(ax=ax, color=colour, linewidth=width, linestyle=style, zorder=zorder)


def _practices(ax: Axes, graph: PracticeGraph, codes: Sequence[str] | None = None, colour: str = PRACTICE_COLOUR,
               marker: str = "o", scale: float = 1.0, edge: str = PRACTICE_EDGE, zorder: int = 4) -> None:
    """Dots of ``codes`` (default every practice), their area in proportion to list size."""
    index = graph.index
    rows = np.arange(len(graph)) if codes is None else np.array([index[code] for code in codes], dtype=int)
    if not len(rows):
        return
    radius = scale * marker_radius(graph.list_sizes[rows], len(graph))
    edge_width = min(0.4, 0.25 * float(marker_radius([20_000], len(graph))[0]))  # thin edges on crowded maps
    ax.scatter(graph.xy[rows, 0], graph.xy[rows, 1], s=(2 * radius) ** 2, c=colour, marker=marker, edgecolors=edge,
               linewidths=edge_width, zorder=zorder)


def _labels(ax: Axes, areas: Any, texts: Mapping[str, str]) -> bool:
    """Each area's text at a point inside it; False (and nothing drawn) when there are too many to read."""
    shown = [(group, geometry) for group, geometry in zip(areas["group"], areas.geometry) if group in texts]
    if len(shown) > MAX_LABELS:
        return False
    size = 7.5 if len(shown) <= 40 else 6 if len(shown) <= 90 else 4.5
    halo = [withStroke(linewidth=2, foreground="white")]
    for group, geometry in shown:
        point = label_point(geometry)
        if point is None:
            continue
        ax.text(point.x, point.y, texts[group], ha="center", va="center", fontsize=size, zorder=5,
                path_effects=halo, linespacing=0.95)
    return True


def _size_handles(graph: PracticeGraph, sizes: Sequence[int] = (5_000, 10_000, 20_000)) -> list[Line2D]:
    radius = marker_radius(sizes, len(graph))
    return [Line2D([], [], linestyle="none", marker="o", markersize=2 * r, markerfacecolor=PRACTICE_COLOUR,
                   markeredgecolor=PRACTICE_EDGE, label=f"practice, {size:,} patients")
            for size, r in zip(sizes, radius)]


def _figure(graph: PracticeGraph, areas: Any, panels: int = 1) -> tuple[Figure, list[Axes]]:
    """A figure of ``panels`` maps of the same extent, sized to that extent, with room for a legend."""
    x0, y0, x1, y1 = shapely.bounds(shapely.union_all(areas.geometry.values))
    ratio = float(np.clip((y1 - y0) / max(x1 - x0, 1.0), 0.5, 1.6))
    columns = min(panels, 3 if panels <= 6 else 4)
    rows = math.ceil(panels / columns)
    width = 9.0 if panels == 1 else (5.5 if panels <= 3 else 4.2) * columns
    figure = Figure(figsize=(width + 3.0, width / columns * ratio * rows + 1.4), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel().tolist()
    for extra in axes[panels:]:
        extra.set_axis_off()
    return figure, axes[:panels]


def _save(figure: Figure, graph: PracticeGraph, title: str, subtitle: str, path: Path,
          handles: Sequence[Any]) -> Path:
    """Title, legend and attribution, then the PNG written atomically."""
    figure.suptitle(f"{title}\n{subtitle}", fontsize=12, x=0.01, ha="left")
    figure.legend(handles=list(handles), loc="outside right upper", fontsize=8, frameon=False)
    credit = textwrap.fill(attribution(graph), int(15 * figure.get_figwidth()))
    figure.supxlabel(credit, fontsize=6, color="#444444", x=0.01, ha="left")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    with atomic_write(path, "wb", encoding=None) as stream:
        stream.write(buffer.getvalue())
    return Path(path)


def _thousands(population: int) -> str:
    return f"{population / 1000:.1f}k"


# ---------------------------------------------------------------------------------------------- the maps
def write_grouping_map(path: Path, run: Any) -> Path:
    """``map.png`` of a grouping (``group``, ``demo``, ``evaluate``): groups, practices, labels, band."""
    graph, grouping, metrics = run.graph, run.result, run.metrics
    areas = group_areas(graph, grouping.labels, boundary_of(run))
    rows = {row.group: row for row in metrics.rows}
    figure, (ax,) = _figure(graph, areas)
    _fill(ax, areas, group_colours(areas))
    outside = areas[[not rows[group].in_band and not rows[group].flagged if group in rows else False
                     for group in areas["group"]]]
    pieces = areas[[group in rows and not rows[group].connected for group in areas["group"]]]
    if len(pieces):
        pieces.plot(ax=ax, facecolor="none", edgecolor=AREA_EDGE, hatch="////", linewidth=0, zorder=2)
    marked = 1.8 if len(rows) <= 200 else 0.9  # outlines that stand out without covering a crowded map
    _outline(ax, outside, OUT_OF_BAND_COLOUR, marked, zorder=3)
    alone = areas[[group in rows and rows[group].flagged for group in areas["group"]]]
    _outline(ax, alone, FLAGGED_COLOUR, marked, style=(0, (2, 1.5)), zorder=3)
    grouped = [code for code in graph.codes if grouping.labels.get(code)]
    _practices(ax, graph, grouped)
    ungrouped = [code for code in graph.codes if not grouping.labels.get(code)]
    _practices(ax, graph, ungrouped, colour="#ffffff", edge="#555555", marker="X", scale=1.2)
    labelled = _labels(ax, areas, {group: f"{group}\n{_thousands(row.population)}" for group, row in rows.items()})
    _frame(ax, areas)
    _scale_bar(ax)
    _north_arrow(ax)
    handles: list[Any] = [Patch(facecolor=PALETTE[0], edgecolor=AREA_EDGE, label="group area (neighbours differ)")]
    if len(outside):
        handles.append(Patch(facecolor="none", edgecolor=OUT_OF_BAND_COLOUR, linewidth=1.8,
                             label=f"outside its band ({len(outside)})"))
    if len(alone):
        handles.append(Line2D([], [], color=FLAGGED_COLOUR, linewidth=1.8, linestyle=(0, (2, 1.5)),
                              label=f"a practice above the band, alone ({len(alone)})"))
    if len(pieces):
        handles.append(Patch(facecolor="none", edgecolor=AREA_EDGE, hatch="////",
                             label=f"not connected ({len(pieces)})"))
    handles += _size_handles(graph)
    if ungrouped:
        why = ": unwilling" if set(ungrouped) <= set(grouping.unwilling) else ""
        handles.append(Line2D([], [], linestyle="none", marker="X", markerfacecolor="#ffffff",
                              markeredgecolor="#555555", label=f"not grouped ({len(ungrouped)}{why})"))
    if not labelled:
        handles.append(Patch(facecolor="none", edgecolor="none", label=f"{len(rows):,} groups: labels left out\n"
                                                                      "(map.html names every group)"))
    problem = run.extra.get("problem")
    band = f"{problem.band.lower:,}–{problem.band.upper:,}" if problem is not None else ""
    scored = grouping.method == "evaluate"
    what = "scored" if scored else f"{grouping.method}, {str(grouping.status).lower()}"
    title = f"{area_name(graph)}: {metrics.groups:,} groups" + (
        "" if not band else f" measured against {band} patients" if scored else f" of {band} patients")
    subtitle = (f"{what}; {metrics.in_band:,} of {metrics.groups:,} in band; {metrics.connected:,} connected; "
                f"{metrics.weighted_km:.2f} km per patient to the group's centre practice")
    return _save(figure, graph, title, subtitle, path, handles)


def write_tiers_map(path: Path, run: Any) -> Path:
    """``map.png`` of nested tiers: one panel per tier (smallest first), each outlined by the tier above."""
    graph, result = run.graph, run.result
    boundary = boundary_of(run)
    layers = [group_areas(graph, grouping.labels, boundary) for grouping in result.groupings]
    figure, axes = _figure(graph, layers[0], panels=len(layers))
    for level, (ax, tier, grouping, areas, measured) in enumerate(zip(axes, result.tiers, result.groupings, layers,
                                                                      run.extra["metrics"])):
        _fill(ax, areas, group_colours(areas), width=0.3)
        if level + 1 < len(layers):
            _outline(ax, layers[level + 1], ABOVE_EDGE, 1.4, zorder=3)
        rows = {row.group: row for row in measured.rows}
        outside = areas[[group in rows and not rows[group].in_band and not rows[group].flagged
                         for group in areas["group"]]]
        _outline(ax, outside, OUT_OF_BAND_COLOUR, 1.2, zorder=3)
        _practices(ax, graph, scale=0.6)
        if len(rows) <= 60:
            _labels(ax, areas, {group: f"{group}\n{_thousands(row.population)}" for group, row in rows.items()})
        _frame(ax, areas)
        fixed = " (given)" if tier.name in result.fixed else ""
        ax.set_title(f"{tier.name}{fixed}: {measured.groups:,} groups of {tier.band.lower:,}–{tier.band.upper:,}, "
                     f"{measured.in_band_share:.0%} in band", fontsize=9)
        if level == 0:
            _scale_bar(ax)
            _north_arrow(ax)
    handles = [Patch(facecolor=PALETTE[0], edgecolor=AREA_EDGE, label="group of the tier"),
               Line2D([], [], color=ABOVE_EDGE, linewidth=1.4, label="outline of the tier above"),
               Patch(facecolor="none", edgecolor=OUT_OF_BAND_COLOUR, linewidth=1.2, label="outside its band"),
               *_size_handles(graph)]
    title = f"{area_name(graph)}: {len(result.tiers)} nested tiers ({result.order})"
    subtitle = ", ".join(f"{tier.name} {measured.groups:,}"
                         for tier, measured in zip(result.tiers, run.extra["metrics"]))
    return _save(figure, graph, title, f"groups per tier: {subtitle}", path, handles)


def write_comparison_map(path: Path, run: Any) -> Path:
    """``map.png`` of a comparison: B's groups filled, A's outlines dashed, the practices that moved in red."""
    graph, comparison = run.graph, run.result
    first, second = comparison.names
    before, after = run.extra["groupings"]
    boundary = boundary_of(run)
    old, new = group_areas(graph, before, boundary), group_areas(graph, after, boundary)
    figure, (ax,) = _figure(graph, new)
    _fill(ax, new, group_colours(new), alpha=0.55, width=0.0)
    _outline(ax, new[new["group"] != UNGROUPED], AREA_EDGE, 1.0, zorder=2)
    _outline(ax, old[old["group"] != UNGROUPED], BEFORE_EDGE, 1.4, style=(0, (3, 2)), zorder=3)
    moved = [move.practice for move in comparison.moves]
    moved_set = set(moved)
    _practices(ax, graph, [code for code in graph.codes if code not in moved_set], colour="#8c8c8c", scale=0.7)
    _practices(ax, graph, moved, colour=MOVED_COLOUR, edge="#000000", scale=1.2, zorder=5)
    sizes = {row.group: row.population for row in comparison.metrics[1].rows}
    if len(sizes) <= 60:
        _labels(ax, new, {group: f"{group}\n{_thousands(size)}" for group, size in sizes.items()})
    _frame(ax, new)
    _scale_bar(ax)
    _north_arrow(ax)
    handles = [Patch(facecolor=PALETTE[0], edgecolor=AREA_EDGE, alpha=0.7, label=f"group of {second}"),
               Line2D([], [], color=BEFORE_EDGE, linewidth=1.4, linestyle=(0, (3, 2)), label=f"outline of {first}"),
               Line2D([], [], linestyle="none", marker="o", markersize=7, markerfacecolor=MOVED_COLOUR,
                      markeredgecolor="black", label=f"practice that moved ({comparison.moved:,})"),
               Line2D([], [], linestyle="none", marker="o", markersize=5, markerfacecolor="#8c8c8c",
                      markeredgecolor="white", label="practice that stayed")]
    title = f"{area_name(graph)}: {first} → {second}"
    subtitle = (f"{comparison.moved:,} practices moved ({comparison.moved_patients:,} patients); adjusted Rand index "
                f"{comparison.ari:.2f}; {comparison.metrics[0].groups:,} → {comparison.metrics[1].groups:,} groups")
    return _save(figure, graph, title, subtitle, path, handles)


def specialties_of(assignment: Any) -> list[str]:
    """The specialties of a budget assignment, in the order they were first given."""
    return list(dict.fromkeys(holding.specialty for holding in assignment.holdings))


#: Most specialty panels on the holders map.
MAX_PANELS = 12


def write_holders_map(path: Path, run: Any) -> Path:
    """``map.png`` of a budget assignment: a panel per specialty with its holders over the networks."""
    graph, assignment = run.graph, run.result
    areas = group_areas(graph, run.extra["networks"], boundary_of(run))
    specialties = specialties_of(assignment)[:MAX_PANELS] or ["(no holding)"]
    colours = group_colours(areas)
    served = {result.network for result in assignment.networks if result.holdings}
    unserved = areas[[group != UNGROUPED and group not in served for group in areas["group"]]]
    figure, axes = _figure(graph, areas, panels=len(specialties))
    for level, (ax, specialty) in enumerate(zip(axes, specialties)):
        holdings = [h for h in assignment.holdings if h.specialty == specialty]
        _fill(ax, areas, colours, alpha=0.35, width=0.3)
        alone = [h.holder for h in holdings if len(h.members) == 1]
        members = [code for h in holdings if len(h.members) > 1 for code in h.members]
        holding_codes = set(alone) | set(members)
        _practices(ax, graph, [code for code in graph.codes if code not in holding_codes], colour="#bdbdbd",
                   edge="none", scale=0.5, zorder=3)
        _practices(ax, graph, alone, colour=HOLDER_COLOUR, edge="#000000", scale=1.0)
        _practices(ax, graph, members, colour=CONSORTIUM_COLOUR, edge="#000000", marker="D", scale=0.9)
        _frame(ax, areas)
        largest = max((h.ratio for h in holdings), default=0.0)
        if len(unserved):
            unserved.plot(ax=ax, facecolor="none", edgecolor=UNSERVED_EDGE, hatch="xxx", linewidth=0, zorder=2)
        consortia = len(holdings) - len(alone)
        ax.set_title(f"{specialty}: held by {len(alone):,} practice{'s' * (len(alone) != 1)} and {consortia:,} "
                     f"consortium{'s' * (consortia != 1)}; largest ratio {largest:.2f}", fontsize=8)
        if level == 0:
            _scale_bar(ax)
            _north_arrow(ax)
    handles = [Patch(facecolor=PALETTE[0], edgecolor=AREA_EDGE, alpha=0.5, label="network area"),
               Line2D([], [], linestyle="none", marker="o", markersize=6, markerfacecolor=HOLDER_COLOUR,
                      markeredgecolor="black", label="holder (a practice)"),
               Line2D([], [], linestyle="none", marker="D", markersize=5, markerfacecolor=CONSORTIUM_COLOUR,
                      markeredgecolor="black", label="member of a holding consortium"),
               Line2D([], [], linestyle="none", marker="o", markersize=4, markerfacecolor="#bdbdbd",
                      markeredgecolor="none", label="practice holding none")]
    if len(unserved):
        handles.append(Patch(facecolor="none", edgecolor=UNSERVED_EDGE, hatch="xxx",
                             label=f"network not served ({len(unserved)}: see report.md)"))
    more = len(specialties_of(assignment)) - len(specialties)
    title = f"{area_name(graph)}: holders of {len(specialties_of(assignment)):,} specialty budgets"
    subtitle = (f"{len(assignment.networks):,} networks, {len(assignment.holdings):,} holdings; "
                "dot area follows list size"
                + (f"; {more} more specialties in assignments.csv" if more > 0 else ""))
    return _save(figure, graph, title, subtitle, path, handles)


def write_stability_map(path: Path, run: Any) -> Path:
    """``map.png`` of an ensemble: the consensus grouping, each practice coloured by its stability, the swing
    practices (outside their consensus group in most members) ringed: where the candidates disagree."""
    from matplotlib import colormaps

    graph, ensemble = run.graph, run.result
    consensus = ensemble.members[ensemble.consensus]
    areas = group_areas(graph, consensus.grouping.labels, boundary_of(run))
    figure, (ax,) = _figure(graph, areas)
    _fill(ax, areas, {group: "#ececec" for group in areas["group"]}, alpha=1.0, width=0.8)  # let the dots speak
    stability = {row.practice_code: row for row in ensemble.stability}
    scale = colormaps["RdYlBu"]
    colours = [scale(0.1 + 0.8 * stability[code].stability) for code in graph.codes]
    _practices(ax, graph, list(graph.codes), colour=colours)
    swing = [code for code in graph.codes if stability[code].swing]
    if swing:
        rows = np.array([graph.index[code] for code in swing], dtype=int)
        radius = 1.9 * marker_radius(graph.list_sizes[rows], len(graph))
        ax.scatter(graph.xy[rows, 0], graph.xy[rows, 1], s=(2 * radius) ** 2, facecolors="none",
                   edgecolors=SWING_EDGE, linewidths=1.3, zorder=5)
    _frame(ax, areas)
    _scale_bar(ax)
    _north_arrow(ax)
    handles: list[Any] = [Patch(facecolor="#ececec", edgecolor=AREA_EDGE,
                                label=f"group of the consensus ({consensus.name})")]
    for share, text in ((1.0, "in its consensus group\nin every member"), (0.5, "in half of the members"),
                        (0.0, "in none")):
        handles.append(Line2D([], [], linestyle="none", marker="o", markersize=7, markerfacecolor=scale(0.1 + 0.8 * share),
                              markeredgecolor=PRACTICE_EDGE, label=text))
    handles.append(Line2D([], [], linestyle="none", marker="o", markersize=11, markerfacecolor="none",
                          markeredgecolor=SWING_EDGE, markeredgewidth=1.3,
                          label=f"swing practice ({len(swing)}):\nelsewhere in most members"))
    spread = ensemble.diversity
    title = f"{area_name(graph)}: where {len(ensemble.members)} candidate groupings disagree"
    subtitle = (f"{spread.distinct} different groupings, normalised VI between them median {spread.vi_median:.3f}; "
                f"{len(ensemble.kept)} kept.\nColour: how often a practice sits in its consensus group")
    return _save(figure, graph, title, subtitle, path, handles)
