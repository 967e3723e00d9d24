r"""Constraint families of the grouping MIPs, one builder each (the shape of spopt's ``FacilityModelBuilder``).

Every builder adds one named family to a PuLP model over assignment variables :math:`x_{uc}` (unit
:math:`u` in the group centred at practice :math:`c`) and opening variables :math:`y_c`, and returns any
objective terms it needs. Constraint names start with the family's name, so a solver's report of an
infeasible model says which rule could not be met.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pulp

from clusterkit.errors import InputError
from clusterkit.problem.band import band_hull
from clusterkit.problem.piece import PieceProblem
from solvers.door import new_variable

__all__ = ["FAMILIES", "add_assignment", "add_band", "add_contiguity", "add_cannot_links", "add_relations",
           "add_count"]

#: The families, as they prefix constraint names.
FAMILIES = ("assign", "band", "open", "contiguity", "cannot_link", "relation", "count")

Assignments = Mapping[tuple[int, int], pulp.LpVariable]


def add_assignment(model: pulp.LpProblem, piece: PieceProblem, by_unit: Mapping[int, Sequence[pulp.LpVariable]]) -> None:
    r"""Every unit in exactly one group: :math:`\sum_c x_{uc} = 1`."""
    for unit, variables in by_unit.items():
        if not variables:
            codes = ", ".join(piece.codes[i] for i in piece.units[unit])
            raise InputError(f"practice(s) {codes} can join no group's centre (check max_diameter_km and centres)")
        model += pulp.lpSum(variables) == 1, f"assign_{unit}"


def add_band(model: pulp.LpProblem, piece: PieceProblem, y: Mapping[int, pulp.LpVariable],
             by_centre: Mapping[int, Sequence[tuple[int, pulp.LpVariable]]], unit_sizes: np.ndarray) -> list:
    r"""An open group's patients within the band: :math:`L y_c - e^-_c \le \sum_u s_u x_{uc} \le U y_c + e^+_c`,
    and :math:`x_{uc} \le y_c` (family ``open``).

    :math:`[L, U]` is the piece's loosest band (:func:`clusterkit.problem.band.band_hull`): the band rule
    judges a group by its members, which this model does not know when it opens a centre, so it relaxes the
    rule and its optimum stays a valid bound. Soft: slacks :math:`e` cost ``soft_penalty`` per patient.
    """
    lower, upper = band_hull(piece)
    penalty_terms = []
    for c, members in by_centre.items():
        load = pulp.lpSum(float(unit_sizes[u]) * var for u, var in members)
        if piece.soft_above:  # hard below, soft above
            over = new_variable(model, f"over_{c}", 0)
            model += load >= lower * y[c], f"band_lower_{c}"
            model += load - over <= upper * y[c], f"band_upper_{c}"
            penalty_terms.append(piece.soft_penalty / piece.population * over)
        elif piece.soft:
            under = new_variable(model, f"under_{c}", 0)
            over = new_variable(model, f"over_{c}", 0)
            model += load + under >= lower * y[c], f"band_lower_{c}"
            model += load - over <= upper * y[c], f"band_upper_{c}"
            penalty_terms += [piece.soft_penalty / piece.population * under,
                              piece.soft_penalty / piece.population * over]
        else:
            model += load >= lower * y[c], f"band_lower_{c}"
            model += load <= upper * y[c], f"band_upper_{c}"
        for u, var in members:
            if var is not y[c]:
                model += var <= y[c], f"open_{u}_{c}"
    return penalty_terms


def add_contiguity(model: pulp.LpProblem, piece: PieceProblem, x: Assignments, unit_of: Mapping[int, int]) -> None:
    r"""A member other than the centre's unit has a neighbour in its group: :math:`x_{uc} \le \sum_{v \in N(u)} x_{vc}`
    (valid for every connected group; with must-link units it keeps groups of two connected exactly)."""
    if not piece.contiguity:
        return
    for (u, c), var in x.items():
        if unit_of[c] == u:
            continue
        neighbours = [x[v, c] for v in piece.unit_neighbours[u] if (v, c) in x]
        model += var <= pulp.lpSum(neighbours), f"contiguity_{u}_{c}"


def add_cannot_links(model: pulp.LpProblem, piece: PieceProblem, x: Assignments, y: Mapping[int, pulp.LpVariable],
                     unit_of: Mapping[int, int]) -> None:
    r"""Cannot-link pairs in different groups: :math:`x_{uc} + x_{vc} \le y_c`."""
    pairs = set()
    for i, partners in enumerate(piece.cannot):
        for j in partners:
            u, v = unit_of[i], unit_of[j]
            if u != v:
                pairs.add((min(u, v), max(u, v)))
    for u, v in sorted(pairs):
        for c in y:
            if (u, c) in x and (v, c) in x:
                model += x[u, c] + x[v, c] <= y[c], f"cannot_link_{u}_{v}_{c}"


def add_relations(model: pulp.LpProblem, piece: PieceProblem, x: Assignments, y: Mapping[int, pulp.LpVariable]) -> list:
    r"""Cost of alignment and shared-staff edges cut between groups: :math:`z_{uv} \ge |x_{uc} - x_{vc}|`
    (relations inside must-link units are always kept: no cost)."""
    if not piece.relation_weight or not piece.relation_total:
        return []
    terms = []
    for u, neighbours in enumerate(piece.relation):
        for v, weight in neighbours.items():
            if v <= u:
                continue
            cut = new_variable(model, f"z_{u}_{v}", 0, 1)
            for c in y:
                xu = x.get((u, c), 0)
                xv = x.get((v, c), 0)
                if isinstance(xu, int) and isinstance(xv, int):
                    continue
                model += cut >= xu - xv, f"relation_{u}_{v}_{c}_a"
                model += cut >= xv - xu, f"relation_{u}_{v}_{c}_b"
            terms.append(piece.relation_weight * weight / piece.relation_total * cut)
    return terms


def add_count(model: pulp.LpProblem, piece: PieceProblem, y: Mapping[int, pulp.LpVariable]) -> None:
    r"""Exactly ``count`` groups: :math:`\sum_c y_c = K` (hubs fix the count through the open centres)."""
    if piece.count is not None and not piece.hub_practice:
        model += pulp.lpSum(y.values()) == piece.count, "count"
