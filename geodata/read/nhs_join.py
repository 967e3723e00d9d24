"""The practices file made from NHS England's and ONS's published files: the mapping, the list sizes and a
postcode lookup joined (:func:`join_published`), every practice left out said with its reason.

How the join goes, practice by practice of the mapping (which sets the practices and their order):

- **Location**: the postcode of the mapping, matched ignoring spaces and case; when the lookup has no
  coordinates for it (a postcode newer than the lookup), the practice's postcode in the list-size file (its
  earlier one), which is recorded (``located_by_list_postcode``).
- **List size**: the practice's total in the list-size file, joined on the practice code.
- **PCN**: as the mapping gives it; PCN ``U`` ("Unallocated", a practice in no PCN) becomes blank.

A practice with no coordinates or no list size is left out of the file and listed in ``unmatched`` with
its reason; practices of the list-size file missing from the mapping (closed or merged since) are counted.
This is how ``gp_practices_england.csv`` was made (see its README), so joining the same files reproduces it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geodata.read.nhs import ListSizes, PostcodeLookup, PracticeMapping, postcode_key, read_list_sizes, read_mapping, \
    read_postcodes
from geodata.read.practices import PRACTICES_FILE_HEADER
from geodata.read.tables import Table

__all__ = ["UNMATCHED_HEADER", "ImportedPractice", "UnmatchedPractice", "NhsImport", "join_published",
           "import_published"]

#: The mapping's PCN code of a practice in no PCN.
NO_PCN = "U"

#: Columns of the list of practices left out, in order.
UNMATCHED_HEADER = ("practice_code", "practice_name", "postcode", "list_size", "sub_icb_code", "icb_code", "reason")

#: Why a practice is left out.
NO_POSTCODE = "no postcode in the mapping"
POSTCODE_NOT_FOUND = "postcode not in the postcode lookup"
POSTCODE_WITHOUT_COORDINATES = "postcode without coordinates in the postcode lookup"
NO_LIST_SIZE = "no list size in the list-size file"


@dataclass(frozen=True)
class ImportedPractice:
    """One row of the practices file (:data:`~geodata.read.practices.PRACTICES_FILE_HEADER`)."""

    code: str
    name: str
    postcode: str
    lat: float
    lon: float
    list_size: int
    pcn_code: str
    pcn_name: str
    sub_icb: str
    icb: str

    def cells(self) -> tuple[Any, ...]:
        """The row's cells in the file's column order."""
        return (self.code, self.name, self.postcode, self.lat, self.lon, self.list_size, self.pcn_code,
                self.pcn_name, self.sub_icb, self.icb)


@dataclass(frozen=True)
class UnmatchedPractice:
    """A practice of the mapping left out of the file, and why (:data:`UNMATCHED_HEADER`)."""

    code: str
    name: str
    postcode: str
    list_size: int | None
    sub_icb: str
    icb: str
    reason: str

    def cells(self) -> tuple[Any, ...]:
        """The row's cells in the column order of :data:`UNMATCHED_HEADER`."""
        return (self.code, self.name, self.postcode, self.list_size, self.sub_icb, self.icb, self.reason)


