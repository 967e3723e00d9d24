"""Starting groupings: region growing from spread seeds, and the numbers of groups worth trying."""

from __future__ import annotations

import math

import numpy as np

from clusterkit.problem.piece import PieceProblem

__all__ = ["grow", "group_counts"]


def _seeds(p: PieceProblem, count: int, rng: np.random.Generator, centres: np.ndarray) -> list[int]:
    """``count`` seed units, spread out: k-means++ sampling on unit positions weighted by list size."""
    if p.hubs:
        return list(p.hubs)
    sizes = p.unit_sizes + 1.0
    first = int(rng.choice(len(p.units), p=sizes / sizes.sum()))
    chosen = [first]
    nearest = ((centres - centres[first]) ** 2).sum(axis=1)
    while len(chosen) < count:
        weights = nearest * sizes
        if weights.sum() <= 0:
            remaining = [u for u in range(len(p.units)) if u not in chosen]
            chosen.append(int(rng.choice(remaining)))
        else:
            chosen.append(int(rng.choice(len(p.units), p=weights / weights.sum())))
        nearest = np.minimum(nearest, ((centres - centres[chosen[-1]]) ** 2).sum(axis=1))
    return chosen


def grow(p: PieceProblem, count: int, rng: np.random.Generator) -> np.ndarray:
    """Region growing from spread seeds; every unit ends in a group adjacent to it."""
    centres = p.unit_xy
    unit_sizes = p.unit_sizes.tolist()
    neighbours = p.unit_neighbours
    seeds = _seeds(p, count, rng, centres)
    group = [-1] * len(p.units)
    population = [0.0] * count
    for g, seed in enumerate(seeds):
        group[seed] = g
        population[g] = unit_sizes[seed]
    target_upper = [float(p.upper[p.units[s][0]]) for s in seeds]
    target_lower = [float(p.lower[p.units[s][0]]) for s in seeds]
    enough = [lower + 0.5 * (upper - lower) for lower, upper in zip(target_lower, target_upper)]
    # squared distance of every unit to each group's seed, computed once per start
    reach = [((centres - centres[seed]) ** 2).sum(axis=1).tolist() for seed in seeds]
    frontier: list[set[int]] = [set(neighbours[s]) for s in seeds]
    open_groups = set(range(count))
    while open_groups:
        # grow the group furthest below its lower bound (relative), ties by index
        g = min(open_groups, key=lambda k: (population[k] / max(target_lower[k], 1.0), k))
        candidates = [u for u in frontier[g] if group[u] < 0 and population[g] + unit_sizes[u] <= target_upper[g]]
        if not candidates or population[g] >= enough[g]:
            open_groups.discard(g)
            continue
        to_seed = reach[g]
        best = min(candidates, key=lambda u: (to_seed[u], u))
        group[best] = g
        population[g] += unit_sizes[best]
        frontier[g].update(neighbours[best])
    # leftovers: attach to the adjacent group with the fewest patients, spreading outwards
    while -1 in group:
        progress = False
        for unit in [u for u, g in enumerate(group) if g < 0]:
            adjacent = [group[v] for v in neighbours[unit] if group[v] >= 0]
            if adjacent:
                g = min(adjacent, key=lambda k: (population[k], k))
                group[unit] = g
                population[g] += unit_sizes[unit]
                progress = True
        if not progress:  # a part with no seed (only without contiguity): nearest group by position
            unit = group.index(-1)
            assigned = np.array([u for u, g in enumerate(group) if g >= 0], dtype=np.int64)
            nearest = int(assigned[int(np.argmin(((centres[assigned] - centres[unit]) ** 2).sum(axis=1)))])
            group[unit] = group[nearest]
            population[group[unit]] += unit_sizes[unit]
    return np.array(group, dtype=np.int64)


def group_counts(p: PieceProblem) -> list[int]:
    """Numbers of groups worth trying: the fixed count, or those the band allows (most groups first)."""
    if p.hubs:
        return [len(p.hubs)]
    if p.count is not None:
        return [min(p.count, len(p.units))]
    total = p.population
    if p.uniform_band:  # (the median of equal figures, without sorting them)
        lower, upper = float(p.lower[0]), float(p.upper[0])
    else:
        lower = float(np.median(p.lower)) if len(p.lower) else 0.0
        upper = float(np.median(p.upper)) if len(p.upper) else 1.0
    fewest = max(1, math.ceil(total / upper))
    most = max(1, math.floor(total / lower)) if lower > 0 else len(p.units)
    most = min(most, len(p.units))
    if most < fewest:  # the band cannot be met exactly: get as close as possible
        middle = max(1, min(len(p.units), round(total / ((lower + upper) / 2.0))))
        return [middle]
    target = min(max(round(total / (lower + 0.4 * (upper - lower))), fewest), most)
    options = sorted(range(fewest, most + 1), key=lambda k: (abs(k - target), -k))
    return options[:3]
