"""Coordinates: WGS84 longitude/latitude to British National Grid (EPSG:27700) metres and back."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from pyproj import Transformer

__all__ = ["UK_BOUNDS", "in_uk", "to_bng", "to_wgs84", "distance_matrix"]

#: (min_lat, max_lat, min_lon, max_lon): a generous box around the UK, the Isles of Scilly to Shetland.
UK_BOUNDS = (49.5, 61.0, -8.75, 2.0)


@lru_cache(maxsize=2)
def _transformer(source: str, target: str) -> Transformer:
    return Transformer.from_crs(source, target, always_xy=True)


def in_uk(lat: float, lon: float) -> bool:
    """Whether a WGS84 point lies inside :data:`UK_BOUNDS`."""
    min_lat, max_lat, min_lon, max_lon = UK_BOUNDS
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def to_bng(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project WGS84 latitude/longitude (degrees) to British National Grid easting/northing (metres)."""
    x, y = _transformer("EPSG:4326", "EPSG:27700").transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


def to_wgs84(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project British National Grid metres to WGS84; returns ``(lat, lon)`` in degrees."""
    lon, lat = _transformer("EPSG:27700", "EPSG:4326").transform(np.asarray(x, float), np.asarray(y, float))
    return np.asarray(lat, float), np.asarray(lon, float)


def distance_matrix(xy: np.ndarray, dtype: type | None = None) -> np.ndarray:
    """Dense straight-line distances in km (by default float32 above 2,000 points to bound memory)."""
    if dtype is None:
        dtype = np.float64 if len(xy) <= 2000 else np.float32
    result = np.empty((len(xy), len(xy)), dtype=dtype)
    x, y = xy[:, 0], xy[:, 1]
    for start in range(0, len(xy), 1024):  # in place on one block: a fifth of the time of a (n, n, 2) array
        dx = x[start:start + 1024, None] - x[None, :]
        dy = y[start:start + 1024, None] - y[None, :]
        dx *= dx
        dy *= dy
        dx += dy
        np.sqrt(dx, out=dx)
        dx /= 1000.0
        result[start:start + 1024] = dx
    return result
