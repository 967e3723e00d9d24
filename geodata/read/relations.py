"""Reading pairwise relations (``a,b,kind,value``) and existing groupings (``practice_code,group``)."""

from __future__ import annotations

import logging
from collections.abc import Collection
from pathlib import Path

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Relation
from geodata.read.tables import Table, check_file, parse_float, read_table, resolve_columns

__all__ = ["CURRENT_GROUPS", "read_relations", "read_grouping", "read_networks", "read_practice_list"]

log = logging.getLogger(__name__)

RELATION_COLUMNS = {
    "a": ("a", "practice_a", "code_a", "from"),
    "b": ("b", "practice_b", "code_b", "to"),
    "kind": ("kind", "relation", "type"),
    "value": ("value", "weight", "amount"),
}

GROUPING_COLUMNS = {
    "code": ("practice_code", "code", "ods_code"),
    "group": ("group", "network", "pcn_code", "cluster"),
}

_KINDS_HELP = "alignment, shared_staff:<resource>, must_link or cannot_link"


def _known_code(table: Table, row: int, column: str, text: str, graph: PracticeGraph,
                known: Collection[str] | None = None) -> str:
    code = text.strip().upper()
    if not code:
        raise table.error("practice code is empty", row=row, column=column)
    if code not in (graph.index if known is None else known):
        selection = graph.meta.get("selection") if known is None else None
        if selection:
            chosen = " ".join([f"--icb {c}" for c in selection.get("icb", ())] +
                              [f"--sub-icb {c}" for c in selection.get("sub_icb", ())])
            raise table.error(f"names a practice that is not among the selected practices ({chosen})", row=row,
                              column=column, value=text)
        raise table.error("names a practice that is not in the practices file", row=row, column=column, value=text)
    return code


def read_relations(path: str | Path, graph: PracticeGraph, encoding: str = "utf-8", *,
                   known: Collection[str] | None = None) -> tuple[Relation, ...]:
    """Read and validate a long relations table against the practices of ``graph`` (or the codes ``known``: every
    practice of the file ``graph`` was selected from, when a relation may name one outside the selection).

    Columns ``a,b,kind,value``. ``kind`` is ``alignment`` (value in [0, 1]), ``shared_staff:<resource>``
    (value > 0, FTE or count; blank means 1), ``must_link`` or ``cannot_link`` (value blank or 1).

    Raises
    ------
    InputError
        On an unknown practice, a practice related to itself, an unknown kind, a value out of range,
        a repeated relation, or a pair that is both must-link and cannot-link.
    """
    table = read_table(path, encoding=encoding, what="relation rows")
    columns = resolve_columns(table, RELATION_COLUMNS, ("a", "b", "kind"))
    relations: list[Relation] = []
    first_row: dict[tuple[str, str, str, str | None], int] = {}
    for row, cells in table:
        a = _known_code(table, row, columns["a"], cells[columns["a"]], graph, known)
        b = _known_code(table, row, columns["b"], cells[columns["b"]], graph, known)
        if a == b:
            raise table.error("relates a practice to itself", row=row, column=columns["b"], value=cells[columns["b"]])
        kind_text = cells[columns["kind"]].strip()
        kind, _, resource = kind_text.partition(":")
        kind = kind.strip().lower()
        resource = resource.strip() or None
        value_column = columns.get("value")
        value_text = cells.get(value_column, "") if value_column else ""
        if kind == "alignment" and resource is None:
            if not value_text:
                raise table.error("alignment needs a value between 0 and 1", row=row, column=value_column or "value")
            value = parse_float(table, row, value_column, value_text, what="an alignment between 0 and 1")
            if not 0.0 <= value <= 1.0:
                raise table.error("alignment must lie between 0 and 1", row=row, column=value_column, value=value_text)
        elif kind == "shared_staff":
            if not resource:
                raise table.error("shared staff needs a resource, e.g. shared_staff:district_nurse", row=row,
                                  column=columns["kind"], value=kind_text)
            value = parse_float(table, row, value_column, value_text, what="an amount of staff") if value_text else 1.0
            if value <= 0:
                raise table.error("shared staff must be a positive amount", row=row, column=value_column, value=value_text)
        elif kind in ("must_link", "cannot_link") and resource is None:
            if value_text and value_text.lower() not in ("1", "1.0", "true", "yes"):
                raise table.error(f"{kind} takes no value (leave it blank or 1)", row=row, column=value_column,
                                  value=value_text)
            value = 1.0
        else:
            raise table.error(f"unknown relation kind; use {_KINDS_HELP}", row=row, column=columns["kind"],
                              value=kind_text)
        low, high = sorted((a, b))
        key = (low, high, kind, resource)
        if key in first_row:
            raise table.error(f"repeats the {kind_text} relation of {low} and {high} (first on row {first_row[key]})",
                              row=row)
        first_row[key] = row
        opposite = "cannot_link" if kind == "must_link" else "must_link" if kind == "cannot_link" else None
        if opposite and (low, high, opposite, None) in first_row:
            raise table.error(
                f"{low} and {high} are both must_link and cannot_link (other on row {first_row[(low, high, opposite, None)]})",
                row=row,
            )
        relations.append(Relation(low, high, kind, value, resource))
    return tuple(relations)


