"""The one score of a group, and the rules it checks, on arrays.

Every method that judges a group calls this module: the heuristic's moves, swaps, repairs and resplit
screen, the recombination of restarts, the column costs and pricing of the exact column generation, and
(through :func:`one_median` and :func:`connected`) the metrics of any grouping.

A group is a set of *units* of a :class:`~clusterkit.problem.piece.PieceProblem` (practices kept together).
Its :class:`Score` is a pair ``(violation, cost)`` compared lexicographically, with the violation split by
named rule:

``band``
    patients outside the group's band (see :func:`clusterkit.problem.band.group_band`: the band of the
    group's main sub-ICB by patients), counted as a violation when the band is hard (÷ 1,000) and as
    ``soft_penalty`` per patient in the cost when it is soft;
``diameter``
    km above ``max_diameter_km`` between the group's two furthest practices;
``cannot_link``
    cannot-link pairs inside the group (10 each).

The cost is the group's share of the objective, per patient of the piece: the distance weight times its
patient-km to its centre practice (its hub when it has one, else its 1-median) over the distance scale,
plus the cross-boundary and move penalties, plus the soft-band penalty. Alignment and shared staff kept
inside groups depend on pairs of groups in the heuristic's moves and enter there; a column's cost
(:meth:`GroupScorer.column_cost`) subtracts what a group keeps inside it. Contiguity is a rule on moves
(a move never breaks it) and on columns (:func:`connected`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import NamedTuple

import numpy as np

from clusterkit.problem import score_terms
from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.score_terms import CANNOT_LINK_WEIGHT, score_data

__all__ = ["RULES", "Score", "GroupScorer", "one_median", "connected", "components", "CACHE_LIMIT",
           "CANNOT_LINK_WEIGHT"]

#: The rules a group's violation is made of, in the order of :class:`Score`'s fields.
RULES = ("band", "diameter", "cannot_link")

#: Group scores kept per problem before the cache starts afresh (bounds memory on national runs).
CACHE_LIMIT = 400_000

class Score(NamedTuple):
    """A group's violation of the hard rules and its cost; ``score[0]``, ``score[1]`` compare lexicographically.

    ``band``, ``diameter`` and ``cannot_link`` are the named parts of ``violation`` (patients outside a hard
    band, km above the diameter limit, cannot-link pairs inside).
    """

    violation: float
    cost: float
    band: float = 0.0
    diameter: float = 0.0
    cannot_link: float = 0.0


def one_median(distance: np.ndarray, sizes: np.ndarray) -> tuple[int, float]:
    """The 1-median of a group: the position of the practice nearest its patients, and their patient-km to it.

    Parameters
    ----------
    distance : ndarray
        ``(k, k)`` km between the group's practices.
    sizes : ndarray
        Their list sizes.

    Examples
    --------
    >>> one_median(np.array([[0.0, 2.0, 3.0], [2.0, 0.0, 1.0], [3.0, 1.0, 0.0]]), np.array([1.0, 1.0, 1.0]))
    (1, 3.0)
    """
    if len(sizes) == 1:
        return 0, 0.0
    totals = sizes @ distance
    centre = int(np.argmin(totals))
    return centre, float(totals[centre])


def components(neighbours: Sequence[Iterable[int]], members: Iterable[int]) -> list[set[int]]:
    """The connected parts of ``members`` on a neighbour list (``neighbours[u]``: the nodes next to ``u``).

    Examples
    --------
    >>> components([[1], [0, 2], [1], []], {0, 1, 3})
    [{0, 1}, {3}]
    """
    remaining = set(members)
    parts = []
    for start in sorted(remaining):
        if start not in remaining:
            continue
        remaining.discard(start)
        part = {start}
        stack = [start]
        while stack:
            node = stack.pop()
            for other in neighbours[node]:
                if other in remaining:
                    remaining.discard(other)
                    part.add(other)
                    stack.append(other)
        parts.append(part)
    return parts


def connected(neighbours: Sequence[Iterable[int]], members: Iterable[int]) -> bool:
    """Whether ``members`` (not empty) form one connected part on a neighour list.

    >>> connected([[1], [0, 2], [1]], {0, 2}), connected([[1], [0, 2], [1]], {0, 1, 2})
    (False, True)
    """
    members = set(members)
    if len(members) <= 1:
        return bool(members)
    start = next(iter(members))
    seen = {start}
    stack = [start]
    while stack:
        node = stack.pop()
        for other in neighbours[node]:
            if other in members and other not in seen:
                seen.add(other)
                stack.append(other)
    return len(seen) == len(members)


class GroupScorer:
    """The score of any group of one piece, cached (a score depends on the group's units only).

    Parameters
    ----------
    piece : PieceProblem
    distance : ndarray, optional
        The piece's km matrix (:func:`~clusterkit.model.coordinates.distance_matrix` of ``piece.xy``).
    """

    def __init__(self, piece: PieceProblem, distance: np.ndarray | None = None) -> None:
        self.piece = piece
        self.distance = distance if distance is not None else piece.km
        self.cache: dict[frozenset[int], Score] = {}
        self.has_hubs = bool(piece.hub_practice)
        self.has_cannot = any(piece.cannot)
        self.hub_units = frozenset(piece.hub_practice)
        self.unit_sizes = piece.unit_sizes
        self.relation_factor = (piece.relation_weight / piece.relation_total
                                if piece.relation_weight and piece.relation_total else 0.0)
        self.data = score_data(piece, self.distance)
        self.terms = score_terms

    @cached_property
    def unit_edges(self) -> tuple[np.ndarray, np.ndarray]:
        """The adjacent pairs of units as two arrays (each pair both ways)."""
        neighbours = self.piece.unit_neighbours
        first = np.repeat(np.arange(len(neighbours)), [len(row) for row in neighbours]).astype(np.int64)
        second = np.array([v for row in neighbours for v in row], dtype=np.int64)
        return first, second

    @cached_property
    def unit_centre_costs(self) -> np.ndarray:
        """``(units, practices)``: the cost a unit adds to a group centred at each practice.

        The score's distance term once a group's centre is fixed (distance weight x patient-km / (distance
        scale x patients of the piece)): linear in the group's units, so it is the assignment coefficient of
        the p-median and the pricing of column generation.
        """
        piece = self.piece
        scale = piece.distance_weight / (piece.distance_scale * piece.population)
        costs = np.zeros((len(piece.units), len(piece.codes)))
        for unit, members in enumerate(piece.units):
            index = np.array(members)
            costs[unit] = scale * (piece.sizes[index] @ self.distance[index])
        return costs

    def evaluate(self, units: Iterable[int]) -> Score:
        """The :class:`Score` of a group made of ``units`` (alignment and shared staff excluded)."""
        key = units if isinstance(units, frozenset) else frozenset(units)
        score = self.cache.get(key)
        if score is None:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            score = self.cache[key] = self._evaluate(key)
        return score

    def practices(self, units: Iterable[int]) -> np.ndarray:
        """Practice indices of a group of units, sorted: a score is summed in one order, whatever order a set
        of units iterates in, so that it is the same to the last bit however the group was built."""
        piece_units = self.piece.units
        members = [i for u in units for i in piece_units[u]]
        members.sort()
        return np.array(members, dtype=np.int64)

    def centre(self, units: Iterable[int]) -> tuple[int, float]:
        """The group's centre practice (its hub, else its 1-median) and its patients' km to it."""
        units = list(units)
        return self._centre(units, self.practices(units))

    def _centre(self, units: Sequence[int], index: np.ndarray) -> tuple[int, float]:
        centre, total = self.terms.group_centre(index, len(index), self.data)
        return int(centre), float(total)

    def distance_total(self, units: Iterable[int]) -> float:
        """Patient-km of a group to its centre practice (its hub when it has one)."""
        return self.centre(units)[1]

    def _evaluate(self, units: frozenset[int]) -> Score:
        index = self.practices(units)
        return Score(*(float(term) for term in self.terms.group_score(index, len(index), self.data)))

    def relation_inside(self, units: Iterable[int]) -> float:
        """Alignment and shared-staff weight between different units of a group."""
        members = set(units)
        relation = self.piece.relation
        return sum(weight for u in members for v, weight in relation[u].items() if v in members and v > u)

    def column_cost(self, units: frozenset[int]) -> float | None:
        """The cost of a group as a column of set partitioning, or None when it breaks a hard rule.

        Its :class:`Score` cost minus the relation weight it keeps inside; None when the group violates a
        rule, is not connected (with contiguity), or holds other than exactly one hub (with hubs).
        """
        score = self.evaluate(units)
        if score.violation > 1e-9:
            return None
        if self.piece.contiguity and len(units) > 1 and not connected(self.piece.unit_neighbours, units):
            return None
        if self.hub_units and len(units & self.hub_units) != 1:
            return None
        cost = score.cost
        if self.relation_factor:
            cost -= self.relation_factor * self.relation_inside(units)
        return cost

    def violations(self, groups: Iterable[Iterable[int]]) -> dict[str, float]:
        """The named violations summed over several groups (rules with none left out)."""
        totals = dict.fromkeys(RULES, 0.0)
        for units in groups:
            score = self.evaluate(units)
            for rule in RULES:
                totals[rule] += getattr(score, rule)
        return {rule: value for rule, value in totals.items() if value > 1e-9}
