"""Merge-and-resplit: a neighbourhood that redraws the boundary between two adjacent groups at once.

Single moves and swaps stop at local optima where two groups would be better cut another way but every
one-practice step towards that cut breaks the band. Here the two groups are merged and cut again along the
best line between two centre practices: for every pair of candidate centres ``(i, j)`` the merged units are
ordered by how much closer they lie to ``i`` than to ``j``, and every prefix of that order whose patients
fall in the band (and leave the rest in the band) is a candidate cut. The cuts are ranked by their
distance cost, all pairs at once on arrays; the best cuts are then checked for contiguity and scored
exactly (band, diameter, cannot-links, relation terms) before one is accepted. An accepted resplit lowers
the total violation, or keeps it and lowers the cost, like every other move of the search.
"""

from __future__ import annotations

import numpy as np

from clusterkit.heuristic.state import State
from clusterkit.problem.score import connected

__all__ = ["resplit_pass"]

#: Cuts checked exactly per pair of groups (the cheapest by distance first).
CUTS_CHECKED = 12

#: Merged pairs larger than this many practices are not resplit (the arrays grow as the cube).
MAX_MERGED_PRACTICES = 60


def resplit_pass(state: State, fixed: set[int]) -> bool:
    """Try a resplit of every pair of adjacent groups once; whether any was accepted."""
    p = state.problem
    first, second = state.scorer.unit_edges
    group_one, group_two = state.unit_group[first], state.unit_group[second]
    apart = group_one != group_two
    low, high = np.minimum(group_one, group_two)[apart], np.maximum(group_one, group_two)[apart]
    span = int(state.unit_group.max()) + 1
    pairs = [divmod(int(code), span) for code in np.unique(low * span + high)]  # ascending (a, b)
    touched: set[int] = set()
    improved = False
    for a, b in pairs:
        if a in touched or b in touched:
            continue
        key = frozenset((frozenset(state.members[a]), frozenset(state.members[b])))
        if key in state.resplit_tried:
            continue
        if _resplit(state, a, b, fixed):
            touched.update((a, b))
            improved = True
        else:
            state.resplit_tried.add(key)
    return improved


def _resplit(state: State, a: int, b: int, fixed: set[int]) -> bool:
    p = state.problem
    units = np.array(sorted(state.members[a] | state.members[b]), dtype=np.int64)
    m = len(units)
    if m < 3:
        return False
    practices = [i for u in units for i in p.units[u]]
    if len(practices) > MAX_MERGED_PRACTICES:
        return False
    unit_position = np.repeat(np.arange(m), [len(p.units[u]) for u in units])
    index = np.array(practices, dtype=np.int64)
    # cost of each unit with each candidate centre (practices of the merged pair, or the two hubs)
    hub_units = [u for u in units if u in fixed]
    if state.scorer.has_hubs:
        if len(hub_units) != 2:
            return False
        centres = np.array([p.hub_practice[int(u)] for u in hub_units], dtype=np.int64)
    else:
        centres = index
    unit_sizes = state.unit_sizes[units].astype(float)
    if state.scorer.has_hubs:
        centre_unit = np.array([int(np.flatnonzero(units == u)[0]) for u in hub_units])
    else:
        centre_unit = unit_position
    band_mode = 1 if p.soft_above else 0 if p.soft else 2
    lower = float(p.lower[index].min())
    upper = float(p.upper[index].max())  # the loosest: a screen
    if state.compiled is not None:
        in_first = state.unit_group[units] == a
        order, candidates = state.compiled.resplit_cuts(units, in_first, centres, centre_unit, unit_sizes, band_mode,
                                                        lower, upper)
    else:
        # the current pair's distance, in the same units (patient-km to a centre of each side)
        current = state.scorer.distance_total(state.members[a]) + state.scorer.distance_total(state.members[b])
        order, candidates = _cuts(state, units, index, unit_position, centres, centre_unit, unit_sizes, band_mode,
                                  lower, upper, current)
    if len(candidates) == 0:
        return False
    before_violation = state.score[a][0] + state.score[b][0]
    before_cost = state.score[a][1] + state.score[b][1]
    before_relation = _relation_inside(state, units, state.unit_group[units])
    checked = 0
    seen: set[frozenset[int]] = set()
    for flat_index in candidates:
        pair, cut = divmod(int(flat_index), m - 1)
        side_one = frozenset(int(units[k]) for k in order[pair, :cut + 1])
        if side_one in seen:
            continue
        seen.add(side_one)
        side_two = set(int(u) for u in units) - side_one
        checked += 1
        if checked > CUTS_CHECKED:
            break
        if p.contiguity and not (connected(p.unit_neighbours, side_one) and connected(p.unit_neighbours, side_two)):
            continue
        one_score = state.evaluate(side_one)
        two_score = state.evaluate(side_two)
        labels = np.array([0 if int(u) in side_one else 1 for u in units])
        relation_delta = 0.0
        if p.relation_weight and p.relation_total:
            relation_delta = -p.relation_weight * (_relation_inside(state, units, labels) - before_relation) \
                / p.relation_total
        dv = one_score[0] + two_score[0] - before_violation
        dc = one_score[1] + two_score[1] - before_cost + relation_delta
        if dv < -1e-9 or (abs(dv) <= 1e-9 and dc < -1e-12):
            # keep each group's id on the side holding most of its old units (stable labels, hubs in place)
            old_a = state.members[a]
            if len(side_one & old_a) < len(side_two & old_a):
                side_one, side_two = frozenset(side_two), set(side_one)
                one_score, two_score = two_score, one_score
            state.members[a] = set(side_one)
            state.members[b] = set(side_two)
            for unit in side_one:
                state.unit_group[unit] = a
            for unit in side_two:
                state.unit_group[unit] = b
            state.score[a] = one_score
            state.score[b] = two_score
            return True
    return False


