"""Writing outputs atomically: RFC 7946 GeoJSON, CSV tables and JSON summaries.

Every file is written to a temporary file in the same folder, flushed, then renamed over the target,
so a failed run never leaves a half-written output and an existing file is replaced whole or not at all.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from clusterkit.errors import InputError
from clusterkit.model import PracticeGraph

__all__ = [
    "atomic_write",
    "prepare_out_dir",
    "write_text",
    "write_json",
    "write_csv",
    "write_groups_csv",
    "practice_features",
    "write_practices_geojson",
    "write_feature_collection",
]

#: Decimal places of WGS84 coordinates (about 0.1 m), as RFC 7946 recommends.
COORDINATE_DECIMALS = 6


def _process_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


#: Read once: the permissions a plainly created file gets (mkstemp's files are owner-only, 0600).
_FILE_MODE = 0o666 & ~_process_umask()


@contextmanager
def atomic_write(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path``; on success rename it over ``path``, on error remove it."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        kwargs = {"encoding": encoding, "newline": ""} if "b" not in mode else {}
        with os.fdopen(handle, mode, **kwargs) as stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, _FILE_MODE)
        os.replace(temporary, target)
    except BaseException:
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise


def prepare_out_dir(path: str | Path, overwrite: bool = False) -> Path:
    """Create the output folder, refusing a non-empty one unless ``overwrite``."""
    folder = Path(path)
    if folder.exists() and not folder.is_dir():
        raise InputError("exists and is not a folder", source=str(path))
    if folder.is_dir() and any(folder.iterdir()) and not overwrite:
        raise InputError("output folder is not empty; pass --overwrite to replace its files", source=str(path))
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"cannot create the output folder ({error.strerror})", source=str(path)) from None
    return folder


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically."""
    with atomic_write(path) as stream:
        stream.write(text)
    return Path(path)


def _json_safe(value: Any) -> Any:
    """Replace NaN and infinities (invalid JSON) by null, recursively; numpy scalars become Python."""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)) and getattr(value, "ndim", 1) == 0:
        value = value.item()
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, Mapping):
        return {str(key): _json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(item) for item in value]
    return value


def write_json(path: str | Path, document: Any) -> Path:
    """Write a JSON document atomically (NaN written as null)."""
    return write_text(path, json.dumps(_json_safe(document), indent=2, ensure_ascii=False) + "\n")


def write_csv(path: str | Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Path:
    """Write a CSV table atomically; ``None`` and NaN become empty cells."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if cell is None or (isinstance(cell, float) and math.isnan(cell)) else cell for cell in row])
    return write_text(path, buffer.getvalue())


def write_groups_csv(path: str | Path, labels: Mapping[str, Any]) -> Path:
    """Write a grouping as ``practice_code,group``, sorted by practice code."""
    return write_csv(path, ("practice_code", "group"), sorted((code, labels[code]) for code in labels))


def _round(value: float) -> float:
    return round(float(value), COORDINATE_DECIMALS)


def practice_features(graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None) -> list[dict]:
    """GeoJSON point features of every practice with all its attributes plus extra ``columns``.

    ``columns`` maps a property name (e.g. ``"network"``) to practice code -> value; practices missing
    from a column get ``null``.
    """
    features = []
    for practice in graph.practices:
        properties = {
            "practice_code": practice.code,
            "practice_name": practice.name,
            "list_size": practice.list_size,
            "turnover": practice.turnover,
            "sub_icb": practice.sub_icb,
            "icb": practice.icb,
            "current_group": practice.group,
            "willing": practice.willing,
            "lat": _round(practice.lat),
            "lon": _round(practice.lon),
            "x_bng": round(practice.x, 1),
            "y_bng": round(practice.y, 1),
        }
        for key, value in practice.attributes.items():
            properties.setdefault(key, value)
        for name, values in (columns or {}).items():
            properties[name] = values.get(practice.code)
        features.append({
            "type": "Feature",
            "properties": properties,
            "geometry": {"type": "Point", "coordinates": [_round(practice.lon), _round(practice.lat)]},
        })
    return features


def write_feature_collection(path: str | Path, features: Sequence[Mapping[str, Any]], name: str | None = None) -> Path:
    """Write an RFC 7946 FeatureCollection (WGS84 lon/lat, no ``crs`` member) atomically."""
    document: dict[str, Any] = {"type": "FeatureCollection"}
    if name:
        document["name"] = name
    document["features"] = list(features)
    text = json.dumps(_json_safe(document), ensure_ascii=False, separators=(",", ":"))
    return write_text(path, text + "\n")


def write_practices_geojson(
    path: str | Path, graph: PracticeGraph, columns: Mapping[str, Mapping[str, Any]] | None = None
) -> Path:
    """Write ``practices.geojson``: one point per practice with every attribute and group columns."""
    return write_feature_collection(path, practice_features(graph, columns), name="practices")


def write_practices_csv(path: str | Path, graph: PracticeGraph) -> Path:
    """Write practices in the column layout of ``gp_practices_england.csv`` (plus willing and attributes)."""
    attribute_names = sorted({name for practice in graph.practices for name in practice.attributes})
    header = ["practice_code", "practice_name", "lat", "lon", "list_size", "turnover", "pcn_code", "sub_icb_code",
              "icb_code", "willing", *attribute_names]
    rows = (
        [p.code, p.name, f"{p.lat:.6f}", f"{p.lon:.6f}", p.list_size, round(p.turnover, 2), p.group, p.sub_icb, p.icb,
         "yes" if p.willing else "no", *(p.attributes.get(name) for name in attribute_names)]
        for p in graph.practices
    )
    return write_csv(path, header, rows)


def write_relations_csv(path: str | Path, relations: Iterable[Any]) -> Path:
    """Write relations as the long table ``a,b,kind,value`` that :func:`geodata.read_relations` reads."""
    rows = (
        [r.a, r.b, f"{r.kind}:{r.resource}" if r.resource else r.kind, "" if r.kind.endswith("_link") else r.value]
        for r in relations
    )
    return write_csv(path, ("a", "b", "kind", "value"), rows)
