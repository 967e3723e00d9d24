"""The mutable state of one search: groups of units and their scores.

Scores come from the one group score (:class:`~clusterkit.problem.score.GroupScorer`), shared by the searches
of one piece through a :class:`Memo` (a score depends on a group's units only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from clusterkit.problem.piece import PieceProblem
from clusterkit.problem.score import GroupScorer, Score, connected

__all__ = ["State", "Memo"]


@dataclass
class Memo:
    """What the local searches of one piece share: the group scorer (its cache), and resplits known to fail."""

    scorer: GroupScorer
    resplit_failed: set[frozenset[frozenset[int]]] = field(default_factory=set)
    #: The compiled passes (:class:`clusterkit.heuristic.kernels.CompiledSearch`), or None: the Python ones.
    compiled: Any = None


class State:
    """Mutable search state of one restart: a group per unit, the members and score of each group."""

    def __init__(self, problem: PieceProblem, unit_group: np.ndarray, memo: Memo) -> None:
        self.problem = problem
        self.scorer = memo.scorer
        self.resplit_tried = memo.resplit_failed
        self.compiled = memo.compiled
        self.distance = self.scorer.distance
        self.unit_sizes = self.scorer.unit_sizes
        self.unit_group = unit_group if memo.compiled is None else np.ascontiguousarray(unit_group, dtype=np.int64)
        self.members: dict[int, set[int]] = {}
        for unit, group in enumerate(unit_group):
            self.members.setdefault(int(group), set()).add(unit)
        self.score = {group: self.evaluate(units) for group, units in self.members.items()}

    def evaluate(self, units: set[int] | list[int] | frozenset[int]) -> Score:
        """The score of a group made of ``units`` (alignment and shared staff excluded)."""
        return self.scorer.evaluate(units)

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
        return not self.problem.contiguity or connected(self.problem.unit_neighbours, remaining)

    def apply(self, unit: int, target: int, source_score: tuple[float, float],
              target_score: tuple[float, float]) -> None:
        source = int(self.unit_group[unit])
        self.members[source].discard(unit)
        self.members[target].add(unit)
        self.unit_group[unit] = target
        self.score[source] = source_score
        self.score[target] = target_score
