r"""Pricing of column generation: the group of least reduced cost around each candidate centre.

For a candidate centre practice :math:`c` (its unit :math:`r`), the least reduced cost
:math:`\sum_{u} (a_{uc} - \pi_u) x_u - \sum_{u<v} \rho_{uv} z_{uv} - \mu` of a group holding :math:`r`, with
:math:`a_{uc}` the distance cost of unit :math:`u` to :math:`c`, the group connected (cuts from the centre),
the band on :math:`\sum_u s_u x_u` (the piece's loosest band: a relaxation), cannot-link and diameter pairs
excluded. A greedy pricing grows groups first; the MIP pricing (HiGHS through :func:`scipy.optimize.milp`)
proves the least value when the greedy finds nothing. Every column found is judged by the one group score.
"""

from __future__ import annotations

import itertools
import math
import time

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.band import band_hull
from clusterkit.problem.score import GroupScorer, components
from solvers.grouping.cuts import RowCuts
from solvers.grouping.fixing import reach_populations, unit_graph

__all__ = ["Pricer"]


class Pricer:
    """Group costs, feasibility checks and pricing for one piece."""

    def __init__(self, piece: PieceProblem) -> None:
        self.piece = piece
        self.scorer = GroupScorer(piece)
        self.distance = self.scorer.distance
        self.n = len(piece.units)
        self.unit_sizes = self.scorer.unit_sizes.astype(float)
        self.unit_of = {i: u for u, members in enumerate(piece.units) for i in members}
        hubs = set(piece.hub_practice.values())
        self.centres = sorted(hubs) if hubs else list(range(len(piece.codes)))
        self.assign_cost = self.scorer.unit_centre_costs
        self.cannot_units: list[set[int]] = [set() for _ in range(self.n)]
        for i, partners in enumerate(piece.cannot):
            for j in partners:
                u, v = self.unit_of[i], self.unit_of[j]
                if u != v:
                    self.cannot_units[u].add(v)
        self.relation = piece.relation
        self.relation_factor = self.scorer.relation_factor
        self.hub_units = {self.unit_of[h] for h in hubs}
        # The pricing does not know a group's members before it builds it, so it prices against the loosest
        # band of the piece (a relaxation: its bounds stay valid); each column is then judged by the one
        # group score, whose band rule is the group's main sub-ICB (clusterkit.problem.band).
        self.lower, self.upper = band_hull(piece)
        self.adjacency = unit_graph(piece.unit_neighbours)
        self._allowed: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------------ columns
    def cost(self, units: frozenset[int]) -> float | None:
        """Column cost, or None when the group breaks a hard rule (the one group score's column cost)."""
        return self.scorer.column_cost(units)

    def allowed(self, centre: int) -> np.ndarray:
        """Units that may join a group centred at practice ``centre`` (a read-only mask, computed once).

        Not a unit beyond the diameter limit, nor another hub's, nor, with contiguity and a hard upper bound,
        one that no path from the centre reaches without passing it (the reach filter,
        :mod:`solvers.grouping.fixing`).
        """
        if centre not in self._allowed:
            ok = self._allowed_units(centre)
            ok.flags.writeable = False
            self._allowed[centre] = ok
        return self._allowed[centre]

    def _allowed_units(self, centre: int) -> np.ndarray:
        piece = self.piece
        ok = np.ones(self.n, dtype=bool)
        if piece.max_diameter_km is not None:
            for u, members in enumerate(piece.units):
                ok[u] = self.distance[list(members), centre].max() <= piece.max_diameter_km
        root = self.unit_of[centre]
        for hub in self.hub_units:
            if hub != root:
                ok[hub] = False
        ok[root] = True
        if piece.contiguity and not (piece.soft or piece.soft_above):
            ok &= reach_populations(self.adjacency, self.unit_sizes, root, ok) <= self.upper + 1e-6
        return ok

    # ------------------------------------------------------------------------ pricing
    def greedy(self, centre: int, duals: np.ndarray, mu: float,
               cuts: RowCuts | None = None) -> list[tuple[float, frozenset[int]]]:
        """Grow from the centre's unit, adding the cheapest adjacent unit; keep negative columns seen.

        ``cuts``: the master's subset-row cuts, whose penalties count in the reduced cost.
        """
        piece = self.piece
        root = self.unit_of[centre]
        allowed = self.allowed(centre)
        value = self.assign_cost[:, centre] - duals
        members = {root}
        population = self.unit_sizes[root]
        upper, lower = self.upper, self.lower
        found = []
        frontier = set(piece.unit_neighbours[root]) if piece.contiguity else set(range(self.n)) - {root}
        while True:
            best, best_value = None, math.inf
            for u in frontier:
                if u in members or not allowed[u] or population + self.unit_sizes[u] > upper:
                    continue
                if self.cannot_units[u] & members:
                    continue
                gain = value[u]
                if cuts:
                    gain += cuts.added(members, u)
                if self.relation_factor:
                    gain -= self.relation_factor * sum(w for v, w in self.relation[u].items() if v in members)
                if gain < best_value:
                    best, best_value = u, gain
            if best is None:
                break
            members.add(best)
            population += self.unit_sizes[best]
            if piece.contiguity:
                frontier.update(piece.unit_neighbours[best])
            if population >= lower:
                column = frozenset(members)
                cost = self.cost(column)
                if cost is not None:
                    reduced = cost - float(duals[list(column)].sum()) - mu
                    if cuts:
                        reduced += cuts.penalty(column)
                    if reduced < -1e-9:
                        found.append((reduced, column))
        return found

    def exact(self, centre: int, duals: np.ndarray, mu: float, time_limit: float,
              free: np.ndarray | None = None, cuts: RowCuts | None = None) -> tuple[float, frozenset[int] | None]:
        """Least reduced cost of a group centred at ``centre`` (a proven lower bound) and its units.

        ``free``: the units such a group may hold (default :meth:`allowed`; fewer once pairs are fixed, when
        the value is a bound over the groups that avoid the fixed pairs). ``cuts``: the master's subset-row cuts;
        a variable per binding cut that the group meets, at least :math:`x_a + x_b - 1` for each pair of its
        units, carries its penalty.

        A small MIP over the units (band, cannot-link, diameter and relation terms), with contiguity
        imposed by cuts: every member other than the centre's unit needs a neighbour in the group, and
        each part found cut off from the centre gets a separator cut; re-solved until connected.
        """
        piece = self.piece
        deadline = time.perf_counter() + time_limit
        root = self.unit_of[centre]
        if piece.max_diameter_km is not None:  # a unit wider than the limit fits in no group
            members = list(piece.units[root])
            if len(members) > 1 and self.distance[np.ix_(members, members)].max() > piece.max_diameter_km:
                return math.inf, None
        allowed = self.allowed(centre) if free is None else free
        if not allowed[root]:
            return math.inf, None
        units = [u for u in range(self.n) if allowed[u]]
        position = {u: k for k, u in enumerate(units)}
        m = len(units)
        relation_pairs = []
        if self.relation_factor:
            for u in units:
                for v, w in self.relation[u].items():
                    if v in position and v > u:
                        relation_pairs.append((position[u], position[v], w))
        soft = piece.soft or piece.soft_above
        n_z = len(relation_pairs)
        n_s = 2 if soft else 0
        met = []  # (penalty, positions of its units among the free ones) of each binding cut two of them can meet
        if cuts:
            for index in sorted({index for u in units for index in cuts.of_unit(u)}):
                inside = [position[u] for u in cuts.triples[index] if u in position]
                if len(inside) >= 2:
                    met.append((float(cuts.penalties[index]), inside))
        size = m + n_z + n_s + len(met)
        c = np.zeros(size)
        c[:m] = self.assign_cost[units, centre] - duals[units]
        for k, (_, _, w) in enumerate(relation_pairs):
            c[m + k] = -self.relation_factor * w
        if soft:
            c[m + n_z:m + n_z + n_s] = piece.soft_penalty / piece.population
        for k, (penalty, _) in enumerate(met):
            c[m + n_z + n_s + k] = penalty
        lower_bounds = np.zeros(size)
        upper_bounds = np.full(size, np.inf)
        upper_bounds[:m + n_z] = 1
        upper_bounds[m + n_z + n_s:] = 1
        lower_bounds[position[root]] = 1
        if piece.soft_above:
            upper_bounds[m + n_z] = 0.0  # no slack below: the lower bound stays hard
        integrality = np.zeros(size)
        integrality[:m] = 1
        rows: list[list[tuple[int, float]]] = []
        limits: list[tuple[float, float]] = []
        sizes = self.unit_sizes[units]
        band = [(k, float(sizes[k])) for k in range(m)]
        if soft:
            rows.append(band + [(m + n_z, 1.0)])
            limits.append((self.lower, np.inf))
            rows.append(band + [(m + n_z + 1, -1.0)])
            limits.append((-np.inf, self.upper))
        else:
            rows.append(band)
            limits.append((self.lower, self.upper))
        if piece.contiguity:
            for u in units:
                if u != root:
                    rows.append([(position[u], 1.0)] + [(position[v], -1.0) for v in piece.unit_neighbours[u]
                                                        if v in position])
                    limits.append((-np.inf, 0.0))
        for u in units:
            for v in self.cannot_units[u]:
                if v in position and v > u:
                    rows.append([(position[u], 1.0), (position[v], 1.0)])
                    limits.append((-np.inf, 1.0))
        if piece.max_diameter_km is not None:
            for a in range(m):
                for b in range(a + 1, m):
                    far = self.distance[np.ix_(list(piece.units[units[a]]), list(piece.units[units[b]]))].max()
                    if far > piece.max_diameter_km:
                        rows.append([(a, 1.0), (b, 1.0)])
                        limits.append((-np.inf, 1.0))
        for k, (a, b, _) in enumerate(relation_pairs):
            rows.append([(m + k, 1.0), (a, -1.0)])
            limits.append((-np.inf, 0.0))
            rows.append([(m + k, 1.0), (b, -1.0)])
            limits.append((-np.inf, 0.0))
        for k, (_, inside) in enumerate(met):
            for a, b in itertools.combinations(inside, 2):
                rows.append([(a, 1.0), (b, 1.0), (m + n_z + n_s + k, -1.0)])
                limits.append((-np.inf, 1.0))
        while True:
            matrix = sp.csr_matrix(
                ([value for row in rows for _, value in row],
                 ([r for r, row in enumerate(rows) for _ in row], [col for row in rows for col, _ in row])),
                shape=(len(rows), size))
            low = np.array([limit[0] for limit in limits])
            high = np.array([limit[1] for limit in limits])
            remaining = deadline - time.perf_counter()
            result = milp(c, integrality=integrality, bounds=Bounds(lower_bounds, upper_bounds),
                          constraints=LinearConstraint(matrix, low, high),
                          options={"time_limit": max(0.2, remaining), "disp": False})
            bound = getattr(result, "mip_dual_bound", None)
            if result.x is None:
                if result.status == 2:  # infeasible: no group can be centred here
                    return math.inf, None
                return (bound - mu if bound is not None and math.isfinite(bound) else -math.inf), None
            if bound is None or not math.isfinite(bound):
                bound = result.fun if result.status == 0 else -math.inf
            chosen = [units[k] for k in range(m) if result.x[k] > 0.5]
            if not piece.contiguity or len(chosen) == 1:
                return min(bound, result.fun) - mu, frozenset(chosen)
            parts = [part for part in components(piece.unit_neighbours, chosen) if root not in part]
            if not parts:
                return min(bound, result.fun) - mu, frozenset(chosen)
            if result.status != 0 or time.perf_counter() >= deadline:
                return (min(bound, result.fun) - mu if math.isfinite(bound) else -math.inf), None
            for part in parts:
                boundary = {v for u in part for v in piece.unit_neighbours[u] if v in position} - set(part)
                for u in part:
                    rows.append([(position[u], 1.0)] + [(position[v], -1.0) for v in sorted(boundary)])
                    limits.append((-np.inf, 0.0))
