"""Practice attributes from another file, joined on ``practice_code`` (e.g. the NHS extra file's clinical IT
supplier and deprivation score), for alignment from attributes."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from geodata.read.tables import parse_float, read_table, resolve_columns

__all__ = ["read_attributes"]

log = logging.getLogger(__name__)

#: The column that joins an attributes file to the practices.
ATTRIBUTE_COLUMNS = {"code": ("practice_code", "code", "ods_code")}


def read_attributes(path: str | Path, graph: PracticeGraph, columns: tuple[str, ...] | None = None,
                    encoding: str = "utf-8") -> dict[str, dict[str, Any]]:
    """Practice code -> {column: value} of the practices of ``graph`` (other rows are left out).

    A column whose every non-empty value is a number is read as numbers, a practice without a value taking
    the mean of the others (a warning names them: new practices have no deprivation score yet); other columns
    are read as text. ``columns`` keeps only those (each must exist). Raises :class:`InputError` for a missing
    column, or a practice of ``graph`` the file does not have (the first ten are named).
    """
    table = read_table(path, encoding=encoding, what="attribute rows")
    code_column = resolve_columns(table, ATTRIBUTE_COLUMNS, ("code",))["code"]
    wanted = [name for name in table.header if name != code_column] if columns is None else list(columns)
    for name in wanted:
        if name not in table.header:
            raise table.error(f"has no column '{name}'; columns are: {', '.join(table.header)}", row=1)
    found: dict[str, dict[str, str]] = {}
    for row, cells in table:
        code = cells[code_column].strip().upper()
        if code in graph.index:
            found[code] = {name: cells.get(name, "") for name in wanted}
    absent = [code for code in graph.codes if code not in found]
    if absent:
        raise InputError(f"has no row for {len(absent)} of the selected practices: {', '.join(absent[:10])}",
                         source=str(path))
    rows = {code: row for row, cells in table if (code := cells[code_column].strip().upper()) in found}
    values: dict[str, dict[str, Any]] = {code: {} for code in found}
    for name in wanted:
        texts = [found[code][name] for code in found]
        numeric = any(texts) and all(_is_number(text) for text in texts if text)
        if not numeric:
            for code in found:
                values[code][name] = found[code][name]
            continue
        numbers = {code: parse_float(table, rows[code], name, found[code][name]) for code in found if found[code][name]}
        mean = sum(numbers.values()) / len(numbers)
        blank = sorted(code for code in found if code not in numbers)
        if blank:
            log.warning("%s: %d practice(s) have no %s; they take the mean %.4g: %s", path, len(blank), name, mean,
                        ", ".join(blank[:10]))
        for code in found:
            values[code][name] = numbers.get(code, mean)
    return values


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False
