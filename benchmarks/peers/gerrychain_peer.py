"""The GerryChain peer: a ReCom chain from a ``recursive_tree_part`` plan, best visited plan kept.

Split from :mod:`peers.methods` (which registers it) to keep modules short; imported only inside the
run of this method.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from time import perf_counter
from typing import Any

import numpy as np

from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band
from peers.methods import MethodResult, Settings, UnavailableError, _midpoint

__all__ = ["gerrychain_recom"]


def gerrychain_recom(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """A GerryChain ReCom chain for ``settings.budget_seconds``; returns the best plan visited.

    ``count = round(population / band midpoint)`` parts; the ideal part is ``population / count``
    (GerryChain's convention, about 40,000) and ``epsilon`` the largest deviation keeping every part
    inside the band (about 0.25 for 30-50k: see :func:`_balance`). The initial plan comes from
    ``recursive_tree_part`` (drawn again, up to :data:`TREE_TRIES` times, when it finds no cut), every
    proposal is accepted (contiguity checked), and the plan with the lowest population-weighted km
    among those visited is kept (the final state's value goes in the notes). Practices above the
    band's upper bound can sit in no balanced part: they stand alone, as in clusterkit, and the chain
    runs on the rest.
    """
    try:
        import networkx as nx
        from gerrychain import Graph, MarkovChain, Partition
        from gerrychain.accept import always_accept
        from gerrychain.constraints import contiguous
        from gerrychain.proposals import recom
    except ImportError as error:
        raise UnavailableError(f"gerrychain not importable ({error})") from None
    from functools import partial

    from clusterkit.metrics.grouping import best_centre

    band = settings.band
    rng = random.Random(settings.seed)
    start = perf_counter()
    alone = [p.code for p in graph.practices if p.list_size > band.upper]
    network = nx.Graph()
    network.add_nodes_from((p.code, {"list_size": int(p.list_size)}) for p in graph.practices if p.code not in alone)
    network.add_edges_from((a, b) for a, b in sorted(graph.layer("adjacency").edges()) if a in network and b in network)
    if not nx.is_connected(network):
        raise RuntimeError("the adjacency without the practices above the band is disconnected")
    population = sum(size for _, size in network.nodes(data="list_size"))
    count = max(1, round(population / _midpoint(band)))
    target, epsilon = _balance(population, count, band)
    chain_graph = Graph.from_networkx(network)
    icbs = {p.code: p.icb or "" for p in graph.practices if p.code in network}
    if len(set(icbs.values())) > 1:
        initial, tries = _initial_per_area(network, icbs, band, rng)
        count = len(set(initial.values()))
        plan_note = (f"initial plan: recursive_tree_part inside each of the {len(set(icbs.values()))} ICBs "
                     f"({tries} draws in all); on all of England at once it stranded its remainder after "
                     f"~1,500 parts in our runs ('Could not find a possible cut after 100000 attempts')")
    else:
        initial, tries = _tree_part(chain_graph, count, target, epsilon, rng)
        plan_note = "initial plan: recursive_tree_part" + (f" (drawn {tries} times)" if tries > 1 else "")
    state = Partition(chain_graph, initial)
    initial_seconds = perf_counter() - start
    names = {node: state.graph.node_data(node).get("__networkx_node__", node) for node in state.graph.node_indices}
    index = graph.index
    position = {node: index[name] for node, name in names.items()}
    xy, sizes = graph.xy, graph.list_sizes.astype(float)

    def cost(members: frozenset) -> float:
        rows = np.array(sorted(position[node] for node in members))
        return best_centre(xy[rows], sizes[rows])[1]

    costs = {part: cost(members) for part, members in state.parts.items()}
    total = sum(costs.values())
    best_total, best_assignment = total, dict(state.assignment.items())
    proposal = partial(recom, pop_col="list_size", pop_target=target, epsilon=epsilon, rng=rng)
    chain = MarkovChain(proposal, [contiguous], always_accept, state, total_steps=10**12, rng=rng)
    deadline = perf_counter() + settings.budget_seconds
    steps = 0
    for state in chain:
        if state.parent is not None and state.flips:
            changed = set(state.flips.values()) | {state.parent.assignment[node] for node in state.flips}
            for part in changed:
                new = cost(state.parts[part]) if state.parts.get(part) else 0.0
                total += new - costs.get(part, 0.0)
                costs[part] = new
            if total < best_total - 1e-9:
                best_total, best_assignment = total, dict(state.assignment.items())
        steps += 1
        if perf_counter() >= deadline:
            break
    seconds = perf_counter() - start
    labels = {names[node]: f"d{part}" for node, part in best_assignment.items()}
    labels.update({code: f"alone-{code}" for code in alone})
    final = total / population
    notes = [plan_note, f"{count} parts of {target:,.0f} +/- {epsilon:.0%}; initial plan {initial_seconds:.1f} s, then "
             f"{steps:,} ReCom steps in {settings.budget_seconds:.1f} s; best visited plan kept "
             f"(final state {final:.3f} km over the chained practices)"]
    if alone:
        notes.append(f"{len(alone)} practice(s) above {band.upper:,} stand alone: {', '.join(alone[:10])}")
    return MethodResult(labels, seconds, None, best_total / population, None, None, notes)


#: Draws of ``recursive_tree_part`` before the GerryChain run gives up, and spanning trees tried per
#: cut in one draw (GerryChain's default is 100,000; a draw that strands its remainder fails anyway,
#: after ~25 s at that default, so cheaper draws, more of them).
TREE_TRIES = 40
TREE_ATTEMPTS = 2_000


def _balance(population: float, count: int, band: Band) -> tuple[float, float]:
    """GerryChain's ideal part ``population / count`` and the largest ``epsilon`` keeping parts in ``band``.

    Examples
    --------
    >>> _balance(400_000, 10, Band(30_000, 50_000))
    (40000.0, 0.25)
    """
    ideal = population / count
    return ideal, max(0.0, min((ideal - band.lower) / ideal, (band.upper - ideal) / ideal))


def _tree_part(chain_graph: Any, count: int, target: float, epsilon: float,
               rng: random.Random) -> tuple[dict[Any, int], int]:
    """``recursive_tree_part`` into ``count`` parts, drawn again when it finds no balanced cut.

    Returns the assignment and the number of draws; raises the last ``RuntimeError`` after
    :data:`TREE_TRIES` failed draws.
    """
    import warnings
    from functools import partial

    from gerrychain.partition import recursive_tree_part
    from gerrychain.tree import bipartition_tree

    cut = partial(bipartition_tree, max_attempts=TREE_ATTEMPTS)
    for attempt in range(1, TREE_TRIES + 1):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                assignment = recursive_tree_part(chain_graph, range(count), target, "list_size", epsilon,
                                                 bipartition_tree_fn=cut, rng=rng)
            return assignment, attempt
        except RuntimeError:
            if attempt == TREE_TRIES:
                raise
    raise AssertionError("unreachable")


def _initial_per_area(network: Any, areas: Mapping[str, str], band: Band,
                      rng: random.Random) -> tuple[dict[str, int], int]:
    """An initial plan made by :func:`_tree_part` inside each area (ICB), parts numbered across areas.

    Each area gets ``round(its population / band midpoint)`` parts balanced around its own ideal.
    Pieces of an area cut off from the rest of it on the adjacency with fewer patients than the
    band's lower bound join the area of their first outside neighbour (by code). Returns the plan and
    the total number of ``recursive_tree_part`` draws.
    """
    import networkx as nx
    from gerrychain import Graph

    area_of = dict(areas)
    for _ in range(len(network)):
        moved = False
        for area in sorted(set(area_of.values())):
            members = sorted(code for code, value in area_of.items() if value == area)
            for piece in sorted(nx.connected_components(network.subgraph(members)), key=min):
                if sum(network.nodes[code]["list_size"] for code in piece) >= band.lower:
                    continue
                outside = sorted(other for code in piece for other in network.neighbors(code) if other not in piece)
                if outside:
                    for code in piece:
                        area_of[code] = area_of[outside[0]]
                    moved = True
        if not moved:
            break
    plan: dict[str, int] = {}
    draws = 0
    for area in sorted(set(area_of.values())):
        sub = network.subgraph(sorted(code for code, value in area_of.items() if value == area)).copy()
        population = sum(size for _, size in sub.nodes(data="list_size"))
        count = max(1, round(population / _midpoint(band)))
        target, epsilon = _balance(population, count, band)
        assigned, tries = _tree_part(Graph.from_networkx(sub), count, target, epsilon, rng)
        draws += tries
        first = len(set(plan.values()))
        plan.update({code: first + int(part) for code, part in assigned.items()})
    return plan, draws
