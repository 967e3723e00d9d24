"""A seeded synthetic county: practices, today's groups and relations, for the demo, tests and examples.

The county lies in the English Midlands (British National Grid around 455 km E, 330 km N) so that
coordinates and distances behave as real ones do. It has a city, three market towns and a rural
spread; three sub-ICBs that split it into contiguous thirds; list sizes drawn from a log-normal fitted to
England's practices (median about 8,800, long right tail; rural practices smaller); two philosophy scores
correlated within each town; a few unwilling practices; and "current" groups built the way many real
PCNs were, by sweeping round each sub-ICB until about 40,000 patients.
"""

from __future__ import annotations

import math

import numpy as np

from clusterkit.model.coordinates import to_wgs84
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import DEFAULT_FUNDING_PER_PATIENT, Practice, Relation

__all__ = ["SYNTHETIC_ICB", "synthetic_county", "synthetic_relations"]

SYNTHETIC_ICB = "QZZ"
_CENTRE = (455_000.0, 330_000.0)
#: name, offset from the county centre (m), spread (m), share of practices, list-size factor
_SETTLEMENTS = (
    ("Wrexley", (-4_000.0, 2_000.0), 3_000.0, 0.36, 1.15),
    ("Barnsworth", (21_000.0, 12_000.0), 1_800.0, 0.15, 1.0),
    ("Kelham Bridge", (-22_000.0, -9_000.0), 1_700.0, 0.13, 1.0),
    ("Dunmere", (12_000.0, -17_000.0), 1_400.0, 0.10, 0.95),
)
_VILLAGES = ("Ashby Parva", "Coldmarsh", "Elmstead", "Fenwick", "Greyholme", "Hatherley", "Ivinghoe End",
             "Langtoft", "Marsden Vale", "Netherby", "Oakhanger", "Pitsford", "Quenby", "Rushden Heath",
             "Stoke Albany", "Thornby", "Upton Cressett", "Welby", "Yarwell", "Bransford")
_SUFFIXES = ("Medical Centre", "Surgery", "Health Centre", "Family Practice", "Group Practice")
_SUB_ICBS = (("X1A", (-14_000.0, 8_000.0)), ("X2B", (18_000.0, 6_000.0)), ("X3C", (-2_000.0, -15_000.0)))
_MEDIAN_LIST = 8_800.0
_LOG_SIGMA = 0.6


