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
pricing runs first; then the enumeration of every negative group (:func:`_enumerated_pricing`), which near the
LP's optimum lists them all in a fraction of the time of a MIP per centre; the MIP pricing (HiGHS through
:func:`scipy.optimize.milp`) when there are too many. Once the LP converges, the subset-row cuts its solution
violates join the master (:mod:`solvers.grouping.cuts`; each adds a penalty to the groups holding two of its
three units) and generation goes on: QOP's LP rose from 0.6870 to 0.7026, 15E's from 0.6361 to 0.6538. When a full MIP round finds no negative column, the master LP value is a proven lower bound;
before that, the Lagrangian bound :math:`z_{LP} + K_{\max} \min_c \underline{rc}_c` is. The best
grouping is the set-partitioning MIP over the pool (:func:`solvers.partition.solve_set_partition`).
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.optimize import linprog

from clusterkit.problem.piece import PieceProblem
from clusterkit.results import Status
from solvers.door import get_solver
from solvers.grouping.cuts import RowCuts, cut_rows, separate
from solvers.grouping.enumeration import enumerate_columns
from solvers.grouping.fixing import centre_bounds, free_units
from solvers.grouping.pricing import Pricer
from solvers.grouping.proof import (
    DEFAULT_TOLERANCE,
    FINAL_COLUMNS,
    reduced_costs,
    POLISH_SECONDS,
    POLISH_SHARE,
    best_partition,
    final_columns,
    polish,
    prove,
)

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


def _master_lp(columns: list[frozenset[int]], costs: list[float], n: int, count: int | None, big: float = 0.0,
               triples: list[tuple[int, int, int]] | None = None):
    """Master LP; with ``count``, two penalised slack columns keep it feasible before columns exist; with
    ``triples``, their subset-row cuts (:mod:`solvers.grouping.cuts`).

    Returns ``(value, unit duals, count dual, x, cuts)`` (``cuts``: the triples with their penalties), or None.
    """
    rows, cols = [], []
    for k, column in enumerate(columns):
        for u in column:
            rows.append(u)
            cols.append(k)
    a_eq = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, len(columns)))
    b_eq = np.ones(n)
    objective = np.array(costs)
    width = len(columns) + (2 if count is not None else 0)
    if count is not None:
        count_row = sp.csr_matrix(np.r_[np.ones(len(columns)), 1.0, -1.0].reshape(1, -1))
        a_eq = sp.vstack([sp.hstack([a_eq, sp.csr_matrix((n, 2))]), count_row]).tocsr()
        b_eq = np.append(b_eq, count)
        objective = np.r_[objective, big, big]
    a_ub = b_ub = None
    if triples:
        a_ub = sp.hstack([cut_rows(triples, columns, n), sp.csr_matrix((len(triples), width - len(columns)))]).tocsr()
        b_ub = np.ones(len(triples))
    result = linprog(objective, A_eq=a_eq, b_eq=b_eq, A_ub=a_ub, b_ub=b_ub, bounds=(0, None), method="highs")
    if result.status != 0:
        return None
    duals = np.asarray(result.eqlin.marginals)
    penalties = -np.minimum(np.asarray(result.ineqlin.marginals), 0.0) if triples else np.zeros(0)
    return (float(result.fun), duals[:n], (float(duals[n]) if count is not None else 0.0), np.asarray(result.x),
            RowCuts(tuple(triples or ()), penalties))


#: An exact round stops once it has added a 1/PARTIAL_PRICING share of the units in columns (the LP is re-solved
#: sooner; only a full round gives a Lagrangian bound, and the last round, which finds nothing, is always full).
PARTIAL_PRICING = 4


