"""Non-dominated candidates: the Pareto front of a set of groupings scored on several criteria.

Every criterion is minimised; a criterion to maximise (alignment kept) is passed negated. A candidate is
dominated when another is at least as good on every criterion and better on one; candidates with the very
same scores do not dominate each other, so duplicates are all on the front or all off it.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["non_dominated"]


def non_dominated(scores: Sequence[Sequence[float]], eligible: Sequence[bool] | None = None) -> list[bool]:
    """Which rows of ``scores`` (one row per candidate, criteria to minimise) no other row dominates.

    Parameters
    ----------
    scores : sequence of sequences of float
        One row per candidate; every row has the same number of criteria. ``nan`` is treated as worst.
    eligible : sequence of bool, optional
        Candidates that may be on the front (e.g. those meeting every rule); the others are never on it
        and dominate nothing. Default: all.

    Returns
    -------
    list of bool

    Examples
    --------
    >>> non_dominated([[1.0, 5.0], [2.0, 3.0], [2.0, 4.0], [3.0, 3.0], [1.0, 5.0]])
    [True, True, False, False, True]
    >>> non_dominated([[1.0, 1.0], [2.0, 2.0]], eligible=[False, True])
    [False, True]
    """
    values = np.asarray(scores, dtype=float)
    if values.size == 0:
        return []
    values = np.where(np.isnan(values), np.inf, values)
    allowed = np.ones(len(values), dtype=bool) if eligible is None else np.asarray(eligible, dtype=bool)
    front = []
    for row in range(len(values)):
        if not allowed[row]:
            front.append(False)
            continue
        others = values[allowed]
        better_or_equal = (others <= values[row]).all(axis=1)
        strictly_better = (others < values[row]).any(axis=1)
        front.append(not bool((better_or_equal & strictly_better).any()))
    return front
