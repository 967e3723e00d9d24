"""The mutable state of one search: groups of units, their scores, and contiguity checks.

A group's score is a pair ``(violation, cost)`` compared lexicographically: ``violation`` measures
how far a group is from the hard rules (patients outside a hard band, km above the diameter limit,
cannot-link pairs inside), ``cost`` is the objective share of the group. A score depends on the group's
units only, so scores are cached and shared by the searches of one problem (:class:`Memo`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from clusterkit.area import AreaProblem, distance_matrix

__all__ = ["State", "Memo", "connected_units", "CACHE_LIMIT"]

#: Group scores kept per problem before the cache starts afresh (bounds memory on national runs).
CACHE_LIMIT = 400_000


@dataclass
class Memo:
    """What the local searches of one problem share: group scores, and resplits known to fail."""

    scores: dict[frozenset[int], tuple[float, float]] = field(default_factory=dict)
    resplit_failed: set[frozenset[frozenset[int]]] = field(default_factory=set)


class State:
    """Mutable search state of one restart."""

    def __init__(self, problem: AreaProblem, unit_group: np.ndarray, distance: np.ndarray | None = None,
                 memo: Memo | None = None) -> None:
        self.problem = problem
        # scores of groups already evaluated (a score depends on the units only) and resplits that found
        # nothing: shared by the restarts of one problem, which visit the same groups again and again
        memo = memo if memo is not None else Memo()
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

    def distance_total(self, units: set[int] | frozenset[int]) -> float:
        """Patient-km of a group of ``units`` to its best centre practice (its hub when it has one)."""
        index = np.array([i for u in units for i in self.problem.units[u]], dtype=np.int64)
        return self._to_centre(units, index)[0]

    def _to_centre(self, units: set[int] | frozenset[int], index: np.ndarray) -> tuple[float, float]:
        """``(patient-km to the best centre or the hub, diameter in km when a limit is set, else 0)``."""
        p = self.problem
        if len(index) == 1:
            return 0.0, 0.0
        distance = self.distance[index[:, None], index]
        totals = p.sizes[index] @ distance
        diameter = float(distance.max()) if p.max_diameter_km is not None else 0.0
        if self.has_hubs:
            hub = next((p.hub_practice[u] for u in units if u in p.hub_practice), None)
            if hub is not None:
                return float(totals[int(np.flatnonzero(index == hub)[0])]), diameter
        return float(totals.min()), diameter

    def _evaluate(self, units: frozenset[int]) -> tuple[float, float]:
        p = self.problem
        practices = [i for u in units for i in p.units[u]]
        index = np.array(practices, dtype=np.int64)
        sizes = p.sizes[index]
        population = float(sizes.sum())
        distance_total, diameter = self._to_centre(units, index)
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


def connected_units(p: AreaProblem, units: set[int]) -> bool:
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
