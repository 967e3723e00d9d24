"""The QGIS styles of clusterkit's layers, and the colours that keep neighbouring groups apart.

- practices: categorised by group, in a darker shade of the group's colour with a white rim, circles sized by
  list size (area grows with the list), practices in no group as grey crosses;
- groups: one fill per group in the same colour, labelled with the group's id and population; groups outside
  their band hatched in red, groups not connected on the adjacency outlined in black dots (both in the legend
  and in the label);
- links: alignment in blue, shared staff in orange, solid inside a group and dashed across groups, wider for
  more affinity or staff;
- moves: the practices that changed group as stars in their new group's colour;
- holders: budget holders as squares by specialty.

Colours come from a greedy colouring of the graph of neighbouring groups (:func:`group_colours`), so two
groups that touch on the map never share a colour (a planar map needs few: the palette has ten).

Examples
--------
>>> colours = group_colours(["N1", "N2", "N3"], [("N1", "N2"), ("N2", "N3")])
>>> colours["N1"] != colours["N2"] != colours["N3"]
True
>>> "categorizedSymbol" in practices_style("group", colours)
True
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from geodata.write.qml import (categorized_renderer, fill_symbol, label_settings, line_symbol, marker_symbol,
                               rule_renderer, style_document)

__all__ = ["PALETTE", "group_colours", "shade", "neighbouring_groups", "practices_style", "groups_style", "links_style",
           "moves_style", "holders_style", "table_style"]

#: Ten colours that read apart on a map and on a grey basemap (Tableau 10, the red swapped for a light blue
#: because red marks groups outside their band).
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#edc948", "#b07aa1", "#76b7b2", "#ff9da7", "#9c755f", "#a0cbe8",
           "#bab0ac")

#: Practices in no group; groups that break a rule.
NO_GROUP, MARKED = "#8c8c8c", "#b2182b"

#: Circle diameter (mm) by list size: area proportional to patients, 1.2 mm to 5.5 mm at 40,000 and above.
SIZE_BY_LIST = 'scale_exp(coalesce("list_size", 0), 0, 40000, 1.2, 5.5, 0.5)'


def neighbouring_groups(graph: PracticeGraph, labels: Mapping[str, str], areas: Any = None) -> set[tuple[str, str]]:
    """Pairs of groups that neighbour each other: their areas touch (``areas``, a frame of ``group`` and
    geometry), or an adjacency edge joins two of their practices."""
    import shapely

    pairs: set[tuple[str, str]] = set()
    for a, b in graph.layer("adjacency").edges():
        first, second = labels.get(a) or UNGROUPED, labels.get(b) or UNGROUPED
        if first and second and first != second:
            pairs.add((min(first, second), max(first, second)))
    if areas is not None and len(areas):
        groups = list(areas["group"])
        geometry = areas.geometry.values
        left, right = shapely.STRtree(geometry).query(geometry, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist()):
            if i < j and groups[i] and groups[j]:
                pairs.add((min(groups[i], groups[j]), max(groups[i], groups[j])))
    return pairs


def group_colours(groups: Iterable[str], neighbours: Iterable[tuple[str, str]]) -> dict[str, str]:
    """A colour of :data:`PALETTE` per group, neighbours apart (networkx's greedy colouring, largest first;
    deterministic: groups in sorted order)."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(set(groups) - {UNGROUPED}))
    graph.add_edges_from(sorted((a, b) for a, b in neighbours if a in graph and b in graph))
    colouring = nx.greedy_color(graph, strategy="largest_first")
    return {group: PALETTE[colouring[group] % len(PALETTE)] for group in graph}


def shade(colour: str, factor: float = 0.72) -> str:
    """``colour`` (``#rrggbb``) darkened: a practice's dot stands out on its group's lighter area.

    >>> shade("#ffffff", 0.5)
    '#808080'
    """
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return "#" + "".join(f"{round(channel * factor):02x}" for channel in (red, green, blue))


