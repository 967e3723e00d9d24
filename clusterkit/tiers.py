"""Nested tiers: neighbourhoods inside networks inside federations, each tier with its own band and rules.

Nesting holds by construction, through the two general arguments of :class:`GroupingProblem`:

- **bottom-up** (the default): the smallest tier is grouped first; each tier above is grouped with the tier
  below as its ``units`` (blocks kept whole), so every lower group lies inside one upper group;
- **top-down**: the largest tier first; each tier below is grouped ``within`` the tier above.

A tier may be **fixed** (given as a :class:`~clusterkit.model.Partition`, e.g. today's PCNs as the network
tier): tiers below it are grouped ``within`` it and tiers above keep it whole, whatever the order; a fixed
tier must itself nest in any fixed tier above it.

Why bottom-up is the default: measured on real ICBs (see the note of issue 11 and ``benchmarks/``), top-down
makes the largest groups first from single practices and then cuts each into small groups that must fit
inside it, which leaves parts too small for the lower band at the edges; bottom-up builds each tier from
groups that already meet the band below, and a larger band is easier to meet with blocks than a smaller
band inside fixed borders.

The core needs no solver: the grouping method is passed in (``group(graph, problem) -> Grouping``), as the run
layer does with :func:`solvers.grouping.group_practices`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from clusterkit.errors import InputError
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.partition import UNGROUPED, Partition
from clusterkit.problem.band import Band
from clusterkit.problem.grouping import GroupingProblem
from clusterkit.results import Grouping, Outcome, Status

__all__ = ["Tier", "DEFAULT_TIERS", "ORDERS", "Tiers", "build_tiers", "check_tiers"]

#: How tiers are built.
ORDERS = ("bottom-up", "top-down")


@dataclass(frozen=True)
class Tier:
    """One tier: its name, band and rules (the rest of :class:`GroupingProblem` as ``problem``).

    ``prefix`` starts its group ids (``H001``, ``N001``, ``F001`` by default from the name's first letter).
    """

    name: str
    band: Band
    problem: GroupingProblem = field(default_factory=GroupingProblem)
    prefix: str = ""

    def __post_init__(self) -> None:
        if not self.name or not self.name.replace("_", "").isalnum():
            raise InputError("a tier's name is a word, e.g. network", source="tiers", value=self.name)
        object.__setattr__(self, "problem", replace(self.problem, band=self.band))
        if not self.prefix:
            object.__setattr__(self, "prefix", {"neighbourhood": "H"}.get(self.name, self.name[0].upper()))


#: Neighbourhoods of 10-25k, networks of 30-50k (NHS England's notional size), federations of 100-400k.
DEFAULT_TIERS = (
    Tier("neighbourhood", Band(10_000, 25_000)),
    Tier("network", Band(30_000, 50_000)),
    Tier("federation", Band(100_000, 400_000)),
)


@dataclass(frozen=True)
class Tiers:
    """Every tier's grouping, smallest tier first; ``groupings[k]`` nests in ``groupings[k + 1]``."""

    tiers: tuple[Tier, ...]
    groupings: tuple[Grouping, ...]
    order: str
    fixed: tuple[str, ...]
    seconds: float
    notes: tuple[str, ...] = ()

    @property
    def status(self) -> Status:
        """The worst status of the tiers that were grouped (fixed tiers are given, not solved)."""
        from clusterkit.results import worst_status

        solved = [grouping.status for tier, grouping in zip(self.tiers, self.groupings) if tier.name not in self.fixed]
        return worst_status(solved) if solved else Status.FEASIBLE

    def partition(self, name: str) -> Partition:
        """The partition of one tier."""
        for tier, grouping in zip(self.tiers, self.groupings):
            if tier.name == name:
                return grouping.partition
        raise KeyError(name)

    def paths(self) -> dict[str, str]:
        """Practice -> its groups from the largest tier down, ``F001/N003/H007`` (unwilling: ``""``)."""
        found: dict[str, str] = {}
        for code in self.groupings[0].labels:
            parts = [grouping.labels.get(code, UNGROUPED) for grouping in reversed(self.groupings)]
            found[code] = "/".join(parts) if all(parts) else UNGROUPED
        return found


def check_tiers(tiers: Sequence[Tier]) -> None:
    """Tiers are named once each and their bands increase, so that nesting is possible; else :class:`InputError`.

    >>> check_tiers([Tier("network", Band(30_000, 50_000)), Tier("neighbourhood", Band(10_000, 25_000))])
    Traceback (most recent call last):
    ...
    clusterkit.errors.InputError: tiers: tier neighbourhood (10000:25000) is not larger than tier network (30000:50000) below it; list tiers smallest first (got 'neighbourhood')
    """
    if not tiers:
        raise InputError("name at least one tier", source="tiers")
    seen: set[str] = set()
    for tier in tiers:
        if tier.name in seen:
            raise InputError(f"tier {tier.name} is named twice", source="tiers", value=tier.name)
        seen.add(tier.name)
    for lower, upper in zip(tiers, tiers[1:]):
        if not (upper.band.lower > lower.band.lower and upper.band.upper > lower.band.upper):
            raise InputError(f"tier {upper.name} ({upper.band}) is not larger than tier {lower.name} ({lower.band}) "
                             "below it; list tiers smallest first", source="tiers", value=upper.name)
        if upper.band.upper < 2 * lower.band.lower:
            raise InputError(f"tier {upper.name} ({upper.band}) cannot hold two {lower.name} groups of at least "
                             f"{lower.band.lower:,}, so nesting would make each {upper.name} one {lower.name}",
                             source="tiers", value=upper.name)


def build_tiers(graph: PracticeGraph, tiers: Sequence[Tier] = DEFAULT_TIERS, *,
                group: Callable[[PracticeGraph, GroupingProblem], Grouping], order: str = "bottom-up",
                fixed: Mapping[str, Partition] | None = None,
                progress: Callable[[int, int], None] | None = None) -> Tiers:
    """Group ``graph``'s practices into nested tiers (see the module docstring).

    Parameters
    ----------
    graph : PracticeGraph
    tiers : sequence of Tier
        Smallest first, bands increasing.
    group : callable
        ``group(graph, problem) -> Grouping``: the method of every tier (heuristic or exact).
    order : {"bottom-up", "top-down"}
    fixed : mapping, optional
        Tier name -> the partition that tier is (e.g. today's PCNs as the network tier).
    progress : callable, optional
        ``progress(tiers done, tiers)``.

    Raises
    ------
    InputError
        Bad tiers, an unknown fixed tier, or fixed tiers that do not nest.
    InfeasibleError
        When a tier's band cannot be met, with the reason in the planner's words.
    """
    started = time.perf_counter()
    tiers = tuple(tiers)
    check_tiers(tiers)
    if order not in ORDERS:
        raise InputError(f"unknown order; choose {' or '.join(ORDERS)}", source="order", value=order)
    fixed = dict(fixed or {})
    names = [tier.name for tier in tiers]
    for name in fixed:
        if name not in names:
            raise InputError(f"names no tier; the tiers are {', '.join(names)}", source="fixed", value=name)
    fixed_positions = [k for k, name in enumerate(names) if name in fixed]
    for below, above in zip(fixed_positions, fixed_positions[1:]):
        violations = fixed[names[below]].restrict(graph.codes).nesting_violations(fixed[names[above]])
        if violations:
            part, spans = next(iter(violations.items()))
            raise InputError(f"the fixed {names[below]} {part} is not inside one fixed {names[above]} "
                             f"(its practices are in {', '.join(spans)})", source="fixed", value=names[below])
    result: dict[int, Grouping] = {}
    for k in fixed_positions:
        result[k] = _given(graph, tiers[k], fixed[tiers[k].name])
    sequence = range(len(tiers)) if order == "bottom-up" else range(len(tiers) - 1, -1, -1)
    notes: list[str] = []
    done = len(result)
    for k in sequence:
        if k in result:
            continue
        tier = tiers[k]
        below = max((j for j in result if j < k), default=None)
        above = min((j for j in result if j > k), default=None)
        problem = tier.problem
        if below is not None:  # keep the tier below whole
            problem = replace(problem, units=result[below].partition)
        if above is not None:  # stay inside the tier above
            problem = replace(problem, within=result[above].partition, within_name=tiers[above].name)
        grouping = group(graph, problem)
        result[k] = _relabel(grouping, tier)
        notes += [f"{tier.name}: {note}" for note in grouping.notes]
        done += 1
        if progress:
            progress(done, len(tiers))
    groupings = tuple(result[k] for k in range(len(tiers)))
    for lower, upper in zip(groupings, groupings[1:]):
        assert lower.partition.restrict(lower.partition.codes).is_nested_in(upper.partition), "tiers must nest"
    return Tiers(tiers, groupings, order, tuple(name for name in names if name in fixed),
                 time.perf_counter() - started, tuple(notes))


def _relabel(grouping: Grouping, tier: Tier) -> Grouping:
    """The tier's own group ids: its prefix and a number, in the order of the first practice code."""
    renamed = {label: f"{tier.prefix}{number:03d}" for number, label in enumerate(grouping.groups, start=1)}
    labels = {code: renamed.get(label, UNGROUPED) for code, label in grouping.labels.items()}
    centres = {renamed[label]: centre for label, centre in grouping.centres.items() if label in renamed}
    return replace(grouping, partition=Partition(labels), centres=centres,
                   params={**grouping.params, "tier": tier.name})


def _given(graph: PracticeGraph, tier: Tier, partition: Partition) -> Grouping:
    """A fixed tier as a grouping of ``graph``'s practices: practices it does not name, and unwilling ones (who
    stay out of every tier), are ungrouped."""
    labels = {p.code: partition.part_of(p.code) if p.willing else UNGROUPED for p in graph.practices}
    return Grouping(Partition(labels), Outcome(Status.FEASIBLE, None, solver="given"), method="fixed",
                    params={"tier": tier.name, "band": str(tier.band), "fixed": True})


def tier_summary(result: Tiers) -> list[dict[str, Any]]:
    """Per tier: name, band, fixed, status, objective, bound, gap, groups (for ``summary.json``)."""
    return [{"tier": tier.name, "band": str(tier.band), "fixed": tier.name in result.fixed,
             "status": str(grouping.status), "objective": grouping.objective, "bound": grouping.bound,
             "gap": grouping.gap, "groups": len(grouping.groups), "seconds": round(grouping.seconds, 3)}
            for tier, grouping in zip(result.tiers, result.groupings)]
