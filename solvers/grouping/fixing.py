r"""Which (centre, unit) pairs a group of a better grouping can hold: the reach filter and reduced-cost fixing.

Two rules shrink the pricing and the proof's enumeration, both sound (they never remove a group of a grouping
better than the incumbent):

*Reach.* With contiguity and a hard upper bound :math:`U`, a group centred at practice :math:`c` (its unit
:math:`r`) that holds unit :math:`u` holds a path from :math:`r` to :math:`u`, so its population is at least
the least population of such a path, :math:`\mathrm{reach}_c(u)` (a shortest path whose length is the list
sizes of the units it passes, both ends included). A unit with :math:`\mathrm{reach}_c(u) > U` never joins a
group centred at :math:`c`.

*Reduced cost.* With unit duals :math:`\pi` (and :math:`\mu` of the count row), write
:math:`v_w = a_{wc} - \pi_w` for the value of unit :math:`w` in a group centred at :math:`c`. A group
:math:`g \ni r, u` has reduced cost

.. math::

    \bar c_g = \sum_{w \in g} v_w - \mu \;\ge\; v_r + P_c(u) + \max\big(\min(0, v_u) + N_c(U - s_r - s_u),
    \ N_c(U - s_r)\big) - \mu = \beta_c(u),

where :math:`P_c(u)` is the least sum of :math:`\max(0, v_w)` over the units other than :math:`r` of a path
from :math:`r` to :math:`u` (the group holds one; a positive :math:`v_u` is counted there) and :math:`N_c(R)`
is the least sum of negative values of units other than :math:`r` of total size at most :math:`R` (a fractional
knapsack; the group's negative units besides :math:`r` and :math:`u` fit in the first room, all of them in the
second, and both bounds hold). With the optimal master
LP of value :math:`z_{LP}` and a target :math:`T` (the incumbent, less the gap asked for), every group of a
grouping below :math:`T` has :math:`\bar c_g \le T - z_{LP}`; so a pair with :math:`\beta_c(u) > T - z_{LP}`
is *fixed* to zero: no group centred at :math:`c` that holds :math:`u` need be priced or enumerated
(Validi, Buchanan & Lykhovyd, *Operations Research* 2022, fix assignment variables the same way).

The bound is the distance objective's: with relation terms (alignment, shared staff) the value of a group is
not a sum over its units and no pair is fixed (the reach filter still holds).
"""

from __future__ import annotations

import math

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

__all__ = ["reach_populations", "pair_bounds", "centre_bounds", "free_units", "unit_graph"]

#: Added to every node weight so that scipy keeps zero-weight steps as edges (shifts a bound by < n x 1e-12).
_EPSILON = 1e-12


def unit_graph(unit_neighbours: tuple[tuple[int, ...], ...]) -> sp.csr_matrix:
    """The units' adjacency as a sparse 0/1 matrix (rows: from, columns: to).

    Examples
    --------
    >>> unit_graph(((1,), (0, 2), (1,))).toarray().astype(int).tolist()
    [[0, 1, 0], [1, 0, 1], [0, 1, 0]]
    """
    n = len(unit_neighbours)
    rows = np.repeat(np.arange(n), [len(neighbours) for neighbours in unit_neighbours])
    cols = np.fromiter((v for neighbours in unit_neighbours for v in neighbours), dtype=np.int64, count=len(rows))
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))


def _node_paths(adjacency: sp.csr_matrix, weights: np.ndarray, root: int, allowed: np.ndarray) -> np.ndarray:
    """Least sum of ``weights`` over the units of a path from ``root`` to each unit, ``root`` excluded, through
    ``allowed`` units only (``inf`` where there is none)."""
    index = np.flatnonzero(allowed)
    sub = adjacency[index][:, index].tocsr()
    sub.data = (weights[index] + _EPSILON)[sub.indices]  # stepping onto a unit costs its weight
    position = int(np.searchsorted(index, root))
    lengths = np.full(len(weights), math.inf)
    lengths[index] = dijkstra(sub, directed=True, indices=position)
    return lengths


