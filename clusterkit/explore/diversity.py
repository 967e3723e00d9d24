"""How different candidate groupings are, and where they disagree.

Candidates are compared by the variation of information (VI) between their partitions of the same practices,
normalised by ``ln(n)`` so that 0 means the same grouping and 1 is the most two groupings of ``n`` practices
can differ (:func:`vi_matrix`). From the matrix come the plan diversity (:func:`diversity`), the candidates
worth showing (good and mutually different, :func:`select_diverse`) and a consensus: the medoid, the
candidate closest to all others (:func:`medoid`) — a real candidate, so it meets every rule the search
met, which a grouping rebuilt from co-assignment counts would not. Each practice's stability says how often
it sits in (nearly) its consensus group; a practice that does not in most candidates is a *swing*
practice (:func:`practice_stability`), and each pair of neighbours has the share of candidates that put
them together (:func:`co_assignment`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Diversity", "PracticeStability", "co_assignment", "diversity", "duplicate_of", "encode", "medoid", "practice_stability",
           "select_diverse", "vi_matrix"]

#: A practice's group counts as its consensus group when the two share at least this Jaccard overlap.
SAME_GROUP_JACCARD = 0.5


def encode(labelling: Sequence[Mapping[str, str]], codes: Sequence[str]) -> np.ndarray:
    """Candidates x practices array of integer group ids; an ungrouped practice is a group of its own.

    >>> encode([{"A": "x", "B": "x", "C": "y"}, {"A": "p", "B": "q"}], ["A", "B", "C"]).tolist()
    [[0, 0, 1], [0, 1, 2]]
    """
    rows = np.empty((len(labelling), len(codes)), dtype=np.int64)
    for row, labels in enumerate(labelling):
        ids: dict[str, int] = {}
        for column, code in enumerate(codes):
            label = labels.get(code) or f"\0{code}"  # ungrouped: alone
            rows[row, column] = ids.setdefault(label, len(ids))
    return rows


def _entropy(counts: np.ndarray, total: int) -> float:
    shares = counts[counts > 0] / total
    return float(-(shares * np.log(shares)).sum())


def _vi(first: np.ndarray, second: np.ndarray) -> float:
    total = len(first)
    _, joint = np.unique(first * (int(second.max()) + 1) + second, return_counts=True)
    value = 2 * _entropy(joint, total) - _entropy(np.bincount(first), total) - _entropy(np.bincount(second), total)
    return max(0.0, value)


def vi_matrix(encoded: np.ndarray) -> np.ndarray:
    """Pairwise variation of information of the candidates (rows of :func:`encode`), divided by ``ln(n)``.

    >>> vi_matrix(np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 1, 0, 1]])).round(3).tolist()
    [[0.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0]]
    """
    count, practices = encoded.shape
    scale = math.log(practices) if practices > 1 else 1.0
    matrix = np.zeros((count, count))
    for first in range(count):
        for second in range(first + 1, count):
            matrix[first, second] = matrix[second, first] = _vi(encoded[first], encoded[second]) / scale
    return matrix


@dataclass(frozen=True)
class Diversity:
    """How different the candidates are from each other.

    Attributes
    ----------
    pairs : int
        Pairs of candidates compared.
    vi_min, vi_median, vi_mean, vi_max : float
        Normalised variation of information over the pairs (0: the same grouping).
    vi_quartiles : tuple of float
        Its 25th, 50th and 75th percentiles.
    duplicates : int
        Candidates identical to an earlier one.
    duplicate_share : float
        ``duplicates`` over the candidates.
    distinct : int
        Different groupings among the candidates.
    """

    pairs: int
    vi_min: float
    vi_median: float
    vi_mean: float
    vi_max: float
    vi_quartiles: tuple[float, float, float]
    duplicates: int
    duplicate_share: float
    distinct: int

    def to_dict(self) -> dict[str, object]:
        return {name: (list(value) if isinstance(value, tuple) else value) for name, value in self.__dict__.items()}


def duplicate_of(matrix: np.ndarray) -> list[int | None]:
    """For each candidate, the first earlier candidate it is identical to (VI 0), or None.

    >>> duplicate_of(np.array([[0.0, 0.0, 0.4], [0.0, 0.0, 0.4], [0.4, 0.4, 0.0]]))
    [None, 0, None]
    """
    found: list[int | None] = []
    for row in range(len(matrix)):
        same = [earlier for earlier in range(row) if matrix[row, earlier] <= 1e-12 and found[earlier] is None]
        found.append(same[0] if same else None)
    return found


def diversity(matrix: np.ndarray) -> Diversity:
    """The distribution of pairwise VI and the share of duplicates (:func:`vi_matrix`'s output).

    >>> diversity(np.array([[0.0, 0.0, 0.4], [0.0, 0.0, 0.4], [0.4, 0.4, 0.0]])).duplicates
    1
    """
    count = len(matrix)
    upper = matrix[np.triu_indices(count, k=1)]
    duplicates = sum(1 for earlier in duplicate_of(matrix) if earlier is not None)
    if upper.size == 0:
        upper = np.zeros(1)
    quartiles = tuple(round(float(value), 4) for value in np.percentile(upper, [25, 50, 75]))
    return Diversity(pairs=count * (count - 1) // 2, vi_min=round(float(upper.min()), 4),
                     vi_median=quartiles[1], vi_mean=round(float(upper.mean()), 4),
                     vi_max=round(float(upper.max()), 4), vi_quartiles=quartiles,  # type: ignore[arg-type]
                     duplicates=duplicates, duplicate_share=round(duplicates / count, 4) if count else 0.0,
                     distinct=count - duplicates)


def medoid(matrix: np.ndarray, eligible: Sequence[bool] | None = None) -> int:
    """The candidate with the least total VI to all candidates (ties: the first), among ``eligible`` ones.

    >>> medoid(np.array([[0.0, 0.2, 0.9], [0.2, 0.0, 0.3], [0.9, 0.3, 0.0]]))
    1
    """
    totals = matrix.sum(axis=1)
    allowed = np.ones(len(matrix), dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    if not allowed.any():
        allowed = np.ones(len(matrix), dtype=bool)
    totals = np.where(allowed, totals, np.inf)
    return int(np.argmin(totals))


def select_diverse(order: Sequence[int], matrix: np.ndarray, keep: int, min_vi: float) -> list[int]:
    """Up to ``keep`` candidates, taken in ``order`` (best first), each at least ``min_vi`` from those kept.

    >>> matrix = np.array([[0.0, 0.01, 0.5], [0.01, 0.0, 0.5], [0.5, 0.5, 0.0]])
    >>> select_diverse([0, 1, 2], matrix, keep=2, min_vi=0.05)
    [0, 2]
    """
    kept: list[int] = []
    for candidate in order:
        if len(kept) >= keep:
            break
        if all(matrix[candidate, other] >= min_vi for other in kept):
            kept.append(candidate)
    return kept


@dataclass(frozen=True)
class PracticeStability:
    """One practice across the candidates.

    Attributes
    ----------
    practice_code : str
    consensus_group : str
        Its group in the consensus grouping.
    stability : float
        Share of candidates in which its group is (nearly) its consensus group: the two share at least half
        their practices (Jaccard >= 0.5).
    mean_jaccard : float
        Mean overlap (Jaccard) of its group with its consensus group over the candidates.
    swing : bool
        In most candidates it sits in another group than its consensus one (stability < 0.5).
    neighbours : int
        Adjacent practices.
    contested_neighbours : int
        Adjacent practices it shares a group with in 20-80% of the candidates: a boundary that moves.
    """

    practice_code: str
    consensus_group: str
    stability: float
    mean_jaccard: float
    swing: bool
    neighbours: int
    contested_neighbours: int


def practice_stability(encoded: np.ndarray, codes: Sequence[str], consensus: int,
                       consensus_labels: Mapping[str, str],
                       together: Mapping[tuple[str, str], float]) -> list[PracticeStability]:
    """Each practice's stability against the consensus candidate (a row of ``encoded``).

    ``together`` is :func:`co_assignment`'s output.

    >>> encoded = np.array([[0, 0, 1, 1], [0, 0, 1, 1], [0, 1, 1, 1]])
    >>> rows = practice_stability(encoded, "ABCD", 0, dict(zip("ABCD", "xxyy")), {("A", "B"): 2 / 3})
    >>> [(row.practice_code, round(row.stability, 2), row.swing) for row in rows]
    [('A', 1.0, False), ('B', 0.67, False), ('C', 1.0, False), ('D', 1.0, False)]
    """
    count, practices = encoded.shape
    reference = encoded[consensus]
    reference_sizes = np.bincount(reference)[reference]
    same = np.zeros(practices)
    jaccard_total = np.zeros(practices)
    for row in encoded:
        sizes = np.bincount(row)[row]
        pair = row * (int(reference.max()) + 1) + reference
        _, inverse, joint = np.unique(pair, return_inverse=True, return_counts=True)
        overlap = joint[np.ravel(inverse)]
        jaccard = overlap / (sizes + reference_sizes - overlap)
        jaccard_total += jaccard
        same += jaccard >= SAME_GROUP_JACCARD
    neighbours: dict[str, int] = {}
    contested: dict[str, int] = {}
    for (first, second), share in together.items():
        for code in (first, second):
            neighbours[code] = neighbours.get(code, 0) + 1
            contested[code] = contested.get(code, 0) + int(0.2 <= share <= 0.8)
    return [PracticeStability(code, consensus_labels.get(code, ""), float(same[column] / count),
                              float(jaccard_total[column] / count), bool(same[column] / count < 0.5),
                              neighbours.get(code, 0), contested.get(code, 0))
            for column, code in enumerate(codes)]


def co_assignment(encoded: np.ndarray, codes: Sequence[str], pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], float]:
    """For each pair of practices (e.g. adjacent ones), the share of candidates that group them together.

    >>> co_assignment(np.array([[0, 0, 1], [0, 1, 1]]), "ABC", [("A", "B"), ("B", "C")])
    {('A', 'B'): 0.5, ('B', 'C'): 0.5}
    """
    column = {code: position for position, code in enumerate(codes)}
    shares = {}
    for first, second in pairs:
        together = encoded[:, column[first]] == encoded[:, column[second]]
        shares[(first, second)] = float(together.mean())
    return shares
