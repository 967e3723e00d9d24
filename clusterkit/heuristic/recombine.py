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

__all__ = ["SetPartition", "partition_of", "recombine"]

#: Seconds the set-partitioning model may take (it normally takes milliseconds).
TIME_LIMIT = 10.0

#: ``set_partition(columns, costs, units, *, count, time_limit[, start]) -> (outcome, picked column indices or
#: None)``; ``start`` (indices of columns covering every unit once) is a first incumbent.
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
    return partition_of(columns, unit_count, set_partition, count)


def partition_of(columns: dict[frozenset[int], float], unit_count: int, set_partition: SetPartition,
                 count: int | None = None, start: Sequence[frozenset[int]] | None = None) -> np.ndarray | None:
    """The cheapest exact cover of the units by ``columns`` (group -> cost, every group feasible), or None.

    Returns a group id per unit (0..k-1 in the order of the picked columns), or None when there are fewer
    than two columns or the model finds nothing. ``start`` (columns covering every unit once) is handed to the
    solver as a first incumbent; costs are passed scaled to a mean of 100 (the same optimum: HiGHS prunes
    sooner than on costs of a few hundredths, about four times faster on pools of a thousand columns with an
    incumbent).

    Examples
    --------
    >>> def cover(columns, costs, units, *, count, time_limit):  # a stand-in solver: the two singletons
    ...     return None, np.array([1, 2])
    >>> partition_of({frozenset({0, 1}): 3.0, frozenset({0}): 1.0, frozenset({1}): 1.0}, 2, cover).tolist()
    [0, 1]
    """
    if len(columns) <= 1:
        return None
    keys = list(columns)
    costs = np.array([columns[k] for k in keys], dtype=float)
    mean = float(np.abs(costs).mean())
    if mean > 0:
        costs = costs * (100.0 / mean)
    options: dict[str, Any] = {}
    if start is not None:
        position = {key: j for j, key in enumerate(keys)}
        if all(group in position for group in start):
            options["start"] = [position[group] for group in start]
    _, picked = set_partition(keys, costs.tolist(), unit_count, count=count, time_limit=TIME_LIMIT, **options)
    if picked is None:
        return None
    unit_group = np.full(unit_count, -1, dtype=np.int64)
    for number, j in enumerate(picked):
        unit_group[sorted(keys[j])] = number
    if (unit_group < 0).any():  # (cannot happen with an exact cover; kept as a guard)
        return None
    return unit_group
