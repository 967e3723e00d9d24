"""Reading practices from CSV, GeoJSON or GeoPackage into a validated :class:`PracticeGraph`."""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from clusterkit.errors import InputError
from clusterkit.model.coordinates import UK_BOUNDS, in_uk, to_bng, to_wgs84
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT, Practice
from clusterkit.model.selection import AreaSelection
from geodata.read.tables import (Table, check_file, parse_bool, parse_coordinate, parse_float, parse_int, read_table,
                                  resolve_columns)

__all__ = ["PRACTICE_COLUMNS", "PRACTICES_FILE_HEADER", "VECTOR_SUFFIXES", "practices_from_table", "read_practices",
           "read_study_practices"]

log = logging.getLogger(__name__)

#: A list size above this is taken for a mistake (the largest English practice has about 100,000 patients).
MAX_LIST_SIZE = 1_000_000

#: Accepted column names per practice field (first match wins, case-insensitive). The columns of
#: ``gp_practices_england.csv`` are accepted as they are.
PRACTICE_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("practice_code", "code", "ods_code", "org_code"),
    "name": ("practice_name", "name"),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "x": ("x", "easting"),
    "y": ("y", "northing"),
    "list_size": ("list_size", "patients", "registered_patients", "number_of_patients"),
    "turnover": ("turnover",),
    "sub_icb": ("sub_icb_code", "sub_icb", "sub_icb_location_code", "ccg_code"),
    "icb": ("icb_code", "icb"),
    "group": ("pcn_code", "group", "current_group"),
    "willing": ("willing",),
}

#: The columns of a practices file in the project's format, in order: those of ``gp_practices_england.csv``,
#: which ``clusterkit import-nhs`` writes. :data:`PRACTICE_COLUMNS` reads each (postcode and pcn_name as attributes).
PRACTICES_FILE_HEADER = ("practice_code", "practice_name", "postcode", "lat", "lon", "list_size", "pcn_code",
                         "pcn_name", "sub_icb_code", "icb_code")

VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg")


def read_practices(
    path: str | Path,
    *,
    columns: Mapping[str, str | None] | None = None,
    encoding: str = "utf-8",
    funding_per_patient: float = DEFAULT_FUNDING_PER_PATIENT,
    icb: Sequence[str] | None = None,
    sub_icb: Sequence[str] | None = None,
    layer: str | None = None,
) -> PracticeGraph:
    """Read and validate practices; optionally keep only some ICBs / sub-ICBs.

    Parameters
    ----------
    path : str or Path
        A CSV file (comma, semicolon or tab), or GeoJSON / GeoPackage points.
    columns : mapping, optional
        Field -> column name, overriding :data:`PRACTICE_COLUMNS` (e.g. ``{"code": "ODS"}``).
    encoding : str
        Text encoding of a CSV file.
    funding_per_patient : float
        Pounds a year per patient, for the turnover of practices without a ``turnover`` value.
    icb, sub_icb : sequence of str, optional
        Area codes to keep (see :meth:`PracticeGraph.select`).
    layer : str, optional
        Layer of a GeoPackage (default: its first).

    Returns
    -------
    PracticeGraph
        With empty relation layers; ``meta["source"]`` is the path, ``meta["columns"]`` the column each field
        was read from, ``meta["funding_per_patient"]`` the turnover rate used.

    Raises
    ------
    InputError
        On the first problem, naming the file, row, column and value.
    """
    return read_study_practices(path, columns=columns, encoding=encoding, funding_per_patient=funding_per_patient,
                                icb=icb, sub_icb=sub_icb, layer=layer)[0]


def read_study_practices(
    path: str | Path,
    *,
    columns: Mapping[str, str | None] | None = None,
    encoding: str = "utf-8",
    funding_per_patient: float = DEFAULT_FUNDING_PER_PATIENT,
    icb: Sequence[str] | None = None,
    sub_icb: Sequence[str] | None = None,
    layer: str | None = None,
) -> tuple[PracticeGraph, frozenset[str]]:
    """The practices of the selected areas, as :func:`read_practices` reads them, and every practice code of the
    file (against which a relations file is checked: it may name practices outside the selection).

    Every row of the selection is validated in full. A row outside it is checked only for what the selection and
    the codes need (its practice code, present and not repeated; its ICB and sub-ICB), and never built into a
    practice: reading one ICB of the national file costs little more than reading that ICB alone.
    """
    if funding_per_patient < 0 or not math.isfinite(funding_per_patient):
        raise InputError("funding per patient must be a non-negative number", value=funding_per_patient)
    file = check_file(path)
    if file.suffix.lower() in VECTOR_SUFFIXES:
        table = _read_vector(file, str(path), layer)
    else:
        table = read_table(file, encoding=encoding, what="practice rows")
    selection = AreaSelection.of(icb, sub_icb)
    practices, used, codes = _practices_from_table(table, columns or {}, funding_per_patient, selection)
    meta: dict[str, Any] = {"source": str(path), "columns": used, "funding_per_patient": funding_per_patient}
    if selection:
        meta["selection"] = selection.meta()
    graph = PracticeGraph.from_practices(practices, meta=meta)
    log.info("read %d practices (%d patients) of the %d in %s", len(graph), graph.population, len(codes), path)
    return graph, codes


