r"""Exact grouping of one piece by column generation: a set-partitioning master over connected groups.

Master problem over a pool :math:`\mathcal{G}` of feasible groups (connected on the adjacency layer,
inside the band, no cannot-link pair, within the diameter limit), each with its cost :math:`c_g` (the
same group-local score the heuristic uses: population-weighted distance to the best centre practice,
soft-band penalty, minus the relation weight kept inside):

.. math::

    z = \min \sum_{g} c_g \lambda_g \quad \text{s.t.} \quad
        \sum_{g \ni u} \lambda_g = 1 \ \ \forall u \ (\pi_u), \qquad
        \Big[\sum_g \lambda_g = K \ (\mu)\Big], \qquad \lambda \ge 0 .

Pricing, for each candidate centre practice :math:`c` (its unit :math:`r`), finds the group of least
reduced cost :math:`\sum_{u} (a_{uc} - \pi_u) x_u - \sum_{u<v} \rho_{uv} z_{uv} - \mu`, with
:math:`a_{uc}` the distance cost of unit :math:`u` to :math:`c`, a flow from :math:`r` keeping the group
connected, the band on :math:`\sum_u s_u x_u`, and cannot-link / diameter pairs excluded. A greedy
pricing runs first; the MIP pricing (HiGHS through :func:`scipy.optimize.milp`) runs when it finds
nothing. When a full MIP round finds no negative column, the master LP value is a proven lower bound;
before that, the Lagrangian bound :math:`z_{LP} + K_{\max} \min_c \underline{rc}_c` is. The best
grouping is the set-partitioning MIP over the pool, solved through :func:`solvers.base.solve`.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass

import networkx as nx
import numpy as np
import pulp
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from clusterkit.area import AreaProblem, distance_matrix
from clusterkit.results import Status
from clusterkit.state import State
from solvers.base import new_variable, solve
from solvers.partition import solve_set_partition

__all__ = ["ColumnGenerationResult", "solve_area_colgen"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ColumnGenerationResult:
    """Outcome for one piece."""

    unit_group: np.ndarray | None
    status: str
    objective: float | None
    bound: float | None
    columns: int
    rounds: int
    lp_converged: bool
    seconds: float


class _Pricer:
    """Group costs, feasibility checks and pricing for one piece."""

    def __init__(self, area: AreaProblem) -> None:
        self.area = area
        self.distance = distance_matrix(area.xy)
        self.state = State(area, np.zeros(len(area.units), np.int64), self.distance)
        self.n = len(area.units)
        self.unit_sizes = np.array([area.sizes[list(m)].sum() for m in area.units], dtype=float)
        self.unit_of = {i: u for u, members in enumerate(area.units) for i in members}
        hubs = set(area.hub_practice.values())
        self.centres = sorted(hubs) if hubs else list(range(len(area.codes)))
        scale = area.distance_weight / (area.distance_scale * area.population)
        self.assign_cost = np.zeros((self.n, len(area.codes)))
        for u, members in enumerate(area.units):
            index = np.array(members)
            self.assign_cost[u] = scale * (area.sizes[index] @ self.distance[index])
        self.cannot_units: list[set[int]] = [set() for _ in range(self.n)]
        for i, partners in enumerate(area.cannot):
            for j in partners:
                u, v = self.unit_of[i], self.unit_of[j]
                if u != v:
                    self.cannot_units[u].add(v)
        self.relation = area.relation
        self.relation_factor = (area.relation_weight / area.relation_total) if area.relation_weight and area.relation_total else 0.0
        self.hub_units = {self.unit_of[h] for h in hubs}
        self.lower = float(np.max(area.lower)) if len(area.lower) else 0.0
        self.graph = nx.Graph()
        self.graph.add_nodes_from(range(self.n))
        self.graph.add_edges_from((u, v) for u, ns in enumerate(area.unit_neighbours) for v in ns)
        self._unit_far: dict[int, np.ndarray] = {}

    # ------------------------------------------------------------------------ columns
    def cost(self, units: frozenset[int]) -> float | None:
        """Column cost, or None when the group breaks a hard rule."""
        violation, cost = self.state.evaluate(list(units))
        if violation > 1e-9:
            return None
        if self.area.contiguity and len(units) > 1 and not nx.is_connected(self.graph.subgraph(units)):
            return None
        if len(units & self.hub_units) != (1 if self.hub_units else len(units & self.hub_units)):
            return None
        if self.relation_factor:
            kept = sum(w for u in units for v, w in self.relation[u].items() if v in units and v > u)
            cost -= self.relation_factor * kept
        return cost

    def allowed(self, centre: int) -> np.ndarray:
        """Units that may join a group centred at practice ``centre``."""
        area = self.area
        ok = np.ones(self.n, dtype=bool)
        if area.max_diameter_km is not None:
            for u, members in enumerate(area.units):
                ok[u] = self.distance[list(members), centre].max() <= area.max_diameter_km
        root = self.unit_of[centre]
        for hub in self.hub_units:
            if hub != root:
                ok[hub] = False
        ok[root] = True
        return ok

    # ------------------------------------------------------------------------ pricing
    def greedy(self, centre: int, duals: np.ndarray, mu: float) -> list[tuple[float, frozenset[int]]]:
        """Grow from the centre's unit, adding the cheapest adjacent unit; keep negative columns seen."""
        area = self.area
        root = self.unit_of[centre]
        allowed = self.allowed(centre)
        value = self.assign_cost[:, centre] - duals
        members = {root}
        population = self.unit_sizes[root]
        upper = float(area.upper[centre])
        lower = float(area.lower[centre])
        found = []
        frontier = set(area.unit_neighbours[root]) if area.contiguity else set(range(self.n)) - {root}
        while True:
            best, best_value = None, math.inf
            for u in frontier:
                if u in members or not allowed[u] or population + self.unit_sizes[u] > upper:
                    continue
                if self.cannot_units[u] & members:
                    continue
                gain = value[u]
                if self.relation_factor:
                    gain -= self.relation_factor * sum(w for v, w in self.relation[u].items() if v in members)
                if gain < best_value:
                    best, best_value = u, gain
            if best is None:
                break
            members.add(best)
            population += self.unit_sizes[best]
            if area.contiguity:
                frontier.update(area.unit_neighbours[best])
            if population >= lower:
                column = frozenset(members)
                cost = self.cost(column)
                if cost is not None:
                    reduced = cost - float(duals[list(column)].sum()) - mu
                    if reduced < -1e-9:
                        found.append((reduced, column))
        return found

    def exact(self, centre: int, duals: np.ndarray, mu: float, time_limit: float) -> tuple[float, frozenset[int] | None]:
        """Least reduced cost of a group centred at ``centre`` (a proven lower bound) and its units.

        A small MIP over the units (band, cannot-link, diameter and relation terms), with contiguity
        imposed by cuts: every member other than the centre's unit needs a neighbour in the group, and
        each part found cut off from the centre gets a separator cut; re-solved until connected.
        """
        area = self.area
        deadline = time.perf_counter() + time_limit
        root = self.unit_of[centre]
        allowed = self.allowed(centre)
        units = [u for u in range(self.n) if allowed[u]]
        position = {u: k for k, u in enumerate(units)}
        m = len(units)
        relation_pairs = []
        if self.relation_factor:
            for u in units:
                for v, w in self.relation[u].items():
                    if v in position and v > u:
                        relation_pairs.append((position[u], position[v], w))
        soft = area.soft
        n_z = len(relation_pairs)
        n_s = 2 if soft else 0
        size = m + n_z + n_s
        c = np.zeros(size)
        c[:m] = self.assign_cost[units, centre] - duals[units]
        for k, (_, _, w) in enumerate(relation_pairs):
            c[m + k] = -self.relation_factor * w
        if soft:
            c[m + n_z:] = area.soft_penalty / area.population
        lower_bounds = np.zeros(size)
        upper_bounds = np.full(size, np.inf)
        upper_bounds[:m + n_z] = 1
        lower_bounds[position[root]] = 1
        integrality = np.zeros(size)
        integrality[:m] = 1
        rows: list[list[tuple[int, float]]] = []
        limits: list[tuple[float, float]] = []
        sizes = self.unit_sizes[units]
        band = [(k, float(sizes[k])) for k in range(m)]
        if soft:
            rows.append(band + [(m + n_z, 1.0)])
            limits.append((float(area.lower[centre]), np.inf))
            rows.append(band + [(m + n_z + 1, -1.0)])
            limits.append((-np.inf, float(area.upper[centre])))
        else:
            rows.append(band)
            limits.append((float(area.lower[centre]), float(area.upper[centre])))
        if area.contiguity:
            for u in units:
                if u != root:
                    rows.append([(position[u], 1.0)] + [(position[v], -1.0) for v in area.unit_neighbours[u]
                                                        if v in position])
                    limits.append((-np.inf, 0.0))
        for u in units:
            for v in self.cannot_units[u]:
                if v in position and v > u:
                    rows.append([(position[u], 1.0), (position[v], 1.0)])
                    limits.append((-np.inf, 1.0))
        if area.max_diameter_km is not None:
            for a in range(m):
                for b in range(a + 1, m):
                    far = self.distance[np.ix_(list(area.units[units[a]]), list(area.units[units[b]]))].max()
                    if far > area.max_diameter_km:
                        rows.append([(a, 1.0), (b, 1.0)])
                        limits.append((-np.inf, 1.0))
        for k, (a, b, _) in enumerate(relation_pairs):
            rows.append([(m + k, 1.0), (a, -1.0)])
            limits.append((-np.inf, 0.0))
            rows.append([(m + k, 1.0), (b, -1.0)])
            limits.append((-np.inf, 0.0))
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
            if not area.contiguity or len(chosen) == 1:
                return min(bound, result.fun) - mu, frozenset(chosen)
            parts = [part for part in nx.connected_components(self.graph.subgraph(chosen)) if root not in part]
            if not parts:
                return min(bound, result.fun) - mu, frozenset(chosen)
            if result.status != 0 or time.perf_counter() >= deadline:
                return (min(bound, result.fun) - mu if math.isfinite(bound) else -math.inf), None
            for part in parts:
                boundary = {v for u in part for v in area.unit_neighbours[u] if v in position} - set(part)
                for u in part:
                    rows.append([(position[u], 1.0)] + [(position[v], -1.0) for v in sorted(boundary)])
                    limits.append((-np.inf, 0.0))


