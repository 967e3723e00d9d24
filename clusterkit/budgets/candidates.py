"""Candidate holders of specialty budgets, network by network, and why a network cannot be served.

:func:`build_instances` splits a grouping into one :class:`NetworkInstance` per network: its budgets and
every admissible (specialty, holder) :class:`Option` under the rules of a
:class:`~clusterkit.budgets.BudgetProblem`. Instances are independent and picklable, so networks can be
solved in parallel. Reasons that need no solver (a budget no holder can carry within the cap; more
holdings needed than practices can offer) are found here, in the user's terms.

Automatic consortia: for a specialty that no single practice can hold within the cap, every connected set
of the fewest willing practices (2 up to ``max_consortium_size``) whose summed turnover can hold it becomes
a candidate. Connectivity is on the ``adjacency`` layer restricted to the network; when that is
disconnected, the network's own Delaunay triangulation is added (and a note says so).
"""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

import networkx as nx

from clusterkit.budgets.problem import BudgetProblem, Consortium, budget_ratio, format_money, format_number, network_budgets
from clusterkit.errors import InputError
from clusterkit.model.adjacency import delaunay_edges
from clusterkit.model.graph import PracticeGraph

__all__ = [
    "Holder",
    "Option",
    "NetworkInstance",
    "connected_subsets",
    "build_instances",
    "network_instance",
    "explain_infeasible",
    "restrict",
]

log = logging.getLogger(__name__)

_TOLERANCE = 1e-9


@dataclass(frozen=True)
class Holder:
    """A practice or a consortium that can hold budgets.

    Attributes
    ----------
    name : str
        The practice code, a named consortium's name, or ``A+B`` (member codes) for an automatic one.
    members : tuple of str
        Member practice codes, sorted (one for a practice).
    turnover : float
        Yearly turnover in pounds (the sum of the members').
    list_size : int
        Registered patients of the members.
    kind : str
        One of :data:`HOLDER_KINDS`.
    """

    name: str
    members: tuple[str, ...]
    turnover: float
    list_size: int
    kind: str = "practice"


@dataclass(frozen=True)
class Option:
    """A specialty that a holder may take: budget within the cap."""

    specialty: str
    budget: float
    holder: Holder
    ratio: float
    preference: float = 0.0


@dataclass(frozen=True)
class NetworkInstance:
    """One network's part of the problem, independent of every other network and picklable.

    Attributes
    ----------
    network : str
        The network's label.
    practices : tuple of str
        Its practices (sorted), willing or not.
    population : int
        Registered patients of all its practices (the population the budgets are for).
    budgets : tuple of (str, float)
        Specialty -> budget, sorted by specialty.
    options : tuple of Option
        Every admissible (specialty, holder) pair, sorted by specialty then holder.
    max_per_practice : int
        Holdings per practice.
    reasons : tuple of str
        Why the network cannot be served, when that is clear before solving (empty otherwise).
    notes : tuple of str
        What the user should know (e.g. adjacency fallback, unwilling practices).
    """

    network: str
    practices: tuple[str, ...]
    population: int
    budgets: tuple[tuple[str, float], ...]
    options: tuple[Option, ...]
    max_per_practice: int
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def specialties(self) -> tuple[str, ...]:
        """The network's specialties, sorted."""
        return tuple(name for name, _ in self.budgets)


def connected_subsets(adjacency: Mapping[str, Iterable[str]], size: int) -> list[tuple[str, ...]]:
    """Every set of exactly ``size`` nodes that is connected in ``adjacency``, each sorted, sorted.

    Examples
    --------
    >>> connected_subsets({"A": ["B"], "B": ["A", "C"], "C": ["B"]}, 2)
    [('A', 'B'), ('B', 'C')]
    """
    neighbours = {node: frozenset(adjacent) for node, adjacent in adjacency.items()}
    frontier = {frozenset([node]) for node in neighbours}
    for _ in range(size - 1):
        grown = set()
        for subset in frontier:
            for node in subset:
                for other in neighbours[node]:
                    if other not in subset and other in neighbours:
                        grown.add(subset | {other})
        frontier = grown
    return sorted(tuple(sorted(subset)) for subset in frontier)


