"""One independent piece of a grouping problem as plain arrays (picklable, no networkx).

Practices kept together (must-link chains, blocks of ``units``) form one *unit* that always moves whole; a
group is a set of units. A piece is what one task of a decomposed run solves.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class PieceProblem:
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
    soft_above : bool
        The lower bound hard, the upper one soft.
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
    soft_above: bool = False
    contiguity: bool = True
    max_diameter_km: float | None = None

    @property
    def population(self) -> float:
        """Patients of the piece."""
        return float(self.sizes.sum())

    @cached_property
    def unit_sizes(self) -> np.ndarray:
        """Patients of each unit."""
        single, first = self._single_units
        result = np.asarray(self.sizes, dtype=float)[first]
        for unit in np.flatnonzero(~single).tolist():
            result[unit] = self.sizes[list(self.units[unit])].sum()
        return result

    @cached_property
    def unit_xy(self) -> np.ndarray:
        """``(units, 2)``: each unit's position, its practices' mean weighted by list size (at least 1)."""
        single, first = self._single_units
        weights = np.maximum(self.sizes, 1)[first].astype(float)[:, None]
        result = np.asarray(self.xy, dtype=float)[first] * weights / weights  # np.average's arithmetic, at once
        for unit in np.flatnonzero(~single).tolist():
            members = list(self.units[unit])
            result[unit] = np.average(self.xy[members], axis=0, weights=np.maximum(self.sizes[members], 1))
        return result.reshape(len(self.units), 2)

    @property
    def _single_units(self) -> tuple[np.ndarray, np.ndarray]:
        """Which units hold one practice, and each unit's first practice."""
        lengths = np.fromiter((len(unit) for unit in self.units), dtype=np.int64, count=len(self.units))
        first = np.fromiter((unit[0] for unit in self.units), dtype=np.int64, count=len(self.units))
        return lengths == 1, first

    @cached_property
    def km(self) -> np.ndarray:
        """``(n, n)``: straight-line km between every two practices, float64 (the heuristic's scores read it;
        all of England: 300 MB, computed once per piece and never sent to a worker with it)."""
        from clusterkit.model.coordinates import distance_matrix

        return distance_matrix(self.xy, dtype=np.float64)

    def __getstate__(self) -> dict:
        """What a pickle of the piece holds: its fields and small cached figures, not :attr:`km`."""
        state = dict(self.__dict__)
        state.pop("km", None)
        return state

    @cached_property
    def uniform_band(self) -> bool:
        """Whether every practice of the piece has the same band (no waiver applies to part of it)."""
        return len(self.lower) > 0 and self.lower.min() == self.lower.max() and self.upper.min() == self.upper.max()
