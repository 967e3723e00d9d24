"""The one RFC 7946 check every GeoJSON test uses: strict JSON, a FeatureCollection with no ``crs`` member,
lon/lat order (inside England's box), at most 6 decimals, valid polygons with counter-clockwise exterior rings
and clockwise holes."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from shapely.geometry import shape

#: England's extent in WGS84: a lon/lat swap lands outside it.
ENGLAND_LON = (-7.0, 2.0)
ENGLAND_LAT = (49.5, 56.0)


def strict_json(text: str) -> Any:
    """Parse JSON refusing NaN/Infinity (which RFC 8259 forbids) and keeping numbers as written."""

    def refuse(name: str) -> None:
        raise ValueError(f"invalid JSON constant {name}")

    return json.loads(text, parse_constant=refuse, parse_float=Decimal, parse_int=Decimal)


def decimals(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _positions(coordinates: Any) -> list[list[Decimal]]:
    if coordinates and isinstance(coordinates[0], Decimal):
        return [coordinates]
    return [position for item in coordinates for position in _positions(item)]


def _signed_area(ring: list[list[Decimal]]) -> float:
    points = [(float(x), float(y)) for x, y, *_ in ring]
    return sum(x0 * y1 - x1 * y0 for (x0, y0), (x1, y1) in zip(points, points[1:])) / 2


def _check_polygon(rings: list[Any], where: str) -> None:
    for number, ring in enumerate(rings):
        assert len(ring) >= 4 and ring[0] == ring[-1], f"{where}: ring {number} is not a closed ring"
        area = _signed_area(ring)
        if number == 0:
            assert area > 0, f"{where}: exterior ring is not counter-clockwise"
        else:
            assert area < 0, f"{where}: hole {number} is not clockwise"


def assert_rfc7946(path: str | Path, lon: tuple[float, float] = ENGLAND_LON,
                   lat: tuple[float, float] = ENGLAND_LAT) -> dict[str, Any]:
    """Check the file at ``path`` against RFC 7946 and return its document (numbers as :class:`Decimal`)."""
    document = strict_json(Path(path).read_text(encoding="utf-8"))
    assert document["type"] == "FeatureCollection"
    assert "crs" not in document, "RFC 7946 has no crs member"
    assert isinstance(document["features"], list)
    for index, feature in enumerate(document["features"]):
        where = f"{Path(path).name} feature {index}"
        assert feature["type"] == "Feature" and isinstance(feature["properties"], dict), where
        geometry = feature["geometry"]
        if geometry is None:
            continue
        for x, y, *rest in _positions(geometry["coordinates"]):
            assert not rest, f"{where}: positions are lon, lat"
            assert lon[0] <= x <= lon[1] and lat[0] <= y <= lat[1], f"{where}: ({x}, {y}) is not lon, lat in England"
            assert decimals(x) <= 6 and decimals(y) <= 6, f"{where}: more than 6 decimals in ({x}, {y})"
        if geometry["type"] == "Polygon":
            _check_polygon(geometry["coordinates"], where)
        elif geometry["type"] == "MultiPolygon":
            for part, rings in enumerate(geometry["coordinates"]):
                _check_polygon(rings, f"{where} part {part}")
        if geometry["type"] in ("Polygon", "MultiPolygon"):
            as_floats = json.loads(json.dumps(geometry, default=float))
            assert shape(as_floats).is_valid, f"{where}: invalid {geometry['type']}"
    return document
