"""Why no grouping can satisfy the hard rules, said in a planner's terms, before any search starts.

Every check here is a proof: when it fires, no grouping exists (so the run exits 3). Passing them all
does not prove that one exists; a search that then finds none says so without claiming infeasibility.
"""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from clusterkit.errors import InfeasibleError, InputError
from clusterkit.model.coordinates import distance_matrix
from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.pieces import split_pieces
from clusterkit.problem.pieces import too_large
from clusterkit.problem.band import Band, loosest_band
from clusterkit.problem.grouping import GroupingProblem

__all__ = ["infeasibility_reasons", "check_feasible"]


def _area_name(problem: GroupingProblem, name: str) -> str:
    if not problem.bounded:
        return "the selected area" if not name else f"part {name} of the selected area"
    return f"{problem.boundary_name} {name}"


def _splittable(total: float, band: Band) -> tuple[int, int]:
    """Fewest and most groups a population could form in the band (fewest > most: impossible)."""
    fewest = max(1, math.ceil(total / band.upper))
    most = math.floor(total / band.lower) if band.lower > 0 else 10**9
    return fewest, most


def infeasibility_reasons(graph: PracticeGraph, problem: GroupingProblem) -> list[str]:
    """Every provable reason why no grouping meets the hard rules (empty when none is found)."""
    reasons: list[str] = []
    known = graph.index
    for code in problem.centres:
        if code not in known:
            raise InputError("hub practice is not among the selected practices", source="centres", value=code)
    willing = {p.code for p in graph.practices if p.willing}
    if not willing:
        return [f"every one of the {len(graph):,} selected practices is unwilling (willing=no), so there is "
                "nothing to group"]
    pieces, _ = split_pieces(graph, problem)
    piece_of = {code: name for name, codes in pieces for code in codes}
    must = graph.layer("must_link")
    # must-link chains
    for chain in sorted((sorted(c) for c in nx.connected_components(must) if len(c) > 1), key=lambda c: c[0]):
        members = [code for code in chain if code in willing]
        total = sum(graph.practice(code).list_size for code in members)
        around = {piece_of.get(code) for code in members}
        reach = [code for name, codes in pieces if name in around for code in codes] or members or chain
        band = loosest_band(problem, [graph.practice(code) for code in reach])
        names = "-".join(chain[:6]) + ("-..." if len(chain) > 6 else "")
        if total > band.upper:
            reasons.append(f"must-link chain {names} has {total:,} patients, above the upper bound {band.upper:,}")
        areas = {piece_of.get(code) for code in members}
        boundary = problem.boundary(graph)
        if boundary is not None and len({boundary.part_of(c) for c in members}) > 1:
            level = {"sub-ICB": "a sub-ICB", "ICB": "an ICB"}.get(problem.boundary_name, "a part's")
            rule = f" (--within {problem.within})" if isinstance(problem.within, str) else ""
            reasons.append(f"must-link chain {names} crosses {level} boundary, but groups must stay within one{rule}")
        elif len(areas) > 1 and problem.contiguity:
            reasons.append(f"must-link chain {names} joins practices that no contiguous group can hold together")
        cannot = graph.layer("cannot_link")
        for a, b in cannot.edges():
            if a in chain and b in chain:
                reasons.append(f"{a} and {b} cannot link, but the must-link chain {names} ties them together")
        if problem.max_diameter_km is not None and len(members) > 1:
            xy = np.array([(graph.practice(c).x, graph.practice(c).y) for c in members])
            diameter = float(distance_matrix(xy).max())
            if diameter > problem.max_diameter_km:
                reasons.append(f"must-link chain {names} spans {diameter:.1f} km, above --max-diameter-km "
                               f"{problem.max_diameter_km:g}")
    if problem.units is not None and not (problem.soft or problem.soft_above):  # blocks kept whole (tier below)
        sizes = {p.code: p.list_size for p in graph.practices if p.willing}
        upper = loosest_band(problem, list(graph.practices)).upper
        for block, codes in problem.units.parts.items():
            total = sum(sizes.get(code, 0) for code in codes)
            if total > upper and len([code for code in codes if code in sizes]) > 1:
                reasons.append(f"{block} ({total:,} patients) is kept whole but exceeds the upper bound {upper:,}")
    if problem.soft:
        return reasons
    hubs = set(problem.centres)
    for name, codes in pieces:
        practices = [graph.practice(code) for code in codes]
        total = sum(p.list_size for p in practices)
        band = loosest_band(problem, practices)
        if problem.soft_above:  # only the lower bound is a rule
            band = Band(band.lower, max(band.upper, total))
        where = _area_name(problem, name)
        around = f" ({len(codes)} practices around {codes[0]})" if not problem.bounded or "-" in name else ""
        fewest, most = _splittable(total, band)
        if total < band.lower:
            reasons.append(f"{where}{around} has {total:,} patients in total, below the lower bound {band.lower:,}")
            continue
        if fewest > most:
            reasons.append(f"{where}{around} has {total:,} patients, which cannot be split into groups of "
                           f"{band.lower:,}-{band.upper:,} ({fewest} groups would need at least "
                           f"{fewest * band.lower:,}, {most} hold at most {most * band.upper:,})")
            continue
        wanted = None
        if hubs:
            wanted = len([code for code in codes if code in hubs])
            if wanted == 0:
                reasons.append(f"{where}{around} has no hub practice (--centres), so no group can be centred there")
                continue
            what = f"{wanted} hub practice(s)"
        elif problem.count is not None:
            wanted = problem.count
            what = f"--count {wanted}"
        if wanted is not None:
            if wanted > len(codes):
                reasons.append(f"{where} has {len(codes)} practices, fewer than the {what} groups asked")
            elif not (wanted * band.lower <= total <= wanted * band.upper):
                reasons.append(f"{where} has {total:,} patients: {what} groups of {band.lower:,}-{band.upper:,} "
                               f"need {wanted * band.lower:,}-{wanted * band.upper:,}")
        if most < 2:
            for a, b in graph.layer("cannot_link").edges():
                if a in codes and b in codes:
                    reasons.append(f"{a} and {b} cannot link, but {where}{around} can only form one group of "
                                   f"{band.lower:,}-{band.upper:,}, so they would have to share it")
    for code in sorted(hubs):
        practice = graph.practice(code)
        if not practice.willing:
            reasons.append(f"hub practice {code} is unwilling, so it cannot centre a group")
        elif too_large(practice, problem):
            reasons.append(f"hub practice {code} alone exceeds the upper bound; it stands alone")
    return reasons


def check_feasible(graph: PracticeGraph, problem: GroupingProblem) -> None:
    """Raise :class:`InfeasibleError` with every provable reason, first one in the message."""
    reasons = infeasibility_reasons(graph, problem)
    if reasons:
        more = f" (and {len(reasons) - 1} more reason(s))" if len(reasons) > 1 else ""
        raise InfeasibleError(f"no grouping can meet the rules: {reasons[0]}{more}", reasons)
