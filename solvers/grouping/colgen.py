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
grouping is the set-partitioning MIP over the pool (:func:`solvers.partition.solve_set_partition`).
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from clusterkit.problem.piece import PieceProblem
from clusterkit.results import Status
from solvers.grouping.enumeration import enumerate_columns
from solvers.grouping.fixing import centre_bounds, free_units
from solvers.grouping.pricing import Pricer
from solvers.door import get_solver
from solvers.partition import solve_set_partition


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
    lp_bound: float | None = None
    fixed_share: float | None = None
    seconds_lp: float | None = None


#: ``report(phase, incumbent, bound)``: where the run of a piece is (objective units of the piece).
Report = Callable[[str, "float | None", "float | None"], None]


class Watch:
    """The best incumbent and bound of a piece as the run goes; tells ``report`` on a change of phase or value.

    The incumbent only falls and the bound only rises (a bound from a later step that is weaker is not
    shown), so the gap a caller sees never grows. ``offset`` is added to both (the constant relation term).
    """

    def __init__(self, report: Report | None, offset: float = 0.0) -> None:
        self.report, self.offset = report, offset
        self.incumbent: float | None = None
        self.bound: float | None = None
        self.phase = ""

    def tell(self, phase: str, incumbent: float | None = None, bound: float | None = None) -> None:
        """Record ``incumbent`` and ``bound`` (piece objective without offset) and report if anything changed."""
        changed = phase != self.phase
        if incumbent is not None and (self.incumbent is None or incumbent < self.incumbent - 1e-12):
            self.incumbent, changed = incumbent, True
        if bound is not None and math.isfinite(bound) and (self.bound is None or bound > self.bound + 1e-12):
            self.bound, changed = bound, True
        if self.incumbent is not None and self.bound is not None and self.bound > self.incumbent:
            self.bound = self.incumbent
        self.phase = phase
        if changed and self.report is not None:
            shift = self.offset
            self.report(phase, None if self.incumbent is None else self.incumbent + shift,
                        None if self.bound is None else self.bound + shift)


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


#: An exact round stops once it has added a 1/PARTIAL_PRICING share of the units in columns (the LP is re-solved
#: sooner; only a full round gives a Lagrangian bound, and the last round, which finds nothing, is always full).
PARTIAL_PRICING = 4


