"""``map.html``: an interactive map of a run (folium, Leaflet), one file that works offline.

Groups are polygons whose popup gives their figures (patients, practices, in band, weighted km, ...),
practices are dots sized by list size with a tooltip, and a legend box carries the title and the data's
attribution. Leaflet's script and style are put inside the file (from the ``xstatic-leaflet`` package, the
version folium expects) instead of folium's links to CDNs, and folium's other assets (jQuery, Bootstrap,
Font Awesome), which these maps do not use, are left out: the map opens and works without internet. Only
the OpenStreetMap background needs it; offline the groups show on a plain background.

One function per command's map: :func:`write_grouping_webmap` (``group``, ``demo``, ``evaluate``),
:func:`write_tiers_webmap`, :func:`write_comparison_webmap` and :func:`write_holders_webmap`.
"""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import shapely

from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED
from geodata.write.files import write_text
from geodata.write.styling import (MOVED_COLOUR, OUT_OF_BAND_COLOUR, UNGROUPED_COLOUR, area_name, attribution,
                                   boundary_of, group_areas, group_colours, label_point, marker_radius)

__all__ = ["write_grouping_webmap", "write_tiers_webmap", "write_comparison_webmap", "write_holders_webmap",
           "leaflet_assets"]

#: Decimal places of the web map's coordinates (about a metre).
WEB_DECIMALS = 5

#: Width of the legend box, in pixels, kept clear of the area when the map opens.
LEGEND_WIDTH = 400

#: Practices a web map's dots are sized for at least (one zooms in on a web map, so its dots shrink less
#: with many practices than a picture's: as for a quarter of them).
WEB_PRACTICES = 60


def leaflet_assets() -> tuple[str, str]:
    """Leaflet's JavaScript and CSS, read from the ``xstatic-leaflet`` package; the CSS's images (the layer
    switch's icon) put inside it as data URIs."""
    import xstatic.pkg.leaflet as leaflet

    folder = Path(leaflet.BASE_DIR)
    style = (folder / "leaflet.css").read_text(encoding="utf-8")
    for image in sorted(set(re.findall(r"url\((images/[\w.-]+\.png)\)", style))):
        encoded = base64.b64encode((folder / image).read_bytes()).decode("ascii")
        style = style.replace(f"url({image})", f"url(data:image/png;base64,{encoded})")
    return (folder / "leaflet.js").read_text(encoding="utf-8"), style


def _base_map(bounds: Sequence[float]) -> Any:
    """A folium map fitted to ``bounds`` (WGS84 west, south, east, north) with Leaflet inside the page."""
    import folium
    from branca.element import Element

    web_map = folium.Map(tiles=None, control_scale=True, prefer_canvas=True, zoom_snap=0.25)
    web_map.default_js, web_map.default_css = [], []  # no CDN links: Leaflet is put inside the page below
    script, style = leaflet_assets()
    header = web_map.get_root().header
    header.add_child(Element(f"<style>{style}\n.leaflet-container {{ background: #f2f2ef; }}\n"
                             ".clusterkit-label { font: 11px sans-serif; text-align: center; white-space: nowrap; "
                             "text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff; pointer-events: none; }\n"
                             "</style>"), name="leaflet_css")
    header.add_child(Element(f"<script>{script}</script>"), name="leaflet")
    folium.TileLayer("OpenStreetMap", name="OpenStreetMap background (needs internet)", overlay=True,
                     show=True).add_to(web_map)
    west, south, east, north = bounds
    web_map.fit_bounds([[south, west], [north, east]], padding_top_left=(20, 20),
                       padding_bottom_right=(LEGEND_WIDTH, 20))
    return web_map