def read_grouping(path: str | Path, graph: PracticeGraph, encoding: str = "utf-8") -> dict[str, str]:
    """Read an existing grouping ``practice_code,group`` validated against ``graph``'s practices.

    Practices absent from the file are simply ungrouped. When ``graph`` is an area selection
    (:meth:`PracticeGraph.select`), rows of practices outside it are left out, so that a national
    grouping (e.g. today's PCNs) can be checked against one ICB. Raises :class:`InputError` on an
    unknown or repeated practice, or a file that groups none of the practices. A blank group leaves
    its practice ungrouped, as a blank ``pcn_code`` does.
    """
    table = read_table(path, encoding=encoding, what="grouping rows")
    columns = resolve_columns(table, GROUPING_COLUMNS, ("code", "group"))
    selection = graph.meta.get("selection")
    labels: dict[str, str] = {}
    first_row: dict[str, int] = {}
    outside = blank = 0
    for row, cells in table:
        text = cells[columns["code"]].strip().upper()
        if selection and text and text not in graph.index:
            outside += 1
            continue
        code = _known_code(table, row, columns["code"], cells[columns["code"]], graph)
        if code in first_row:
            raise table.error(f"practice appears twice (first on row {first_row[code]})", row=row,
                              column=columns["code"], value=code)
        first_row[code] = row
        group = cells[columns["group"]].strip()
        if not group:  # like a blank pcn_code: the practice is in no group
            blank += 1
            continue
        labels[code] = group
    if outside:
        log.info("%s: left out %d row(s) of practices outside the selected area", path, outside)
    if blank:
        log.info("%s: %d practice(s) with a blank group are left ungrouped", path, blank)
    if not labels:
        detail = f"names none of the {len(graph)} selected practices" if outside else "gives no practice a group"
        raise InputError(detail, source=str(path))
    return labels


#: Values naming "the practices' current group column" (today's PCNs) rather than a grouping file.
CURRENT_GROUPS = ("current", "pcn")


def read_networks(groups: str | Path, graph: PracticeGraph, encoding: str = "utf-8", *, option: str = "--groups",
                  complete: bool = False) -> dict[str, str]:
    """Practice code -> group, from a ``practice_code,group`` file or ``current``/``pcn``.

    ``current`` (or ``pcn``) uses each practice's current group (the ``pcn_code`` column of the NHS file)
    unless a file of that name exists. Practices without a group are left out of the mapping, unless
    ``complete`` asks a file to group every willing practice of ``graph``.

    Raises
    ------
    InputError
        For an unreadable grouping file, when no practice has a current group, or (``complete``) a file
        that leaves willing practices ungrouped (the first ten are named).
    """
    text = str(groups)
    if text.strip().lower() in CURRENT_GROUPS and not Path(text).exists():
        labels = {p.code: p.group for p in graph.practices if p.group}
        if not labels:
            raise InputError("no practice has a current group (a pcn_code column, or --group-col); pass a "
                             "practice_code,group file instead", source=option, value=text)
        return labels
    labels = read_grouping(groups, graph, encoding=encoding)
    missing = [p.code for p in graph.practices if p.willing and p.code not in labels]
    if complete and missing:
        shown = ", ".join(missing[:10]) + (f", ... ({len(missing)} in all)" if len(missing) > 10 else "")
        raise InputError(f"leaves {len(missing)} willing practice(s) of the selection in no group: {shown}",
                         source=str(groups))
    return labels


#: Column names of a practice list (e.g. ``--centres``); a file without one lists one code per line.
PRACTICE_LIST_COLUMNS = {"code": ("practice_code", "code", "ods_code")}


def read_practice_list(path: str | Path, graph: PracticeGraph, encoding: str = "utf-8") -> tuple[str, ...]:
    """Read a list of practices (e.g. the hubs of ``--centres``), validated against ``graph``.

    The file is a CSV with a ``practice_code`` (or ``code``) column, or one code per line with no
    header. Codes are upper-cased and returned in file order.

    Raises
    ------
    InputError
        On an unknown practice (or one outside the selected area), a repeated or empty code, or a
        table with several columns none of which holds practice codes.
    """
    try:
        table = read_table(path, encoding=encoding, what="practice codes")
    except InputError as error:
        if not error.detail.startswith("has a header but no"):
            raise
        # a single line: one code, no header (the file was already checked to be readable text)
        codec = "utf-8-sig" if encoding.lower().replace("_", "-") in ("utf-8", "utf8") else encoding
        line = check_file(path).read_text(encoding=codec).strip()
        if line.lower() in PRACTICE_LIST_COLUMNS["code"] or "," in line or ";" in line or "\t" in line:
            raise
        table = Table(str(path), ("practice_code",), ((1, {"practice_code": line}),))
    known_names = {name.lower() for name in PRACTICE_LIST_COLUMNS["code"]}
    if len(table.header) == 1 and table.header[0].lower() not in known_names:
        column = table.header[0]  # no header: the first line is a code too
        table = Table(table.source, ("practice_code",),
                      ((1, {"practice_code": column}),
                       *((row, {"practice_code": cells[column]}) for row, cells in table.rows)))
    column = resolve_columns(table, PRACTICE_LIST_COLUMNS, ("code",))["code"]
    codes: list[str] = []
    first_row: dict[str, int] = {}
    for row, cells in table:
        code = _known_code(table, row, column, cells[column], graph)
        if code in first_row:
            raise table.error(f"practice appears twice (first on row {first_row[code]})", row=row, column=column,
                              value=cells[column])
        first_row[code] = row
        codes.append(code)
    return tuple(codes)
