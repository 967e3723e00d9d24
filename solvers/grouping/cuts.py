r"""Subset-row cuts of the master: of three units, at most one chosen group holds two or more.

For a triple :math:`S` of units, every grouping has at most one group holding two of them (the groups are
disjoint), so

.. math::

    \sum_{g : |g \cap S| \ge 2} \lambda_g \le 1

is valid for every grouping but cuts off fractional masters in which three groups each hold a different two of
the three at one half (Jepsen, Petersen, Spoorendonk & Pisinger, *Operations Research* 2008). Its dual
:math:`\sigma_S \le 0` makes a group that holds two of :math:`S` dearer by the *penalty* :math:`-\sigma_S`: the
reduced cost of group :math:`g` is :math:`c_g - \sum_{u \in g} \pi_u - \mu + \sum_{S : |g \cap S| \ge 2} (-\sigma_S)`.
A penalty is never negative, so a bound on the reduced cost that leaves the cuts out (the reach and pair
bounds of :mod:`solvers.grouping.fixing`, the knapsack of the enumeration) stays a bound; the pricing MIP and the
enumeration add the penalties of the cuts a group meets.

The optimal master with cuts is still a lower bound on every grouping, and every group of a grouping below
:math:`z_{LP} + s` still has reduced cost at most :math:`s`: for a grouping :math:`G`,
:math:`\sum_{g \in G} c_g = \sum_g \bar c_g + \sum_u \pi_u + K\mu + \sum_S \sigma_S |\{g \in G : |g \cap S| \ge 2\}|
\ge \sum_g \bar c_g + z_{LP}`, as each count is at most one and each :math:`\sigma_S \le 0`.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

__all__ = ["RowCuts", "separate", "cut_rows"]

#: Penalties below this are treated as zero (the cut is not binding).
ACTIVE = 1e-12


@dataclass(frozen=True, eq=False)
class RowCuts:
    """Subset-row cuts (triples of units) with the penalty each adds to a group holding two of its units.

    Examples
    --------
    >>> cuts = RowCuts(((0, 1, 2), (2, 3, 4)), np.array([0.5, 0.25]))
    >>> cuts.penalty(frozenset({0, 1})), cuts.penalty(frozenset({1, 2, 3})), cuts.penalty(frozenset({0, 3}))
    (0.5, 0.75, 0.0)
    >>> cuts.added(frozenset({3}), 2), cuts.added(frozenset({0}), 2)
    (0.25, 0.5)
    """

    triples: tuple[tuple[int, int, int], ...] = ()
    penalties: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _by_unit: dict[int, list[int]] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        for index, triple in enumerate(self.triples):
            if self.penalties[index] > ACTIVE:
                for unit in triple:
                    self._by_unit.setdefault(unit, []).append(index)

    def __bool__(self) -> bool:
        return bool(self._by_unit)

    def of_unit(self, unit: int) -> list[int]:
        """The binding cuts holding ``unit`` (their indices)."""
        return self._by_unit.get(unit, [])

    def penalty(self, column: frozenset[int]) -> float:
        """What the binding cuts add to the reduced cost of ``column``."""
        if not self._by_unit:
            return 0.0
        met = {index for unit in column for index in self._by_unit.get(unit, ())}
        return float(sum(self.penalties[index] for index in sorted(met)
                         if sum(unit in column for unit in self.triples[index]) >= 2))

    def added(self, members: frozenset[int] | set[int], unit: int) -> float:
        """What joining ``unit`` to ``members`` (not holding it) adds: the cuts of which it is the second unit."""
        return float(sum(self.penalties[index] for index in self._by_unit.get(unit, ())
                         if sum(other in members for other in self.triples[index]) == 1))

    def penalties_of(self, columns: Sequence[frozenset[int]], n: int) -> np.ndarray:
        """:meth:`penalty` of every column, on sparse arrays (fast over hundreds of thousands of columns)."""
        if not self._by_unit or not columns:
            return np.zeros(len(columns))
        return cut_rows(self.triples, columns, n).T @ np.asarray(self.penalties, float)


def _incidence(columns: Sequence[frozenset[int]], n: int) -> sp.csr_matrix:
    """Columns by units, 0/1."""
    sizes = np.fromiter((len(column) for column in columns), np.int64, len(columns))
    members = np.fromiter(itertools.chain.from_iterable(columns), np.int64, int(sizes.sum()))
    return sp.csr_matrix((np.ones(len(members)), (np.repeat(np.arange(len(columns)), sizes), members)),
                         shape=(len(columns), n))


def cut_rows(triples: Sequence[tuple[int, int, int]], columns: Sequence[frozenset[int]], n: int) -> sp.csr_matrix:
    """The cuts' rows over ``columns``: 1 where a column holds two or more units of the cut's triple.

    Examples
    --------
    >>> cut_rows([(0, 1, 2)], [frozenset({0, 1}), frozenset({2}), frozenset({0, 1, 2})], 3).toarray().tolist()
    [[1.0, 0.0, 1.0]]
    """
    if not triples or not columns:
        return sp.csr_matrix((len(triples), len(columns)))
    membership = sp.csr_matrix((np.ones(3 * len(triples)), (np.asarray(triples).ravel(),
                                                            np.repeat(np.arange(len(triples)), 3))),
                               shape=(n, len(triples)))
    held = (_incidence(columns, n) @ membership).T.tocsr()
    held.data = (held.data >= 2).astype(float)
    held.eliminate_zeros()
    return held


def separate(columns: Sequence[frozenset[int]], x: np.ndarray, known: set[tuple[int, int, int]],
             most: int, violation: float = 1e-3) -> list[tuple[int, int, int]]:
    """The most violated subset-row cuts at the master's solution ``x`` (up to ``most``, none in ``known``).

    ``x`` covers each unit at most once. Only fractional groups can violate a cut (a group at one that holds two
    units of a triple leaves the others holding them at zero), and a violated triple has all three of its pairs
    together in fractional groups (with one pair never together, the left side is at most the cover of the unit
    in both other pairs); so the triples are found from the pairs of the fractional groups.

    Examples
    --------
    Three groups of two, each at one half, over the units 0, 1 and 2 (the odd cycle a cut removes):

    >>> columns = [frozenset({0, 1}), frozenset({1, 2}), frozenset({0, 2})]
    >>> separate(columns, np.array([0.5, 0.5, 0.5]), set(), 10)
    [(0, 1, 2)]
    """
    fractional = [k for k in range(len(columns)) if 1e-6 < x[k] < 1 - 1e-6]
    together: dict[tuple[int, int], float] = defaultdict(float)
    holding: dict[int, list[int]] = defaultdict(list)
    for k in fractional:
        for unit in columns[k]:
            holding[unit].append(k)
        for pair in itertools.combinations(sorted(columns[k]), 2):
            together[pair] += float(x[k])
    partners: dict[int, set[int]] = defaultdict(set)
    for a, b in together:
        partners[a].add(b)
    found = []
    for a in sorted(partners):
        for b in sorted(partners[a]):
            for c in sorted(partners[a] & partners.get(b, set())):
                triple = (a, b, c)
                if triple in known:
                    continue
                if together[a, b] + together[a, c] + together[b, c] <= 1 + violation:
                    continue  # the left side is at most the pairs' sum
                near = set(holding[a]) | set(holding[b]) | set(holding[c])
                left = sum(float(x[k]) for k in near if sum(unit in columns[k] for unit in triple) >= 2)
                if left > 1 + violation:
                    found.append((left, triple))
    found.sort(key=lambda item: (-item[0], item[1]))
    return [triple for _, triple in found[:most]]
