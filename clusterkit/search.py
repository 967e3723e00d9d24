"""The search inside one area: region growing, then moves and swaps that keep every hard rule.

Works on plain arrays (picklable, no networkx) so that areas and restarts run in worker processes.
Practices tied by must-link form one *unit* that always moves whole; a group is a set of units.

A group's score is a pair ``(violation, cost)`` compared lexicographically: ``violation`` measures
how far a group is from the hard rules (patients outside a hard band, km above the diameter limit,
cannot-link pairs inside), ``cost`` is the objective share of the group. Every accepted move lowers the
total violation, or keeps it and lowers the cost, so once a feasible grouping is reached it stays
feasible; contiguity is never broken by a move.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from clusterkit.recombine import recombine
from clusterkit.resplit import resplit_pass

#: Group scores kept per problem before the cache starts afresh (bounds memory on national runs).
CACHE_LIMIT = 400_000

#: Best distinct restarts improved by strategic oscillation.
OSCILLATE = 3

#: Penalties per patient outside the band (in km of the distance cost) tried by the oscillation, and cycles.
OSCILLATION_PENALTIES = (0.1, 0.3, 1.0, 3.0, 10.0)
OSCILLATION_CYCLES = 2


@dataclass
class _Memo:
    """What the local searches of one problem share: group scores, and resplits known to fail."""

    scores: dict[frozenset[int], tuple[float, float]] = field(default_factory=dict)
    resplit_failed: set[frozenset[frozenset[int]]] = field(default_factory=set)

__all__ = ["AreaProblem", "AreaSolution", "solve_area"]


@dataclass(frozen=True)
class AreaProblem:
    """One independent piece of a grouping problem, as arrays.

    Attributes
    ----------
    name : str
        Area label, used as the prefix of group ids.
    codes : tuple of str
        Practices, sorted.
    sizes : ndarray
        List sizes.
    xy : ndarray
        ``(n, 2)`` metres.
    units : tuple of tuple of int
        Must-link units (practice indices), sorted.
    unit_neighbours : tuple of tuple of int
        Units adjacent (contiguity layer, or nearest neighbours when contiguity is off).
    lower, upper : ndarray
        Band per practice (a group takes the band of its main area by patients).
    band_area : ndarray
        Area id per practice used to pick the band (and for cross penalties).
    cannot : tuple of tuple of int
        Cannot-link partners per practice.
    relation : tuple of dict
        Unit -> {unit: alignment + shared staff weight} between different units.
    relation_total : float
        Sum of relation weights (including inside units), for the kept share.
    current : ndarray
        Current group id per practice (-1 unknown).
    hubs : tuple of int
        Units holding a hub practice: one per group, fixed, the group's centre.
    hub_practice : dict
        Unit -> hub practice index.
    count : int or None
        Number of groups wanted.
    distance_weight, relation_weight : float
        Objective weights (distance per patient-km, scaled; share of relation weight kept).
    distance_scale : float
        km that one unit of distance cost stands for.
    soft_penalty, cross_penalty, move_penalty : float
        Per patient, in km.
    soft : bool
    contiguity : bool
    max_diameter_km : float or None
    """

    name: str
    codes: tuple[str, ...]
    sizes: np.ndarray
    xy: np.ndarray
    units: tuple[tuple[int, ...], ...]
    unit_neighbours: tuple[tuple[int, ...], ...]
    lower: np.ndarray
    upper: np.ndarray
    band_area: np.ndarray
    cannot: tuple[tuple[int, ...], ...]
    relation: tuple[dict[int, float], ...]
    relation_total: float
    current: np.ndarray
    hubs: tuple[int, ...] = ()
    hub_practice: dict[int, int] = field(default_factory=dict)
    count: int | None = None
    distance_weight: float = 1.0
    relation_weight: float = 0.0
    distance_scale: float = 1.0
    soft_penalty: float = 10.0
    cross_penalty: float = 0.0
    move_penalty: float = 0.0
    soft: bool = False
    contiguity: bool = True
    max_diameter_km: float | None = None

    @property
    def population(self) -> float:
        return float(self.sizes.sum())


@dataclass(frozen=True)
class AreaSolution:
    """Best grouping found for one area: group index per unit, its score, and what the search did."""

    name: str
    unit_group: np.ndarray
    violation: float
    cost: float
    groups: int
    restarts: int
    seed: int
    alternatives: tuple[np.ndarray, ...] = ()


def distance_matrix(xy: np.ndarray) -> np.ndarray:
    """Dense straight-line distances in km (float32 above 2,000 points to bound memory)."""
    dtype = np.float64 if len(xy) <= 2000 else np.float32
    result = np.empty((len(xy), len(xy)), dtype=dtype)
    for start in range(0, len(xy), 1024):
        block = xy[start:start + 1024]
        result[start:start + 1024] = np.sqrt(((block[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2)) / 1000.0
    return result


class _State:
    """Mutable search state of one restart."""

    def __init__(self, problem: AreaProblem, unit_group: np.ndarray, distance: np.ndarray | None = None,
                 memo: _Memo | None = None) -> None:
        self.problem = problem
        # scores of groups already evaluated (a score depends on the units only) and resplits that found
        # nothing: shared by the restarts of one problem, which visit the same groups again and again
        memo = memo if memo is not None else _Memo()
        self.cache = memo.scores
        self.resplit_tried = memo.resplit_failed
        self.distance = distance if distance is not None else distance_matrix(problem.xy)
        self.has_hubs = bool(problem.hub_practice)
        self.has_cannot = any(problem.cannot)
        self.uniform_band = (problem.cross_penalty == 0 and len(problem.lower) > 0
                             and problem.lower.min() == problem.lower.max() and problem.upper.min() == problem.upper.max())
        self.lower = float(problem.lower[0]) if len(problem.lower) else 0.0
        self.upper = float(problem.upper[0]) if len(problem.upper) else 0.0
        self.unit_group = unit_group
        self.unit_sizes = np.array([problem.sizes[list(u)].sum() for u in problem.units])
        self.members: dict[int, set[int]] = {}
        for unit, group in enumerate(unit_group):
            self.members.setdefault(int(group), set()).add(unit)
        self.score = {group: self.evaluate(units) for group, units in self.members.items()}

    # -------------------------------------------------------------------------------- scoring
    def evaluate(self, units: set[int] | list[int] | frozenset[int]) -> tuple[float, float]:
        """``(violation, cost)`` of a group made of ``units`` (relation weight excluded)."""
        key = units if isinstance(units, frozenset) else frozenset(units)
        score = self.cache.get(key)
        if score is None:
            if len(self.cache) >= CACHE_LIMIT:
                self.cache.clear()
            score = self.cache[key] = self._evaluate(key)
        return score

    def _evaluate(self, units: frozenset[int]) -> tuple[float, float]:
        p = self.problem
        practices = [i for u in units for i in p.units[u]]
        index = np.array(practices, dtype=np.int64)
        sizes = p.sizes[index]
        population = float(sizes.sum())
        diameter = 0.0
        if len(practices) == 1:
            distance_total = 0.0
        else:
            distance = self.distance[index[:, None], index]
            totals = sizes @ distance
            if self.has_hubs and (hub := next((p.hub_practice[u] for u in units if u in p.hub_practice), None)) is not None:
                distance_total = float(totals[practices.index(hub)])
            else:
                distance_total = float(totals.min())
            if p.max_diameter_km is not None:
                diameter = float(distance.max())
        minority = 0.0
        if self.uniform_band:
            lower, upper = self.lower, self.upper
        else:
            areas = p.band_area[index]
            main = int(areas[0])
            if len(index) > 1 and areas.min() != areas.max():
                by_area = np.bincount(areas, weights=sizes)
                main = int(np.argmax(by_area))
                minority = population - float(by_area[main])
            position = practices[int(np.argmax(areas == main))]
            lower, upper = float(p.lower[position]), float(p.upper[position])
        outside = max(0.0, lower - population, population - upper)
        violation = 0.0
        if p.max_diameter_km is not None and diameter > p.max_diameter_km:
            violation += diameter - p.max_diameter_km
        if self.has_cannot and any(p.cannot[i] for i in practices):
            inside = set(practices)
            violation += 10.0 * (sum(1 for i in practices for j in p.cannot[i] if j in inside) // 2)
        cost = p.distance_weight * distance_total / p.distance_scale + p.cross_penalty * minority
        if p.soft:
            cost += p.soft_penalty * outside
        else:
            violation += outside / 1000.0
        if p.move_penalty:
            current = p.current[index]
            known = current >= 0
            if known.any():
                by_group = np.bincount(current[known], weights=sizes[known])
                cost += p.move_penalty * float(sizes[known].sum() - by_group.max())
        return violation, cost / p.population

    def relation_delta(self, unit: int, source: int, target: int) -> float:
        """Change of the relation-weight term when ``unit`` moves from ``source`` to ``target``."""
        p = self.problem
        if not p.relation_weight or not p.relation[unit]:
            return 0.0
        gained = lost = 0.0
        for other, weight in p.relation[unit].items():
            group = self.unit_group[other]
            if group == target:
                gained += weight
            elif group == source and other != unit:
                lost += weight
        return -p.relation_weight * (gained - lost) / p.relation_total

    def totals(self) -> tuple[float, float]:
        """Total ``(violation, cost)`` including the relation term."""
        violation = sum(score[0] for score in self.score.values())
        cost = sum(score[1] for score in self.score.values())
        p = self.problem
        if p.relation_weight and p.relation_total:
            kept = 0.0
            for unit, neighbours in enumerate(p.relation):
                for other, weight in neighbours.items():
                    if other > unit and self.unit_group[other] == self.unit_group[unit]:
                        kept += weight
            inside_units = p.relation_total - sum(sum(n.values()) for n in p.relation) / 2.0
            cost += p.relation_weight * (1.0 - (kept + inside_units) / p.relation_total)
        return violation, cost

    # -------------------------------------------------------------------------------- moves
    def stays_connected(self, group: int, removed: set[int]) -> bool:
        """Whether ``group`` without ``removed`` units is still connected (and not empty)."""
        remaining = self.members[group] - removed
        if not remaining:
            return False
        if not self.problem.contiguity or len(remaining) == 1:
            return True
        neighbours = self.problem.unit_neighbours
        start = next(iter(remaining))
        seen = {start}
        stack = [start]
        while stack:
            unit = stack.pop()
            for other in neighbours[unit]:
                if other in remaining and other not in seen:
                    seen.add(other)
                    stack.append(other)
        return len(seen) == len(remaining)

    def apply(self, unit: int, target: int, source_score: tuple[float, float],
              target_score: tuple[float, float]) -> None:
        source = int(self.unit_group[unit])
        self.members[source].discard(unit)
        self.members[target].add(unit)
        self.unit_group[unit] = target
        self.score[source] = source_score
        self.score[target] = target_score


def _better(delta_violation: float, delta_cost: float) -> bool:
    return delta_violation < -1e-9 or (abs(delta_violation) <= 1e-9 and delta_cost < -1e-12)


def _local_search(state: _State, rng: np.random.Generator, max_passes: int = 60) -> None:
    """Moves and swaps until no improving one remains (or ``max_passes``)."""
    p = state.problem
    fixed = set(p.hubs)
    units = np.arange(len(p.units))
    dirty = set(state.members)
    for _ in range(max_passes):
        improved = False
        # a unit is looked at again only if its group or a neighbouring group changed since the last look
        checking, dirty = dirty, set()
        for unit in rng.permutation(units):
            unit = int(unit)
            source = int(state.unit_group[unit])
            if unit in fixed or len(state.members[source]) == 1:
                continue
            targets = {int(state.unit_group[v]) for v in p.unit_neighbours[unit]} - {source}
            if not targets or not (source in checking or source in dirty or targets & checking or targets & dirty):
                continue
            source_after = state.evaluate(state.members[source] - {unit})
            best = None
            for target in sorted(targets):
                target_after = state.evaluate(state.members[target] | {unit})
                dv = source_after[0] + target_after[0] - state.score[source][0] - state.score[target][0]
                dc = (source_after[1] + target_after[1] - state.score[source][1] - state.score[target][1]
                      + state.relation_delta(unit, source, target))
                if _better(dv, dc) and (best is None or (dv, dc) < best[0]):
                    best = ((dv, dc), target, target_after)
            # contiguity last: most moves fail on score, and a score is cached, a connectivity check is not
            if best is not None and state.stays_connected(source, {unit}):
                state.apply(unit, best[1], source_after, best[2])
                dirty.update((source, best[1]))
                improved = True
        if not improved:
            improved = _swap_pass(state, fixed)
            if not improved:
                improved = resplit_pass(state, fixed)
            if not improved and sum(score[0] for score in state.score.values()) > 1e-9:
                improved = _repair(state, fixed, rng)
            if not improved:
                return
            dirty = set(state.members)


def _swap_pass(state: _State, fixed: set[int]) -> bool:
    """Exchange two boundary units between adjacent groups where that improves the score."""
    p = state.problem
    improved = False
    for unit in range(len(p.units)):
        if unit in fixed:
            continue
        source = int(state.unit_group[unit])
        for other in p.unit_neighbours[unit]:
            target = int(state.unit_group[other])
            if target == source or other in fixed or other < unit:
                continue
            source_units = state.members[source] - {unit} | {other}
            target_units = state.members[target] - {other} | {unit}
            source_after = state.evaluate(source_units)
            target_after = state.evaluate(target_units)
            dv = source_after[0] + target_after[0] - state.score[source][0] - state.score[target][0]
            dc = (source_after[1] + target_after[1] - state.score[source][1] - state.score[target][1]
                  + _swap_relation_delta(state, unit, other, source, target))
            if _better(dv, dc) and (not p.contiguity or (_connected(p, source_units)
                                                         and _connected(p, target_units))):
                state.members[source] = source_units
                state.members[target] = target_units
                state.unit_group[unit] = target
                state.unit_group[other] = source
                state.score[source] = source_after
                state.score[target] = target_after
                improved = True
                break
    return improved


def _repair(state: _State, fixed: set[int], rng: np.random.Generator) -> bool:
    """Change the number of groups where single moves are stuck: dissolve a group below its band into
    its neighbours, or split a group above its band in two. Accepted only if the total violation falls
    (so the count of a ``--count`` or hub problem never changes)."""
    p = state.problem
    if p.hubs or p.count is not None:
        return False
    before = sum(score[0] for score in state.score.values())
    population = {g: float(sum(state.unit_sizes[u] for u in units)) for g, units in state.members.items()}
    violated = [g for g in sorted(state.members) if state.score[g][0] > 1e-9]
    for group in rng.permutation(violated) if violated else []:
        group = int(group)
        units = state.members[group]
        lower = float(p.lower[p.units[next(iter(units))][0]])
        trial = None
        if population[group] < lower and not p.soft:  # (a soft group's violation is never its band)
            trial = _dissolve(state, group, population)
        if trial is None:  # too large, or a cannot-link / diameter violation: split
            trial = _split(state, group)
        if trial is None:
            continue
        scores = {g: state.evaluate(members) for g, members in trial.items() if members}
        untouched = sum(score[0] for g, score in state.score.items() if g not in trial)
        after = untouched + sum(score[0] for score in scores.values())
        if after < before - 1e-9:
            for g, members in trial.items():
                if members:
                    state.members[g] = set(members)
                    state.score[g] = scores[g]
                    for unit in members:
                        state.unit_group[unit] = g
                else:
                    state.members.pop(g, None)
                    state.score.pop(g, None)
            return True
    return False


def _dissolve(state: _State, group: int, population: dict[int, float]) -> dict[int, set[int]] | None:
    """Hand every unit of ``group`` to an adjacent group, smallest first, spreading from its border."""
    p = state.problem
    trial: dict[int, set[int]] = {group: set()}
    owner = {unit: group for unit in state.members[group]}
    sizes = dict(population)
    pending = set(state.members[group])
    while pending:
        progress = False
        for unit in sorted(pending):
            options = []
            for other in p.unit_neighbours[unit]:
                g = owner.get(other, int(state.unit_group[other]))
                if g != group:
                    options.append(g)
            if options:
                target = min(options, key=lambda g: (sizes[g], g))
                trial.setdefault(target, set(state.members[target]))
                trial[target].add(unit)
                owner[unit] = target
                sizes[target] += state.unit_sizes[unit]
                pending.discard(unit)
                progress = True
        if not progress:
            return None
    return trial


def _split(state: _State, group: int) -> dict[int, set[int]] | None:
    """Split ``group`` in two contiguous halves grown from its two most distant units."""
    p = state.problem
    units = sorted(state.members[group])
    if len(units) < 2:
        return None
    centres = np.array([p.xy[list(p.units[u])].mean(axis=0) for u in units])
    distance = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    a, b = (int(k) for k in np.unravel_index(int(np.argmax(distance)), distance.shape))
    if a == b:  # every unit at one place (practices sharing a health centre): any two will do
        b = 1 if a == 0 else 0
    if state.has_cannot:  # a cannot-link pair inside: grow the halves from its two units
        position = {i: k for k, u in enumerate(units) for i in p.units[u]}
        pair = next(((position[i], position[j]) for i in sorted(position) for j in p.cannot[i]
                     if j in position and position[j] != position[i]), None)
        if pair is not None:
            a, b = pair
    sides = {units[a]: 0, units[b]: 1}
    totals = [state.unit_sizes[units[a]], state.unit_sizes[units[b]]]
    remaining = set(units) - set(sides)
    while remaining:
        side = 0 if totals[0] <= totals[1] else 1
        frontier = [u for u in sorted(remaining) if any(sides.get(v) == side for v in p.unit_neighbours[u])]
        if not frontier:
            side = 1 - side
            frontier = [u for u in sorted(remaining) if any(sides.get(v) == side for v in p.unit_neighbours[u])]
            if not frontier:
                return None
        anchor = centres[a] if side == 0 else centres[b]
        unit = min(frontier, key=lambda u: (float(((centres[units.index(u)] - anchor) ** 2).sum()), u))
        sides[unit] = side
        totals[side] += state.unit_sizes[unit]
        remaining.discard(unit)
    new_group = max(state.members) + 1
    return {group: {u for u, s in sides.items() if s == 0}, new_group: {u for u, s in sides.items() if s == 1}}


def _swap_relation_delta(state: _State, unit: int, other: int, source: int, target: int) -> float:
    p = state.problem
    if not p.relation_weight:
        return 0.0
    delta = state.relation_delta(unit, source, target)
    state.unit_group[unit] = target
    delta += state.relation_delta(other, target, source)
    state.unit_group[unit] = source
    return delta


def _connected(p: AreaProblem, units: set[int]) -> bool:
    if len(units) <= 1:
        return bool(units)
    start = next(iter(units))
    seen = {start}
    stack = [start]
    while stack:
        unit = stack.pop()
        for other in p.unit_neighbours[unit]:
            if other in units and other not in seen:
                seen.add(other)
                stack.append(other)
    return len(seen) == len(units)


# ------------------------------------------------------------------------------------ construction
def _unit_xy(p: AreaProblem) -> np.ndarray:
    return np.array([np.average(p.xy[list(u)], axis=0, weights=np.maximum(p.sizes[list(u)], 1)) for u in p.units])


def _seeds(p: AreaProblem, count: int, rng: np.random.Generator, centres: np.ndarray) -> list[int]:
    """``count`` seed units, spread out: k-means++ sampling on unit positions weighted by list size."""
    if p.hubs:
        return list(p.hubs)
    sizes = np.array([p.sizes[list(u)].sum() for u in p.units], dtype=float) + 1.0
    first = int(rng.choice(len(p.units), p=sizes / sizes.sum()))
    chosen = [first]
    nearest = ((centres - centres[first]) ** 2).sum(axis=1)
    while len(chosen) < count:
        weights = nearest * sizes
        if weights.sum() <= 0:
            remaining = [u for u in range(len(p.units)) if u not in chosen]
            chosen.append(int(rng.choice(remaining)))
        else:
            chosen.append(int(rng.choice(len(p.units), p=weights / weights.sum())))
        nearest = np.minimum(nearest, ((centres - centres[chosen[-1]]) ** 2).sum(axis=1))
    return chosen


def _grow(p: AreaProblem, count: int, rng: np.random.Generator) -> np.ndarray:
    """Region growing from spread seeds; every unit ends in a group adjacent to it."""
    centres = _unit_xy(p)
    unit_sizes = np.array([p.sizes[list(u)].sum() for u in p.units], dtype=float)
    seeds = _seeds(p, count, rng, centres)
    group = np.full(len(p.units), -1, dtype=np.int64)
    population = np.zeros(count)
    for g, seed in enumerate(seeds):
        group[seed] = g
        population[g] = unit_sizes[seed]
    target_upper = np.array([p.upper[p.units[s][0]] for s in seeds], dtype=float)
    target_lower = np.array([p.lower[p.units[s][0]] for s in seeds], dtype=float)
    frontier: list[set[int]] = [set(p.unit_neighbours[s]) for s in seeds]
    open_groups = set(range(count))
    while open_groups:
        # grow the group furthest below its lower bound (relative), ties by index
        g = min(open_groups, key=lambda k: (population[k] / max(target_lower[k], 1.0), k))
        candidates = [u for u in frontier[g] if group[u] < 0 and population[g] + unit_sizes[u] <= target_upper[g]]
        if not candidates or population[g] >= target_lower[g] + 0.5 * (target_upper[g] - target_lower[g]):
            open_groups.discard(g)
            continue
        seed_xy = centres[seeds[g]]
        best = min(candidates, key=lambda u: (float(((centres[u] - seed_xy) ** 2).sum()), u))
        group[best] = g
        population[g] += unit_sizes[best]
        frontier[g].update(p.unit_neighbours[best])
    # leftovers: attach to the adjacent group with the fewest patients, spreading outwards
    while (group < 0).any():
        progress = False
        for unit in np.flatnonzero(group < 0):
            adjacent = [int(group[v]) for v in p.unit_neighbours[unit] if group[v] >= 0]
            if adjacent:
                g = min(adjacent, key=lambda k: (population[k], k))
                group[unit] = g
                population[g] += unit_sizes[unit]
                progress = True
        if not progress:  # a part with no seed (only without contiguity): nearest group by position
            unit = int(np.flatnonzero(group < 0)[0])
            assigned = np.flatnonzero(group >= 0)
            nearest = assigned[int(np.argmin(((centres[assigned] - centres[unit]) ** 2).sum(axis=1)))]
            group[unit] = group[nearest]
            population[group[unit]] += unit_sizes[unit]
    return group


def group_counts(p: AreaProblem) -> list[int]:
    """Numbers of groups worth trying: the fixed count, or those the band allows (most groups first)."""
    if p.hubs:
        return [len(p.hubs)]
    if p.count is not None:
        return [min(p.count, len(p.units))]
    total = p.population
    lower = float(np.median(p.lower)) if len(p.lower) else 0.0
    upper = float(np.median(p.upper)) if len(p.upper) else 1.0
    fewest = max(1, math.ceil(total / upper))
    most = max(1, math.floor(total / lower)) if lower > 0 else len(p.units)
    most = min(most, len(p.units))
    if most < fewest:  # the band cannot be met exactly: get as close as possible
        middle = max(1, min(len(p.units), round(total / ((lower + upper) / 2.0))))
        return [middle]
    target = min(max(round(total / (lower + 0.4 * (upper - lower))), fewest), most)
    options = sorted(range(fewest, most + 1), key=lambda k: (abs(k - target), -k))
    return options[:3]


def solve_area(problem: AreaProblem, seed: int, restarts: int = 8, initial: np.ndarray | None = None,
               keep_alternatives: bool = False, oscillate: int = OSCILLATE) -> AreaSolution:
    """Best of ``restarts`` runs of region growing + local search on one area (deterministic per seed).

    With ``initial`` (a group per unit), the first run starts from it instead of region growing. The
    ``oscillate`` best distinct results are then improved by strategic oscillation (:func:`_oscillate`).
    """
    rng = np.random.default_rng(seed)
    if len(problem.units) == 1:
        return AreaSolution(problem.name, np.zeros(1, np.int64), *_single_score(problem), 1, 1, seed)
    counts = group_counts(problem)
    distance = distance_matrix(problem.xy)
    memo = _Memo()
    runs = restarts if initial is not None else max(restarts, len(counts))
    results: list[tuple[tuple[float, float], np.ndarray]] = []
    for attempt in range(runs):
        count = counts[attempt % len(counts)]
        start = initial.copy() if initial is not None and attempt == 0 else _grow(problem, count, rng)
        state = _State(problem, start, distance, memo)
        _local_search(state, rng)
        results.append((state.totals(), state.unit_group.copy()))
    ranked = sorted(range(len(results)), key=lambda k: (_rounded(results[k][0]), k))
    seen: set[tuple[float, float]] = set()
    relaxed_memos: dict[float, _Memo] = {}
    for k in ranked:
        if len(seen) >= oscillate:
            break
        if _rounded(results[k][0]) in seen:
            continue
        seen.add(_rounded(results[k][0]))
        state = _oscillate(problem, results[k][1], distance, rng, memo, relaxed_memos)
        results[k] = (state.totals(), state.unit_group.copy())
    feasible = [unit_group for score, unit_group in results if score[0] <= 1e-9]
    if len(feasible) > 1 and not problem.hubs and not problem.relation_weight:
        combined = recombine(feasible, len(problem.units), _State(problem, feasible[0], distance, memo).evaluate,
                             problem.count)
        if combined is not None:
            state = _State(problem, combined, distance, memo)
            _local_search(state, rng)
            results.append((state.totals(), state.unit_group.copy()))
    best: tuple[tuple[float, float], np.ndarray] | None = None
    alternatives: list[np.ndarray] = []
    for score, unit_group in results:
        if keep_alternatives and score[0] <= 1e-9:
            alternatives.append(unit_group)
        if best is None or score[0] < best[0][0] - 1e-9 or (abs(score[0] - best[0][0]) <= 1e-9 and score[1] < best[0][1] - 1e-12):
            best = (score, unit_group)
    assert best is not None
    (violation, cost), unit_group = best
    _, unit_group = np.unique(unit_group, return_inverse=True)
    return AreaSolution(problem.name, unit_group.astype(np.int64), violation, cost, int(unit_group.max()) + 1,
                        runs, seed, tuple(alternatives))


def _rounded(score: tuple[float, float]) -> tuple[float, float]:
    return round(score[0], 9), round(score[1], 12)


def _oscillate(problem: AreaProblem, unit_group: np.ndarray, distance: np.ndarray, rng: np.random.Generator,
               memo: _Memo, relaxed_memos: dict[float, _Memo]) -> _State:
    """Strategic oscillation: relax the band to a penalty, search, then restore it and search again.

    With the band soft at a small penalty per patient outside, the search may pass through groups just
    outside the band to reach a better cut; restoring the hard band then repairs them. Penalties rise
    from :data:`OSCILLATION_PENALTIES`' first to last; a cycle that improves nothing ends it. Returns the
    best hard-band state seen (never worse than the start).
    """
    best = _State(problem, unit_group.copy(), distance, memo)
    best_score = best.totals()
    for _ in range(OSCILLATION_CYCLES):
        improved = False
        for penalty in OSCILLATION_PENALTIES:
            relaxed_problem = replace(problem, soft=True, soft_penalty=penalty)
            relaxed = _State(relaxed_problem, best.unit_group.copy(), distance,
                             relaxed_memos.setdefault(penalty, _Memo()))
            _local_search(relaxed, rng)
            restored = _State(problem, relaxed.unit_group.copy(), distance, memo)
            _local_search(restored, rng)
            score = restored.totals()
            if _better(score[0] - best_score[0], score[1] - best_score[1]):
                best, best_score = restored, score
                improved = True
        if not improved:
            break
    return best


def _single_score(problem: AreaProblem) -> tuple[float, float]:
    state = _State(problem, np.zeros(1, np.int64))
    return state.totals()