def _read_vector(file: Path, source: str, layer: str | None) -> Table:
    """Point features as a :class:`Table` of text cells, with ``lat``/``lon`` from the geometry."""
    import pyogrio
    from pyogrio.errors import DataSourceError

    try:
        with warnings.catch_warnings(record=True) as caught:  # GDAL's warnings go to the log, not stderr
            warnings.simplefilter("always")
            frame = pyogrio.read_dataframe(file, layer=layer)
    except (DataSourceError, ValueError, OSError) as error:
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        if "not recognized as being in a supported file format" in reason:
            reason = "its content is not in a recognised format"
        else:  # GDAL chains its messages with ';': the last one is the cause
            reason = reason.rstrip("; ").rsplit(";", 1)[-1].strip()[:120]
        raise InputError(f"cannot be read as GeoJSON/GeoPackage ({reason})", source=source) from None
    for warning in caught:
        log.debug("%s: %s", source, warning.message)
    if len(frame) == 0:
        raise InputError("has no features", source=source)
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    header = [str(name) for name in frame.columns if name != "geometry"]
    rows = []
    for number, (_, feature) in enumerate(frame.iterrows(), start=1):
        geometry = feature.geometry
        cells = {name: _cell_text(feature[name]) for name in header}
        if geometry is None or geometry.is_empty:
            cells["lat"], cells["lon"] = "", ""
        elif geometry.geom_type != "Point":
            raise InputError(
                f"is a {geometry.geom_type}; practices must be points", source=source, row=number, row_label="feature"
            )
        else:
            cells["lat"], cells["lon"] = repr(float(geometry.y)), repr(float(geometry.x))
        rows.append((number, cells))
    header = [name for name in header if name.lower() not in ("lat", "lon", "latitude", "longitude")] + ["lat", "lon"]
    return Table(source, tuple(header), tuple(rows), row_label="feature")


def _cell_text(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float) and value == int(value):
        return str(int(value))
    return str(value).strip()


def practices_from_table(table: Table, explicit: Mapping[str, str | None] | None = None,
                         funding: float = DEFAULT_FUNDING_PER_PATIENT) -> list[Practice]:
    """Validated practices from the text cells of a table (a file read, or rows made in memory).

    ``explicit`` maps fields to column names as :func:`read_practices`'s ``columns`` do. Raises
    :class:`InputError` on the first problem, located in ``table``.
    """
    return _practices_from_table(table, explicit or {}, funding, AreaSelection())[0]


