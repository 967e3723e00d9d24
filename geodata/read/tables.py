"""Reading delimited text tables with checks that name the file, row and column of every problem.

Row numbers are file line numbers: the header is row 1, the first record row 2, as a spreadsheet shows.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from clusterkit.errors import InputError, StorageError

__all__ = ["Table", "read_table", "parse_table", "binary_kind", "check_file", "resolve_columns", "parse_float", "parse_int", "parse_bool"]

_BINARY_SIGNATURES = {
    b"SQLite format 3": "a SQLite/GeoPackage database",
    b"PK\x03\x04": "a ZIP archive (an Excel .xlsx workbook?)",
    b"\xd0\xcf\x11\xe0": "an old Excel .xls workbook",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
}


@dataclass(frozen=True)
class Table:
    """A text table read from a file.

    Attributes
    ----------
    source : str
        The file as the user named it.
    header : tuple of str
        Column names, stripped.
    rows : tuple of (int, dict)
        ``(row number, {column: stripped text})`` for every non-blank record.
    row_label : str
        ``"row"`` for text tables, ``"feature"`` for vector files.
    """

    source: str
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]
    row_label: str = "row"
    delimiter: str = ","

    def error(self, message: str, row: int | None = None, column: str | None = None, value: object = None) -> InputError:
        """An :class:`InputError` located in this table."""
        return InputError(message, source=self.source, row=row, column=column, value=value, row_label=self.row_label)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.rows)


def unreadable(error: OSError, source: str | Path) -> StorageError:
    """The one line for an input the machine will not let us read (no permission, an I/O error): exit 4, not 2.

    Examples
    --------
    >>> str(unreadable(PermissionError(13, "Permission denied"), "lists.csv"))
    'lists.csv: cannot be read (Permission denied)'
    """
    return StorageError(f"cannot be read ({error.strerror or error})", str(source))


def check_file(path: str | Path) -> Path:
    """The path, checked to be an existing, non-empty regular file."""
    file = Path(path)
    if not file.exists():
        raise InputError("no such file", source=str(path))
    if file.is_dir():
        raise InputError("is a directory, not a file", source=str(path))
    if not file.is_file():
        raise InputError("is not a regular file", source=str(path))
    try:
        size = file.stat().st_size
    except OSError as error:
        raise unreadable(error, path) from None
    if size == 0:
        raise InputError("the file is empty", source=str(path))
    return file


def read_table(path: str | Path, encoding: str = "utf-8", what: str = "records") -> Table:
    """Read a delimited text file (comma, semicolon or tab) into a :class:`Table`.

    Raises
    ------
    InputError
        For a missing, empty, binary or wrongly encoded file, a blank or duplicated header, or a
        file with a header and no rows.
    """
    file = check_file(path)
    try:
        raw = file.read_bytes()
    except OSError as error:
        raise unreadable(error, path) from None
    return parse_table(raw, str(path), encoding=encoding, what=what)


def binary_kind(head: bytes) -> str | None:
    """What a file starting with ``head`` is when it is a known binary format, not text (else None).

    Examples
    --------
    >>> binary_kind(b"%PDF-1.7"), binary_kind(b"practice_code,lat")
    ('a PDF document', None)
    """
    for signature, kind in _BINARY_SIGNATURES.items():
        if head.startswith(signature):
            return kind
    return None


def parse_table(raw: bytes, source: str, encoding: str = "utf-8", what: str = "records") -> Table:
    """The :class:`Table` of a delimited text held in ``raw`` (the bytes of a file, or of a CSV inside a zip).

    ``source`` names it in errors. Raises :class:`InputError` as :func:`read_table` does.

    Examples
    --------
    >>> table = parse_table(b"CODE,NUMBER_OF_PATIENTS\\nA81001,3904\\n", "lists.csv")
    >>> table.header, table.rows
    (('CODE', 'NUMBER_OF_PATIENTS'), ((2, {'CODE': 'A81001', 'NUMBER_OF_PATIENTS': '3904'}),))
    """
    if not raw:
        raise InputError("the file is empty", source=source)
    kind = binary_kind(raw)
    if kind:
        raise InputError(f"is {kind}, not a text table; export it as CSV", source=source)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")) and encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        encoding = "utf-16"  # Excel's "Unicode text": its byte-order mark says so
    elif b"\x00" in raw[:65536] and not encoding.lower().replace("_", "-").startswith(("utf-16", "utf16", "utf-32", "utf32")):
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise InputError("contains binary data (NUL bytes), not text; is this really a CSV file?", source=source, row=line)
    codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
    try:
        text = raw.decode(codec)
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        raise InputError(
            f"is not valid {encoding} (byte 0x{raw[error.start]:02x}); save it as UTF-8 or pass --encoding cp1252",
            source=source,
            row=line,
        ) from None
    except LookupError:
        raise InputError(f"unknown text encoding {encoding!r}", source="--encoding") from None
    if not text.strip():
        raise InputError("the file is empty (only blank lines)", source=source)
    first_line = text.lstrip("\r\n").splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [cell.strip() for cell in record]
                _check_header(header, source)
                continue
            row = {}
            for position, name in enumerate(header):
                row[name] = record[position].strip() if position < len(record) else ""
            if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
                raise InputError(
                    f"has {len(record)} fields but the header has {len(header)}",
                    source=source,
                    row=reader.line_num,
                )
            rows.append((reader.line_num, row))
    except csv.Error as error:
        if "unexpected end of data" in str(error):
            start = _unclosed_quote_row(text, delimiter)
            raise InputError("has a quote (\") that is never closed", source=source, row=start) from None
        raise InputError(f"is not a readable CSV file ({error})", source=source, row=reader.line_num) from None
    if header is None:
        raise InputError("the file is empty", source=source)
    if not rows:
        raise InputError(f"has a header but no {what}", source=source)
    return Table(source, tuple(header), tuple(rows), delimiter=delimiter)


def _unclosed_quote_row(text: str, delimiter: str) -> int:
    """The line on which the quoted field that never closes begins."""
    inside, line, start = False, 1, 1
    for position, character in enumerate(text):
        if character == "\n":
            line += 1
        elif character == '"':
            if not inside and (position == 0 or text[position - 1] in (delimiter, "\n", "\r")):
                inside, start = True, line
            elif inside and text[position + 1:position + 2] == '"':
                continue
            elif inside:
                inside = False
    return start


def _check_header(header: Sequence[str], source: str) -> None:
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if not name:
            raise InputError(f"header column {position} has no name", source=source, row=1)
        key = name.lower()
        if key in seen:
            raise InputError(f"header names column '{name}' twice (columns {seen[key]} and {position})", source=source, row=1)
        seen[key] = position


def resolve_columns(
    table: Table,
    aliases: Mapping[str, Sequence[str]],
    required: Sequence[str],
    explicit: Mapping[str, str | None] | None = None,
    hints: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map each field to a column of ``table``.

    ``explicit`` (from options such as ``--code-col``) wins; otherwise the first alias present
    (case-insensitive). Raises :class:`InputError` naming the missing required field, the columns
    the file has and, from ``hints``, how to name another column (e.g. ``{"code": "--code-col"}``).
    """
    by_lower = {name.lower(): name for name in table.header}
    found: dict[str, str] = {}
    for field, names in aliases.items():
        chosen = (explicit or {}).get(field)
        if chosen:
            if chosen.lower() not in by_lower:
                raise table.error(
                    f"has no column '{chosen}' (given {'with ' + hints[field] if hints and field in hints else 'for ' + field})"
                    f"; columns are: {', '.join(table.header)}",
                    row=1,
                )
            found[field] = by_lower[chosen.lower()]
            continue
        for name in names:
            if name.lower() in by_lower:
                found[field] = by_lower[name.lower()]
                break
    for field in required:
        if field not in found:
            expected = " or ".join(f"'{name}'" for name in aliases[field])
            hint = f" (or name yours with {hints[field]})" if hints and field in hints else ""
            raise table.error(
                f"missing required column {expected} for {field}{hint}; columns are: {', '.join(table.header)}", row=1
            )
    return found


