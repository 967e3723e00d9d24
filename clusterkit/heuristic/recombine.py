"""Recombination of the restarts of one piece: the best partition made of groups any restart found.

Restarts end in different local optima, each good in some places and poor in others. Every group of every
feasible result is a column; a set-partitioning model picks the cheapest columns covering each unit exactly
once (and, with ``--count``, exactly that many). Every column is a group that met every hard rule where it
was found (band, contiguity, diameter, cannot-links, one hub), and a group's score does not depend on the
other groups, so any partition of such columns is feasible and costs the sum of its columns. The model is
tiny (one row per unit, a few hundred columns); the set-partitioning solver is passed in (the project's one
model, :func:`solvers.partition.solve_set_partition`), so that this core module needs no solver.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["SetPartition", "recombine"]

#: Seconds the set-partitioning model may take (it normally takes milliseconds).
TIME_LIMIT = 10.0

#: ``set_partition(columns, costs, units, *, count, time_limit) -> (outcome, picked column indices or None)``.
SetPartition = Callable[..., tuple[Any, "np.ndarray | None"]]


def recombine(groupings: Sequence[np.ndarray], unit_count: int,
              score: Callable[[frozenset[int]], tuple[float, float]], set_partition: SetPartition,
              count: int | None = None) -> np.ndarray | None:
    """The cheapest partition of the units into groups taken from ``groupings``, or None.

    Parameters
    ----------
    groupings : sequence of ndarray
        Feasible groupings (a group id per unit).
    unit_count : int
        Number of units.
    score : callable
        ``(violation, cost)`` of a group (a set of units); only groups with no violation are used.
    set_partition : callable
        The set-partitioning solver (see :data:`SetPartition`).
    count : int, optional
        Number of groups required.

    Returns
    -------
    ndarray or None
        A group id per unit, or None when the model finds nothing.
    """
    columns: dict[frozenset[int], float] = {}
    for unit_group in groupings:
        for group in np.unique(unit_group):
            members = frozenset(int(u) for u in np.flatnonzero(unit_group == group))
            if members not in columns:
                violation, cost = score(members)[:2]
                if violation <= 1e-9:
                    columns[members] = cost
    if len(columns) <= 1:
        return None
    keys = list(columns)
    _, picked = set_partition(keys, [columns[k] for k in keys], unit_count, count=count, time_limit=TIME_LIMIT)
    if picked is None:
        return None
    unit_group = np.full(unit_count, -1, dtype=np.int64)
    for number, j in enumerate(picked):
        unit_group[sorted(keys[j])] = number
    if (unit_group < 0).any():  # (cannot happen with an exact cover; kept as a guard)
        return None
    return unit_group