def _network_adjacency(graph: PracticeGraph, codes: Sequence[str]) -> tuple[dict[str, set[str]], bool]:
    """Adjacency among ``codes``; when disconnected, joined with the Delaunay triangulation of ``codes``."""
    layer = graph.layer("adjacency").subgraph(codes)
    adjacency = {code: set(layer.neighbors(code)) for code in codes}
    connected = len(codes) <= 1 or nx.is_connected(layer)
    if not connected:
        index = graph.index
        points = graph.xy[[index[code] for code in codes]]
        for a, b in delaunay_edges(points):
            adjacency[codes[a]].add(codes[b])
            adjacency[codes[b]].add(codes[a])
    return adjacency, connected


def build_instances(
    graph: PracticeGraph, labels: Mapping[str, str], problem: BudgetProblem
) -> tuple[tuple[NetworkInstance, ...], tuple[str, ...]]:
    """Split a grouping into one :class:`NetworkInstance` per network.

    Parameters
    ----------
    graph : PracticeGraph
        The practices (turnover, list size, willingness) and their ``adjacency`` layer.
    labels : mapping
        Practice code -> network.
    problem : BudgetProblem
        The rules.

    Returns
    -------
    instances : tuple of NetworkInstance
        Sorted by network.
    ungrouped : tuple of str
        Practices of ``graph`` in no network (they take no part; reported, never silently dropped).

    Raises
    ------
    InputError
        When ``labels`` or a named consortium names a practice not in ``graph``, a consortium spans
        networks or includes an ungrouped or unwilling practice, or a specialty row names an unknown network.
    """
    unknown = sorted(code for code in labels if code not in graph.index)
    if unknown:
        raise InputError(f"the grouping names practice(s) not in the practices file: {', '.join(unknown[:10])}")
    networks: dict[str, list[str]] = {}
    for code in sorted(labels):
        networks.setdefault(str(labels[code]), []).append(code)
    ungrouped = tuple(code for code in graph.codes if code not in labels)
    for specialty in problem.specialties:
        if specialty.network is not None and specialty.network not in networks:
            raise InputError("names a network that is not in the grouping", source="specialties",
                             value=specialty.network)
    consortia_of: dict[str, list[Consortium]] = {}
    for consortium in problem.consortia:
        homes = set()
        for code in consortium.members:
            if code not in graph.index:
                raise InputError(f"consortium {consortium.name} names a practice not in the practices file",
                                 source="consortia", value=code)
            if code not in labels:
                raise InputError(f"consortium {consortium.name} names a practice in no network", source="consortia",
                                 value=code)
            if not graph.practice(code).willing:
                raise InputError(f"consortium {consortium.name} names an unwilling practice", source="consortia",
                                 value=code)
            homes.add(labels[code])
        if len(homes) > 1:
            raise InputError(f"consortium {consortium.name} spans networks {', '.join(sorted(homes))}; a holder "
                             "must belong to one network", source="consortia")
        consortia_of.setdefault(homes.pop(), []).append(consortium)
    instances = tuple(
        network_instance(graph, network, codes, problem, consortia_of.get(network, ()))
        for network, codes in sorted(networks.items())
    )
    if ungrouped:
        log.info("%d practice(s) are in no network and take no part: %s", len(ungrouped),
                 ", ".join(ungrouped[:10]) + (" ..." if len(ungrouped) > 10 else ""))
    return instances, ungrouped


def _fits(holder: Holder, budget: float, cap: float) -> bool:
    """Whether ``budget`` is within ``cap`` times the holder's turnover."""
    return holder.turnover > 0 and budget <= cap * holder.turnover * (1 + _TOLERANCE)


def _holder(graph: PracticeGraph, name: str, members: Sequence[str], kind: str) -> Holder:
    practices = [graph.practice(code) for code in members]
    return Holder(name, tuple(sorted(members)), float(sum(p.turnover for p in practices)),
                  int(sum(p.list_size for p in practices)), kind)


