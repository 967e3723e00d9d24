"""One independent piece of a grouping problem as plain arrays (picklable, no networkx), and its solution.

Practices tied by must-link form one *unit* that always moves whole; a group is a set of units.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["AreaProblem", "AreaSolution", "distance_matrix"]


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