#: A number written with commas between groups of three digits (``8,800``, ``1,250,000.50``).
_THOUSANDS = re.compile(r"^[-+]?£?\d{1,3}(,\d{3})+(\.\d+)?$")


def parse_float(table: Table, row: int, column: str, text: str, *, what: str = "a number") -> float:
    """A finite float from a cell, or an :class:`InputError` located at the cell.

    A comma is read as a thousands separator only between groups of three digits (``8,800``); any other comma
    is an error naming the value (``-0,5`` is not silently ``-5``).
    """
    if "," in text and not _THOUSANDS.match(text.strip()):
        raise table.error(f"has a comma that is not a thousands separator; expected {what}", row=row,
                          column=column, value=text)
    try:
        value = float(text.replace("£", "").replace(",", "")) if text else math.nan
    except ValueError:
        raise table.error(f"is not {what}", row=row, column=column, value=text) from None
    if text and not math.isfinite(value):
        raise table.error(f"is not {what}", row=row, column=column, value=text)
    if not text:
        raise table.error(f"is empty; expected {what}", row=row, column=column)
    return value


def parse_coordinate(table: Table, row: int, column: str, text: str, *, what: str) -> float:
    """A coordinate from a cell. A decimal comma (``-0,5``) is read as a decimal point in a file separated by
    ``;`` (the usual form of a European spreadsheet), and is an error naming the value otherwise."""
    if "," in text:
        if table.delimiter == ";" and re.fullmatch(r"[-+]?\d+,\d+", text.strip()):
            text = text.replace(",", ".")
        else:
            raise table.error(f"has a decimal comma; write {what} with a point (e.g. -0.5), or separate the "
                              "columns with ';' to use decimal commas", row=row, column=column, value=text)
    return parse_float(table, row, column, text, what=what)


def parse_int(table: Table, row: int, column: str, text: str, *, what: str = "a whole number") -> int:
    """A whole number from a cell (``8800`` or ``8800.0``), or an :class:`InputError`."""
    value = parse_float(table, row, column, text, what=what)
    if value != int(value):
        raise table.error(f"is not {what}", row=row, column=column, value=text)
    return int(value)


_TRUE = {"1", "true", "t", "yes", "y"}
_FALSE = {"0", "false", "f", "no", "n"}


def parse_bool(table: Table, row: int, column: str, text: str, default: bool = True) -> bool:
    """A yes/no cell (``yes``/``no``, ``true``/``false``, ``1``/``0``); blank gives ``default``."""
    key = text.strip().lower()
    if not key:
        return default
    if key in _TRUE:
        return True
    if key in _FALSE:
        return False
    raise table.error("is not yes/no (true/false, 1/0)", row=row, column=column, value=text)