def network_instance(
    graph: PracticeGraph,
    network: str,
    codes: Sequence[str],
    problem: BudgetProblem,
    consortia: Sequence[Consortium] = (),
) -> NetworkInstance:
    """The candidate holders of one network and what is infeasible before solving."""
    codes = tuple(sorted(codes))
    practices = [graph.practice(code) for code in codes]
    population = int(sum(p.list_size for p in practices))
    budgets = network_budgets(problem, network, population)
    willing = tuple(p.code for p in practices if p.willing and p.turnover > 0)
    singles = [_holder(graph, p.code, (p.code,), "practice") for p in practices
               if p.willing and p.turnover > 0 and p.list_size >= problem.min_list_size]
    named = [_holder(graph, c.name, c.members, "named consortium") for c in consortia]
    notes: list[str] = []
    unwilling = [p.code for p in practices if not p.willing]
    if unwilling:
        notes.append(f"network {network}: unwilling practice(s) {', '.join(unwilling)} hold no budget")
    cache: dict[int, list[Holder]] = {}
    adjacency: dict[str, set[str]] = {}

    def automatic(size: int) -> list[Holder]:
        if not adjacency:
            found, connected = _network_adjacency(graph, willing)
            adjacency.update(found)
            if not connected:
                notes.append(f"network {network}: its practices are not connected on the adjacency layer; "
                             "automatic consortia use the network's own Delaunay neighbours")
        if size not in cache:
            cache[size] = [_holder(graph, "+".join(members), members, "consortium")
                           for members in connected_subsets(adjacency, size)]
        return cache[size]

    options: list[Option] = []
    reasons: list[str] = []
    cap = problem.risk_cap
    for specialty, budget in budgets.items():
        chosen = [h for h in singles if _fits(h, budget, cap)]
        if not chosen:
            for size in range(2, min(problem.max_consortium_size, len(willing)) + 1):
                chosen = [h for h in automatic(size) if _fits(h, budget, cap)]
                if chosen:
                    break
        chosen += [h for h in named if _fits(h, budget, cap)]
        if not chosen:
            reasons.append(_cap_reason(network, specialty, budget, problem, singles, named, automatic, len(willing)))
        for holder in sorted(chosen, key=lambda h: (h.kind != "practice", h.name)):
            scores = [problem.preference_of.get((code, specialty.casefold()), 0.0) for code in holder.members]
            options.append(Option(specialty, budget, holder, budget_ratio(budget, holder.turnover),
                                  sum(scores) / len(scores)))
    instance = NetworkInstance(network, codes, population, tuple(budgets.items()), tuple(options),
                               problem.max_per_practice, tuple(reasons), tuple(notes))
    if reasons:
        return instance
    return replace(instance, reasons=tuple(_count_reasons(instance, prefix_only=True)))


def _cap_reason(
    network: str,
    specialty: str,
    budget: float,
    problem: BudgetProblem,
    singles: Sequence[Holder],
    named: Sequence[Holder],
    automatic: Callable[[int], list[Holder]],
    willing_count: int,
) -> str:
    candidates = [h.turnover for h in singles] + [h.turnover for h in named]
    text = (f"network {network}: {specialty} {format_money(budget)} exceeds {format_number(problem.risk_cap)} × "
            "turnover of every practice")
    size = min(problem.max_consortium_size, willing_count)
    if size >= 2:
        text += f" and of every consortium of up to {size} adjacent practices"
        for k in range(2, size + 1):
            candidates += [h.turnover for h in automatic(k)]
    if named:
        text += " and of every named consortium"
    if candidates:
        return f"{text} (largest {format_money(max(candidates))})"
    return (f"{text} (no practice has at least {problem.min_list_size:,} patients and is willing)"
            if size < 2 else f"{text} (no willing practice)")


def _needs(instance: NetworkInstance) -> tuple[dict[str, list[Option]], dict[str, int]]:
    by_specialty: dict[str, list[Option]] = {name: [] for name in instance.specialties}
    for option in instance.options:
        by_specialty[option.specialty].append(option)
    need = {name: min((len(o.holder.members) for o in found), default=0) for name, found in by_specialty.items()}
    return by_specialty, need