def _quoted(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def practices_style(attribute: str, colours: Mapping[str, str]) -> str:
    """Practices categorised by ``attribute`` (their group) in a darker shade of its colour, sized by list size."""
    categories = [(group, group, marker_symbol(shade(colour), size_expression=SIZE_BY_LIST, outline="#ffffff",
                                               outline_width=0.25))
                  for group, colour in sorted(colours.items())]
    categories.append(("", "in no group (unwilling, or not grouped)",
                       marker_symbol(NO_GROUP, size=2.2, shape="cross2", outline=NO_GROUP, outline_width=0.4)))
    return style_document(categorized_renderer(attribute, categories), "point")


#: The label of a group: its id, population, and the rule it breaks.
GROUP_LABEL = ("\"group\" || '\\n' || format_number(\"population\", 0)"
               " || CASE WHEN NOT \"in_band\" AND NOT \"flagged\" THEN '\\noutside ' || \"band\" ELSE '' END"
               " || CASE WHEN \"disconnected\" THEN '\\nnot connected' ELSE '' END")


def groups_style(colours: Mapping[str, str]) -> str:
    """Group areas filled by group, labelled, rule-breaking groups marked."""
    rules: list[tuple[str | None, str, Any]] = [
        (f'"group" = {_quoted(group)}', group, fill_symbol(colour, outline="#ffffff", outline_width=0.35, alpha=0.55))
        for group, colour in sorted(colours.items())]
    rules.append(('NOT "in_band" AND NOT "flagged"', "outside its band",
                  fill_symbol(MARKED, outline=MARKED, outline_width=0.7, style="b_diagonal", outline_style="dash")))
    rules.append(('"disconnected"', "not connected on the adjacency of practices",
                  fill_symbol(None, outline="#000000", outline_width=0.8, outline_style="dot")))
    return style_document(rule_renderer(rules), "polygon", label_settings(GROUP_LABEL, size=8.0))


#: How often a practice of an ensemble sits in its consensus group: the bounds of the classes drawn, and colours.
STABILITY_CLASSES = ((0.8, 1.01, "#2c7bb6", "stable: in its consensus group in 80% of members or more"),
                     (0.5, 0.8, "#fdae61", "in half to 80% of the members"),
                     (0.0, 0.5, "#d7191c", "swing: elsewhere in most members"))


def stability_style() -> str:
    """Practices of an ensemble by their stability (three classes, swing practices larger), sized by list size."""
    rules = [(f'"stability" >= {lower} AND "stability" < {upper}', label,
              marker_symbol(colour, size_expression=SIZE_BY_LIST if lower else f"1.4 * ({SIZE_BY_LIST})",
                            outline="#ffffff" if lower else "#1a1a1a", outline_width=0.25 if lower else 0.5))
             for lower, upper, colour, label in STABILITY_CLASSES]
    return style_document(rule_renderer(rules), "point")


def links_style() -> str:
    """Links by kind (alignment blue, shared staff orange), solid inside a group, dashed across groups."""
    rules = []
    for kind, label, colour, width in (("alignment", "alignment", "#2b6cb0", '0.1 + 0.6 * coalesce("value", 0)'),
                                       ("shared_staff", "shared staff", "#c05621",
                                        '0.25 + 0.35 * min(coalesce("value", 0), 3)')):
        rules.append((f'"kind" = \'{kind}\' AND "inside"', f"{label}, inside a group",
                      line_symbol(colour, width_expression=width, alpha=0.7)))
        rules.append((f'"kind" = \'{kind}\' AND NOT "inside"', f"{label}, across groups",
                      line_symbol(colour, style="dash", width_expression=width, alpha=0.7)))
    return style_document(rule_renderer(rules), "line")


def moves_style(attribute: str, colours: Mapping[str, str]) -> str:
    """Moved practices as stars in the colour of their new group (``attribute``)."""
    categories = [(group, f"moved into {group}", marker_symbol(colour, size=4.2, shape="star", outline="#000000",
                                                               outline_width=0.3))
                  for group, colour in sorted(colours.items())]
    categories.append(("", "moved out of every group", marker_symbol(NO_GROUP, size=4.2, shape="star",
                                                                     outline="#000000", outline_width=0.3)))
    return style_document(categorized_renderer(attribute, categories), "point")


def holders_style(specialties: Sequence[str]) -> str:
    """Budget holders as squares categorised by specialty."""
    categories = [(name, name, marker_symbol(PALETTE[number % len(PALETTE)], size=3.2, shape="square",
                                             outline="#000000", outline_width=0.25))
                  for number, name in enumerate(sorted(set(specialties)))]
    return style_document(categorized_renderer("specialty", categories), "point")


def table_style() -> str:
    """A table without geometry: nothing to draw."""
    return style_document(None, "table")