@dataclass(frozen=True)
class NhsImport:
    """The result of a join: the practices of the file, those left out, and where each input came from.

    Attributes
    ----------
    practices : tuple of ImportedPractice
        In the mapping's order.
    unmatched : tuple of UnmatchedPractice
        Practices of the mapping left out, in the mapping's order.
    located_by_list_postcode : tuple of (str, str, str)
        ``(practice code, mapping postcode, list-size file postcode)`` of practices located by the latter.
    lists_not_in_mapping : tuple of str
        Practices of the list-size file that the mapping does not have, sorted.
    mapping_source, lists_source : str
        The files read; ``mapping_date`` and ``lists_date`` their extract dates (ISO).
    postcode_sources : tuple of str
        The postcode files read; ``postcodes_listed`` how many postcodes they list.
    """

    practices: tuple[ImportedPractice, ...]
    unmatched: tuple[UnmatchedPractice, ...]
    located_by_list_postcode: tuple[tuple[str, str, str], ...]
    lists_not_in_mapping: tuple[str, ...]
    mapping_source: str
    mapping_date: str
    lists_source: str
    lists_date: str
    postcode_sources: tuple[str, ...]
    postcodes_listed: int

    @property
    def header(self) -> tuple[str, ...]:
        """The practices file's columns."""
        return PRACTICES_FILE_HEADER

    @property
    def population(self) -> int:
        """Patients of the practices in the file."""
        return sum(practice.list_size for practice in self.practices)

    def table(self, source: str = "the imported practices") -> Table:
        """The practices file's rows as text cells, as the file reads back (row 2 is the first practice)."""
        rows = tuple((number, {name: "" if cell is None else str(cell) for name, cell in zip(self.header, cells)})
                     for number, cells in enumerate((practice.cells() for practice in self.practices), start=2))
        return Table(source, self.header, rows)

    def reasons(self) -> dict[str, int]:
        """Practices left out per reason (a practice may have two)."""
        counts: dict[str, int] = {}
        for practice in self.unmatched:
            for reason in practice.reason.split("; "):
                counts[reason] = counts.get(reason, 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        """The import's provenance and counts, for a summary."""
        return {
            "extract_dates": {"mapping": self.mapping_date, "lists": self.lists_date},
            "sources": {"mapping": self.mapping_source, "lists": self.lists_source,
                        "postcodes": list(self.postcode_sources)},
            "practices_in_mapping": len(self.practices) + len(self.unmatched),
            "imported": len(self.practices),
            "population": self.population,
            "unmatched": len(self.unmatched),
            "unmatched_reasons": self.reasons(),
            "unmatched_patients": sum(practice.list_size or 0 for practice in self.unmatched),
            "located_by_list_postcode": [{"practice_code": code, "postcode": postcode, "list_postcode": earlier}
                                         for code, postcode, earlier in self.located_by_list_postcode],
            "lists_not_in_mapping": len(self.lists_not_in_mapping),
            "postcodes_listed": self.postcodes_listed,
        }


def wanted_postcodes(mapping: PracticeMapping, lists: ListSizes) -> set[str]:
    """The postcode keys a join may look up: the mapping's, and the list-size file's of the same practices."""
    wanted = {postcode_key(practice.postcode) for practice in mapping.practices}
    wanted |= {postcode_key(lists.postcodes[practice.code]) for practice in mapping.practices
               if practice.code in lists.postcodes}
    return wanted - {""}


def join_published(mapping: PracticeMapping, lists: ListSizes, lookup: PostcodeLookup) -> NhsImport:
    """Join the mapping, the list sizes and the postcode lookup into the rows of a practices file.

    Examples
    --------
    >>> from types import MappingProxyType as frozen
    >>> from geodata.read.nhs import MappedPractice
    >>> mapping = PracticeMapping("map.csv", "2026-08-01", (
    ...     MappedPractice("A1", "ALPHA", "TS18 1HU", "U1", "ONE PCN", "16C", "QHM", 2),
    ...     MappedPractice("B2", "BETA", "BN1 9DN", "U", "Unallocated", "09D", "S9B9J", 3)))
    >>> lists = ListSizes("all.csv", "2025-04-01", frozen({"A1": 3904, "B2": 18782}),
    ...                   frozen({"A1": "TS18 1HU", "B2": "BN1 9RW"}))
    >>> lookup = PostcodeLookup(("TS.csv",), 2, frozen({"TS181HU": (54.56163, -1.31899)}))
    >>> joined = join_published(mapping, lists, lookup)
    >>> joined.practices[0].cells()
    ('A1', 'ALPHA', 'TS18 1HU', 54.56163, -1.31899, 3904, 'U1', 'ONE PCN', '16C', 'QHM')
    >>> joined.unmatched[0].code, joined.unmatched[0].reason
    ('B2', 'postcode not in the postcode lookup')
    """
    practices: list[ImportedPractice] = []
    unmatched: list[UnmatchedPractice] = []
    located_later: list[tuple[str, str, str]] = []
    for practice in mapping.practices:
        key = postcode_key(practice.postcode)
        point = lookup.located.get(key) if key else None
        earlier = lists.postcodes.get(practice.code, "")
        if point is None and postcode_key(earlier) not in ("", key):
            point = lookup.located.get(postcode_key(earlier))
            if point is not None:
                located_later.append((practice.code, practice.postcode, earlier))
        list_size = lists.patients.get(practice.code)
        reasons = []
        if point is None:
            reasons.append(NO_POSTCODE if not key else POSTCODE_WITHOUT_COORDINATES
                           if key in lookup.without_coordinates else POSTCODE_NOT_FOUND)
        if list_size is None:
            reasons.append(NO_LIST_SIZE)
        if reasons:
            unmatched.append(UnmatchedPractice(practice.code, practice.name, practice.postcode, list_size,
                                               practice.sub_icb, practice.icb, "; ".join(reasons)))
            continue
        assert point is not None and list_size is not None
        in_pcn = practice.pcn_code.upper() != NO_PCN
        practices.append(ImportedPractice(practice.code, practice.name, practice.postcode, point[0], point[1],
                                          list_size, practice.pcn_code if in_pcn else "",
                                          practice.pcn_name if in_pcn else "", practice.sub_icb, practice.icb))
    in_mapping = {practice.code for practice in mapping.practices}
    return NhsImport(tuple(practices), tuple(unmatched), tuple(located_later),
                     tuple(sorted(set(lists.patients) - in_mapping)), mapping.source, mapping.extract_date,
                     lists.source, lists.extract_date, lookup.sources, lookup.postcodes)


def import_published(mapping: str | Path, lists: str | Path, postcodes: str | Path) -> NhsImport:
    """Read the three published files and join them; only the postcodes the practices need are kept.

    Raises
    ------
    InputError
        On the first problem in any file, naming the file, row, column and value.
    """
    practice_mapping = read_mapping(mapping)
    list_sizes = read_list_sizes(lists)
    lookup = read_postcodes(postcodes, wanted=wanted_postcodes(practice_mapping, list_sizes))
    return join_published(practice_mapping, list_sizes, lookup)
