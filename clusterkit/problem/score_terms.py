"""The terms of a group's score on plain arrays: the one definition, run interpreted or compiled.

:func:`group_score` and :func:`group_centre` are written in the subset of Python that numba compiles
(scalar loops over integer and float arrays, no objects). :class:`~clusterkit.problem.score.GroupScorer`
calls them as they are (the pure-Python reference) and the compiled search core
(:mod:`clusterkit.heuristic.kernels`) calls the same functions compiled, so that a group's score is defined
once and is the same to the last bit either way: every sum runs over the group's practices in ascending
order, in both. The one exception is the centre's k x k patient-km totals: interpreted, loops are slower
than numpy on groups of a few practices, so :func:`group_centre` sums them with numpy in the same order and
the compiled core uses its loops (:func:`compiled_group_centre`).

The piece's arrays travel in one :class:`ScoreData` (see :func:`score_data`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from clusterkit.problem.piece import PieceProblem

__all__ = ["ScoreData", "score_data", "group_score", "group_centre", "compiled_group_centre",
           "CANNOT_LINK_WEIGHT"]

#: Weight of one cannot-link pair inside a group in the violation.
CANNOT_LINK_WEIGHT = 10.0


class ScoreData(NamedTuple):
    """A piece's arrays and weights as the score's terms read them (practice indices throughout).

    ``hub`` is 1 for a hub practice; ``cannot_start``/``cannot_list`` the cannot-link partners as a
    compressed list; ``max_diameter`` is negative when there is no limit; ``band_by_area`` is 0 when every
    group has the piece's one band and no cross penalty needs the main sub-ICB.
    """

    sizes: np.ndarray
    distance: np.ndarray
    band_area: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    hub: np.ndarray
    cannot_start: np.ndarray
    cannot_list: np.ndarray
    current: np.ndarray
    band_by_area: int
    has_hubs: int
    has_cannot: int
    soft: int
    soft_above: int
    distance_weight: float
    distance_scale: float
    cross_penalty: float
    move_penalty: float
    soft_penalty: float
    max_diameter: float
    population: float


def score_data(piece: PieceProblem, distance: np.ndarray) -> ScoreData:
    """The :class:`ScoreData` of a piece with its km matrix ``distance``."""
    n = len(piece.codes)
    hub = np.zeros(n, dtype=np.int64)
    for practice in piece.hub_practice.values():
        hub[practice] = 1
    start = np.zeros(n + 1, dtype=np.int64)
    start[1:] = np.cumsum([len(partners) for partners in piece.cannot])
    partners = np.array([j for row in piece.cannot for j in row], dtype=np.int64)
    return ScoreData(
        sizes=np.ascontiguousarray(piece.sizes, dtype=np.float64),
        distance=np.ascontiguousarray(distance, dtype=np.float64),
        band_area=np.ascontiguousarray(piece.band_area, dtype=np.int64),
        lower=np.ascontiguousarray(piece.lower, dtype=np.float64),
        upper=np.ascontiguousarray(piece.upper, dtype=np.float64),
        hub=hub, cannot_start=start, cannot_list=partners,
        current=np.ascontiguousarray(piece.current, dtype=np.int64),
        band_by_area=int(not (piece.uniform_band and not piece.cross_penalty)),
        has_hubs=int(bool(piece.hub_practice)), has_cannot=int(len(partners) > 0),
        soft=int(piece.soft), soft_above=int(piece.soft_above),
        distance_weight=float(piece.distance_weight), distance_scale=float(piece.distance_scale),
        cross_penalty=float(piece.cross_penalty), move_penalty=float(piece.move_penalty),
        soft_penalty=float(piece.soft_penalty),
        max_diameter=-1.0 if piece.max_diameter_km is None else float(piece.max_diameter_km),
        population=float(piece.population),
    )


def group_centre(index: np.ndarray, count: int, data: ScoreData) -> tuple[int, float]:
    """The centre practice of the group ``index[:count]`` (ascending practice indices) and its patient-km to it.

    The centre is the group's hub when it holds one, else its 1-median (the practice with the fewest
    patient-km to it; ties: the lowest index). Compiled, :func:`group_score` calls
    :func:`compiled_group_centre` instead, the same sums as loops.
    """
    if count == 1:
        return index[0], 0.0
    members = index[:count]
    block = data.distance[members[:, None], members]
    weighted = data.sizes[members][:, None] * block  # (practice, centre): patients x km
    totals = weighted.sum(axis=0)  # (a one-column slice would be summed pairwise: other bits)
    if data.has_hubs:
        hubs = np.flatnonzero(data.hub[members])
        if len(hubs):
            return members[int(hubs[0])], float(totals[int(hubs[0])])
    centre = int(np.argmin(totals))
    return members[centre], float(totals[centre])


def compiled_group_centre(index: np.ndarray, count: int, data: ScoreData) -> tuple[int, float]:
    """The centre practice of the group ``index[:count]`` (ascending practice indices) and its patient-km to it.

    The loops that :func:`group_centre` runs on numpy arrays, for the compiled core: each total sums over the
    group's practices in ascending order, as numpy's reduction along the first axis does (row after row),
    so both give the same totals to the last bit.
    """
    if count == 1:
        return index[0], 0.0
    sizes = data.sizes
    distance = data.distance
    if data.has_hubs:
        for a in range(count):
            hub = index[a]
            if data.hub[hub]:
                total = 0.0
                for b in range(count):
                    total += sizes[index[b]] * distance[index[b], hub]
                return hub, total
    best = -1
    best_total = 0.0
    for a in range(count):
        centre = index[a]
        total = 0.0
        for b in range(count):
            total += sizes[index[b]] * distance[index[b], centre]
        if best < 0 or total < best_total:
            best, best_total = centre, total
    return best, best_total


def group_score(index: np.ndarray, count: int, data: ScoreData) -> tuple[float, float, float, float, float]:
    """``(violation, cost, band, diameter, cannot_link)`` of the group ``index[:count]`` (ascending practices).

    The terms are those of :class:`~clusterkit.problem.score.Score` (see :mod:`clusterkit.problem.score`).
    """
    sizes = data.sizes
    population = 0.0
    for a in range(count):
        population += sizes[index[a]]
    distance_total = group_centre(index, count, data)[1]
    # the band rule: the band of the main sub-ICB by patients (ties: the lowest area id), minority outside it
    first = index[0]
    minority = 0.0
    if data.band_by_area and count > 1:
        main = data.band_area[first]
        main_total = -1.0
        mixed = False
        for a in range(count):
            area = data.band_area[index[a]]
            if area != main:
                mixed = True
        if mixed:
            for a in range(count):
                area = data.band_area[index[a]]
                total = 0.0
                for b in range(count):
                    if data.band_area[index[b]] == area:
                        total += sizes[index[b]]
                if total > main_total or (total == main_total and area < main):
                    main, main_total = area, total
            minority = population - main_total
            for a in range(count):
                if data.band_area[index[a]] == main:
                    first = index[a]
                    break
    lower, upper = data.lower[first], data.upper[first]
    below = max(0.0, lower - population)
    above = max(0.0, population - upper)
    diameter = 0.0
    if data.max_diameter >= 0.0 and count > 1:
        widest = 0.0
        for a in range(count):
            for b in range(count):
                widest = max(widest, data.distance[index[a], index[b]])
        diameter = max(0.0, widest - data.max_diameter)
    cannot_link = 0.0
    if data.has_cannot:
        pairs = 0
        for a in range(count):
            i = index[a]
            for k in range(data.cannot_start[i], data.cannot_start[i + 1]):
                j = data.cannot_list[k]
                for b in range(count):
                    if index[b] == j:
                        pairs += 1
        cannot_link = CANNOT_LINK_WEIGHT * (pairs // 2)
    cost = data.distance_weight * distance_total / data.distance_scale + data.cross_penalty * minority
    band_violation = 0.0
    if data.soft:
        cost += data.soft_penalty * (below + above)
    elif data.soft_above:  # hard below, soft above
        band_violation = below / 1000.0
        cost += data.soft_penalty * above
    else:
        band_violation = (below + above) / 1000.0
    if data.move_penalty:
        known = 0.0
        largest = 0.0
        for a in range(count):
            label = data.current[index[a]]
            if label >= 0:
                known += sizes[index[a]]
                total = 0.0
                for b in range(count):
                    if data.current[index[b]] == label:
                        total += sizes[index[b]]
                largest = max(largest, total)
        if known > 0.0:
            cost += data.move_penalty * (known - largest)
    violation = band_violation + diameter + cannot_link
    return violation, cost / data.population, band_violation, diameter, cannot_link
