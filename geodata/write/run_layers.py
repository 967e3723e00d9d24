"""Which map layers a run has, each with its frame and its QGIS style, computed once per run.

=================  ================================================  ==========================================
command            layers (GeoJSON file, with its ``.qml``)          GeoPackage only
=================  ================================================  ==========================================
group, demo,       ``practices``, ``groups``, ``links`` (when         ``groups_table``
evaluate           relations are given), ``moves`` (when the
                   practices have a current group or ``--current``)
tiers              ``practices``, ``groups_<tier>`` per tier          ``tiers_table``
                   (``groups_neighbourhood``, ``groups_network``...),
                   ``links`` (inside or across networks)
compare            ``moves``
budgets            ``holders``
=================  ================================================  ==========================================

Practices take the colours of their groups (of the ``network`` tier for tiers); the colours keep neighbouring
groups apart (:func:`geodata.write.styles.group_colours`). Group areas are clipped to the run's boundary
(``run.extra["boundary"]``, from ``--boundary``) or a buffered hull of its practices.

Examples
--------
>>> from clusterkit.runs import run_grouping
>>> from clusterkit.synthetic import synthetic_county
>>> run = run_grouping(synthetic_county(seed=1).with_adjacency(), workers=1, effort="quick")
>>> [layer.name for layer in layers_of(run)]
['practices', 'groups', 'moves', 'groups_table']
>>> layers_of(run) is layers_of(run)
True
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clusterkit.metrics.grouping import moved_practices
from clusterkit.model.graph import PracticeGraph
from geodata.write import styles
from geodata.write.layers import groups_layer, links_layer, moves_layer, practices_layer

__all__ = ["MapLayer", "layers_of", "NETWORK_TIER"]

#: The tier whose groups colour the practices of a tiers run (else its first tier).
NETWORK_TIER = "network"


@dataclass(frozen=True)
class MapLayer:
    """One layer of a run: its name (the GeoJSON file's base name and the GeoPackage layer), its frame (a
    GeoDataFrame in EPSG:27700, or a DataFrame for a table), its QML style, and whether it has a GeoJSON file."""

    name: str
    frame: Any
    style: str | None
    geojson: bool = True


_CACHE: dict[int, tuple[Any, tuple[MapLayer, ...]]] = {}


def layers_of(run: Any) -> tuple[MapLayer, ...]:
    """The layers of ``run`` (a :class:`clusterkit.runs.Run`), computed on first use and kept while the run
    lives, so its GeoJSON files, styles and GeoPackage share one computation."""
    key = id(run)
    cached = _CACHE.get(key)
    if cached is not None and cached[0]() is run:
        return cached[1]
    layers = _BUILDERS[run.command](run)
    _CACHE[key] = (weakref.ref(run), layers)
    weakref.finalize(run, _CACHE.pop, key, None)
    return layers


def _grouping_layers(run: Any) -> tuple[MapLayer, ...]:
    from geodata.write.grouping import grouped_practice_columns, groups_table

    graph, grouping = run.graph, run.result
    labels = grouping.labels
    table = groups_table(grouping, run.metrics)
    areas = groups_layer(graph, labels, table, run.extra.get("boundary"))
    colours = styles.group_colours(table["group"], styles.neighbouring_groups(graph, labels, areas))
    layers = [MapLayer("practices", practices_layer(graph, grouped_practice_columns(graph, grouping)),
                       styles.practices_style("group", colours)),
              MapLayer("groups", areas, styles.groups_style(colours))]
    layers += _links(graph, labels)
    current = run.extra.get("current") or {}
    moved = moved_practices(labels, current) if current else ()
    if current and (moved or run.command != "evaluate"):  # evaluating today's grouping itself: nothing to show
        moves = [(code, current[code], labels.get(code, "")) for code in moved]
        layers.append(MapLayer("moves", moves_layer(graph, moves, ("current", "new")),
                               styles.moves_style("group_new", colours)))
    layers.append(MapLayer("groups_table", table, None, geojson=False))
    return tuple(layers)


def _tiers_layers(run: Any) -> tuple[MapLayer, ...]:
    from geodata.write.tiers import tiered_practice_columns, tiers_table

    graph, result = run.graph, run.result
    table = tiers_table(result, run.extra["metrics"])
    names = [tier.name for tier in result.tiers]
    shown = NETWORK_TIER if NETWORK_TIER in names else names[0]
    tier_layers, colours_of = [], {}
    for tier, grouping in zip(result.tiers, result.groupings):
        rows = table[table["tier"] == tier.name].reset_index(drop=True)
        areas = groups_layer(graph, grouping.labels, rows, run.extra.get("boundary"))
        colours_of[tier.name] = styles.group_colours(
            rows["group"], styles.neighbouring_groups(graph, grouping.labels, areas))
        tier_layers.append(MapLayer(f"groups_{tier.name}", areas, styles.groups_style(colours_of[tier.name])))
    layers = [MapLayer("practices", practices_layer(graph, tiered_practice_columns(graph, result)),
                       styles.practices_style(shown, colours_of[shown])), *tier_layers]
    layers += _links(graph, result.groupings[names.index(shown)].labels)
    layers.append(MapLayer("tiers_table", table, None, geojson=False))
    return tuple(layers)


def _comparison_layers(run: Any) -> tuple[MapLayer, ...]:
    from geodata.write.comparison import comparison_moves

    comparison = run.result
    moves = comparison_moves(comparison)
    after = {code: new for code, _, new in moves}
    colours = styles.group_colours(set(after.values()), styles.neighbouring_groups(run.graph, after))
    return (MapLayer("moves", moves_layer(run.graph, moves, comparison.names),
                     styles.moves_style(f"group_{comparison.names[1]}", colours)),)


def _budget_layers(run: Any) -> tuple[MapLayer, ...]:
    from geodata.write.budgets import holders_layer

    params = run.result.params
    layer = holders_layer(run.graph, run.result, params["schedule"], params["variance"], params["loss_threshold"])
    specialties = layer["specialty"].tolist() if len(layer) else []
    return (MapLayer("holders", layer, styles.holders_style(specialties)),)


def _links(graph: PracticeGraph, labels: Mapping[str, str]) -> list[MapLayer]:
    layer = links_layer(graph, labels)
    return [] if layer is None else [MapLayer("links", layer, styles.links_style())]


def _ensemble_layers(run: Any) -> tuple[MapLayer, ...]:
    """An ensemble: its practices with their stability (styled by it) and the consensus member's areas."""
    from geodata.write.grouping import grouped_practice_columns, groups_table

    graph, ensemble = run.graph, run.result
    consensus = ensemble.members[ensemble.consensus]
    labels = consensus.grouping.labels
    table = groups_table(consensus.grouping, consensus.metrics)
    areas = groups_layer(graph, labels, table, run.extra.get("boundary"))
    colours = styles.group_colours(table["group"], styles.neighbouring_groups(graph, labels, areas))
    rows = {row.practice_code: row for row in ensemble.stability}
    columns = {**grouped_practice_columns(graph, consensus.grouping),
               "stability": {code: round(row.stability, 4) for code, row in rows.items()},
               "mean_jaccard": {code: round(row.mean_jaccard, 4) for code, row in rows.items()},
               "swing": {code: row.swing for code, row in rows.items()},
               "contested_neighbours": {code: row.contested_neighbours for code, row in rows.items()}}
    return (MapLayer("practices", practices_layer(graph, columns), styles.stability_style()),
            MapLayer("groups", areas, styles.groups_style(colours)),
            MapLayer("groups_table", table, None, geojson=False))


_BUILDERS = {"group": _grouping_layers, "demo": _grouping_layers, "evaluate": _grouping_layers,
             "tiers": _tiers_layers, "compare": _comparison_layers, "budgets": _budget_layers,
             "ensemble": _ensemble_layers}
