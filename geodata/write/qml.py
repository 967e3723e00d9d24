"""QGIS style documents (``.qml``) built from a few parts: symbols, renderers, labels.

QGIS reads a ``.qml`` beside a layer with the same base name when it opens the layer, and the same document
from a GeoPackage's ``layer_styles`` table. These functions write the QGIS 3 form (symbol layer properties as
``<Option type="Map">``, read by QGIS 3.16 and later); :mod:`geodata.write.styles` composes them into the
styles of clusterkit's layers. Colours are ``#rrggbb`` or ``r,g,b,a`` strings.

Examples
--------
>>> dot = marker_symbol("#4e79a7", size=2.0)
>>> text = style_document(categorized_renderer("group", [("N1", "N1", dot)]), "point")
>>> text.startswith("<!DOCTYPE qgis"), 'type="categorizedSymbol"' in text
(True, True)
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["rgba", "marker_symbol", "fill_symbol", "line_symbol", "categorized_renderer", "rule_renderer",
           "label_settings", "style_document"]

#: The QGIS version the documents are written for (read by every later QGIS 3).
QGIS_VERSION = "3.22.0"

#: QGIS's geometry type numbers.
GEOMETRY_TYPES = {"point": 0, "line": 1, "polygon": 2, "table": 4}


def rgba(colour: str, alpha: float = 1.0) -> str:
    """``#rrggbb`` (or ``r,g,b,a``) as QGIS's ``r,g,b,a`` with ``alpha`` in 0-1.

    >>> rgba("#4e79a7", 0.5)
    '78,121,167,128'
    """
    if "," in colour:
        return colour
    red, green, blue = (int(colour.lstrip("#")[i:i + 2], 16) for i in (0, 2, 4))
    return f"{red},{green},{blue},{round(alpha * 255)}"


def _option(parent: ET.Element, name: str | None, value: Any) -> ET.Element:
    """QGIS's variant encoding: a map, a bool, an int or a string."""
    element = ET.SubElement(parent, "Option")
    if name is not None:
        element.set("name", name)
    if isinstance(value, Mapping):
        element.set("type", "Map")
        for key, item in value.items():
            _option(element, key, item)
    elif isinstance(value, bool):
        element.set("type", "bool")
        element.set("value", "true" if value else "false")
    elif isinstance(value, int):
        element.set("type", "int")
        element.set("value", str(value))
    else:
        element.set("type", "QString")
        element.set("value", str(value))
    return element


def _data_defined(parent: ET.Element, expressions: Mapping[str, str] | None = None) -> None:
    """``<data_defined_properties>``: property name (``size``, ``outlineWidth``, ``enabled``...) -> expression."""
    holder = ET.SubElement(parent, "data_defined_properties")
    properties = {name: {"active": True, "expression": expression, "type": 3}
                  for name, expression in (expressions or {}).items()}
    _option(holder, None, {"name": "", "properties": properties, "type": "collection"})


def _symbol(kind: str, layers: Sequence[tuple[str, Mapping[str, Any], Mapping[str, str] | None]],
            alpha: float = 1.0) -> ET.Element:
    symbol = ET.Element("symbol", {"type": kind, "name": "", "alpha": f"{alpha:g}", "clip_to_extent": "1",
                                   "force_rhr": "0"})
    _data_defined(symbol)
    for class_name, properties, expressions in layers:
        layer = ET.SubElement(symbol, "layer", {"class": class_name, "enabled": "1", "locked": "0", "pass": "0"})
        _option(layer, None, {key: str(value) for key, value in properties.items()})
        _data_defined(layer, expressions)
    return symbol


def marker_symbol(colour: str, size: float = 2.0, shape: str = "circle", outline: str = "#232323",
                  outline_width: float = 0.2, size_expression: str | None = None, alpha: float = 1.0) -> ET.Element:
    """A simple marker (``circle``, ``star``, ``triangle``, ``square``, ``cross``...), sized in mm or by an
    expression."""
    return _symbol("marker", [("SimpleMarker", {
        "name": shape, "color": rgba(colour), "outline_color": rgba(outline), "outline_style": "solid",
        "outline_width": outline_width, "outline_width_unit": "MM", "size": size, "size_unit": "MM",
        "scale_method": "diameter", "angle": 0, "joinstyle": "bevel"},
        {"size": size_expression} if size_expression else None)], alpha)


def fill_symbol(colour: str | None, outline: str = "#ffffff", outline_width: float = 0.3, alpha: float = 1.0,
                style: str = "solid", outline_style: str = "solid") -> ET.Element:
    """A simple fill (``style`` solid, ``b_diagonal``, ``no``...) with its outline; ``colour`` None: no fill."""
    return _symbol("fill", [("SimpleFill", {
        "color": rgba(colour or "#000000", alpha if colour else 0.0), "style": style if colour else "no",
        "outline_color": rgba(outline), "outline_style": outline_style, "outline_width": outline_width,
        "outline_width_unit": "MM", "joinstyle": "bevel"}, None)])