def _web_geojson(areas: Any, properties: Mapping[str, Sequence[Any]]) -> str:
    """``areas`` (British National Grid) simplified for the screen, in WGS84, with ``properties``, as GeoJSON."""
    import geopandas

    x0, y0, x1, y1 = shapely.bounds(shapely.union_all(areas.geometry.values))
    tolerance = max(x1 - x0, y1 - y0) / 3000
    shapes = shapely.simplify(np.asarray(areas.geometry.values), tolerance, preserve_topology=True)
    frame = geopandas.GeoDataFrame(dict(properties), geometry=list(shapes), crs=areas.crs).to_crs(4326)
    frame.geometry = shapely.transform(frame.geometry.values, lambda xy: np.round(xy, WEB_DECIMALS))
    return frame.to_json(drop_id=True)


def _bounds(areas: Any) -> list[float]:
    return list(areas.to_crs(4326).total_bounds)


def _polygons(web_map: Any, areas: Any, properties: Mapping[str, Sequence[Any]], aliases: Mapping[str, str],
              name: str, *, show: bool = True, fill_opacity: float = 0.55, dashed: bool = False,
              weight: float = 1.0, outline: str = "#4d4d4d", interactive: bool = True) -> None:
    """A layer of polygons; each feature's ``colour`` (fill) and ``edge`` (outline) properties style it, and
    the fields of ``aliases`` make its popup."""
    import folium

    data = _web_geojson(areas, properties)
    style = {"weight": weight, "fillOpacity": fill_opacity, "opacity": 0.9}
    if dashed:
        style["dashArray"] = "6 4"

    def styled(feature: Mapping[str, Any]) -> dict[str, Any]:
        own = feature["properties"]
        return {**style, "fillColor": own.get("colour", "#cccccc"), "color": own.get("edge") or outline}

    popup = folium.GeoJsonPopup(fields=list(aliases), aliases=list(aliases.values()), localize=True,
                                labels=True) if interactive else None
    tooltip = folium.GeoJsonTooltip(fields=[next(iter(aliases))], labels=False) if interactive else None
    folium.GeoJson(data, name=name, style_function=styled, popup=popup, tooltip=tooltip, show=show,
                   highlight_function=(lambda _: {"weight": 3}) if interactive else None,
                   interactive=interactive, zoom_on_click=False).add_to(web_map)