def _practices_from_table(table: Table, explicit: Mapping[str, str | None], funding: float,
                          selection: AreaSelection) -> tuple[list[Practice], dict[str, str], frozenset[str]]:
    """The practices of ``table`` in ``selection``, the column each field was read from, and every code.

    Raises :class:`InputError` on the first problem of a selected row, on an empty or repeated code in any row,
    and when the selection selects nothing (:meth:`AreaSelection.check`).
    """
    by_lower = {name.lower() for name in table.header}
    has_latlon = any(n in by_lower for n in PRACTICE_COLUMNS["lat"]) or bool(explicit.get("lat"))
    required = ["code", "list_size"] + (["lat", "lon"] if has_latlon or not _has_xy(by_lower, explicit) else ["x", "y"])
    options = {field: f"--{field.replace('_', '-')}-col" for field in ("code", "list_size", "lat", "lon", "sub_icb",
                                                                        "icb", "group")}
    columns = resolve_columns(table, PRACTICE_COLUMNS, required, explicit, hints=options)
    use_xy = "lat" not in columns
    if use_xy:
        columns.pop("lat", None)
        columns.pop("lon", None)
    else:
        columns.pop("x", None)
        columns.pop("y", None)
    used = set(columns.values())
    extra = [name for name in table.header if name not in used and name not in ("lat", "lon")]
    numeric_extra = {name for name in extra if _all_numeric(table, name)}

    first_row: dict[str, int] = {}
    records: list[dict[str, Any]] = []
    code_column, icb_column, sub_icb_column = columns["code"], columns.get("icb", ""), columns.get("sub_icb", "")
    icbs: set[str] = set()
    sub_icbs: set[str] = set()
    for row, cells in table:
        code = cells.get(code_column, "").strip().upper()
        if not code:
            raise table.error("practice code is empty", row=row, column=code_column)
        if code in first_row:
            raise table.error(f"duplicate practice code (first on {table.row_label} {first_row[code]})", row=row,
                              column=code_column, value=code)
        first_row[code] = row
        if selection:
            icb, sub_icb = cells.get(icb_column, "").upper(), cells.get(sub_icb_column, "").upper()
            icbs.add(icb)
            sub_icbs.add(sub_icb)
            if not selection.keeps(icb, sub_icb):
                continue
        size_column = columns["list_size"]
        list_size = parse_int(table, row, size_column, cells.get(size_column, ""), what="a whole number of patients")
        if list_size < 0:
            raise table.error("list size is negative", row=row, column=size_column, value=cells[size_column])
        if list_size > MAX_LIST_SIZE:
            raise table.error(f"list size is implausible: above {MAX_LIST_SIZE:,} patients (the largest English "
                              "practice has about 100,000)", row=row, column=size_column, value=cells[size_column])
        if use_xy:
            a = parse_coordinate(table, row, columns["x"], cells.get(columns["x"], ""), what="an easting in metres")
            b = parse_coordinate(table, row, columns["y"], cells.get(columns["y"], ""), what="a northing in metres")
        else:
            a = _coordinate(table, row, columns["lat"], cells, "a latitude")
            b = _coordinate(table, row, columns["lon"], cells, "a longitude")
        turnover = None
        if "turnover" in columns and cells.get(columns["turnover"], ""):
            turnover = parse_float(table, row, columns["turnover"], cells[columns["turnover"]], what="an amount in £")
            if turnover < 0:
                raise table.error("turnover is negative", row=row, column=columns["turnover"], value=cells[columns["turnover"]])
        willing = parse_bool(table, row, columns["willing"], cells.get(columns["willing"], "")) if "willing" in columns else True
        attributes = {}
        for name in extra:
            text = cells.get(name, "")
            attributes[name] = (float(text.replace(",", "")) if text else math.nan) if name in numeric_extra else text
        records.append({
            "row": row,
            "cells": cells,
            "code": code,
            "name": cells.get(columns.get("name", ""), ""),
            "a": a,
            "b": b,
            "list_size": list_size,
            "turnover": turnover if turnover is not None else list_size * funding,
            "sub_icb": (cells.get(columns.get("sub_icb", ""), "") or None),
            "icb": (cells.get(columns.get("icb", ""), "") or None),
            "group": (cells.get(columns.get("group", ""), "") or None),
            "willing": willing,
            "attributes": attributes,
        })

    if selection:
        selection.check(icbs, sub_icbs, len(records))
    first = np.array([r["a"] for r in records])
    second = np.array([r["b"] for r in records])
    if use_xy:
        lat, lon = to_wgs84(first, second)
        x, y = first, second
    else:
        lat, lon = first, second
        x, y = to_bng(lat, lon)
    practices = []
    for k, record in enumerate(records):
        if not in_uk(float(lat[k]), float(lon[k])):
            min_lat, max_lat, min_lon, max_lon = UK_BOUNDS
            lat_off = not min_lat <= float(lat[k]) <= max_lat
            if use_xy:
                where = columns["y"] if lat_off else columns["x"]
            else:
                where = columns["lat"] if lat_off else columns["lon"]
            hint = "; are latitude and longitude swapped?" if not use_xy and in_uk(float(lon[k]), float(lat[k])) else ""
            raise table.error(
                f"practice {record['code']} lies outside the UK (lat {lat[k]:.5f}, lon {lon[k]:.5f}; expected lat "
                f"{min_lat}..{max_lat}, lon {min_lon}..{max_lon}){hint}",
                row=record["row"],
                column=where,
                value=record["cells"].get(where, ""),
            )
        practices.append(
            Practice(
                code=record["code"],
                name=record["name"],
                lat=float(lat[k]),
                lon=float(lon[k]),
                x=float(x[k]),
                y=float(y[k]),
                list_size=record["list_size"],
                turnover=float(record["turnover"]),
                sub_icb=record["sub_icb"].upper() if record["sub_icb"] else None,
                icb=record["icb"].upper() if record["icb"] else None,
                group=record["group"],
                willing=record["willing"],
                attributes=record["attributes"],
            )
        )
    empty = [practice.code for practice in practices if practice.list_size == 0]
    if empty:
        log.warning("%s: %d practice(s) have list size 0 (no registered patients), kept as they are: %s",
                    table.source, len(empty), ", ".join(empty[:10]) + (", ..." if len(empty) > 10 else ""))
    return practices, dict(sorted(columns.items())), frozenset(first_row)


def _has_xy(by_lower: set[str], explicit: Mapping[str, str | None]) -> bool:
    return bool(explicit.get("x")) or any(name in by_lower for name in PRACTICE_COLUMNS["x"])


def _coordinate(table: Table, row: int, column: str, cells: Mapping[str, str], what: str) -> float:
    text = cells.get(column, "")
    if not text:
        raise table.error(f"coordinate is missing; expected {what} in degrees", row=row, column=column)
    return parse_coordinate(table, row, column, text, what=f"{what} in degrees")


def _all_numeric(table: Table, column: str) -> bool:
    seen = False
    for _, cells in table:
        text = cells.get(column, "")
        if not text:
            continue
        try:
            float(text.replace(",", ""))
        except ValueError:
            return False
        seen = True
    return seen
