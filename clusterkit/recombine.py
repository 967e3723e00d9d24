"""Recombination of the restarts of one area: the best partition made of groups any restart found.

Restarts end in different local optima, each good in some places and poor in others. Every group of every
feasible result is a column; a set-partitioning model picks the cheapest columns covering each unit exactly
once (and, with ``--count``, exactly that many). Every column is a group that met every hard rule where it
was found (band, contiguity, diameter, cannot-links, one hub), and a group's score does not depend on the
other groups, so any partition of such columns is feasible and costs the sum of its columns. The model is
tiny (one row per unit, a few hundred columns) and solved by HiGHS through :func:`scipy.optimize.milp`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import csc_matrix

__all__ = ["recombine"]

#: Seconds the set-partitioning model may take (it normally takes milliseconds).
TIME_LIMIT = 10.0


def recombine(groupings: Sequence[np.ndarray], unit_count: int,
              score: Callable[[frozenset[int]], tuple[float, float]], count: int | None = None) -> np.ndarray | None:
    """The cheapest partition of the units into groups taken from ``groupings``, or None.

    Parameters
    ----------
    groupings : sequence of ndarray
        Feasible groupings (a group id per unit).
    unit_count : int
        Number of units.
    score : callable
        ``(violation, cost)`` of a group (a set of units); only groups with no violation are used.
    count : int, optional
        Number of groups required.

    Returns
    -------
    ndarray or None
        A group id per unit, or None when the model finds nothing (or only what the inputs already hold).
    """
    columns: dict[frozenset[int], float] = {}
    for unit_group in groupings:
        for group in np.unique(unit_group):
            members = frozenset(int(u) for u in np.flatnonzero(unit_group == group))
            if members not in columns:
                violation, cost = score(members)
                if violation <= 1e-9:
                    columns[members] = cost
    if len(columns) <= 1:
        return None
    keys = list(columns)
    rows = [u for members in keys for u in sorted(members)]
    cols = [j for j, members in enumerate(keys) for _ in members]
    cover = csc_matrix((np.ones(len(rows)), (rows, cols)), shape=(unit_count, len(keys)))
    constraints = [LinearConstraint(cover, 1, 1)]
    if count is not None:
        constraints.append(LinearConstraint(np.ones((1, len(keys))), count, count))
    result = milp(np.array([columns[k] for k in keys]), constraints=constraints, integrality=np.ones(len(keys)),
                  bounds=Bounds(0, 1), options={"time_limit": TIME_LIMIT})
    if result.x is None:
        return None
    unit_group = np.full(unit_count, -1, dtype=np.int64)
    for number, j in enumerate(np.flatnonzero(result.x > 0.5)):
        unit_group[sorted(keys[j])] = number
    if (unit_group < 0).any():  # (cannot happen with an exact cover; kept as a guard)
        return None
    return unit_group
