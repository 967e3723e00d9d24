"""Every grouping method of the benchmark as a function ``(graph, settings) -> MethodResult``.

Each function imports its own library inside its body, so that loading this module loads no peer:
k-means-constrained brings OR-Tools, whose bundled HiGHS clashes with ``highspy``, and every method
runs in its own interpreter (see ``run_one.py``). Times are wall seconds of the method's own work
(building the peer's input structures included, reading the practice file excluded).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from time import perf_counter
from typing import Any

import numpy as np

from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band

__all__ = ["METHODS", "PRELOAD", "MethodResult", "Settings", "UnavailableError"]


class UnavailableError(RuntimeError):
    """The method's library (or the clusterkit function) cannot be imported here."""


@dataclass(frozen=True)
class Settings:
    """What a method needs beyond the graph.

    Parameters
    ----------
    band : Band
        Population band of a group.
    seed : int
        Seed of every random choice.
    budget_seconds : float
        Wall time of an anytime method (the GerryChain chain).
    exact_time_limit : float
        Time limit of the exact solver per area.
    exact_gap : float
        Relative gap at which the exact solver may stop (the issue's target: 1%).
    workers : int
        Processes of the clusterkit heuristic.
    data : str or None
        The practices CSV (for the PCN boundary note).
    """

    band: Band
    seed: int = 0
    budget_seconds: float = 10.0
    exact_time_limit: float = 60.0
    exact_gap: float = 0.01
    workers: int = 2
    data: str | None = None


@dataclass
class MethodResult:
    """What a method returns: labels (practice code -> group) and what it knows of their quality."""

    labels: dict[str, str]
    seconds: float
    status: str | None = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "labels": self.labels,
            "seconds": self.seconds,
            "status": self.status,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "notes": self.notes,
        }


def _midpoint(band: Band) -> float:
    return (band.lower + band.upper) / 2.0


def _group_count(graph: PracticeGraph, band: Band) -> int:
    """Number of groups a user of a fixed-k method picks: population / band midpoint, rounded."""
    return max(1, round(graph.population / _midpoint(band)))


def _coordinates_km(graph: PracticeGraph) -> np.ndarray:
    return graph.xy / 1000.0


def _weights(graph: PracticeGraph) -> Any:
    """A libpysal ``W`` from the adjacency layer, ids = positions in code order."""
    try:
        from libpysal.weights import W
    except ImportError as error:
        raise UnavailableError(f"libpysal not importable ({error})") from None
    index = graph.index
    adjacency = graph.layer("adjacency")
    neighbours = {index[code]: sorted(index[other] for other in adjacency.neighbors(code)) for code in graph.codes}
    return W(neighbours, silence_warnings=True)


# --------------------------------------------------------------------------- clusterkit
def _per_all_patients(value: float | None, graph: PracticeGraph, band: Band) -> float | None:
    """A clusterkit objective or bound re-expressed per patient of the whole instance.

    clusterkit's solvers average the weighted km over the patients of the practices that are grouped
    with others, leaving out practices above the band's upper bound (they stand alone);
    :func:`clusterkit.metrics.grouping.evaluate_grouping` averages over every grouped patient, counting a
    stand-alone practice at 0 km. This converts the first into the second, so that the bound and
    the table's weighted km compare.
    """
    if value is None:
        return None
    alone = sum(p.list_size for p in graph.practices if p.list_size > band.upper)
    return value * (graph.population - alone) / graph.population if graph.population else value


ALONE = "exceeds the band's upper bound and stands alone"


def _short_notes(notes: tuple[str, ...] | list[str]) -> list[str]:
    """clusterkit's notes with the one-per-practice "stands alone" notes merged into one."""
    alone = [note.split(" ")[1] for note in notes if ALONE in note and note.startswith("practice ")]
    kept = [note for note in notes if not (ALONE in note and note.startswith("practice "))]
    if alone:
        kept.append(f"{len(alone)} practice(s) exceed the band's upper bound and stand alone: {', '.join(alone[:10])}"
                    + (", ..." if len(alone) > 10 else ""))
    return kept