def synthetic_county(seed: int = 0, n_practices: int | None = None) -> PracticeGraph:
    """Practices of a synthetic county (no relation layers; see :func:`synthetic_relations`).

    Parameters
    ----------
    seed : int
        Everything follows from it.
    n_practices : int, optional
        Default: drawn between 80 and 110.

    Examples
    --------
    >>> graph = synthetic_county(seed=3)
    >>> 80 <= len(graph) <= 110, sorted(graph.areas("sub_icb"))
    (True, ['X1A', 'X2B', 'X3C'])
    """
    rng = np.random.default_rng(seed)
    count = int(n_practices) if n_practices is not None else int(rng.integers(80, 111))
    if count < 3:
        raise ValueError("a synthetic county needs at least 3 practices")
    shares = np.array([s[3] for s in _SETTLEMENTS])
    per_town = np.floor(shares * count).astype(int)
    rural = count - per_town.sum()
    positions, places, factors, philosophy = [], [], [], []
    for (name, offset, spread, _, factor), town_count in zip(_SETTLEMENTS, per_town):
        base = rng.uniform(0.15, 0.85, size=2)
        for _ in range(town_count):
            positions.append((_CENTRE[0] + offset[0] + rng.normal(0, spread), _CENTRE[1] + offset[1] + rng.normal(0, spread)))
            places.append(name)
            factors.append(factor)
            philosophy.append(np.clip(base + rng.normal(0, 0.12, size=2), 0, 1))
    for _ in range(rural):
        angle, radius = rng.uniform(0, 2 * math.pi), 34_000.0 * math.sqrt(rng.uniform(0.05, 1.0))
        positions.append((_CENTRE[0] + radius * math.cos(angle), _CENTRE[1] + 0.75 * radius * math.sin(angle)))
        places.append(str(rng.choice(_VILLAGES)))
        factors.append(0.65)
        philosophy.append(rng.uniform(0, 1, size=2))
    xy = np.array(positions)
    lat, lon = to_wgs84(xy[:, 0], xy[:, 1])
    sizes = np.exp(rng.normal(math.log(_MEDIAN_LIST), _LOG_SIGMA, size=count)) * np.array(factors)
    sizes = np.clip(np.round(sizes), 900, 60_000).astype(int)
    anchors = np.array([(_CENTRE[0] + dx, _CENTRE[1] + dy) for _, (dx, dy) in _SUB_ICBS])
    area = np.argmin(((xy[:, None, :] - anchors[None, :, :]) ** 2).sum(axis=2), axis=1)
    order = np.lexsort((xy[:, 1], xy[:, 0]))
    unwilling = set(rng.choice(count, size=max(1, count // 40), replace=False).tolist())
    practices = []
    for number, k in enumerate(order, start=1):
        practices.append(
            Practice(
                code=f"X{number:05d}",
                name=f"{places[k]} {_SUFFIXES[int(rng.integers(len(_SUFFIXES)))]}".upper(),
                lat=round(float(lat[k]), 6),
                lon=round(float(lon[k]), 6),
                x=float(xy[k, 0]),
                y=float(xy[k, 1]),
                list_size=int(sizes[k]),
                turnover=float(sizes[k]) * DEFAULT_FUNDING_PER_PATIENT,
                sub_icb=_SUB_ICBS[int(area[k])][0],
                icb=SYNTHETIC_ICB,
                willing=k not in unwilling,
                attributes={
                    "philosophy_innovation": round(float(philosophy[k][0]), 3),
                    "philosophy_collective": round(float(philosophy[k][1]), 3),
                },
            )
        )
    practices = _with_current_groups(practices)
    return PracticeGraph.from_practices(practices, meta={"source": f"synthetic county (seed {seed})", "seed": seed})


def _with_current_groups(practices: list[Practice], target: int = 40_000) -> list[Practice]:
    """Assign ``group`` by sweeping round each sub-ICB's centroid until about ``target`` patients."""
    from dataclasses import replace

    result = []
    for sub_icb in sorted({p.sub_icb for p in practices}):
        members = [p for p in practices if p.sub_icb == sub_icb]
        cx = sum(p.x for p in members) / len(members)
        cy = sum(p.y for p in members) / len(members)
        members.sort(key=lambda p: (math.atan2(p.y - cy, p.x - cx), p.code))
        number, total = 1, 0
        for practice in members:
            if total >= target:
                number, total = number + 1, 0
            total += practice.list_size
            result.append(replace(practice, group=f"{sub_icb}-PCN{number}"))
    return result


def synthetic_relations(graph: PracticeGraph, seed: int = 0) -> tuple[Relation, ...]:
    """Relations for a synthetic county: alignment, shared staff and a few links.

    Alignment comes from the similarity of the philosophy scores of neighbouring practices (pairs within
    8 km); district nurses and health visitors are shared by some pairs within 4 km; an ECG machine by
    one pair; practices sharing a building must link; one cannot-link pair that refuses to work together.
    """
    rng = np.random.default_rng(seed + 7919)
    codes = graph.codes
    xy = graph.xy
    scores = np.array([[p.attributes["philosophy_innovation"], p.attributes["philosophy_collective"]] for p in graph.practices])
    relations: list[Relation] = []
    near: list[tuple[int, int, float]] = []
    for i in range(len(codes)):
        for j in range(i + 1, len(codes)):
            km = float(np.hypot(*(xy[i] - xy[j]))) / 1000.0
            if km <= 8.0:
                near.append((i, j, km))
    for i, j, km in near:
        similarity = math.exp(-float(((scores[i] - scores[j]) ** 2).sum()) / 0.08)
        if similarity >= 0.3:
            relations.append(Relation(codes[i], codes[j], "alignment", round(similarity, 3)))
    close = [(i, j) for i, j, km in near if km <= 4.0]
    for i, j in close:
        draw = rng.uniform()
        if draw < 0.08:
            relations.append(Relation(codes[i], codes[j], "shared_staff", round(float(rng.choice([0.5, 1.0, 1.5])), 1),
                                      "district_nurse"))
        elif draw < 0.12:
            relations.append(Relation(codes[i], codes[j], "shared_staff", 1.0, "health_visitor"))
    if close:
        i, j = close[int(rng.integers(len(close)))]
        relations.append(Relation(codes[i], codes[j], "shared_staff", 1.0, "ecg_machine"))
    buildings = [(i, j) for i, j, km in near if km <= 0.4]
    for i, j in buildings[:2]:
        relations.append(Relation(codes[i], codes[j], "must_link"))
    linked = {pair for pair in buildings[:2]}
    candidates = [(i, j) for i, j, km in near if 1.0 <= km <= 3.0 and (i, j) not in linked]
    if candidates:
        i, j = candidates[int(rng.integers(len(candidates)))]
        relations.append(Relation(codes[i], codes[j], "cannot_link"))
    return tuple(relations)
