"""The proof step of column generation: every feasible group whose reduced cost is within a slack.

With the duals of the optimal master LP and a grouping of cost UB, every group of a better grouping has
reduced cost at most UB minus the LP value; enumerating those groups (and solving set partitioning over
them) finds the optimum or proves the incumbent within the gap asked for.
"""

from __future__ import annotations

import logging

import time
from collections.abc import Mapping

import numpy as np

from solvers.grouping.cuts import RowCuts
from solvers.grouping.fixing import free_units
from solvers.grouping.pricing import Pricer

__all__ = ["enumerate_columns"]

log = logging.getLogger(__name__)


def enumerate_columns(pricer: Pricer, duals: np.ndarray, mu: float, slack: float, deadline: float,
               limit: int = 60_000, free: Mapping[int, np.ndarray] | None = None,
               cuts: RowCuts | None = None) -> dict[frozenset[int], float] | None:
    """Every feasible group whose reduced cost is at most ``slack``, or None if time or ``limit`` runs out.

    With duals of the optimal master LP (value :math:`z_{LP}`) and a grouping of cost :math:`UB`, every
    group of a better grouping has reduced cost at most :math:`UB - z_{LP}`; so a set-partitioning MIP
    over the groups found here (and the pool) finds the optimum. For each centre, connected sets holding
    its unit are enumerated by including or excluding one frontier unit at a time, pruned when the
    band's upper bound is passed or when even the most favourable additions (a fractional knapsack
    over the units of negative value) cannot bring the reduced cost down to ``slack``. Only the units free
    for a centre are tried: ``free[centre]``, by default :func:`solvers.grouping.fixing.free_units` (the reach
    filter and the pairs fixed by their reduced cost; sound, so the result is the same, only found sooner).
    ``cuts``: the master's subset-row cuts (:mod:`solvers.grouping.cuts`): a unit that joins a group holding one
    other unit of a binding cut adds its penalty to the group's value, which only grows, so the pruning holds.
    """
    piece = pricer.piece
    found: dict[frozenset[int], float] = {}
    sizes = pricer.unit_sizes
    nodes = 0
    for centre in pricer.centres:
        root = pricer.unit_of[centre]
        allowed = free[centre] if free is not None else free_units(pricer, centre, duals, mu, slack)
        if not allowed[root]:
            continue
        value = pricer.assign_cost[:, centre] - duals
        upper, lower = pricer.upper, pricer.lower
        if piece.soft or piece.soft_above:  # a group above the band is allowed (at a cost): enumerate it too
            upper = float(piece.population)
        if piece.soft:
            lower = 0.0
        negative = sorted((u for u in range(pricer.n) if allowed[u] and value[u] < 0 and u != root),
                          key=lambda u: value[u] / max(sizes[u], 1.0))
        relation = pricer.relation_factor
        stack = [(frozenset([root]), float(sizes[root]), float(value[root]),
                  frozenset(v for v in piece.unit_neighbours[root] if allowed[v]), frozenset())]
        while stack:
            nodes += 1
            if nodes % 2000 == 0 and time.perf_counter() > deadline:
                return None
            members, population, total, frontier, excluded = stack.pop()
            # optimistic completion: fractional knapsack over negative units still available
            room = upper - population
            optimistic = total
            for u in negative:
                if room <= 0:
                    break
                if u in members or u in excluded:
                    continue
                take = min(1.0, room / max(sizes[u], 1.0))
                optimistic += take * value[u]
                room -= sizes[u]
            bonus = relation * sum(w for u in members for w in pricer.relation[u].values()) if relation else 0.0
            if optimistic - bonus - mu > slack + 1e-12:
                continue
            if not frontier:
                if lower <= population <= upper:
                    cost = pricer.cost(members)
                    if cost is not None:
                        reduced = cost - float(duals[list(members)].sum()) - mu
                        if cuts:
                            reduced += cuts.penalty(members)
                        if reduced <= slack + 1e-12:
                            found[members] = cost
                            if len(found) > limit:
                                return None
                continue
            unit = min(frontier)
            rest = frontier - {unit}
            stack.append((members, population, total, rest, excluded | {unit}))
            grown = population + sizes[unit]
            if grown <= upper and not (pricer.cannot_units[unit] & members):
                if piece.max_diameter_km is None or all(
                        pricer.distance[np.ix_(list(piece.units[unit]), list(piece.units[v]))].max()
                        <= piece.max_diameter_km for v in members):
                    extra = frozenset(v for v in piece.unit_neighbours[unit]
                                      if allowed[v] and v not in members and v not in excluded)
                    joined = total + float(value[unit]) + (cuts.added(members, unit) if cuts else 0.0)
                    stack.append((members | {unit}, grown, joined, rest | extra - {unit}, excluded))
    log.debug("enumeration: %d nodes, %d columns", nodes, len(found))
    return found