def _listing(items: Sequence[str], limit: int = 4) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return f"{', '.join(items[:limit - 1])}, ... {items[-1]} ({len(items)} in all)"


def _hall_reason(
    instance: NetworkInstance,
    chosen: Sequence[str],
    by_specialty: Mapping[str, Sequence[Option]],
    need: Mapping[str, int],
) -> str | None:
    members = sorted({code for name in chosen for o in by_specialty[name] for code in o.holder.members})
    holdings = sum(need[name] for name in chosen)
    limit = instance.max_per_practice
    if holdings <= limit * len(members):
        return None
    each = f"at most {limit} holding{'s' if limit > 1 else ''} each"
    if len(chosen) == len(instance.specialties):
        wanted = math.ceil(holdings / max(len(members), 1))
        return (f"network {instance.network}: its {len(chosen)} specialties need {holdings} holdings but only "
                f"{len(members)} of its {len(instance.practices)} practices can take part ({each}); allow {wanted} "
                "holdings per practice or assign fewer specialties")
    budgets = dict(instance.budgets)
    listed = _listing([f"{name} {format_money(budgets[name])}" for name in chosen])
    who = _listing(members, 6) if members else "no practice"
    return (f"network {instance.network}: {listed} need {holdings} holdings but only {who} can hold them ({each}); "
            "allow more holdings per practice, raise the risk cap or name a consortium")


def _count_reasons(instance: NetworkInstance, prefix_only: bool) -> list[str]:
    """Hall-type counting checks: a set of specialties needs more holdings than its possible holders offer.

    Every specialty together first, then the sets of the largest budgets (fast, before solving); unless
    ``prefix_only``, then every set of up to 15 specialties (after a solver proved infeasibility). With
    single practices only, these checks are exact (Hall's theorem for a b-matching).
    """
    by_specialty, need = _needs(instance)
    budgets = dict(instance.budgets)
    order = sorted(instance.specialties, key=lambda name: (-budgets[name], name))
    for count in (len(order), *range(1, len(order))):
        reason = _hall_reason(instance, order[:count], by_specialty, need)
        if reason:
            return [reason]
    if prefix_only or len(order) > 15:
        return []
    for count in range(1, len(order)):
        for chosen in itertools.combinations(order, count):
            reason = _hall_reason(instance, chosen, by_specialty, need)
            if reason:
                return [reason]
    return []


def restrict(instance: NetworkInstance, specialties: Iterable[str]) -> NetworkInstance:
    """The same network with only some of its specialties (and their options)."""
    keep = set(specialties)
    return replace(instance, budgets=tuple(item for item in instance.budgets if item[0] in keep),
                   options=tuple(option for option in instance.options if option.specialty in keep), reasons=())


def explain_infeasible(instance: NetworkInstance, core: Sequence[str] | None = None) -> str:
    """Why no assignment of ``instance`` exists, in the user's terms (after a solver proved it).

    Parameters
    ----------
    instance : NetworkInstance
    core : sequence of str, optional
        A set of specialties proven to have no assignment on their own (ideally minimal); named in the
        message when no counting argument explains the infeasibility.
    """
    if instance.reasons:
        return instance.reasons[0]
    found = _count_reasons(instance, prefix_only=False)
    if found:
        return found[0]
    limit = instance.max_per_practice
    each = f"at most {limit} holding{'s' if limit > 1 else ''} each"
    if core:
        budgets = dict(instance.budgets)
        chosen = sorted(core, key=lambda name: (-budgets[name], name))
        listed = _listing([f"{name} {format_money(budgets[name])}" for name in chosen])
        members = sorted({code for o in instance.options if o.specialty in set(chosen) for code in o.holder.members})
        return (f"network {instance.network}: no assignment gives {listed} a holder each: their possible holders "
                f"({_listing(members, 6)}, {each}) overlap; allow more holdings per practice or name a consortium")
    return (f"network {instance.network}: no assignment gives each of its {len(instance.specialties)} specialties "
            f"its own holder ({each}; the possible consortia overlap); allow more holdings per practice or name a "
            "consortium")