def _master_lp(columns: list[frozenset[int]], costs: list[float], n: int, count: int | None, big: float = 0.0):
    """Master LP; with ``count``, two penalised slack columns keep it feasible before columns exist."""
    rows, cols = [], []
    for k, column in enumerate(columns):
        for u in column:
            rows.append(u)
            cols.append(k)
    a_eq = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(columns)))
    b_eq = np.ones(n)
    objective = np.array(costs)
    if count is not None:
        count_row = sp.csr_matrix(np.r_[np.ones(len(columns)), 1.0, -1.0].reshape(1, -1))
        a_eq = sp.vstack([sp.hstack([a_eq, sp.csr_matrix((n, 2))]), count_row]).tocsr()
        b_eq = np.append(b_eq, count)
        objective = np.r_[objective, big, big]
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    if result.status != 0:
        return None
    duals = np.asarray(result.eqlin.marginals)
    return float(result.fun), duals[:n], (float(duals[n]) if count is not None else 0.0), np.asarray(result.x)


def _generate(pricer: _Pricer, pool: dict[frozenset[int], float], count: int | None, max_groups: int,
              deadline: float, cutoff: float) -> tuple[float, bool, int, tuple | None]:
    """Column generation for one number of groups (or any, when ``count`` is None).

    Returns ``(bound, converged, rounds, duals)``: a proven lower bound on groupings with that count
    (``-inf`` if none), whether the LP was solved to optimality over all columns, rounds run, and when
    converged the LP's ``(value, unit duals, count dual)``.
    Stops early once the bound reaches ``cutoff`` (no better grouping has this count).
    """
    n = pricer.n
    big = 10.0 * max([abs(v) for v in pool.values()] + [1.0]) * max(1, n)
    artificial = [frozenset([u]) for u in range(n)]
    bound = -math.inf
    rounds = 0
    while time.perf_counter() < deadline:
        rounds += 1
        columns = list(pool)
        master = _master_lp(columns + artificial, [pool[c] for c in columns] + [big] * n, n, count, big)
        if master is None:
            return bound, False, rounds, None
        value, duals, mu, _ = master
        found: list[tuple[float, frozenset[int]]] = []
        for centre in pricer.centres:
            found.extend(pricer.greedy(centre, duals, mu))
        fresh = [(rc, c) for rc, c in sorted(found, key=lambda t: (t[0], sorted(t[1]))) if c not in pool]
        if fresh:
            for _, column in fresh[: max(10, n)]:
                pool[column] = pricer.cost(column)
            continue
        least, added = math.inf, 0
        order = sorted(pricer.centres,
                       key=lambda c: float(pricer.assign_cost[pricer.unit_of[c], c] - duals[pricer.unit_of[c]]))
        for centre in order:
            remaining = deadline - time.perf_counter()
            if remaining <= 0.2:
                return bound, False, rounds, None
            reduced, column = pricer.exact(centre, duals, mu, remaining)
            least = min(least, reduced)
            if column is not None and reduced < -1e-9 and column not in pool:
                cost = pricer.cost(column)
                if cost is not None:
                    pool[column] = cost
                    added += 1
        groups = count if count is not None else max_groups
        bound = max(bound, value + groups * min(0.0, least))
        if added == 0:
            return max(bound, value), True, rounds, (value, duals, mu)
        if bound >= cutoff:
            return bound, False, rounds, None
    return bound, False, rounds, None