def _generate(pricer: Pricer, pool: dict[frozenset[int], float], count: int | None, max_groups: int,
              deadline: float, cutoff: float, watch: Watch | None = None,
              triples: list[tuple[int, int, int]] | None = None,
              separating: bool = False) -> tuple[float, bool, int, tuple | None]:
    """Column generation for one number of groups (or any, when ``count`` is None).

    Returns ``(bound, converged, rounds, duals)``: a proven lower bound on groupings with that count
    (``-inf`` if none), whether the LP was solved to optimality over all columns, rounds run, and when
    converged the LP's ``(value, unit duals, count dual, cuts)``.
    Stops early once the bound reaches ``cutoff`` (no better grouping has this count).

    Exact rounds price with the pairs whose reduced-cost bound is not negative left out
    (:func:`solvers.grouping.fixing.centre_bounds`): only negative columns are wanted, and the bound holds.
    ``triples``: the subset-row cuts of the master (:mod:`solvers.grouping.cuts`); with ``separating``, each time
    the LP converges, the cuts its solution violates join them (the list grows) and generation goes on, until
    none is violated, :data:`MOST_CUTS` per unit are in, a round of cuts raises the LP by less than
    :data:`CUT_TAILING` of its value, :data:`CUT_SHARE` of the time has passed or the bound reaches ``cutoff``.
    Out of time after a convergence, the LP as it converged last is returned (converged: its duals hold).
    """
    n = pricer.n
    big = 10.0 * max([abs(v) for v in pool.values()] + [1.0]) * max(1, n)
    artificial = [frozenset([u]) for u in range(n)]
    bound = -math.inf
    rounds = 0
    groups = count if count is not None else max_groups
    triples = [] if triples is None else triples
    converged_values: list[float] = []
    last: tuple | None = None  # the LP as it last converged, with the cuts of then (its duals still hold)
    cutting_until = time.perf_counter() + CUT_SHARE * (deadline - time.perf_counter())
    while time.perf_counter() < deadline:
        rounds += 1
        columns = list(pool)
        master = _master_lp(columns + artificial, [pool[c] for c in columns] + [big] * n, n, count, big, triples)
        if master is None:
            return (bound, True, rounds, last) if last is not None else (bound, False, rounds, None)
        value, duals, mu, x, cuts = master
        found: list[tuple[float, frozenset[int]]] = []
        for centre in pricer.centres:
            found.extend(pricer.greedy(centre, duals, mu, cuts=cuts))
        fresh = [(rc, c) for rc, c in sorted(found, key=lambda t: (t[0], sorted(t[1]))) if c not in pool]
        if fresh:
            for _, column in fresh[: max(10, n)]:
                pool[column] = pricer.cost(column)
            continue
        listed = _enumerated_pricing(pricer, pool, duals, mu, cuts, deadline)
        if listed:
            for column in listed[: max(10, n)]:
                pool[column] = pricer.cost(column)
            continue
        least, added = math.inf, 0
        if listed is not None:  # every group was priced: none is negative
            order = []
            least = 0.0
        else:
            order = sorted(pricer.centres,
                           key=lambda c: float(pricer.assign_cost[pricer.unit_of[c], c] - duals[pricer.unit_of[c]]))
        for position, centre in enumerate(order):
            if added >= max(10, n // PARTIAL_PRICING):  # enough for the next LP: this round proves no bound
                least = -math.inf
                break
            remaining = deadline - time.perf_counter()
            if remaining <= 0.2:
                return (bound, True, rounds, last) if last is not None else (bound, False, rounds, None)
            # only a group of negative reduced cost is wanted: a unit whose pair bound is not negative can stay
            # out of the pricing, and a centre whose own bound is not negative needs none (its bound holds; the
            # cuts' penalties only add to a reduced cost)
            pairs = centre_bounds(pricer, centre, duals, mu)
            if pairs[pricer.unit_of[centre]] >= 0.0:
                least = min(least, float(pairs[pricer.unit_of[centre]]))
                continue
            reduced, column = pricer.exact(centre, duals, mu, remaining, free=pairs < 1e-9, cuts=cuts)
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
            bound = max(bound, value)
            converged_values.append(value)
            tailing = len(converged_values) > 1 and (
                converged_values[-1] - converged_values[-2] < CUT_TAILING * abs(converged_values[-1]))
            last = (value, duals, mu, cuts)
            if (separating and not tailing and len(triples) < MOST_CUTS * n and time.perf_counter() < cutting_until
                    and bound < cutoff):
                new = separate(columns + artificial, x, set(triples), most=max(10, n // 2))
                if new:
                    triples.extend(new)
                    log.debug("LP %.6g: %d cuts added (%d in all)", value, len(new), len(triples))
                    continue
            return bound, True, rounds, last
        if bound >= cutoff:
            return bound, False, rounds, None
    return (bound, True, rounds, last) if last is not None else (bound, False, rounds, None)


#: Subset-row cuts of the master stop at this many per unit (each is a row of the master and a variable of the
#: pricing MIP), or once a round of them raises the converged LP by less than CUT_TAILING of its value.
MOST_CUTS = 2
CUT_TAILING = 2e-4

#: Cuts are separated in the first CUT_SHARE of the generation's time; past it, or when the time runs out in a
#: round after cuts, the LP as it last converged (with the cuts of then) is the result.
CUT_SHARE = 0.6


def _enumerated_pricing(pricer: Pricer, pool: dict[frozenset[int], float], duals: np.ndarray, mu: float,
                        cuts: RowCuts, deadline: float) -> list[frozenset[int]] | None:
    """Every group of negative reduced cost, most negative first, by enumeration (:func:`enumerate_columns`);
    None when there are more than :data:`PRICING_GROUPS` or it takes more than :data:`PRICING_SECONDS`.

    Near the LP's optimum few groups are negative and the reduced-cost bounds fix most (centre, unit) pairs, so
    listing them all costs less than a MIP per centre, and an empty list proves the LP optimal.
    """
    free = {centre: free_units(pricer, centre, duals, mu, 0.0) for centre in pricer.centres}
    found = enumerate_columns(pricer, duals, mu, -1e-9, min(deadline, time.perf_counter() + PRICING_SECONDS),
                              limit=PRICING_GROUPS, free=free, cuts=cuts)
    if found is None:
        return None
    columns = [column for column in found if column not in pool]
    reduced = reduced_costs(columns, found, (0.0, duals, mu, cuts), pricer.n)
    order = np.lexsort((np.arange(len(columns)), reduced))
    return [columns[k] for k in order]


#: The enumerated pricing gives up past this many negative groups or seconds (then a MIP per centre prices).
PRICING_GROUPS = 5000
PRICING_SECONDS = 2.0


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


#: Seconds per column that a partition model takes to write and its solver to stop, beyond its time limit,
#: reserved before each partition: HiGHS through highspy 2-5e-6 (15E: 1.0 s past the limit over 192,200
#: columns, 0.5 s over 249,145), twice that and more here; a model written through PuLP (CBC) about ten
#: times as long.
WRITE_SECONDS_HIGHS = 1e-5
WRITE_SECONDS_PULP = 5e-5

#: The least time worth a partition after an unfinished proof, once it is written; with less left, the incumbent
#: stands (W2U3Z: a partition of 0.1 s over 150,000 groups, after one of 10.9 s over 269,772, ended 2.3 s past
#: the limit).
FINAL_SECONDS = 1.0


def solve_piece_colgen(
    piece: PieceProblem,
    starts: list[np.ndarray],
    *,
    time_limit: float = 60.0,
    solver: str = "highs",
    gap: float | None = None,
    report: Report | None = None,
    cutting: bool = True,
) -> ColumnGenerationResult:
    """Solve one piece by column generation, seeded with the groups of ``starts`` (groupings by unit).

    Branches on the number of groups: column generation runs for every count the band allows, the
    starts' count first; a count whose bound reaches the best grouping known is closed. The proven
    bound is the least bound over the counts still open. ``report(phase, incumbent, bound)`` hears the
    phases (``column generation``, ``enumeration``, ``partition``) and every better incumbent or bound.
    ``cutting``: the first LP is strengthened by subset-row cuts (:mod:`solvers.grouping.cuts`), which every
    later count's LP keeps.
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

    writing = WRITE_SECONDS_HIGHS if get_solver(solver).name == "highs" else WRITE_SECONDS_PULP

    def left(columns: int = 0) -> float:
        """What is left of the limit, less the time to write a partition model of ``columns`` columns."""
        return max(0.05, end - time.perf_counter() - (0.5 + writing * columns if columns else 0.0))

    deadline = started + 0.85 * time_limit  # the generation and the proof; the rest for the final partition
    first_lp = None
    triples: list[tuple[int, int, int]] = []  # subset-row cuts: valid for every count, found in the first LP
    for position, count in enumerate(counts):
        if position > 0 and time.perf_counter() >= deadline:
            break  # out of time: the counts left open keep the bound at the all-counts LP's
        # the all-counts LP leaves a quarter for the counts after it (all its time when it is the only one)
        share = (deadline - time.perf_counter()) * ((0.75 if len(counts) > 1 else 1.0) if count is None
                                                    else 1.0 / (len(counts) - position))
        cutoff = incumbent[0] * (1 - tolerance) if incumbent is not None else math.inf
        bound, converged, used, lp = _generate(pricer, pool, count, max_groups,
                                               time.perf_counter() + max(share, 0.5), cutoff, watch,
                                               triples=triples, separating=position == 0 and cutting)
        rounds += used
        log.debug("count %s: bound %.6g converged %s after %.1fs (%d columns)", count, bound, converged,
                 time.perf_counter() - started, len(pool))
        bounds[count] = bound
        converged_all &= converged
        if position == 0 and lp is not None:
            # a better incumbent from the pool first (or a first one, when no start was feasible): the smaller
            # the slack, the fewer groups to enumerate
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
            better, better_group = best_partition(columns, [pool[c] for c in columns], n, fixed, solver,
                                                   min(left(), max(1.0, min(10.0, 0.1 * time_limit))), incumbent)
            if better is not None and (incumbent is None or better < incumbent[0] - 1e-12):
                incumbent = (better, better_group)
            if incumbent is not None and POLISH_SECONDS * n < POLISH_SHARE * time_limit and left() > 0.5 * time_limit:
                incumbent = polish(pricer, pool, incumbent, solver)
            watch.tell("column generation", incumbent=None if incumbent is None else incumbent[0])
        if position == 0 and lp is not None:
            first_lp = lp
            fixing["lp_bound"], fixing["seconds_lp"] = lp[0], time.perf_counter() - started
            if incumbent is not None:
                incumbent, enumerated_proof = prove(pricer, pool, lp, incumbent, tolerance, solver, deadline,
                                                     left, bounds, watch, fixing)
                if enumerated_proof:
                    counts = [None]
                    break
        # a better grouping with this count may now be in the pool
        if count is not None and bound < cutoff:
            columns = sorted(pool, key=lambda c: (len(c), sorted(c)))
            value, unit_group = best_partition(columns, [pool[c] for c in columns], n, count, solver,
                                                min(left(), max(1.0, min(5.0, deadline - time.perf_counter()))),
                                                None)
            if value is not None and (incumbent is None or value < incumbent[0] - 1e-12):
                incumbent = (value, unit_group)
                watch.tell("partition", incumbent=value)
    if (not enumerated_proof and first_lp is not None and incumbent is not None and time.perf_counter() < deadline
            and "fixed_share" not in fixing):
        # no start was feasible: the incumbent came from the counts' partitions; prove it now
        incumbent, enumerated_proof = prove(pricer, pool, first_lp, incumbent, tolerance, solver, deadline,
                                             left, bounds, watch, fixing)
        if enumerated_proof:
            counts = [None]
    final_size = min(len(pool), FINAL_COLUMNS)
    if enumerated_proof or (incumbent is not None and fixing.get("partitioned") == len(pool)):
        objective, unit_group = incumbent  # proven, or the pool has been partitioned as it is
    elif incumbent is not None and left(final_size) < FINAL_SECONDS:
        objective, unit_group = incumbent  # too little left for a partition to improve on it: the limit is kept
    else:
        watch.tell("partition")
        columns = final_columns(pool, first_lp, incumbent)
        remaining = left(len(columns))
        fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
        objective, unit_group = best_partition(columns, [pool[c] for c in columns], n, fixed, solver, remaining,
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