def line_symbol(colour: str, width: float = 0.4, style: str = "solid", width_expression: str | None = None,
                alpha: float = 1.0) -> ET.Element:
    """A simple line (``style`` solid, ``dash``, ``dot``), its width in mm or by an expression."""
    return _symbol("line", [("SimpleLine", {
        "line_color": rgba(colour), "line_style": style, "line_width": width, "line_width_unit": "MM",
        "capstyle": "round", "joinstyle": "round"},
        {"outlineWidth": width_expression} if width_expression else None)], alpha)


def _symbols(renderer: ET.Element, symbols: Sequence[ET.Element]) -> None:
    holder = ET.SubElement(renderer, "symbols")
    for number, symbol in enumerate(symbols):
        symbol.set("name", str(number))
        holder.append(symbol)


def categorized_renderer(attribute: str, categories: Sequence[tuple[Any, str, ET.Element]]) -> ET.Element:
    """Features coloured by the value of ``attribute``: ``(value, legend label, symbol)``; a value ``""``
    catches every other value, null included."""
    renderer = ET.Element("renderer-v2", {"type": "categorizedSymbol", "attr": attribute, "symbollevels": "0",
                                          "enableorderby": "0", "forceraster": "0", "referencescale": "-1"})
    holder = ET.SubElement(renderer, "categories")
    for number, (value, label, _) in enumerate(categories):
        ET.SubElement(holder, "category", {"value": str(value), "label": label, "symbol": str(number),
                                           "render": "true"})
    _symbols(renderer, [symbol for _, _, symbol in categories])
    return renderer


def rule_renderer(rules: Sequence[tuple[str | None, str, ET.Element]]) -> ET.Element:
    """Features drawn by every rule whose filter (a QGIS expression; None: every feature) they match:
    ``(filter, legend label, symbol)``; later rules draw over earlier ones."""
    renderer = ET.Element("renderer-v2", {"type": "RuleRenderer", "symbollevels": "0", "enableorderby": "0",
                                          "forceraster": "0", "referencescale": "-1"})
    holder = ET.SubElement(renderer, "rules", {"key": f"{{{uuid.UUID(int=0)}}}"})
    for number, (expression, label, _) in enumerate(rules):
        rule = ET.SubElement(holder, "rule", {"key": f"{{{uuid.UUID(int=number + 1)}}}", "symbol": str(number),
                                              "label": label})
        if expression:
            rule.set("filter", expression)
    _symbols(renderer, [symbol for _, _, symbol in rules])
    return renderer


def label_settings(expression: str, size: float = 8.0, colour: str = "#1a1a1a", placement: int = 1,
                   buffer: float = 1.0) -> ET.Element:
    """Simple labelling by a QGIS expression, with a white buffer; ``placement`` 1 is over the point
    (polygons: at a centroid inside the polygon), 0 around it."""
    labeling = ET.Element("labeling", {"type": "simple"})
    settings = ET.SubElement(labeling, "settings", {"calloutType": "simple"})
    ET.SubElement(settings, "text-style", {
        "fieldName": expression, "isExpression": "1", "fontSize": f"{size:g}", "fontSizeUnit": "Point",
        "textColor": rgba(colour), "textOpacity": "1", "fontWeight": "50", "namedStyle": "Regular",
        "multilineHeight": "1", "allowHtml": "0", "blendMode": "0"})
    ET.SubElement(settings, "text-buffer", {"bufferDraw": "1" if buffer else "0", "bufferSize": f"{buffer:g}",
                                            "bufferSizeUnits": "MM", "bufferColor": "255,255,255,255",
                                            "bufferOpacity": "0.85", "bufferNoFill": "1", "bufferJoinStyle": "128"})
    ET.SubElement(settings, "text-format", {"multilineAlign": "1", "wrapChar": "", "formatNumbers": "0"})
    ET.SubElement(settings, "placement", {"placement": str(placement), "centroidInside": "1", "centroidWhole": "0",
                                          "fitInPolygonOnly": "0", "priority": "5", "dist": "0",
                                          "placementFlags": "10", "polygonPlacementFlags": "2"})
    ET.SubElement(settings, "rendering", {"drawLabels": "1", "obstacle": "1", "obstacleType": "1",
                                          "displayAll": "0", "upsidedownLabels": "0", "labelPerPart": "0",
                                          "mergeLines": "0", "minFeatureSize": "0", "limitNumLabels": "0",
                                          "maxNumLabels": "2000", "scaleVisibility": "0", "zIndex": "0"})
    return labeling


def style_document(renderer: ET.Element | None, geometry: str, labeling: ET.Element | None = None,
                   opacity: float = 1.0) -> str:
    """The whole ``.qml`` text: symbology (and labels) of a layer of ``geometry`` point, line, polygon or
    table (no renderer)."""
    root = ET.Element("qgis", {"version": QGIS_VERSION, "styleCategories": "Symbology|Labeling",
                               "labelsEnabled": "1" if labeling is not None else "0"})
    if renderer is not None:
        root.append(renderer)
    if labeling is not None:
        root.append(labeling)
    ET.SubElement(root, "blendMode").text = "0"
    ET.SubElement(root, "featureBlendMode").text = "0"
    ET.SubElement(root, "layerOpacity").text = f"{opacity:g}"
    ET.SubElement(root, "layerGeometryType").text = str(GEOMETRY_TYPES[geometry])
    ET.indent(root, "  ")
    return "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n" + ET.tostring(root, encoding="unicode") + "\n"