def _enumerate(pricer: _Pricer, duals: np.ndarray, mu: float, slack: float, deadline: float,
               limit: int = 60_000) -> dict[frozenset[int], float] | None:
    """Every feasible group whose reduced cost is at most ``slack``, or None if time or ``limit`` runs out.

    With duals of the optimal master LP (value :math:`z_{LP}`) and a grouping of cost :math:`UB`, every
    group of a better grouping has reduced cost at most :math:`UB - z_{LP}`; so a set-partitioning MIP
    over the groups found here (and the pool) finds the optimum. For each centre, connected sets holding
    its unit are enumerated by including or excluding one frontier unit at a time, pruned when the
    band's upper bound is passed or when even the most favourable additions (a fractional knapsack
    over the units of negative value) cannot bring the reduced cost down to ``slack``.
    """
    area = pricer.area
    found: dict[frozenset[int], float] = {}
    sizes = pricer.unit_sizes
    nodes = 0
    for centre in pricer.centres:
        root = pricer.unit_of[centre]
        allowed = pricer.allowed(centre)
        value = pricer.assign_cost[:, centre] - duals
        upper, lower = float(area.upper[centre]), float(area.lower[centre])
        negative = sorted((u for u in range(pricer.n) if allowed[u] and value[u] < 0 and u != root),
                          key=lambda u: value[u] / max(sizes[u], 1.0))
        relation = pricer.relation_factor
        stack = [(frozenset([root]), float(sizes[root]), float(value[root]),
                  frozenset(v for v in area.unit_neighbours[root] if allowed[v]), frozenset())]
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
                if area.max_diameter_km is None or all(
                        pricer.distance[np.ix_(list(area.units[unit]), list(area.units[v]))].max()
                        <= area.max_diameter_km for v in members):
                    extra = frozenset(v for v in area.unit_neighbours[unit]
                                      if allowed[v] and v not in members and v not in excluded)
                    stack.append((members | {unit}, grown, total + float(value[unit]), rest | extra - {unit},
                                  excluded))
    log.debug("enumeration: %d nodes, %d columns", nodes, len(found))
    return found


