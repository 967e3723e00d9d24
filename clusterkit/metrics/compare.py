"""Two groupings of the same practices side by side: agreement (ARI, NMI, VI), how groups split and merge,
which practices moved, and each side's own metrics.

Agreement is measured over the practices grouped on both sides (a practice ungrouped on either side is left
out and counted): the adjusted Rand index and normalised mutual information are scikit-learn's; the variation
of information is :math:`VI(A, B) = H(A \\mid B) + H(B \\mid A)` in nats (0 for identical groupings, at most
:math:`\\ln n`). A practice *moved* when its group on side B is not the successor of its group on side A (the B
group holding most of its A group's practices, as :func:`clusterkit.metrics.grouping.moved_practices` defines).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from clusterkit.metrics.grouping import GroupingMetrics, evaluate_grouping, moved_practices
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import Partition
from clusterkit.problem.grouping import GroupingProblem

__all__ = ["Move", "GroupChange", "Comparison", "compare_groupings", "variation_of_information"]


@dataclass(frozen=True)
class Move:
    """A practice that changed group: its group on each side."""

    practice: str
    list_size: int
    before: str
    after: str


@dataclass(frozen=True)
class GroupChange:
    """What became of one group of side A on side B.

    ``kind`` is ``kept`` (the same practices form one B group), ``split`` (its practices lie in several B
    groups), ``merged`` (all in one B group that also holds practices of other A groups) or ``split and merged``.
    """

    group: str
    practices: int
    into: tuple[str, ...]
    kept_share: float
    kind: str


@dataclass(frozen=True)
class Comparison:
    """Two groupings compared (see the module docstring)."""

    names: tuple[str, str]
    practices: int
    left_out: int
    ari: float
    nmi: float
    vi: float
    moves: tuple[Move, ...]
    changes: tuple[GroupChange, ...]
    contingency: Mapping[str, Mapping[str, int]]
    metrics: tuple[GroupingMetrics, GroupingMetrics]

    @property
    def moved(self) -> int:
        """Practices that changed group."""
        return len(self.moves)

    @property
    def moved_patients(self) -> int:
        """Their registered patients."""
        return sum(move.list_size for move in self.moves)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (``ari``, ``nmi``, ``vi``, ``moved`` as a count, each side's metrics)."""
        first, second = self.names
        return {
            "names": list(self.names), "practices": self.practices, "left_out": self.left_out,
            "ari": self.ari, "nmi": self.nmi, "vi": self.vi, "moved": self.moved, "moved_patients": self.moved_patients,
            "changes": {kind: sum(change.kind == kind for change in self.changes)
                        for kind in ("kept", "split", "merged", "split and merged")},
            "metrics": {first: self.metrics[0].to_dict(), second: self.metrics[1].to_dict()},
        }


def variation_of_information(first: list[str], second: list[str]) -> float:
    """:math:`H(A|B) + H(B|A)` in nats of two labellings of the same items.

    Examples
    --------
    >>> variation_of_information(["a", "a", "b", "b"], ["x", "x", "y", "y"])
    0.0
    >>> round(variation_of_information(["a", "a", "b", "b"], ["x", "y", "x", "y"]), 4)  # 2 ln 2
    1.3863
    """
    count = len(first)
    if count == 0:
        return 0.0
    joint = Counter(zip(first, second))
    left, right = Counter(first), Counter(second)
    total = 0.0
    for (a, b), together in joint.items():
        p = together / count
        total -= p * (math.log(together / left[a]) + math.log(together / right[b]))
    return max(0.0, total)


def compare_groupings(graph: PracticeGraph, first: Partition | Mapping[str, str], second: Partition | Mapping[str, str],
                      problem: GroupingProblem | None = None, *, names: tuple[str, str] = ("A", "B")) -> Comparison:
    """Compare two groupings of ``graph``'s practices (``second`` read as the newer).

    Parameters
    ----------
    graph : PracticeGraph
        The practices (with the adjacency and relation layers the metrics use).
    first, second : Partition or mapping
        Practice -> group on each side.
    problem : GroupingProblem, optional
        The band and rules each side is measured against (default 30,000-50,000).
    names : (str, str)
        What to call the two sides in tables.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> county = synthetic_county(seed=1).with_adjacency()
    >>> today = {p.code: p.group for p in county.practices if p.group}
    >>> same = compare_groupings(county, today, today)
    >>> (same.ari, same.nmi, same.vi, same.moved)
    (1.0, 1.0, 0.0, 0)
    """
    first = first if isinstance(first, Partition) else Partition(first)
    second = second if isinstance(second, Partition) else Partition(second)
    both = [code for code in graph.codes if first.part_of(code) and second.part_of(code)]
    left_out = sum(1 for code in graph.codes if bool(first.part_of(code)) or bool(second.part_of(code))) - len(both)
    labels_first = [first.part_of(code) for code in both]
    labels_second = [second.part_of(code) for code in both]
    if both:
        from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score  # slow to import: only when comparing

        ari = float(adjusted_rand_score(labels_first, labels_second))
        nmi = float(normalized_mutual_info_score(labels_first, labels_second))
    else:
        ari = nmi = math.nan
    vi = variation_of_information(labels_first, labels_second)
    sizes = {p.code: p.list_size for p in graph.practices}
    moved = moved_practices({code: second.part_of(code) for code in both}, {code: first.part_of(code) for code in both})
    moves = tuple(Move(code, sizes[code], first.part_of(code), second.part_of(code)) for code in sorted(moved))
    contingency: dict[str, Counter[str]] = {}
    for a, b in zip(labels_first, labels_second):
        contingency.setdefault(a, Counter())[b] += 1
    sources: Counter[str] = Counter(b for row in contingency.values() for b in row)
    changes = []
    for group, row in sorted(contingency.items()):
        into = tuple(sorted(row, key=lambda b: (-row[b], b)))
        merged = any(sources[b] > 1 for b in into)
        kind = ("split and merged" if merged else "split") if len(into) > 1 else ("merged" if merged else "kept")
        changes.append(GroupChange(group, sum(row.values()), into, row[into[0]] / sum(row.values()), kind))
    problem = problem or GroupingProblem()
    metrics = (evaluate_grouping(graph, first.labels, problem, current=None),
               evaluate_grouping(graph, second.labels, problem, current=first.labels))
    return Comparison(names, len(both), left_out, ari, nmi, vi, moves, tuple(changes),
                      {a: dict(row) for a, row in sorted(contingency.items())}, metrics)


def contingency_array(comparison: Comparison) -> tuple[list[str], list[str], np.ndarray]:
    """The contingency as ``(A groups, B groups, counts)``, for a table or a heat map."""
    rows = sorted(comparison.contingency)
    columns = sorted({b for row in comparison.contingency.values() for b in row})
    counts = np.array([[comparison.contingency[a].get(b, 0) for b in columns] for a in rows], dtype=np.int64)
    return rows, columns, counts