def reach_populations(adjacency: sp.csr_matrix, sizes: np.ndarray, root: int, allowed: np.ndarray) -> np.ndarray:
    """Least population of a path of ``allowed`` units from ``root`` to each unit, both ends counted.

    Examples
    --------
    A path of four units of 10, 20, 30 and 40 patients: from the first unit, the fourth is reached through all.

    >>> adjacency = unit_graph(((1,), (0, 2), (1, 3), (2,)))
    >>> reach_populations(adjacency, np.array([10.0, 20, 30, 40]), 0, np.ones(4, bool)).round(6).tolist()
    [10.0, 30.0, 60.0, 100.0]
    """
    reach = _node_paths(adjacency, sizes, root, allowed) + sizes[root]
    reach[root] = sizes[root]
    return reach


def _knapsack(values: np.ndarray, sizes: np.ndarray, candidates: np.ndarray):
    """The fractional knapsack of the negative values among ``candidates``: a function of the room left."""
    negative = np.flatnonzero(candidates & (values < 0))
    weights = np.maximum(sizes[negative], 1.0)
    order = np.argsort(values[negative] / weights, kind="stable")
    weights, gains = weights[order], values[negative][order]
    filled, gained = np.concatenate([[0.0], np.cumsum(weights)]), np.concatenate([[0.0], np.cumsum(gains)])

    def least(room: np.ndarray) -> np.ndarray:
        room = np.clip(room, 0.0, None)
        whole = np.clip(np.searchsorted(filled, room, side="right") - 1, 0, len(gains))
        partial = np.zeros_like(room)
        inside = whole < len(gains)
        partial[inside] = (room[inside] - filled[whole[inside]]) / weights[whole[inside]] * gains[whole[inside]]
        return gained[whole] + partial

    return least


def pair_bounds(adjacency: sp.csr_matrix | None, values: np.ndarray, sizes: np.ndarray, root: int,
                allowed: np.ndarray, upper: float, mu: float) -> np.ndarray:
    r"""Lower bound :math:`\beta_c(u)` on the reduced cost of a group centred at the root's practice holding each unit.

    ``values`` are :math:`v_w = a_{wc} - \pi_w`; ``adjacency`` None means no contiguity (a group need not hold a
    path). Units not ``allowed`` get ``inf``.

    Examples
    --------
    Three units on a path, the far one of negative value but behind a costly middle one:

    >>> adjacency = unit_graph(((1,), (0, 2), (1,)))
    >>> pair_bounds(adjacency, np.array([0.0, 5.0, -1.0]), np.ones(3), 0, np.ones(3, bool), 3.0, 0.0).round(6).tolist()
    [-1.0, 4.0, 4.0]
    """
    candidates = allowed.copy()
    candidates[root] = False
    knapsack = _knapsack(values, sizes, candidates)
    positive = np.maximum(values, 0.0)
    if adjacency is None:
        path = positive.copy()
    else:
        path = _node_paths(adjacency, positive, root, allowed)
    negatives = np.maximum(np.minimum(values, 0.0) + knapsack(upper - sizes[root] - sizes),
                           knapsack(np.full(len(values), upper - sizes[root])))
    bounds = values[root] + path + negatives - mu
    bounds[root] = values[root] + knapsack(np.array([upper - sizes[root]]))[0] - mu
    bounds[~allowed] = math.inf
    return bounds


def centre_bounds(pricer, centre: int, duals: np.ndarray, mu: float) -> np.ndarray:
    r""":math:`\beta_c(u)` for every unit, for a group centred at practice ``centre`` (:func:`pair_bounds`).

    ``-inf`` for every unit :meth:`Pricer.allowed` lets in when the objective has relation terms (nothing
    is fixed then), ``inf`` for the rest.
    """
    allowed = pricer.allowed(centre)
    if pricer.relation_factor:
        return np.where(allowed, -math.inf, math.inf)
    piece = pricer.piece
    upper = float(piece.population) if piece.soft or piece.soft_above else pricer.upper
    values = pricer.assign_cost[:, centre] - duals
    return pair_bounds(pricer.adjacency if piece.contiguity else None, values, pricer.unit_sizes,
                       pricer.unit_of[centre], allowed, upper, mu)


def free_units(pricer, centre: int, duals: np.ndarray, mu: float, slack: float) -> np.ndarray:
    """Units that a group centred at ``centre`` of reduced cost at most ``slack`` may hold (the rest are fixed).

    All of :meth:`Pricer.allowed` when the objective has relation terms; none when even the centre's unit
    alone cannot come within ``slack``.
    """
    free = centre_bounds(pricer, centre, duals, mu) <= slack + 1e-9
    if not free[pricer.unit_of[centre]]:
        free[:] = False
    return free
