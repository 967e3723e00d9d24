"""Repair steps of the search: change the number of groups where single moves are stuck on the band.

A group below its band is dissolved into its neighbours; a group above it (or holding a cannot-link pair,
or wider than the diameter limit) is split in two contiguous halves. A repair is kept only if the total
violation falls.
"""

from __future__ import annotations

import numpy as np

from clusterkit.heuristic.state import State
from clusterkit.problem.band import group_band

__all__ = ["repair"]


def repair(state: State, fixed: set[int], rng: np.random.Generator) -> bool:
    """Change the number of groups where single moves are stuck: dissolve a group below its band into
    its neighbours, or split a group above its band in two. Accepted only if the total violation falls
    (so the count of a ``--count`` or hub problem never changes)."""
    p = state.problem
    if p.hubs or p.count is not None:
        return False
    before = sum(score[0] for score in state.score.values())
    population = {g: float(sum(state.unit_sizes[u] for u in units)) for g, units in state.members.items()}
    violated = [g for g in sorted(state.members) if state.score[g][0] > 1e-9]
    for group in rng.permutation(violated) if violated else []:
        group = int(group)
        units = state.members[group]
        lower = group_band(p, state.scorer.practices(units))[0]
        trial = None
        if population[group] < lower and not p.soft:  # (a soft group's violation is never its band)
            trial = _dissolve(state, group, population)
        if trial is None:  # too large, or a cannot-link / diameter violation: split
            trial = _split(state, group)
        if trial is None:
            continue
        scores = {g: state.evaluate(members) for g, members in trial.items() if members}
        untouched = sum(score[0] for g, score in state.score.items() if g not in trial)
        after = untouched + sum(score[0] for score in scores.values())
        if after < before - 1e-9:
            for g, members in trial.items():
                if members:
                    state.members[g] = set(members)
                    state.score[g] = scores[g]
                    for unit in members:
                        state.unit_group[unit] = g
                else:
                    state.members.pop(g, None)
                    state.score.pop(g, None)
            return True
    return False


def _dissolve(state: State, group: int, population: dict[int, float]) -> dict[int, set[int]] | None:
    """Hand every unit of ``group`` to an adjacent group, smallest first, spreading from its border."""
    p = state.problem
    trial: dict[int, set[int]] = {group: set()}
    owner = {unit: group for unit in state.members[group]}
    sizes = dict(population)
    pending = set(state.members[group])
    while pending:
        progress = False
        for unit in sorted(pending):
            options = []
            for other in p.unit_neighbours[unit]:
                g = owner.get(other, int(state.unit_group[other]))
                if g != group:
                    options.append(g)
            if options:
                target = min(options, key=lambda g: (sizes[g], g))
                trial.setdefault(target, set(state.members[target]))
                trial[target].add(unit)
                owner[unit] = target
                sizes[target] += state.unit_sizes[unit]
                pending.discard(unit)
                progress = True
        if not progress:
            return None
    return trial


def _split(state: State, group: int) -> dict[int, set[int]] | None:
    """Split ``group`` in two contiguous halves grown from its two most distant units."""
    p = state.problem
    units = sorted(state.members[group])
    if len(units) < 2:
        return None
    centres = np.array([p.xy[list(p.units[u])].mean(axis=0) for u in units])
    distance = ((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    a, b = (int(k) for k in np.unravel_index(int(np.argmax(distance)), distance.shape))
    if a == b:  # every unit at one place (practices sharing a health centre): any two will do
        b = 1 if a == 0 else 0
    if state.scorer.has_cannot:  # a cannot-link pair inside: grow the halves from its two units
        position = {i: k for k, u in enumerate(units) for i in p.units[u]}
        pair = next(((position[i], position[j]) for i in sorted(position) for j in p.cannot[i]
                     if j in position and position[j] != position[i]), None)
        if pair is not None:
            a, b = pair
    sides = {units[a]: 0, units[b]: 1}
    totals = [state.unit_sizes[units[a]], state.unit_sizes[units[b]]]
    remaining = set(units) - set(sides)
    while remaining:
        side = 0 if totals[0] <= totals[1] else 1
        frontier = [u for u in sorted(remaining) if any(sides.get(v) == side for v in p.unit_neighbours[u])]
        if not frontier:
            side = 1 - side
            frontier = [u for u in sorted(remaining) if any(sides.get(v) == side for v in p.unit_neighbours[u])]
            if not frontier:
                return None
        anchor = centres[a] if side == 0 else centres[b]
        unit = min(frontier, key=lambda u: (float(((centres[units.index(u)] - anchor) ** 2).sum()), u))
        sides[unit] = side
        totals[side] += state.unit_sizes[unit]
        remaining.discard(unit)
    new_group = max(state.members) + 1
    return {group: {u for u, s in sides.items() if s == 0}, new_group: {u for u, s in sides.items() if s == 1}}