def _generate(pricer: Pricer, pool: dict[frozenset[int], float], count: int | None, max_groups: int,
              deadline: float, cutoff: float, watch: Watch | None = None) -> tuple[float, bool, int, tuple | None]:
    """Column generation for one number of groups (or any, when ``count`` is None).

    Returns ``(bound, converged, rounds, duals)``: a proven lower bound on groupings with that count
    (``-inf`` if none), whether the LP was solved to optimality over all columns, rounds run, and when
    converged the LP's ``(value, unit duals, count dual)``.
    Stops early once the bound reaches ``cutoff`` (no better grouping has this count).

    Exact rounds price with the pairs whose reduced-cost bound is not negative left out
    (:func:`solvers.grouping.fixing.centre_bounds`): only negative columns are wanted, and the bound holds.
    """
    n = pricer.n
    big = 10.0 * max([abs(v) for v in pool.values()] + [1.0]) * max(1, n)
    artificial = [frozenset([u]) for u in range(n)]
    bound = -math.inf
    rounds = 0
    groups = count if count is not None else max_groups
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
        for position, centre in enumerate(order):
            if added >= max(10, n // PARTIAL_PRICING):  # enough for the next LP: this round proves no bound
                least = -math.inf
                break
            remaining = deadline - time.perf_counter()
            if remaining <= 0.2:
                return bound, False, rounds, None
            # only a group of negative reduced cost is wanted: a unit whose pair bound is not negative can stay
            # out of the pricing, and a centre whose own bound is not negative needs none (its bound holds)
            pairs = centre_bounds(pricer, centre, duals, mu)
            if pairs[pricer.unit_of[centre]] >= 0.0:
                least = min(least, float(pairs[pricer.unit_of[centre]]))
                continue
            reduced, column = pricer.exact(centre, duals, mu, remaining, free=pairs < 1e-9)
            least = min(least, reduced)
            if column is not None and reduced < -1e-9 and column not in pool:
                cost = pricer.cost(column)
                if cost is not None:
                    pool[column] = cost
                    added += 1
        bound = max(bound, value + groups * min(0.0, least))  # the Lagrangian bound (-inf after a partial round)
        if watch is not None and count is None:  # a count's bound holds for that count only
            watch.tell("column generation", bound=max(bound, value) if added == 0 else bound)
        if added == 0:
            return max(bound, value), True, rounds, (value, duals, mu)
        if bound >= cutoff:
            return bound, False, rounds, None
    return bound, False, rounds, None


def _counts(piece: PieceProblem, pricer: Pricer) -> list[int | None]:
    """Numbers of groups to branch on: each one the hard band allows (None: no branching)."""
    if pricer.hub_units:
        return [len(pricer.hub_units)]
    if piece.count is not None:
        return [piece.count]
    if piece.soft or piece.soft_above:
        return [None]
    lower, upper = float(np.min(piece.lower)), float(np.max(piece.upper))
    fewest = max(1, math.ceil(piece.population / upper))
    most = min(pricer.n, math.floor(piece.population / lower)) if lower > 0 else pricer.n
    if most - fewest > 12:
        return [None]
    return list(range(fewest, most + 1))


def solve_piece_colgen(
    piece: PieceProblem,
    starts: list[np.ndarray],
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
    gap: float | None = None,
    report: Report | None = None,
) -> ColumnGenerationResult:
    """Solve one piece by column generation, seeded with the groups of ``starts`` (groupings by unit).

    Branches on the number of groups: column generation runs for every count the band allows, the
    starts' count first; a count whose bound reaches the best grouping known is closed. The proven
    bound is the least bound over the counts still open. ``report(phase, incumbent, bound)`` hears the
    phases (``column generation``, ``enumeration``, ``partition``) and every better incumbent or bound.
    """
    started = time.perf_counter()
    tolerance = gap if gap is not None else DEFAULT_TOLERANCE
    pricer = Pricer(piece)
    # columns leave out the constant part of the relation term (relations inside must-link units)
    offset = 0.0
    if pricer.relation_factor:
        between = sum(sum(neighbours.values()) for neighbours in piece.relation) / 2.0
        offset = piece.relation_weight * (1.0 - (piece.relation_total - between) / piece.relation_total)
    watch = Watch(report, offset)
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
    watch.tell("column generation", incumbent=None if incumbent is None else incumbent[0])
    counts = _counts(piece, pricer)
    if incumbent is not None and None not in counts:
        first = len(np.unique(incumbent[1]))
        counts.sort(key=lambda k: (abs(k - first), k))
    if None not in counts and len(counts) > 1:
        counts.insert(0, None)  # the LP over every count first: a bound whatever happens later
    max_groups = n if piece.soft else max(1, int(piece.population // max(float(np.min(piece.lower)), 1.0)))
    bounds: dict[int | None, float] = {}
    enumerated_proof = False
    converged_all = True
    rounds = 0
    fixing: dict[str, float] = {}
    end = started + time_limit  # the limit is a limit: every step below gets at most what is left of it

    def left(columns: int = 0) -> float:
        """What is left of the limit, less the time to write a partition model of ``columns`` columns."""
        return max(0.05, end - time.perf_counter() - (0.5 + 5e-5 * columns if columns else 0.0))

    deadline = started + 0.85 * time_limit  # the generation and the proof; the rest for the final partition
    first_lp = None
    for position, count in enumerate(counts):
        if position > 0 and time.perf_counter() >= deadline:
            break  # out of time: the counts left open keep the bound at the all-counts LP's
        # the all-counts LP leaves a quarter for the counts after it (all its time when it is the only one)
        share = (deadline - time.perf_counter()) * ((0.75 if len(counts) > 1 else 1.0) if count is None
                                                    else 1.0 / (len(counts) - position))
        cutoff = incumbent[0] * (1 - tolerance) if incumbent is not None else math.inf
        bound, converged, used, lp = _generate(pricer, pool, count, max_groups,
                                               time.perf_counter() + max(share, 0.5), cutoff, watch)
        rounds += used
        log.debug("count %s: bound %.6g converged %s after %.1fs (%d columns)", count, bound, converged,
                 time.perf_counter() - started, len(pool))
        bounds[count] = bound
        converged_all &= converged
        if position == 0 and lp is not None:
            value, duals, mu = lp
            # a better incumbent from the pool first (or a first one, when no start was feasible): the smaller
            # the slack, the fewer groups to enumerate
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
            better, better_group = _best_partition(columns, [pool[c] for c in columns], n, fixed, solver,
                                                   min(left(), max(1.0, min(10.0, 0.1 * time_limit))), incumbent)
            if better is not None and (incumbent is None or better < incumbent[0] - 1e-12):
                incumbent = (better, better_group)
            if incumbent is not None and POLISH_SECONDS * n < POLISH_SHARE * time_limit and left() > 0.5 * time_limit:
                incumbent = _polish(pricer, pool, incumbent, solver)
            watch.tell("column generation", incumbent=None if incumbent is None else incumbent[0])
        if position == 0 and lp is not None:
            first_lp = lp
            fixing["lp_bound"], fixing["seconds_lp"] = lp[0], time.perf_counter() - started
            if incumbent is not None:
                incumbent, enumerated_proof = _prove(pricer, pool, lp, incumbent, tolerance, solver, deadline,
                                                     left, bounds, watch, fixing)
                if enumerated_proof:
                    counts = [None]
                    break
        # a better grouping with this count may now be in the pool
        if count is not None and bound < cutoff:
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            value, unit_group = _best_partition(columns, [pool[c] for c in columns], n, count, solver,
                                                min(left(), max(1.0, min(5.0, deadline - time.perf_counter()))),
                                                None)
            if value is not None and (incumbent is None or value < incumbent[0] - 1e-12):
                incumbent = (value, unit_group)
                watch.tell("partition", incumbent=value)
    if (not enumerated_proof and first_lp is not None and incumbent is not None and time.perf_counter() < deadline
            and "fixed_share" not in fixing):
        # no start was feasible: the incumbent came from the counts' partitions; prove it now
        incumbent, enumerated_proof = _prove(pricer, pool, first_lp, incumbent, tolerance, solver, deadline,
                                             left, bounds, watch, fixing)
        if enumerated_proof:
            counts = [None]
    if enumerated_proof or (incumbent is not None and fixing.get("partitioned") == len(pool)):
        objective, unit_group = incumbent  # proven, or the pool has been partitioned as it is
    else:
        watch.tell("partition")
        columns = _final_columns(pool, first_lp, incumbent)
        remaining = left(len(columns))
        fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
        objective, unit_group = _best_partition(columns, [pool[c] for c in columns], n, fixed, solver, remaining,
                                                incumbent)
        if incumbent is not None and (objective is None or incumbent[0] < objective - 1e-12):
            objective, unit_group = incumbent
    branches = [value for count, value in bounds.items() if count is not None]
    branched = min(branches) if branches and len(branches) == len(counts) - (None in counts) else -math.inf
    bound = max(bounds.get(None, -math.inf), branched) if bounds else -math.inf
    seconds = time.perf_counter() - started
    if objective is not None:
        objective += offset
    if bound != -math.inf:
        bound += offset
    valid_bound = None if bound == -math.inf else min(bound, objective) if objective is not None else bound
    lp_bound = fixing.get("lp_bound")
    details = dict(lp_bound=None if lp_bound is None else lp_bound + offset, fixed_share=fixing.get("fixed_share"),
                   seconds_lp=fixing.get("seconds_lp"))
    if objective is None:
        return ColumnGenerationResult(None, Status.NO_SOLUTION, None, valid_bound, len(pool), rounds, converged_all,
                                      seconds, **details)
    relative = None if valid_bound is None else (objective - valid_bound) / max(abs(objective), 1e-9)
    status = Status.OPTIMAL if relative is not None and relative <= tolerance + 1e-9 else Status.FEASIBLE
    return ColumnGenerationResult(unit_group, status, objective, valid_bound, len(pool), rounds, converged_all,
                                  seconds, **details)


def _prove(pricer: Pricer, pool: dict[frozenset[int], float], lp: tuple, incumbent: tuple[float, np.ndarray],
           tolerance: float, solver: str, deadline: float, left: Callable[[], float],
           bounds: dict[int | None, float], watch: Watch,
           fixing: dict[str, float]) -> tuple[tuple[float, np.ndarray], bool]:
    """Prove ``incumbent`` within ``tolerance`` by enumeration over the LP's duals (or improve it).

    Only groupings below target = incumbent x (1 - tolerance) need to be found or ruled out: every group of
    such a grouping has reduced cost at most the *needed* slack, target - LP value. The enumeration of every
    group within a slack s (with the pairs fixed at s left out, :mod:`solvers.grouping.fixing`) followed by
    the partition over the pool proves the bound min(partition bound, LP value + s), and usually finds a
    better incumbent, which shrinks the needed slack. So: 1/:data:`FIRST_SLACK` of the needed slack first
    (few groups, a quick partition, often a better incumbent); after a complete
    step, on towards the needed slack (doubling); after a step that passes its limit of groups, the same
    slack with twice the limit while time allows (:data:`ENUMERATION_LIMIT`), else halfway back towards the
    last complete one; until proven, out of time or the steps are too fine to gain.
    Raises ``bounds[None]`` (the all-counts bound) to what it proves; records the share of (centre, unit)
    pairs fixed in ``fixing["fixed_share"]`` and the size of the pool last partitioned to optimality in
    ``fixing["partitioned"]``; returns the incumbent and whether it is proven.
    """
    piece = pricer.piece
    value, duals, mu = lp
    fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
    needed = max(0.0, _target(incumbent[0], tolerance) - value)
    slack, complete, failed = needed / FIRST_SLACK, 0.0, math.inf
    pairs = len(pricer.centres) * pricer.n
    limit = ENUMERATION_LIMIT
    # (slack, groups within it) of the complete steps, from the LP's own basis (groups of reduced cost 0)
    grown = [(0.0, max(1, sum(1 for c, cost in pool.items() if cost - float(duals[list(c)].sum()) - mu <= 1e-9)))]
    for step in itertools.count(1):
        if time.perf_counter() >= deadline - 0.5:
            break
        watch.tell("enumeration")
        free = {centre: free_units(pricer, centre, duals, mu, slack) for centre in pricer.centres}
        fixing["fixed_share"] = 1.0 - sum(int(mask.sum()) for mask in free.values()) / max(1, pairs)
        began = time.perf_counter()
        enumerated = enumerate_columns(pricer, duals, mu, slack, deadline, limit=limit, free=free)
        log.info("enumeration step %d, slack %.4g of %.4g needed (incumbent %.6g), %.1f%% of pairs fixed: %s groups",
                 step, slack, needed, incumbent[0], 100 * fixing["fixed_share"],
                 None if enumerated is None else len(enumerated))
        if enumerated is None and limit < ENUMERATION_MOST and 6 * (time.perf_counter() - began) < deadline - began:
            limit *= 2  # past the limit with time to spare: the same slack, twice the groups
            continue
        if enumerated is None:  # past the limit (or out of time): a smaller slack
            failed = slack
            slack = (complete + failed) / 2.0
            if failed - complete <= 0.05 * needed:
                break
            continue
        pool.update(enumerated)
        grown.append((slack, max(1, len(enumerated))))
        columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
        watch.tell("partition")
        available = left(len(columns))  # a share of it: a partition that cannot prove the gap would take all
        # only a grouping below value + slack can be proven (or found) here: the rest of the search is pruned
        cutoff = _cutoff(value + slack)
        objective, unit_group, proof = _partition(columns, [pool[c] for c in columns], pricer.n, fixed, solver,
                                                  max(min(available, 10.0), PARTITION_SHARE * available), incumbent,
                                                  gap=tolerance, cutoff=cutoff)
        if (proof is None or proof.bound is None) and time.perf_counter() < deadline:
            # stopped before it had a bound: all that is left of the time, as the partition after the proof
            objective, unit_group, proof = _partition(columns, [pool[c] for c in columns], pricer.n, fixed, solver,
                                                      left(len(columns)), incumbent, gap=tolerance, cutoff=cutoff)
        if proof is not None and proof.status == Status.OPTIMAL:
            fixing["partitioned"] = len(pool)  # solved over this pool: no partition after the proof needed
        if objective is not None and objective < incumbent[0] - 1e-12:
            incumbent = (objective, unit_group)
        if proof is None or proof.bound is None:
            break
        # a grouping cheaper than value + slack is made of enumerated groups only: it is in the partition
        # model, whose bound holds for it; so value + slack bounds the rest
        bound = min(proof.bound, value + slack, incumbent[0])
        bounds[None] = max(bounds.get(None, -math.inf), bound)
        watch.tell("partition", incumbent[0], bounds[None])
        complete, needed = slack, max(0.0, _target(incumbent[0], tolerance) - value)
        proven = incumbent[0] - bound <= tolerance * abs(incumbent[0]) + 1e-12
        if not proven and slack >= needed - 1e-12 and time.perf_counter() < deadline:
            # every group a better grouping needs is in the pool: the partition alone decides; the rest of the time
            objective, unit_group, proof = _partition(columns, [pool[c] for c in columns], pricer.n, fixed, solver,
                                                      left(len(columns)), incumbent, gap=tolerance,
                                                      cutoff=_cutoff(value + slack))
            if objective is not None and objective < incumbent[0] - 1e-12:
                incumbent = (objective, unit_group)
            if proof is not None and proof.bound is not None:
                bounds[None] = max(bounds[None], min(proof.bound, value + slack, incumbent[0]))
                watch.tell("partition", incumbent[0], bounds[None])
        if proven or slack >= needed - 1e-12:
            return incumbent, True
        if math.isinf(failed):
            slack, expected = _next_slack(grown, needed)
            if expected > limit:
                limit = ENUMERATION_MOST  # enumerate once at the largest limit, not at each limit on the way
        else:
            slack = min(needed, (slack + failed) / 2.0)
        if slack < needed and slack - complete <= 0.02 * needed:
            break  # the limit allows no step that gains much
    return incumbent, False


def _polish(pricer: Pricer, pool: dict[frozenset[int], float], incumbent: tuple[float, np.ndarray],
            solver: str) -> tuple[float, np.ndarray]:
    """The incumbent after one pass of the heuristic's ruin and recreate (its groups join the pool).

    The partition over the LP's columns is a grouping no local search started from; regrouping its windows of
    neighbouring groups lowers it further (QOP: 0.7130 to 0.7095 in 25 s), and the smaller the incumbent, the
    smaller the slack a proof needs.
    """
    from clusterkit.heuristic.ruin import ruin_and_recreate

    grouping = ruin_and_recreate(pricer.piece, incumbent[1], 0, passes=1,
                                 set_partition=partial(solve_set_partition, solver=solver))
    total = 0.0
    for group in np.unique(grouping):
        column = frozenset(np.flatnonzero(grouping == group).tolist())
        cost = pricer.cost(column)
        if cost is None:
            return incumbent
        pool.setdefault(column, cost)
        total += cost
    return (total, grouping) if total < incumbent[0] - 1e-12 else incumbent


#: The incumbent is polished (:func:`_polish`) when about POLISH_SECONDS per unit fit in POLISH_SHARE of the limit.
POLISH_SECONDS = 0.1
POLISH_SHARE = 0.1


def _final_columns(pool: dict[frozenset[int], float], lp: tuple | None,
                   incumbent: tuple[float, np.ndarray] | None) -> list[frozenset[int]]:
    """The columns of the partition after an unfinished proof, a search for a better incumbent.

    The whole pool up to :data:`FINAL_COLUMNS`; past it, the groups of least reduced cost under the LP's duals and
    the incumbent's groups (HiGHS over QOP's 600,575 enumerated groups ran 436 s past a 213 s limit).
    """
    columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
    if len(columns) <= FINAL_COLUMNS or lp is None:
        return columns
    _, duals, mu = lp
    reduced = np.array([pool[c] - float(duals[list(c)].sum()) - mu for c in columns])
    keep = set(np.argsort(reduced, kind="stable")[:FINAL_COLUMNS].tolist())
    if incumbent is not None:
        chosen = {frozenset(np.flatnonzero(incumbent[1] == g).tolist()) for g in np.unique(incumbent[1])}
        keep |= {k for k, column in enumerate(columns) if column in chosen}
    return [column for k, column in enumerate(columns) if k in keep]


#: The partition after an unfinished proof takes at most this many columns (:func:`_final_columns`).
FINAL_COLUMNS = 150_000


def _next_slack(grown: list[tuple[float, int]], needed: float) -> tuple[float, float]:
    """The next enumeration slack after complete steps ``grown`` (slack, groups), and the groups it should give.

    The number of groups within a slack grows about exponentially with it (QOP: 178,619 at 0.0047, 414,178 at
    0.0059, 1.1 million at 0.0066); the rate of the last two steps predicts the slack at which the enumeration
    reaches 70% of :data:`ENUMERATION_MOST`. At most twice the last slack, at least 10% more, at most ``needed``.

    Examples
    --------
    >>> slack, groups = _next_slack([(0.0, 100), (0.004, 100_000)], 0.02)
    >>> round(slack, 5), round(groups)
    (0.005, 560000)
    >>> slack, groups = _next_slack([(0.0, 1), (0.001, 10)], 0.0015)  # needed is near: needed
    >>> slack, round(groups)
    (0.0015, 32)
    """
    (before, fewer), (last, groups) = grown[-2], grown[-1]
    rate = math.log(max(groups, 1) / max(fewer, 1)) / max(last - before, 1e-12)
    if rate <= 0:
        return min(needed, 2.0 * last), groups
    step = math.log(0.7 * ENUMERATION_MOST / groups) / rate
    slack = min(needed, 2.0 * last, last + max(step, 0.1 * last))
    return slack, groups * math.exp(rate * (slack - last))


#: A partition during the proof gets at most this share of the time left (at least 10 s).
PARTITION_SHARE = 0.35

#: The first enumeration step takes this fraction of the slack a proof needs.
FIRST_SLACK = 4.0

#: Groups one enumeration step may find before it stops: the next step tries twice as many while the time
#: left is six times what the step took, up to ENUMERATION_MOST, and then a smaller slack.
ENUMERATION_LIMIT = 200_000
ENUMERATION_MOST = 800_000


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


def _cutoff(value: float) -> float:
    """The cutoff of a partition that is to prove ``value``: a hair above it (the solver prunes within tolerances)."""
    return value + 1e-7 * max(1.0, abs(value))


def _partition(columns, costs, n, count, solver, time_limit, incumbent, gap=None, cutoff=None):
    """Set partitioning over the pool (warm-started from the incumbent): ``(objective, unit_group, outcome)``.

    With ``cutoff``, only partitions below it are searched for; none found, the outcome says ``INFEASIBLE``
    with the cutoff as its bound (:func:`solvers.partition.solve_set_partition`).
    """
    if not columns:
        return None, None, None
    start = None
    if incumbent is not None:
        chosen = {frozenset(np.flatnonzero(incumbent[1] == g).tolist()) for g in np.unique(incumbent[1])}
        start = [k for k, column in enumerate(columns) if column in chosen]
        if len(start) != len(chosen):
            start = None
    started = time.perf_counter()
    if cutoff is not None and get_solver(solver).name != "highs":
        cutoff = None  # HiGHS only: another solver searches the whole pool
    if cutoff is not None and start is not None and incumbent[0] >= cutoff:
        start = None  # the incumbent is above the cutoff: no use as a start
    result, picked = solve_set_partition(columns, costs, n, count=count, time_limit=time_limit, gap=gap, start=start,
                                         solver=solver, presolve=len(columns) < 5000, cutoff=cutoff)
    log.debug("partition over %d columns: %s in %.1fs (limit %.1fs)", len(columns), result.status,
              time.perf_counter() - started, time_limit)
    if picked is None:
        return None, None, result
    unit_group = np.full(n, -1, dtype=np.int64)
    for number, k in enumerate(picked):
        unit_group[list(columns[k])] = number
    if (unit_group < 0).any():
        return None, None, None
    return float(sum(costs[k] for k in picked)), unit_group, result