def _cuts(state: State, units: np.ndarray, index: np.ndarray, unit_position: np.ndarray, centres: np.ndarray,
          centre_unit: np.ndarray, unit_sizes: np.ndarray, band_mode: int, lower: float, upper: float,
          current: float) -> tuple[np.ndarray, np.ndarray]:
    """The screen on arrays: each centre pair's order of the units, and the cuts cheaper than ``current`` in
    distance as flat indices ``pair * (m - 1) + cut``, cheapest first (see the module's docstring).

    ``band_mode`` 0: no band screen (soft band), 1: both sides at least ``lower``, 2: both in the band.
    The compiled core's :func:`clusterkit.heuristic.kernels.resplit_cuts` gives the same, faster.
    """
    m = len(units)
    sizes = state.problem.sizes[index]
    practice_cost = sizes[:, None] * state.distance[index[:, None], centres].astype(float)
    unit_cost = np.zeros((m, len(centres)))
    np.add.at(unit_cost, unit_position, practice_cost)
    total = float(unit_sizes.sum())
    first, second = np.triu_indices(len(centres), k=1)
    distinct = centre_unit[first] != centre_unit[second]
    first, second = first[distinct], second[distinct]
    if len(first) == 0:
        return np.zeros((0, m), dtype=np.int64), np.zeros(0, dtype=np.int64)
    # order the units of every centre pair by how much nearer they are to the first centre
    preference = (unit_cost[:, first] - unit_cost[:, second]).T  # (pairs, m)
    rows = np.arange(len(first))
    preference[rows, centre_unit[first]] = -np.inf
    preference[rows, centre_unit[second]] = np.inf
    order = np.argsort(preference, axis=1, kind="stable")
    taken = np.cumsum(unit_sizes[order], axis=1)[:, :-1]  # patients of side one after k = 1..m-1 units
    cost_first = np.cumsum(unit_cost[order, first[:, None]], axis=1)[:, :-1]
    cost_second_all = unit_cost[:, second].sum(axis=0)[:, None]
    cost_second = cost_second_all - np.cumsum(unit_cost[order, second[:, None]], axis=1)[:, :-1]
    value = cost_first + cost_second
    if band_mode == 1:
        value = np.where((taken >= lower) & (total - taken >= lower), value, np.inf)
    elif band_mode == 2:
        allowed = (taken >= lower) & (taken <= upper) & (total - taken >= lower) & (total - taken <= upper)
        value = np.where(allowed, value, np.inf)
    flat = value.ravel()
    candidates = np.flatnonzero(flat < current - 1e-9)
    candidates = candidates[np.argsort(flat[candidates], kind="stable")]
    return order, candidates


def _relation_inside(state: State, units: np.ndarray, labels: np.ndarray) -> float:
    """Relation weight between units of ``units`` that share a label."""
    p = state.problem
    label_of = {int(u): int(label) for u, label in zip(units, labels)}
    kept = 0.0
    for unit, label in label_of.items():
        for other, weight in p.relation[unit].items():
            if other > unit and label_of.get(other, -1) == label:
                kept += weight
    return kept
