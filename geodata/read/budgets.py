"""Reading the specialty budget tables: specialties, preferences, consortia and networks.

Inputs
------
``specialties`` : ``specialty,rate_per_1000`` (£ a year per 1,000 registered patients of the network) or
    ``specialty,budget`` (£ a year per network); an optional ``network`` column makes a row apply to one
    network only, overriding the row without a network.
``preferences`` : ``practice_code,specialty,score`` (any finite number; higher is preferred).
``consortia`` : ``consortium,practice_code``, one row per member.
networks : a ``practice_code,group`` file, or ``current`` (also ``pcn``) for the practices' current group
    column (``pcn_code`` in the NHS file).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from pathlib import Path

from clusterkit.budgets.problem import Consortium, Specialty
from clusterkit.model.graph import PracticeGraph
from geodata.read.tables import Table, parse_float, read_table, resolve_columns


SPECIALTY_COLUMNS = {
    "specialty": ("specialty", "speciality", "name"),
    "rate": ("rate_per_1000", "rate", "per_1000"),
    "budget": ("budget", "amount", "budget_gbp"),
    "network": ("network", "group", "pcn_code"),
}


PREFERENCE_COLUMNS = {
    "code": ("practice_code", "code", "ods_code"),
    "specialty": ("specialty", "speciality"),
    "score": ("score", "preference", "capability", "value"),
}


CONSORTIUM_COLUMNS = {
    "consortium": ("consortium", "name", "holder"),
    "code": ("practice_code", "code", "ods_code", "member"),
}


def _cell(table: Table, cells: Mapping[str, str], columns: Mapping[str, str], field: str) -> str:
    return cells.get(columns[field], "").strip() if field in columns else ""


def read_specialties(
    path: str | Path, *, networks: Collection[str] | None = None, encoding: str = "utf-8"
) -> tuple[Specialty, ...]:
    """Read the specialties table (see the module docstring).

    Parameters
    ----------
    path : path
        The CSV file.
    networks : collection of str, optional
        Known networks; a ``network`` cell naming another is an error.

    Raises
    ------
    InputError
        On a missing column, an empty name, a row with neither or both of a rate and a budget, a
        negative amount, a specialty given twice (for the same network), or an unknown network.
    """
    table = read_table(path, encoding=encoding, what="specialty rows")
    columns = resolve_columns(table, SPECIALTY_COLUMNS, ("specialty",))
    if "rate" not in columns and "budget" not in columns:
        raise table.error("needs a column 'rate_per_1000' (£ per 1,000 patients a year) or 'budget' (£ per "
                          f"network); columns are: {', '.join(table.header)}", row=1)
    specialties: list[Specialty] = []
    first_row: dict[tuple[str, str | None], int] = {}
    for row, cells in table:
        name = _cell(table, cells, columns, "specialty")
        if not name:
            raise table.error("specialty is empty", row=row, column=columns["specialty"])
        rate_text = _cell(table, cells, columns, "rate")
        budget_text = _cell(table, cells, columns, "budget")
        if bool(rate_text) == bool(budget_text):
            where = columns.get("rate") or columns.get("budget")
            raise table.error("give either a rate per 1,000 patients or a budget, not " +
                              ("both" if rate_text else "neither"), row=row, column=where)
        field = "rate" if rate_text else "budget"
        amount = parse_float(table, row, columns[field], rate_text or budget_text, what="an amount in £")
        if amount < 0:
            raise table.error("is negative; budgets are amounts in £ a year", row=row, column=columns[field],
                              value=rate_text or budget_text)
        network = _cell(table, cells, columns, "network") or None
        if network is not None and networks is not None and network not in networks:
            raise table.error("names a network that is not in the grouping", row=row, column=columns["network"],
                              value=network)
        key = (name.casefold(), network)
        if key in first_row:
            where = f" for network {network}" if network else ""
            raise table.error(f"specialty appears twice{where} (first on row {first_row[key]})", row=row,
                              column=columns["specialty"], value=name)
        first_row[key] = row
        specialties.append(Specialty(name, rate_per_1000=amount if field == "rate" else None,
                                     budget=amount if field == "budget" else None, network=network))
    return tuple(specialties)


def read_preferences(
    path: str | Path, graph: PracticeGraph, specialties: Iterable[Specialty], encoding: str = "utf-8"
) -> tuple[tuple[str, str, float], ...]:
    """Read ``practice_code,specialty,score`` rows checked against the practices and specialties.

    Raises
    ------
    InputError
        On an unknown practice or specialty, a score that is not a number, or a pair given twice.
    """
    table = read_table(path, encoding=encoding, what="preference rows")
    columns = resolve_columns(table, PREFERENCE_COLUMNS, ("code", "specialty", "score"))
    names = {s.key: s.name.strip() for s in reversed(tuple(specialties))}
    found: list[tuple[str, str, float]] = []
    first_row: dict[tuple[str, str], int] = {}
    for row, cells in table:
        code = _cell(table, cells, columns, "code").upper()
        if not code:
            raise table.error("practice code is empty", row=row, column=columns["code"])
        if code not in graph.index:
            raise table.error("names a practice that is not in the practices file", row=row, column=columns["code"],
                              value=code)
        specialty = _cell(table, cells, columns, "specialty")
        if specialty.casefold() not in names:
            known = ", ".join(sorted(names.values()))
            raise table.error(f"names a specialty that is not in the specialties file ({known})", row=row,
                              column=columns["specialty"], value=specialty)
        score = parse_float(table, row, columns["score"], _cell(table, cells, columns, "score"), what="a score")
        key = (code, specialty.casefold())
        if key in first_row:
            raise table.error(f"preference of {code} for {specialty} appears twice (first on row {first_row[key]})",
                              row=row)
        first_row[key] = row
        found.append((code, names[specialty.casefold()], score))
    return tuple(found)


def read_consortia(
    path: str | Path, graph: PracticeGraph, labels: Mapping[str, str] | None = None, encoding: str = "utf-8"
) -> tuple[Consortium, ...]:
    """Read named consortia ``consortium,practice_code``, one row per member.

    With ``labels`` (practice -> network) every member must be in a network, and all of a consortium's
    members in the same one.

    Raises
    ------
    InputError
        On an unknown, unwilling, ungrouped or repeated member, a consortium spanning networks, or one
        with a single member.
    """
    table = read_table(path, encoding=encoding, what="consortium rows")
    columns = resolve_columns(table, CONSORTIUM_COLUMNS, ("consortium", "code"))
    members: dict[str, list[str]] = {}
    first_row: dict[str, int] = {}
    home: dict[str, tuple[str, int]] = {}
    seen: dict[tuple[str, str], int] = {}
    for row, cells in table:
        name = _cell(table, cells, columns, "consortium")
        if not name:
            raise table.error("consortium name is empty", row=row, column=columns["consortium"])
        code = _cell(table, cells, columns, "code").upper()
        if code not in graph.index:
            raise table.error("names a practice that is not in the practices file", row=row, column=columns["code"],
                              value=code)
        if not graph.practice(code).willing:
            raise table.error("names an unwilling practice (willing = no)", row=row, column=columns["code"], value=code)
        if (name, code) in seen:
            raise table.error(f"{code} appears twice in consortium {name} (first on row {seen[(name, code)]})",
                              row=row, column=columns["code"], value=code)
        seen[(name, code)] = row
        if labels is not None:
            if code not in labels:
                raise table.error("names a practice that is in no network", row=row, column=columns["code"],
                                  value=code)
            network = labels[code]
            if name in home and home[name][0] != network:
                raise table.error(f"consortium {name} spans networks {home[name][0]} (row {home[name][1]}) and "
                                  f"{network}; its members must share a network", row=row, column=columns["code"],
                                  value=code)
            home.setdefault(name, (network, row))
        first_row.setdefault(name, row)
        members.setdefault(name, []).append(code)
    for name in sorted(members):
        if len(members[name]) < 2:
            raise table.error(f"consortium {name} has one member; a practice holds alone without one",
                              row=first_row[name], column=columns["consortium"], value=name)
    return tuple(Consortium(name, tuple(members[name])) for name in sorted(members))