def _points(web_map: Any, graph: PracticeGraph, codes: Sequence[str], properties: Mapping[str, Mapping[str, Any]],
            aliases: Mapping[str, str], name: str, *, colour: str = "#2b2b2b", scale: float = 1.0,
            show: bool = True) -> None:
    """Practices ``codes`` as dots sized by list size, with a tooltip of ``aliases``' fields."""
    import folium

    index = graph.index
    rows = [index[code] for code in codes]
    if not rows:
        return
    radius = scale * marker_radius(graph.list_sizes[rows], max(len(graph) // 4, WEB_PRACTICES))
    features = []
    for row, size in zip(rows, radius.tolist()):
        practice = graph.practices[row]
        own = {"practice_code": practice.code, "practice_name": practice.name, "list_size": practice.list_size,
               **{key: values.get(practice.code) for key, values in properties.items()}, "radius": round(size + 1, 1)}
        features.append({"type": "Feature", "properties": own, "geometry": {
            "type": "Point", "coordinates": [round(practice.lon, WEB_DECIMALS), round(practice.lat, WEB_DECIMALS)]}})
    data = json.dumps({"type": "FeatureCollection", "features": features})
    fields = {"practice_code": "Practice", "practice_name": "Name", "list_size": "Patients", **aliases}
    folium.GeoJson(
        data, name=name, show=show, marker=folium.CircleMarker(),
        style_function=lambda feature: {"radius": feature["properties"]["radius"], "fillColor": colour,
                                        "color": "#ffffff", "weight": 0.8, "fill": True, "fillOpacity": 0.9},
        tooltip=folium.GeoJsonTooltip(fields=list(fields), aliases=list(fields.values()), localize=True),
        zoom_on_click=False).add_to(web_map)


def _labels(web_map: Any, areas: Any, texts: Mapping[str, str], name: str, limit: int = 200) -> None:
    """The group names at a point inside each area (none when there are more than ``limit``)."""
    import folium

    shown = [(group, geometry) for group, geometry in zip(areas["group"], areas.to_crs(4326).geometry)
             if group in texts]
    if len(shown) > limit:
        return
    layer = folium.FeatureGroup(name=name, show=True)
    for group, geometry in shown:
        point = label_point(geometry)
        if point is None:
            continue
        folium.Marker([point.y, point.x], icon=folium.DivIcon(
            html=f'<div class="clusterkit-label">{html.escape(texts[group])}</div>',
            icon_size=(80, 28), icon_anchor=(40, 14)), interactive=False).add_to(layer)
    layer.add_to(web_map)


def _finish(web_map: Any, graph: PracticeGraph, title: str, lines: Sequence[str], path: Path) -> Path:
    """The legend box (title, what the symbols mean, attribution), the layer switch, and the file."""
    import folium
    from branca.element import Element

    folium.LayerControl(collapsed=True).add_to(web_map)
    items = "".join(f"<div>{line}</div>" for line in lines)
    box = (f'<div style="position: fixed; right: 10px; bottom: 26px; z-index: 1000; width: {LEGEND_WIDTH - 30}px; '
           f'background: rgba(255,255,255,0.93); padding: 8px 10px; border-radius: 4px; '
           f'box-shadow: 0 1px 4px rgba(0,0,0,0.3); font: 12px/1.35 sans-serif;">'
           f'<div style="font-weight: bold; font-size: 14px; margin-bottom: 4px;">{html.escape(title)}</div>{items}'
           f'<div style="margin-top: 6px; color: #555; font-size: 10px;">{html.escape(attribution(graph))} '
           f'Background map © OpenStreetMap contributors (online only). Click a group for its figures.</div></div>')
    web_map.get_root().html.add_child(Element(box))
    return write_text(path, web_map.get_root().render())


def _swatch(colour: str, text: str, *, dashed: bool = False, dot: bool = False) -> str:
    if dot:
        shape = f"display:inline-block;width:10px;height:10px;border-radius:50%;background:{colour};"
    else:
        line = "dashed" if dashed else "solid"
        shape = f"display:inline-block;width:14px;height:10px;border:2px {line} {colour};"
    return f'<span style="{shape}margin-right:6px;vertical-align:middle;"></span>{html.escape(text)}'


def _group_properties(areas: Any, rows: Mapping[str, Any], colours: Mapping[str, str]) -> dict[str, list[Any]]:
    """The popup figures of each group of ``areas`` (its metrics row), its fill and outline."""
    columns: dict[str, list[Any]] = {name: [] for name in ("group", "population", "practices", "in_band", "band",
                                                           "weighted_km", "diameter_km", "connected", "centre",
                                                           "sub_icbs", "colour", "edge")}
    for group in areas["group"]:
        row = rows.get(group)
        columns["group"].append(group or "not grouped")
        columns["population"].append(int(row.population) if row else "—")
        columns["practices"].append(int(row.practices) if row else "—")
        columns["in_band"].append(("yes" if row.in_band else "alone above the band" if row.flagged else "no")
                                  if row else "—")
        columns["band"].append(row.band if row else "—")
        columns["weighted_km"].append(round(float(row.weighted_km), 2) if row else "—")
        columns["diameter_km"].append(round(float(row.diameter_km), 1) if row else "—")
        columns["connected"].append(("yes" if row.connected else "no") if row else "—")
        columns["centre"].append(row.centre if row else "—")
        columns["sub_icbs"].append(row.sub_icbs if row else "—")
        columns["colour"].append(colours[group])
        columns["edge"].append(OUT_OF_BAND_COLOUR if row and not row.in_band and not row.flagged else None)
    return columns


#: Popup fields of a group and what they are called.
GROUP_FIELDS = {"group": "Group", "population": "Patients", "practices": "Practices", "in_band": "In band",
                "band": "Band", "weighted_km": "Weighted km to centre", "diameter_km": "Widest, km",
                "connected": "Connected", "centre": "Centre practice", "sub_icbs": "Sub-ICBs"}


# ---------------------------------------------------------------------------------------------- the maps
def write_grouping_webmap(path: Path, run: Any) -> Path:
    """``map.html`` of a grouping: groups with popups of their figures, practices with tooltips."""
    graph, grouping, metrics = run.graph, run.result, run.metrics
    areas = group_areas(graph, grouping.labels, boundary_of(run))
    rows = {row.group: row for row in metrics.rows}
    web_map = _base_map(_bounds(areas))
    _polygons(web_map, areas, _group_properties(areas, rows, group_colours(areas)), GROUP_FIELDS, "groups")
    _labels(web_map, areas, {group: group for group in rows}, "group names")
    labels = {code: grouping.labels.get(code) or "not grouped" for code in graph.codes}
    _points(web_map, graph, graph.codes, {"group": labels}, {"group": "Group"}, "practices")
    outside = sum(not row.in_band and not row.flagged for row in metrics.rows)
    lines = [f"{metrics.groups:,} groups, {metrics.population:,} patients; {metrics.in_band:,} in band, "
             f"{metrics.connected:,} connected; {metrics.weighted_km:.2f} km per patient to the group's centre",
             _swatch("#4d4d4d", "group (neighbours in different colours)"),
             _swatch("#2b2b2b", "practice (area follows list size)", dot=True)]
    if outside:
        lines.append(_swatch(OUT_OF_BAND_COLOUR, f"outside its band ({outside})"))
    if metrics.ungrouped:
        lines.append(_swatch(UNGROUPED_COLOUR, f"practices in no group ({metrics.ungrouped})"))
    return _finish(web_map, graph, f"{area_name(graph)}: {metrics.groups:,} groups", lines, path)


def write_tiers_webmap(path: Path, run: Any) -> Path:
    """``map.html`` of nested tiers: one layer per tier (the smallest shown), the larger tiers' outlines."""
    graph, result = run.graph, run.result
    boundary = boundary_of(run)
    layers = [group_areas(graph, grouping.labels, boundary) for grouping in result.groupings]
    web_map = _base_map(_bounds(layers[0]))
    for level, (tier, areas, measured) in enumerate(zip(result.tiers, layers, run.extra["metrics"])):
        rows = {row.group: row for row in measured.rows}
        _polygons(web_map, areas, _group_properties(areas, rows, group_colours(areas)),
                  {**GROUP_FIELDS, "group": tier.name.capitalize()}, f"{tier.name} groups", show=level == 0)
    for level, (tier, areas) in enumerate(zip(result.tiers[1:], layers[1:]), start=1):
        _polygons(web_map, areas, {"group": list(areas["group"]), "edge": ["#1a1a1a"] * len(areas)}, {"group": "Group"},
                  f"{tier.name} outlines", fill_opacity=0.0, weight=1.0 + level, interactive=False)
    paths = result.paths()
    columns = {tier.name: {code: grouping.labels.get(code) or None for code in graph.codes}
               for tier, grouping in zip(result.tiers, result.groupings)}
    _points(web_map, graph, graph.codes, {**columns, "path": paths},
            {**{tier.name: tier.name.capitalize() for tier in result.tiers}, "path": "Path"}, "practices")
    lines = [", ".join(f"{tier.name}: {measured.groups:,} groups of {tier.band.lower:,}–{tier.band.upper:,} "
                       f"({measured.in_band_share:.0%} in band)" for tier, measured in zip(result.tiers,
                                                                                         run.extra["metrics"])),
             _swatch("#1a1a1a", "outline of a larger tier (thicker: larger)"),
             "Switch tiers on and off in the layer list (top right)."]
    return _finish(web_map, graph, f"{area_name(graph)}: nested tiers", lines, path)


def write_comparison_webmap(path: Path, run: Any) -> Path:
    """``map.html`` of a comparison: B's groups (popups), A's outlines dashed, moved practices in red."""
    graph, comparison = run.graph, run.result
    first, second = comparison.names
    before, after = run.extra["groupings"]
    boundary = boundary_of(run)
    old, new = group_areas(graph, before, boundary), group_areas(graph, after, boundary)
    web_map = _base_map(_bounds(new))
    rows = {row.group: row for row in comparison.metrics[1].rows}
    _polygons(web_map, new, _group_properties(new, rows, group_colours(new)),
              {**GROUP_FIELDS, "group": f"Group of {second}"}, f"groups of {second}")
    kept = old[old["group"] != UNGROUPED]
    _polygons(web_map, kept, {"group": list(kept["group"]), "edge": ["#6a3d9a"] * len(kept)}, {"group": first},
              f"outlines of {first}", fill_opacity=0.0, weight=2.5, dashed=True, interactive=False)
    moved = {move.practice: move for move in comparison.moves}
    columns = {first: {code: before.get(code) or "none" for code in graph.codes},
               second: {code: after.get(code) or "none" for code in graph.codes}}
    _points(web_map, graph, [code for code in graph.codes if code not in moved], columns,
            {first: first, second: second}, "practices that stayed", colour="#8c8c8c", scale=0.7)
    _points(web_map, graph, sorted(moved), columns, {first: first, second: second}, "practices that moved",
            colour=MOVED_COLOUR, scale=1.2)
    lines = [f"{comparison.moved:,} practices moved ({comparison.moved_patients:,} patients); adjusted Rand index "
             f"{comparison.ari:.2f}",
             _swatch("#4d4d4d", f"group of {second}"), _swatch("#6a3d9a", f"outline of {first}", dashed=True),
             _swatch(MOVED_COLOUR, "practice that moved", dot=True),
             _swatch("#8c8c8c", "practice that stayed", dot=True)]
    return _finish(web_map, graph, f"{area_name(graph)}: {first} → {second}", lines, path)


def write_holders_webmap(path: Path, run: Any) -> Path:
    """``map.html`` of a budget assignment: networks (popups: each specialty's holder), one layer of holders
    per specialty."""
    from geodata.write.maps import specialties_of

    graph, assignment = run.graph, run.result
    areas = group_areas(graph, run.extra["networks"], boundary_of(run))
    web_map = _base_map(_bounds(areas))
    results = {result.network: result for result in assignment.networks}
    holders: dict[str, list[str]] = {}
    for h in assignment.holdings:
        holders.setdefault(h.network, []).append(f"{h.specialty}: {h.holder} (£{h.budget:,.0f}, ratio {h.ratio:.2f})")
    colours = group_colours(areas)
    properties = {
        "group": [group or "no network" for group in areas["group"]],
        "practices": [results[group].practices if group in results else None for group in areas["group"]],
        "population": [results[group].population if group in results else None for group in areas["group"]],
        "status": [str(results[group].status) if group in results else None for group in areas["group"]],
        "holders": ["; ".join(holders.get(group, [])) or None for group in areas["group"]],
        "colour": [colours[group] for group in areas["group"]],
    }
    _polygons(web_map, areas, properties, {"group": "Network", "population": "Patients", "practices": "Practices",
                                           "status": "Status", "holders": "Holders"}, "networks", fill_opacity=0.35)
    for level, specialty in enumerate(specialties_of(assignment)):
        held = {code: h for h in assignment.holdings if h.specialty == specialty for code in h.members}
        columns = {"holding": {code: f"{specialty}: {h.holder} ({h.kind})" for code, h in held.items()},
                   "ratio": {code: round(h.ratio, 3) for code, h in held.items()}}
        _points(web_map, graph, sorted(held), columns, {"holding": "Holds", "ratio": "Budget / turnover"},
                f"holders: {specialty}", colour="#1f78b4", show=level == 0)
    lines = [f"{len(assignment.networks):,} networks, {len(assignment.holdings):,} holdings",
             _swatch("#1f78b4", "holder or consortium member of the specialty shown", dot=True),
             "Choose the specialty in the layer list (top right); click a network for its holders."]
    return _finish(web_map, graph, f"{area_name(graph)}: specialty budget holders", lines, path)