def _counts(area: AreaProblem, pricer: _Pricer) -> list[int | None]:
    """Numbers of groups to branch on: each one the hard band allows (None: no branching)."""
    if pricer.hub_units:
        return [len(pricer.hub_units)]
    if area.count is not None:
        return [area.count]
    if area.soft:
        return [None]
    lower, upper = float(np.min(area.lower)), float(np.max(area.upper))
    fewest = max(1, math.ceil(area.population / upper))
    most = min(pricer.n, math.floor(area.population / lower)) if lower > 0 else pricer.n
    if most - fewest > 12:
        return [None]
    return list(range(fewest, most + 1))


def solve_area_colgen(
    area: AreaProblem,
    starts: list[np.ndarray],
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
    gap: float | None = None,
) -> ColumnGenerationResult:
    """Solve one piece by column generation, seeded with the groups of ``starts`` (groupings by unit).

    Branches on the number of groups: column generation runs for every count the band allows, the
    starts' count first; a count whose bound reaches the best grouping known is closed. The proven
    bound is the least bound over the counts still open.
    """
    started = time.perf_counter()
    tolerance = gap if gap is not None else DEFAULT_TOLERANCE
    pricer = _Pricer(area)
    n = pricer.n
    pool: dict[frozenset[int], float] = {}
    incumbent: tuple[float, np.ndarray] | None = None
    for start in starts:
        total, ok = 0.0, True
        for group in np.unique(start):
            column = frozenset(np.flatnonzero(start == group).tolist())
            cost = pricer.cost(column)
            if cost is None:
                ok = False
                continue
            pool[column] = cost
            total += cost
        if ok and (incumbent is None or total < incumbent[0]):
            incumbent = (total, start.copy())
    counts = _counts(area, pricer)
    if incumbent is not None and None not in counts:
        first = len(np.unique(incumbent[1]))
        counts.sort(key=lambda k: (abs(k - first), k))
    if None not in counts and len(counts) > 1:
        counts.insert(0, None)  # the LP over every count first: a bound whatever happens later
    max_groups = n if area.soft else max(1, int(area.population // max(float(np.min(area.lower)), 1.0)))
    bounds: dict[int | None, float] = {}
    enumerated_proof = False
    converged_all = True
    rounds = 0
    deadline = started + 0.85 * time_limit
    for position, count in enumerate(counts):
        if position > 0 and time.perf_counter() >= deadline:
            break  # out of time: the counts left open keep the bound at the all-counts LP's
        share = (deadline - time.perf_counter()) * (0.75 if count is None else 1.0 / (len(counts) - position))
        cutoff = incumbent[0] * (1 - tolerance) if incumbent is not None else math.inf
        bound, converged, used, lp = _generate(pricer, pool, count, max_groups,
                                               time.perf_counter() + max(share, 0.5), cutoff)
        rounds += used
        log.debug("count %s: bound %.6g converged %s after %.1fs (%d columns)", count, bound, converged,
                 time.perf_counter() - started, len(pool))
        bounds[count] = bound
        converged_all &= converged
        if position == 0 and lp is not None and incumbent is not None:
            value, duals, mu = lp
            # a better incumbent from the pool first: the smaller the slack, the fewer groups to enumerate
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            fixed = area.count if area.count is not None else (len(pricer.hub_units) or None)
            better, better_group = _best_partition(columns, [pool[c] for c in columns], n, fixed, solver,
                                                   max(1.0, min(10.0, 0.1 * time_limit)), incumbent)
            if better is not None and better < incumbent[0] - 1e-12:
                incumbent = (better, better_group)
            # Only groupings below target = incumbent x (1 - tolerance) need to be found or ruled out: every
            # group of such a grouping has reduced cost at most target - LP value. Enumerate in two steps:
            # half that slack first (few groups; the partition over them usually finds a better incumbent,
            # which shrinks the target), then the slack the improved incumbent needs.
            fixed = area.count if area.count is not None else (len(pricer.hub_units) or None)
            slack = max(0.0, _target(incumbent[0], tolerance) - value) / 2.0
            for step in (1, 2):
                enumerated = _enumerate(pricer, duals, mu, slack, deadline)
                log.info("enumeration step %d, slack %.4g (incumbent %.6g): %s groups after %.1fs", step, slack,
                         incumbent[0], None if enumerated is None else len(enumerated), time.perf_counter() - started)
                if enumerated is None:
                    break
                pool.update(enumerated)
                columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
                remaining = max(2.0, time_limit - (time.perf_counter() - started))
                objective, unit_group, proof = _partition(columns, [pool[c] for c in columns], n, fixed, solver,
                                                          remaining, incumbent, gap=tolerance)
                if objective is not None and objective < incumbent[0] - 1e-12:
                    incumbent = (objective, unit_group)
                if proof is None or proof.bound is None:
                    break
                # a grouping cheaper than value + slack is made of enumerated groups only: it is in the
                # partition model, whose bound holds for it; so value + slack bounds the rest
                proven = min(proof.bound, value + slack, incumbent[0])
                bounds[None] = max(bounds.get(None, -math.inf), proven)
                needed = max(0.0, _target(incumbent[0], tolerance) - value)
                if incumbent[0] - proven <= tolerance * abs(incumbent[0]) + 1e-12 or slack >= needed - 1e-12:
                    counts = [None]
                    enumerated_proof = True
                    break
                slack = needed
            if enumerated_proof:
                break
        # a better grouping with this count may now be in the pool
        if count is not None and bound < cutoff:
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            value, unit_group = _best_partition(columns, [pool[c] for c in columns], n, count, solver,
                                                max(1.0, min(5.0, deadline - time.perf_counter())), None)
            if value is not None and (incumbent is None or value < incumbent[0] - 1e-12):
                incumbent = (value, unit_group)
    if enumerated_proof:
        objective, unit_group = incumbent
    else:
        remaining = max(2.0, time_limit - (time.perf_counter() - started))
        columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
        fixed = area.count if area.count is not None else (len(pricer.hub_units) or None)
        objective, unit_group = _best_partition(columns, [pool[c] for c in columns], n, fixed, solver, remaining,
                                                incumbent)
        if incumbent is not None and (objective is None or incumbent[0] < objective - 1e-12):
            objective, unit_group = incumbent
    branches = [value for count, value in bounds.items() if count is not None]
    branched = min(branches) if branches and len(branches) == len(counts) - (None in counts) else -math.inf
    bound = max(bounds.get(None, -math.inf), branched) if bounds else -math.inf
    seconds = time.perf_counter() - started
    # columns leave out the constant part of the relation term (relations inside must-link units)
    offset = 0.0
    if pricer.relation_factor:
        between = sum(sum(neighbours.values()) for neighbours in area.relation) / 2.0
        offset = area.relation_weight * (1.0 - (area.relation_total - between) / area.relation_total)
    if objective is not None:
        objective += offset
    if bound != -math.inf:
        bound += offset
    valid_bound = None if bound == -math.inf else min(bound, objective) if objective is not None else bound
    if objective is None:
        return ColumnGenerationResult(None, Status.NO_SOLUTION, None, valid_bound, len(pool), rounds, converged_all, seconds)
    relative = None if valid_bound is None else (objective - valid_bound) / max(abs(objective), 1e-9)
    status = Status.OPTIMAL if relative is not None and relative <= tolerance + 1e-9 else Status.FEASIBLE
    return ColumnGenerationResult(unit_group, status, objective, valid_bound, len(pool), rounds, converged_all,
                                  seconds)


#: Relative gap proven when none is asked for (HiGHS's default mip_rel_gap).
DEFAULT_TOLERANCE = 1e-4


def _target(incumbent: float, tolerance: float) -> float:
    """The value below which a grouping must be found or ruled out to prove a gap of ``tolerance``.

    At the default tolerance (1e-4, the solver's own) the incumbent itself, so that a proof is a full one.
    """
    if tolerance <= DEFAULT_TOLERANCE or incumbent <= 0:
        return incumbent
    return incumbent * (1 - tolerance)


def _best_partition(columns, costs, n, count, solver, time_limit, incumbent):
    """Set-partitioning MIP over the pool (warm-started from the incumbent): ``(objective, unit_group)``."""
    return _partition(columns, costs, n, count, solver, time_limit, incumbent)[:2]


def _partition(columns, costs, n, count, solver, time_limit, incumbent, gap=None):
    if not columns:
        return None, None, None
    if solver == "highs":
        return _partition_highs(columns, costs, n, count, time_limit, incumbent, gap)
    model = pulp.LpProblem("partition", pulp.LpMinimize)
    pick = [new_variable(model, f"g_{k}", 0, 1, pulp.LpBinary) for k in range(len(columns))]
    model += pulp.lpSum(cost * var for cost, var in zip(costs, pick))
    covering: list[list[pulp.LpVariable]] = [[] for _ in range(n)]
    for var, column in zip(pick, columns):
        for u in column:
            covering[u].append(var)
    for u in range(n):
        if not covering[u]:
            return None, None, None
        model += pulp.lpSum(covering[u]) == 1, f"cover_{u}"
    if count is not None:
        model += pulp.lpSum(pick) == count, "count"
    warm = False
    if incumbent is not None:
        chosen = {frozenset(np.flatnonzero(incumbent[1] == g).tolist()) for g in np.unique(incumbent[1])}
        for var, column in zip(pick, columns):
            var.setInitialValue(1 if column in chosen else 0)
        warm = True
    result = solve(model, solver, time_limit=time_limit, warm_start=warm, gap=gap)
    if not result.has_solution:
        return None, None, None
    unit_group = np.full(n, -1, dtype=np.int64)
    number = 0
    for var, column in zip(pick, columns):
        if (var.varValue or 0) > 0.5:
            for u in column:
                unit_group[u] = number
            number += 1
    if (unit_group < 0).any():
        return None, None, None
    return float(sum(cost for cost, var in zip(costs, pick) if (var.varValue or 0) > 0.5)), unit_group, result


def _partition_highs(columns, costs, n, count, time_limit, incumbent, gap):
    """:func:`_partition` with the model passed to HiGHS as one sparse matrix (fast to build when large)."""
    start = None
    if incumbent is not None:
        chosen = {frozenset(np.flatnonzero(incumbent[1] == g).tolist()) for g in np.unique(incumbent[1])}
        start = [k for k, column in enumerate(columns) if column in chosen]
        if len(start) != len(chosen):
            start = None
    result, picked = solve_set_partition(columns, costs, n, count=count, time_limit=time_limit, gap=gap, start=start)
    if picked is None:
        return None, None, None
    unit_group = np.full(n, -1, dtype=np.int64)
    for number, k in enumerate(picked):
        unit_group[list(columns[k])] = number
    if (unit_group < 0).any():
        return None, None, None
    return float(sum(costs[k] for k in picked)), unit_group, result
