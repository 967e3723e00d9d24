"""The proof of column generation: enumeration of every group within a slack of the LP, then set partitioning.

With the duals of the optimal master LP (value :math:`z_{LP}`) and a grouping of cost :math:`UB`, every group
of a better grouping has reduced cost at most :math:`UB - z_{LP}`. :func:`prove` enumerates the groups within a
growing slack :math:`s` (:func:`solvers.grouping.enumeration.enumerate_columns`) and solves set partitioning over
them with a cutoff at :math:`z_{LP} + s`: either a grouping below it (then the optimum) or a proof that
:math:`z_{LP} + s` bounds every grouping. The helpers here are the partitions of the exact method (warm-started,
with a cutoff), the polish of an incumbent and the choice of the columns of the last partition.
"""

from __future__ import annotations

import itertools
import logging
import math
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from clusterkit.results import Status
from solvers.door import get_solver
from solvers.grouping.enumeration import enumerate_columns
from solvers.grouping.fixing import free_units
from solvers.grouping.pricing import Pricer
from solvers.partition import solve_set_partition

if TYPE_CHECKING:
    from solvers.grouping.colgen import Watch

__all__ = ["DEFAULT_TOLERANCE", "FINAL_COLUMNS", "POLISH_SECONDS", "POLISH_SHARE", "best_partition", "final_columns", "polish", "prove", "reduced_costs", "target"]

log = logging.getLogger(__name__)


def prove(pricer: Pricer, pool: dict[frozenset[int], float], lp: tuple, incumbent: tuple[float, np.ndarray],
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
    value, duals, mu, cuts = lp
    fixed = piece.count if piece.count is not None else (len(pricer.hub_units) or None)
    needed = max(0.0, target(incumbent[0], tolerance) - value)
    slack, complete, failed = needed / FIRST_SLACK, 0.0, math.inf
    pairs = len(pricer.centres) * pricer.n
    limit = ENUMERATION_LIMIT
    # (slack, groups within it) of the complete steps, from the LP's own basis (groups of reduced cost 0)
    grown = [(0.0, max(1, int((reduced_costs(list(pool), pool, lp, pricer.n) <= 1e-9).sum())))]
    for step in itertools.count(1):
        if time.perf_counter() >= deadline - 0.5:
            break
        watch.tell("enumeration")
        free = {centre: free_units(pricer, centre, duals, mu, slack) for centre in pricer.centres}
        fixing["fixed_share"] = 1.0 - sum(int(mask.sum()) for mask in free.values()) / max(1, pairs)
        began = time.perf_counter()
        enumerated = enumerate_columns(pricer, duals, mu, slack, deadline, limit=limit, free=free, cuts=cuts)
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
        complete, needed = slack, max(0.0, target(incumbent[0], tolerance) - value)
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


def polish(pricer: Pricer, pool: dict[frozenset[int], float], incumbent: tuple[float, np.ndarray],
           solver: str) -> tuple[float, np.ndarray]:
    """The incumbent after the heuristic's ruin and recreate: one pass on its own, then one whose recombinations
    draw on the column pool too (its groups join the pool).

    The partition over the LP's columns is a grouping no local search started from; regrouping its windows of
    neighbouring groups lowers it further, and recombining the groups met with the LP's columns further still
    (QOP: 0.7108, one pass 0.7100 in 2.3 s, with the pool 0.7051 in 12 s; a second pass without it 0.7092);
    the smaller the incumbent, the smaller the slack a proof needs.
    """
    from clusterkit.heuristic.ruin import ruin_and_recreate

    set_partition = partial(solve_set_partition, solver=solver)
    grouping = ruin_and_recreate(pricer.piece, incumbent[1], 0, passes=1, set_partition=set_partition)
    grouping = ruin_and_recreate(pricer.piece, grouping, 1, passes=1, set_partition=set_partition, columns=list(pool))
    total = 0.0
    for group in np.unique(grouping):
        column = frozenset(np.flatnonzero(grouping == group).tolist())
        cost = pricer.cost(column)
        if cost is None:
            return incumbent
        pool.setdefault(column, cost)
        total += cost
    return (total, grouping) if total < incumbent[0] - 1e-12 else incumbent


#: The incumbent is polished (:func:`polish`) when about POLISH_SECONDS per unit fit in POLISH_SHARE of the limit.
#: Measured (both passes, seconds per unit): 26A 0.010, A3A8R 0.010, W2U3Z 0.019, 15E 0.033, QOP 0.035; so every
#: sub-ICB is polished within its minute (15E: 0.6631 to 0.6584 in 5.7 s; W2U3Z: 0.4649 to 0.4624 in 6.2 s).
POLISH_SECONDS = 0.04
POLISH_SHARE = 0.25


def final_columns(pool: dict[frozenset[int], float], lp: tuple | None,
                  incumbent: tuple[float, np.ndarray] | None) -> list[frozenset[int]]:
    """The columns of the partition after an unfinished proof, a search for a better incumbent.

    The whole pool up to :data:`FINAL_COLUMNS`, in the canonical order; past it, the groups of least reduced cost
    under the LP's duals and the incumbent's groups, in the pool's order (HiGHS over QOP's 600,575 enumerated
    groups ran 436 s past a 213 s limit). The reduced costs are summed on arrays: sorting 270,000 groups and
    pricing them one by one took 2.2 s, past the end of W2U3Z's minute.
    """
    if len(pool) <= FINAL_COLUMNS or lp is None:
        return sorted(pool, key=lambda c: (len(c), sorted(c)))
    columns = list(pool)
    reduced = reduced_costs(columns, pool, lp, len(lp[1]))
    keep = np.zeros(len(columns), bool)
    keep[np.argsort(reduced, kind="stable")[:FINAL_COLUMNS]] = True
    if incumbent is not None:
        chosen = {frozenset(np.flatnonzero(incumbent[1] == g).tolist()) for g in np.unique(incumbent[1])}
        keep |= np.fromiter((column in chosen for column in columns), bool, len(columns))
    return [column for column, kept in zip(columns, keep) if kept]


def reduced_costs(columns: list[frozenset[int]], pool: dict[frozenset[int], float], lp: tuple, n: int) -> np.ndarray:
    """Reduced costs of ``columns`` under the master's ``(value, duals, mu, cuts)``, summed on arrays."""
    _, duals, mu, cuts = lp
    if not columns:
        return np.zeros(0)
    sizes = np.fromiter((len(column) for column in columns), np.int64, len(columns))
    members = np.fromiter(itertools.chain.from_iterable(columns), np.int64, int(sizes.sum()))
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    costs = np.fromiter((pool[column] for column in columns), float, len(columns))
    reduced = costs - np.add.reduceat(duals[members], starts) - mu
    if cuts is not None:
        reduced += cuts.penalties_of(columns, n)
    return reduced


#: The partition after an unfinished proof takes at most this many columns (:func:`final_columns`).
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


def target(incumbent: float, tolerance: float) -> float:
    """The value below which a grouping must be found or ruled out to prove a gap of ``tolerance``.

    At the default tolerance (1e-4, the solver's own) the incumbent itself, so that a proof is a full one.
    """
    if tolerance <= DEFAULT_TOLERANCE or incumbent <= 0:
        return incumbent
    return incumbent * (1 - tolerance)


def best_partition(columns, costs, n, count, solver, time_limit, incumbent):
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
