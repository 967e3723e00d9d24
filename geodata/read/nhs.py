"""NHS England's and ONS's published files, read as published (a CSV, or a zip holding it).

- The **practice mapping**, ``gp-reg-pat-prac-map.csv`` of *Patients Registered at a GP Practice*: one row
  per practice with its name, postcode, PCN, sub-ICB and ICB (:func:`read_mapping`).
- The **list sizes**, ``gp-reg-pat-prac-all.csv`` of the same publication (often of another month):
  registered patients per practice (:func:`read_list_sizes`).
- A **postcode lookup**: ONS's NSPL (``pcds``, ``lat``, ``long``) or any part of it, e.g. one file per
  postcode area (``Postcode``, ``lat``, ``long``); a file or a folder of files (:func:`read_postcodes`). It
  can be large (2.7 million postcodes), so only its three columns are parsed, by pandas.

Postcodes are matched ignoring spaces and case (:func:`postcode_key`). :mod:`geodata.read.nhs_join` joins
the three into a practices file. Column names are matched ignoring case; a file given in another's place
(the mapping as the list sizes) is named for what it is.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import pandas as pd

from clusterkit.errors import InputError
from clusterkit.model.coordinates import UK_BOUNDS, in_uk
from geodata.read.practices import MAX_LIST_SIZE, PRACTICE_COLUMNS
from geodata.read.published import PublishedCsv, published_csv, published_csvs
from geodata.read.tables import Table, binary_kind, parse_int, resolve_columns

__all__ = ["MappedPractice", "PracticeMapping", "ListSizes", "PostcodeLookup", "postcode_key", "read_mapping",
           "read_list_sizes", "read_postcodes"]

#: Columns of the practice mapping (``gp-reg-pat-prac-map.csv``) by field.
MAPPING_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("PRACTICE_CODE",), "name": ("PRACTICE_NAME",), "postcode": ("PRACTICE_POSTCODE",),
    "pcn_code": ("PCN_CODE",), "pcn_name": ("PCN_NAME",), "sub_icb": ("SUB_ICB_LOCATION_CODE",),
    "icb": ("ICB_CODE",), "extract_date": ("EXTRACT_DATE",),
}

#: Columns of the list sizes (``gp-reg-pat-prac-all.csv``) by field; ``type``, ``sex`` and ``age`` select the
#: practice totals (TYPE GP, SEX ALL, AGE ALL) where a file has them.
LISTS_COLUMNS: dict[str, tuple[str, ...]] = {
    "code": ("CODE",), "patients": ("NUMBER_OF_PATIENTS",), "postcode": ("POSTCODE",),
    "extract_date": ("EXTRACT_DATE",), "type": ("TYPE",), "sex": ("SEX",), "age": ("AGE",),
}

#: Columns of a postcode lookup by field: NSPL's names first, then those of files split by postcode area.
POSTCODE_COLUMNS: dict[str, tuple[str, ...]] = {
    "postcode": ("pcds", "postcode", "pcd", "pcd2", "pcd7", "pcd8"), "lat": ("lat", "latitude"),
    "lon": ("long", "lon", "longitude"),
}

#: NSPL's latitude for a postcode without a grid reference.
NO_GRID_REFERENCE_LAT = 99.999999

#: Which published file a header is, tested in order: what it is called, and the columns that say so.
_KINDS: tuple[tuple[str, str, tuple[Collection[str], ...]], ...] = (
    ("practices", "already a practices file in clusterkit's format (give it to 'clusterkit validate')",
     (PRACTICE_COLUMNS["code"], PRACTICE_COLUMNS["list_size"], PRACTICE_COLUMNS["lat"])),
    ("mapping", "NHS England's practice mapping (gp-reg-pat-prac-map)",
     (("PRACTICE_CODE",), ("PRACTICE_POSTCODE",), ("PCN_CODE",))),
    ("lists", "NHS England's list sizes (gp-reg-pat-prac-all)", (("CODE",), ("NUMBER_OF_PATIENTS",))),
    ("postcodes", "a postcode lookup (postcode, lat, long)", tuple(POSTCODE_COLUMNS.values())),
)

#: How the publication writes its extract date (``01Aug2026`` in the mapping, ``2025-04-01`` in the lists).
_DATE_FORMATS = ("%d%b%Y", "%Y-%m-%d", "%d-%b-%Y", "%d/%m/%Y", "%Y%m%d")


def postcode_key(postcode: str) -> str:
    """The form postcodes are matched in: without spaces, upper case.

    Examples
    --------
    >>> postcode_key(" ts18 1hu"), postcode_key("TS181HU"), postcode_key("M1  1AA")
    ('TS181HU', 'TS181HU', 'M11AA')
    """
    return postcode.replace(" ", "").upper()


def _postcode_keys(postcodes: pd.Series) -> pd.Series:
    """:func:`postcode_key` of a whole column at once."""
    return postcodes.str.replace(" ", "", regex=False).str.upper()


@dataclass(frozen=True)
class MappedPractice:
    """One practice of the mapping, as published (PCN ``U``, "Unallocated", is kept as it is)."""

    code: str
    name: str
    postcode: str
    pcn_code: str
    pcn_name: str
    sub_icb: str
    icb: str
    row: int


@dataclass(frozen=True)
class PracticeMapping:
    """The practice mapping: every practice with its name, postcode, PCN, sub-ICB and ICB, and its date."""

    source: str
    extract_date: str
    practices: tuple[MappedPractice, ...]


@dataclass(frozen=True)
class ListSizes:
    """Registered patients per practice (and the practice's postcode then), and the extract date."""

    source: str
    extract_date: str
    patients: Mapping[str, int]
    postcodes: Mapping[str, str]


@dataclass(frozen=True)
class PostcodeLookup:
    """Postcode coordinates, keyed by :func:`postcode_key`.

    Attributes
    ----------
    sources : tuple of str
        The files read.
    postcodes : int
        Postcodes in them (all, not only those kept).
    located : mapping
        Key -> ``(lat, lon)`` in WGS84 degrees, for the postcodes asked for (every one when none was asked).
    without_coordinates : frozenset of str
        Keys of those listed without coordinates (a blank ``lat``, or NSPL's 99.999999: no grid reference).
    """

    sources: tuple[str, ...]
    postcodes: int
    located: Mapping[str, tuple[float, float]]
    without_coordinates: frozenset[str] = frozenset()


def _kind_of(header: Iterable[str]) -> str | None:
    """Which published file (a key of :data:`_KINDS`) a header is, if any."""
    names = {name.lower() for name in header}
    for kind, _, needed in _KINDS:
        if all(any(alias.lower() in names for alias in aliases) for aliases in needed):
            return kind
    return None


def _columns(source: str, header: tuple[str, ...], kind: str, aliases: Mapping[str, tuple[str, ...]],
             required: tuple[str, ...]) -> dict[str, str]:
    """The columns of a ``kind`` file; a file of another kind is named for what it is."""
    table = Table(source, header, ())
    found = _kind_of(header)
    if found != kind and found is not None:
        described = dict((name, text) for name, text, _ in _KINDS)
        raise InputError(f"is {described[found]}, not {described[kind]}", source=source)
    return resolve_columns(table, aliases, required)


def _extract_date(table: Table, column: str) -> str:
    """The one extract date of a table, as an ISO date (``2026-08-01``)."""
    first_row, first = table.rows[0][0], table.rows[0][1][column]
    for row, cells in table:
        if cells[column] != first:
            raise table.error(f"holds a second extract date (the first, {first!r}, is on row {first_row})",
                              row=row, column=column, value=cells[column])
    for layout in _DATE_FORMATS:
        try:
            return datetime.strptime(first, layout).date().isoformat()
        except ValueError:
            continue
    raise table.error("is not a date (e.g. 01Aug2026 or 2026-08-01)", row=first_row, column=column, value=first)


def read_mapping(path: str | Path) -> PracticeMapping:
    """Read NHS England's practice mapping (``gp-reg-pat-prac-map.csv``, or the zip it is published in).

    Raises
    ------
    InputError
        For a file that is not the mapping, a missing column, an empty or repeated practice code, or an
        unreadable extract date; naming the file, row, column and value.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "gp-reg-pat-prac-map.csv"
    >>> _ = file.write_text("EXTRACT_DATE,PRACTICE_CODE,PRACTICE_NAME,PRACTICE_POSTCODE,PCN_CODE,PCN_NAME,"
    ...                     "SUB_ICB_LOCATION_CODE,ICB_CODE\\n01Aug2026,A81001,THE DENSHAM SURGERY,TS18 1HU,U89141,"
    ...                     "STOCKTON PCN,16C,QHM\\n")
    >>> mapping = read_mapping(file)
    >>> mapping.extract_date, mapping.practices[0].postcode
    ('2026-08-01', 'TS18 1HU')
    """
    table = published_csv(path).table(what="practices")
    columns = _columns(table.source, table.header, "mapping", MAPPING_COLUMNS, tuple(MAPPING_COLUMNS))
    extract_date = _extract_date(table, columns["extract_date"])
    first_row: dict[str, int] = {}
    practices = []
    for row, cells in table:
        code = _new_code(table, row, cells[columns["code"]], columns["code"], first_row, "repeats a practice code")
        practices.append(MappedPractice(code, cells[columns["name"]], cells[columns["postcode"]],
                                        cells[columns["pcn_code"]], cells[columns["pcn_name"]],
                                        cells[columns["sub_icb"]].upper(), cells[columns["icb"]].upper(), row))
    return PracticeMapping(table.source, extract_date, tuple(practices))


def _new_code(table: Table, row: int, cell: str, column: str, first_row: dict[str, int], repeated: str) -> str:
    """The practice code in ``cell`` (upper case), checked to be given and not seen before; ``first_row`` learns it."""
    code = cell.upper()
    if not code:
        raise table.error("practice code is empty", row=row, column=column)
    if code in first_row:
        raise table.error(f"{repeated} (first on row {first_row[code]})", row=row, column=column, value=code)
    first_row[code] = row
    return code


def read_list_sizes(path: str | Path) -> ListSizes:
    """Read NHS England's list sizes (``gp-reg-pat-prac-all.csv``, or its zip): patients per practice.

    Only the practices' totals count: rows of TYPE ``GP``, SEX ``ALL`` and AGE ``ALL`` where the file has
    those columns.

    Raises
    ------
    InputError
        For a file that is not the list sizes, a missing column, a practice listed twice, or a number of
        patients that is not a whole number from 0 to 1,000,000.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "gp-reg-pat-prac-all.csv"
    >>> _ = file.write_text("EXTRACT_DATE,TYPE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\\n"
    ...                     "2025-04-01,GP,A81001,TS18 1HU,ALL,ALL,3904\\n")
    >>> lists = read_list_sizes(file)
    >>> lists.extract_date, dict(lists.patients)
    ('2025-04-01', {'A81001': 3904})
    """
    table = published_csv(path).table(what="practices")
    columns = _columns(table.source, table.header, "lists", LISTS_COLUMNS, ("code", "patients", "extract_date"))
    extract_date = _extract_date(table, columns["extract_date"])
    totals = {field: value for field, value in (("type", "GP"), ("sex", "ALL"), ("age", "ALL")) if field in columns}
    first_row: dict[str, int] = {}
    patients: dict[str, int] = {}
    postcodes: dict[str, str] = {}
    for row, cells in table:
        if any(cells[columns[field]].upper() != value for field, value in totals.items()):
            continue
        code = _new_code(table, row, cells[columns["code"]], columns["code"], first_row, "lists a practice twice")
        column = columns["patients"]
        count = parse_int(table, row, column, cells[column], what="a whole number of patients")
        if not 0 <= count <= MAX_LIST_SIZE:
            raise table.error(f"is not a number of patients from 0 to {MAX_LIST_SIZE:,}", row=row, column=column,
                              value=cells[column])
        patients[code] = count
        if "postcode" in columns:
            postcodes[code] = cells[columns["postcode"]]
    if not patients:
        wanted = " and ".join(f"{LISTS_COLUMNS[field][0]} {value}" for field, value in totals.items())
        raise table.error(f"has no practice totals (rows with {wanted})")
    return ListSizes(table.source, extract_date, MappingProxyType(patients), MappingProxyType(postcodes))


def read_postcodes(path: str | Path, wanted: Collection[str] | None = None) -> PostcodeLookup:
    """Read a postcode lookup (a CSV, a zip of one, or a folder of them); keep the ``wanted`` postcodes.

    Parameters
    ----------
    path : path
        NSPL (columns ``pcds``, ``lat``, ``long``), or files such as one per postcode area
        (``Postcode``, ``lat``, ``long``), or a folder of them (every ``.csv`` and ``.zip``).
    wanted : collection of str, optional
        :func:`postcode_key` of the postcodes to keep (default: every one; slow for all of the UK).

    Only the three columns are parsed (pandas ``usecols``), a quarter of a million rows at a time: all of
    NSPL (2.7 million postcodes) takes a few seconds and little memory. A postcode whose ``lat`` or ``long``
    is blank (or missing from a short row), or NSPL's 99.999999 (no grid reference), is listed without
    coordinates.

    Raises
    ------
    InputError
        For a file that is not a postcode lookup, a missing column, a coordinate that is not a number or lies
        outside the UK, or a wanted postcode listed twice with different coordinates.

    Examples
    --------
    >>> import tempfile
    >>> file = Path(tempfile.mkdtemp()) / "TS.csv"
    >>> _ = file.write_text("Postcode,lat,long\\nTS18 1HU,54.56163,-1.31899\\nTS18 2AW,54.56917,-1.31389\\n")
    >>> lookup = read_postcodes(file, wanted={"TS181HU"})
    >>> lookup.postcodes, dict(lookup.located)
    (2, {'TS181HU': (54.56163, -1.31899)})
    """
    keep = None if wanted is None else set(wanted)
    files = published_csvs(path)
    located: dict[str, tuple[float, float]] = {}
    where: dict[str, str] = {}
    without: set[str] = set()
    count = 0
    for file in files:
        count += _read_postcode_file(file, keep, located, where, without)
    return PostcodeLookup(tuple(file.source for file in files), count, MappingProxyType(located),
                          frozenset(without - set(located)))


def _postcode_header(file: PublishedCsv) -> tuple[tuple[str, ...], str]:
    """A postcode file's header and delimiter, read from its first bytes."""
    with file.opened() as stream:
        head = stream.read(65536)
    if not head.strip():
        raise file.error("the file is empty")
    kind = binary_kind(head)
    if kind:
        raise file.error(f"is {kind}, not a text table; export it as CSV")
    text = head.decode("utf-8-sig", errors="replace").lstrip("\r\n")
    first_line = text.splitlines()[0]
    delimiter = max(",;\t", key=first_line.count)
    header = tuple(name.strip() for name in next(csv.reader(io.StringIO(first_line), delimiter=delimiter)))
    return header, delimiter


#: Rows of a postcode file parsed at a time (NSPL has 2.7 million: read in pieces, memory stays small).
_CHUNK_ROWS = 250_000


def _read_postcode_file(file: PublishedCsv, keep: set[str] | None, located: dict[str, tuple[float, float]],
                        where: dict[str, str], without: set[str]) -> int:
    """Add one file's wanted postcodes to ``located`` / ``without``; returns how many postcodes it lists."""
    header, delimiter = _postcode_header(file)
    columns = _columns(file.source, header, "postcodes", POSTCODE_COLUMNS, tuple(POSTCODE_COLUMNS))
    names = (columns["postcode"], columns["lat"], columns["lon"])
    table = Table(file.source, header, ())
    listed = 0
    try:
        with file.opened() as stream:
            for chunk in pd.read_csv(stream, sep=delimiter, usecols=lambda name: name.strip() in names, dtype=str,
                                     na_filter=False, skip_blank_lines=False, encoding="utf-8-sig", engine="c",
                                     chunksize=_CHUNK_ROWS):
                chunk.columns = [name.strip() for name in chunk.columns]
                keys = _postcode_keys(chunk[columns["postcode"]].fillna(""))
                chosen = keys != ""
                listed += int(chosen.sum())
                if keep is not None:
                    chosen &= keys.isin(keep)
                for index, key, lat_text, lon_text in zip(chunk.index[chosen], keys[chosen],
                                                          chunk[columns["lat"]][chosen], chunk[columns["lon"]][chosen]):
                    row = int(index) + 2  # the header is row 1 and blank lines are kept: the index counts lines
                    _add_postcode(table, row, columns, key, lat_text, lon_text, located, where, without)
    except UnicodeDecodeError as error:
        raise file.error(f"is not valid UTF-8 ({error.reason}); save it as UTF-8") from None
    except pd.errors.ParserError as error:
        raise _parser_error(file, error) from None
    return listed


def _add_postcode(table: Table, row: int, columns: Mapping[str, str], key: str, lat_text: object, lon_text: object,
                  located: dict[str, tuple[float, float]], where: dict[str, str], without: set[str]) -> None:
    """One wanted postcode of a lookup: located, listed without coordinates, or an error."""
    point = _point(table, row, columns, _text(lat_text), _text(lon_text))
    if point is None:
        without.add(key)
        return
    if key in located and located[key] != point:
        raise table.error(f"gives postcode {key} other coordinates than {where[key]} does ({located[key][0]}, "
                          f"{located[key][1]})", row=row, column=columns["lat"], value=lat_text)
    located.setdefault(key, point)
    where.setdefault(key, f"{table.source} row {row}")


def _text(cell: object) -> str:
    """A cell as stripped text (a field missing from a short row is blank)."""
    return cell.strip() if isinstance(cell, str) else ""


def _parser_error(file: PublishedCsv, error: Exception) -> InputError:
    """pandas' complaint about a CSV in this module's words, at the file's line (pandas counts rows from 0)."""
    text = str(error).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
    line = re.search(r"\bline (\d+)", text)
    row = re.search(r"\brow (\d+)", text)
    number = int(line.group(1)) if line else int(row.group(1)) + 1 if row else None
    if "EOF inside string" in text:
        return InputError('has a quote (") that is never closed', source=file.source, row=number)
    reason = re.sub(r" (in|at) (line|row) \d+", "", text)
    return InputError(f"is not a readable CSV file ({reason})", source=file.source, row=number)


def _point(table: Table, row: int, columns: Mapping[str, str], lat_text: str, lon_text: str
           ) -> tuple[float, float] | None:
    """A postcode's ``(lat, lon)``; None when the lookup gives it none."""
    if not lat_text or not lon_text:
        return None
    values = []
    for column, text in ((columns["lat"], lat_text), (columns["lon"], lon_text)):
        try:
            values.append(float(text))
        except ValueError:
            raise table.error("is not a coordinate in degrees", row=row, column=column, value=text) from None
    lat, lon = values
    if lat == NO_GRID_REFERENCE_LAT:
        return None
    if not in_uk(lat, lon):
        column, text = (columns["lat"], lat_text) if not UK_BOUNDS[0] <= lat <= UK_BOUNDS[1] else (columns["lon"],
                                                                                                   lon_text)
        raise table.error(f"lies outside the UK (lat {lat}, lon {lon})", row=row, column=column, value=text)
    return lat, lon