def clusterkit_heuristic(graph: PracticeGraph, settings: Settings, effort: str = "standard",
                         within: str = "none") -> MethodResult:
    """The heuristic through the grouping door (``solvers.grouping.group_practices``, as the CLI runs it, with
    the set-partitioning recombination of restarts), default problem (band only, contiguity on)."""
    try:
        from clusterkit.problem.grouping import GroupingProblem
        from solvers.grouping import group_practices
    except ImportError as error:
        raise UnavailableError(f"clusterkit not importable ({error})") from None
    start = perf_counter()
    grouping = group_practices(graph, GroupingProblem(band=settings.band, within=within), method="heuristic",
                               seed=settings.seed, effort=effort, workers=settings.workers)
    seconds = perf_counter() - start
    notes = _short_notes(grouping.notes)
    if grouping.flagged and not any(grouping.flagged[0] in note for note in notes):
        notes.append(f"{len(grouping.flagged)} practice(s) above {settings.band.upper:,} stand alone: "
                     f"{', '.join(grouping.flagged[:10])}")
    return MethodResult(dict(grouping.labels), seconds, grouping.status, grouping.objective, grouping.bound,
                        grouping.gap, notes)


def clusterkit_heuristic_quick(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """The heuristic at ``effort="quick"`` (no oscillation): the speed row against spopt MaxP."""
    return clusterkit_heuristic(graph, settings, effort="quick")


def clusterkit_heuristic_thorough(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """The heuristic at ``effort="thorough"`` inside each sub-ICB: the row to hold against the exact optima."""
    return clusterkit_heuristic(graph, settings, effort="thorough", within="sub_icb")


def clusterkit_exact(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """``solvers.grouping.exact.solve_grouping_exact`` (HiGHS), one solve per sub-ICB when the instance spans several.

    Objectives and bounds are re-expressed per patient of the instance (:func:`_per_all_patients`),
    so they compare with the table's weighted km and combine over areas by population; the combined
    bound is a bound for groupings that stay inside sub-ICBs only.
    """
    try:
        from clusterkit.problem.grouping import GroupingProblem
        from solvers.grouping.exact import solve_grouping_exact
    except ImportError as error:
        raise UnavailableError(f"solvers.grouping not importable ({error})") from None
    problem = GroupingProblem(band=settings.band)
    areas = graph.areas("sub_icb")
    start = perf_counter()
    if len(areas) == 1:
        grouping = solve_grouping_exact(graph, problem, time_limit=settings.exact_time_limit, solver="highs",
                                        seed=settings.seed, gap=settings.exact_gap)
        return MethodResult(dict(grouping.labels), perf_counter() - start, grouping.status,
                            _per_all_patients(grouping.objective, graph, settings.band),
                            _per_all_patients(grouping.bound, graph, settings.band), grouping.gap,
                            _short_notes(grouping.notes))
    labels: dict[str, str] = {}
    statuses: list[str] = []
    objective_sum = bound_sum = 0.0
    objective_known = bound_known = True
    notes = [f"solved per sub-ICB ({len(areas)} areas, {settings.exact_time_limit:g} s each); the bound holds "
             f"for groupings inside sub-ICBs"]
    for area, codes in areas.items():
        part = graph.subset(codes)
        grouping = solve_grouping_exact(part, problem, time_limit=settings.exact_time_limit, solver="highs",
                                        seed=settings.seed, gap=settings.exact_gap)
        statuses.append(grouping.status)
        labels.update({code: f"{area}-{label}" for code, label in grouping.labels.items() if label})
        population = part.population
        objective_part = _per_all_patients(grouping.objective, part, settings.band)
        bound_part = _per_all_patients(grouping.bound, part, settings.band)
        if objective_part is None:
            objective_known = False
        else:
            objective_sum += objective_part * population
        if bound_part is None:
            bound_known = False
        else:
            bound_sum += bound_part * population
        gap = "n/a" if grouping.gap is None else f"{grouping.gap:.1%}"
        notes.append(f"{area}: {grouping.status}, gap {gap}")
    seconds = perf_counter() - start
    total = graph.population
    objective = objective_sum / total if objective_known else None
    bound = bound_sum / total if bound_known else None
    gap = (objective - bound) / objective if objective and bound is not None else None
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else (
        "FEASIBLE" if all(s in ("OPTIMAL", "FEASIBLE") for s in statuses) else "/".join(sorted(set(statuses))))
    return MethodResult(labels, seconds, status, objective, bound, gap, notes)


def pmedian_bound(graph: PracticeGraph, settings: Settings, whole: bool = False) -> MethodResult:
    """``solvers.grouping.pmedian_lower_bound``: the band-constrained p-median without contiguity.

    Its optimum (the solver's proven bound) is a lower bound for every contiguous grouping. On an
    instance with several sub-ICBs it is computed per sub-ICB, like the exact rows, and combined by
    population: a bound for groupings that stay inside sub-ICBs; with ``whole``, on the whole instance at once
    (a bound for groupings that may cross sub-ICBs, ``--within none``). Returns no labels.
    """
    try:
        from clusterkit.problem.grouping import GroupingProblem
        from solvers.grouping.pmedian import pmedian_lower_bound
    except ImportError as error:
        raise UnavailableError(f"solvers.grouping.pmedian_lower_bound not importable ({error})") from None
    problem = GroupingProblem(band=settings.band)
    areas = graph.areas("sub_icb")
    pieces = [graph] if len(areas) == 1 or whole else [graph.subset(codes) for codes in areas.values()]
    notes = ["band-constrained p-median without contiguity: a lower bound for every contiguous grouping"]
    if len(pieces) > 1:
        notes.append(f"per sub-ICB ({len(pieces)} areas, {settings.exact_time_limit:g} s each): a bound for "
                     f"groupings inside sub-ICBs")
    start = perf_counter()
    weighted, statuses = 0.0, []
    for piece in pieces:
        bound, status = pmedian_lower_bound(piece, problem, time_limit=settings.exact_time_limit, solver="highs")
        statuses.append(status)
        if bound is None:
            notes.append(f"no bound: {status}")
            weighted = math.nan
            break
        weighted += _per_all_patients(bound, piece, settings.band) * piece.population
    seconds = perf_counter() - start
    value = None if math.isnan(weighted) else weighted / graph.population
    status = "OPTIMAL" if all(s == "OPTIMAL" for s in statuses) else "/".join(sorted(set(statuses)))
    return MethodResult({}, seconds, status, None, value, None, notes)


def pmedian_bound_whole(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """The p-median bound on the whole instance at once: the bound for ``--within none``.

    The all-centres model (n^2 binaries) is allowed up to the instance's size here (the library stops at
    ``ALL_CENTRES_MAX`` practices); an ICB of about 200 practices solves within the exact time limit.
    """
    try:
        from solvers.grouping import pmedian
    except ImportError as error:
        raise UnavailableError(f"solvers.grouping.pmedian not importable ({error})") from None
    pmedian.ALL_CENTRES_MAX = max(pmedian.ALL_CENTRES_MAX, len(graph))
    result = pmedian_bound(graph, settings, whole=True)
    result.notes.append(f"all-centres model allowed up to {len(graph)} practices")
    return result


# --------------------------------------------------------------------------- today's PCNs
def current_pcns(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """Today's PCNs (``pcn_code``); practices without a PCN are left out and counted in the notes."""
    start = perf_counter()
    labels = {p.code: p.group for p in graph.practices if p.group}
    seconds = perf_counter() - start
    notes = []
    missing = [p.code for p in graph.practices if not p.group]
    if missing:
        notes.append(f"{len(missing)} practice(s) in no PCN excluded: {', '.join(missing[:10])}")
    if settings.data:
        from geodata import read_practices

        everyone = read_practices(settings.data)
        inside = set(graph.codes)
        pcns = set(labels.values())
        cut = sorted({p.group for p in everyone.practices if p.group in pcns and p.code not in inside})
        if cut:
            notes.append(f"{len(cut)} PCN(s) extend beyond the instance and are counted with their members inside "
                         f"only: {', '.join(cut[:10])}")
    notes.append("list sizes are of Apr 2025, PCN membership of Aug 2026 (see the data README)")
    return MethodResult(labels, seconds, "FEASIBLE", None, None, None, notes)


# --------------------------------------------------------------------------- PySAL spopt
def spopt_maxp(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """``spopt.region.MaxPHeuristic``: a 30,000 floor on ``list_size``, dissimilarity on BNG km.

    Uses ``max_iterations_construction=999`` (the default of spopt's ``maxp`` function; the class
    defaults to 99) and spopt's default 10 annealing rounds, ``top_n=2``. spopt draws from the global
    NumPy generator, which is seeded here.
    """
    try:
        import pandas as pd
        from spopt.region import MaxPHeuristic
    except ImportError as error:
        raise UnavailableError(f"spopt not importable ({error})") from None
    np.random.seed(settings.seed)
    random.seed(settings.seed)
    start = perf_counter()
    xy = _coordinates_km(graph)
    frame = pd.DataFrame({"x_km": xy[:, 0], "y_km": xy[:, 1], "list_size": graph.list_sizes})
    model = MaxPHeuristic(frame, _weights(graph), ["x_km", "y_km"], "list_size", settings.band.lower, top_n=2,
                          max_iterations_construction=999)
    model.solve()
    seconds = perf_counter() - start
    labels = {code: f"r{int(label)}" for code, label in zip(graph.codes, model.labels_)}
    return MethodResult(labels, seconds, None, None, None, None,
                        [f"floor {settings.band.lower:,} patients, no ceiling (MaxP has none); p = {model.p}"])


def spopt_region_kmeans(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """``spopt.region.RegionKMeansHeuristic`` on BNG km, ``n_clusters = round(population / midpoint)``."""
    try:
        from spopt.region import RegionKMeansHeuristic
    except ImportError as error:
        raise UnavailableError(f"spopt not importable ({error})") from None
    np.random.seed(settings.seed)
    count = _group_count(graph, settings.band)
    start = perf_counter()
    model = RegionKMeansHeuristic(_coordinates_km(graph), count, _weights(graph), seed=settings.seed)
    model.solve()
    seconds = perf_counter() - start
    labels = {code: f"r{int(label)}" for code, label in zip(graph.codes, model.labels_)}
    return MethodResult(labels, seconds, None, None, None, None,
                        [f"n_clusters = {count} (population / {_midpoint(settings.band):,.0f}); no band"])


# --------------------------------------------------------------------------- k-means-constrained
def kmeans_constrained(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """``KMeansConstrained`` on BNG km with size bounds in practice *counts*.

    ``size_min = ceil(lower / mean list size)`` and ``size_max = floor(upper / mean list size)``:
    the library bounds how many points a cluster has, not how many patients, which is the point of
    the comparison. ``n_clusters = round(population / midpoint)``; other parameters at their defaults.
    """
    try:
        from k_means_constrained import KMeansConstrained
    except ImportError as error:
        raise UnavailableError(f"k-means-constrained not importable ({error})") from None
    count = _group_count(graph, settings.band)
    mean = graph.population / len(graph)
    size_min = max(1, math.ceil(settings.band.lower / mean))
    size_max = max(size_min, math.floor(settings.band.upper / mean))
    notes = []
    if count * size_min > len(graph) or count * size_max < len(graph):
        size_min, size_max = min(size_min, len(graph) // count), max(size_max, math.ceil(len(graph) / count))
        notes.append("count bounds widened to be feasible")
    start = perf_counter()
    model = KMeansConstrained(n_clusters=count, size_min=size_min, size_max=size_max, random_state=settings.seed)
    assigned = model.fit_predict(_coordinates_km(graph))
    seconds = perf_counter() - start
    labels = {code: f"k{int(label)}" for code, label in zip(graph.codes, assigned)}
    notes.insert(0, f"n_clusters = {count}; {size_min}-{size_max} practices per cluster "
                    f"(mean list size {mean:,.0f})")
    return MethodResult(labels, seconds, None, None, None, None, notes)


# --------------------------------------------------------------------------- GerryChain
def gerrychain_recom(graph: PracticeGraph, settings: Settings) -> MethodResult:
    """A GerryChain ReCom chain for ``settings.budget_seconds``; see :mod:`peers.gerrychain_peer`."""
    from peers.gerrychain_peer import gerrychain_recom as run

    return run(graph, settings)


#: Method name -> function, in the order of the table.
METHODS: Mapping[str, Callable[[PracticeGraph, Settings], MethodResult]] = {
    "clusterkit-heuristic": clusterkit_heuristic,
    "clusterkit-heuristic-quick": clusterkit_heuristic_quick,
    "clusterkit-heuristic-thorough": clusterkit_heuristic_thorough,
    "clusterkit-exact": clusterkit_exact,
    "pmedian-bound": pmedian_bound,
    "pmedian-bound-whole": pmedian_bound_whole,
    "pcn": current_pcns,
    "spopt-maxp": spopt_maxp,
    "spopt-regionkmeans": spopt_region_kmeans,
    "kmeans-constrained": kmeans_constrained,
    "gerrychain-recom": gerrychain_recom,
    "gerrychain-recom-long": gerrychain_recom,
}

#: Modules a method must import before anything else in its process (OR-Tools before any HiGHS).
PRELOAD: Mapping[str, tuple[str, ...]] = {"kmeans-constrained": ("k_means_constrained",)}
