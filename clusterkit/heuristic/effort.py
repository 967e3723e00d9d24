"""How hard the heuristic searches: the ``--effort`` levels (restarts, oscillated starts, oscillated polish)."""

from __future__ import annotations

from dataclasses import dataclass, replace


from clusterkit.errors import InputError


@dataclass(frozen=True)
class Effort:
    """How hard the heuristic searches.

    Attributes
    ----------
    restarts : int
        Region-growing starts per area (the best is kept); with ``ruin``, per number of groups tried.
    oscillate : int
        Best distinct restarts of each area improved by strategic oscillation (the band relaxed to a
        rising penalty, searched, restored and repaired); the costliest and most effective step.
    polish_oscillate : int
        The same for the final polish of a large piece started from its chunks (0: moves only).
    ruin : int
        Rounds of ruin and recreate over each area's best result: a few neighbouring groups regrouped at once
        (:mod:`clusterkit.heuristic.ruin`; 0: none); in each chunk of a large piece, at most
        :data:`~clusterkit.heuristic.chunks.CHUNK_RUIN`.
    polish_ruin : int
        The same for the final polish of a large piece, around the chunks' boundaries (one task: it runs
        on one core while the chunks share them all).
    recreate_units : int
        Ruin and recreate of a small piece runs from the best start of several numbers of groups: as many as
        fit in this many units (see :func:`~clusterkit.heuristic.pipeline.search_piece`; 0: from the best start
        only). Not in the chunks of a large piece (they are starts of its polish).
    """

    restarts: int
    oscillate: int
    polish_oscillate: int
    ruin: int = 0
    polish_ruin: int = 0
    recreate_units: int = 0


#: ``--effort`` levels. ``quick``: region growing and local search only; ``standard`` (the default): two starts
#: (more for a small area) at each number of groups worth trying, the best of each oscillated, then ruin and
#: recreate of a few neighbouring groups at a time (in an area of at most 45 practices, from the best start of
#: two or three numbers of groups) with recombination of every group met (most sub-ICBs of QOP
#: and QE1 end at their proven optimum; see ``benchmarks/RESULTS.md``); ``thorough``: more starts, oscillations
#: and rounds of ruin and recreate, and the polish of a large piece oscillated too.
EFFORTS = {
    "quick": Effort(restarts=4, oscillate=0, polish_oscillate=0),
    "standard": Effort(restarts=2, oscillate=1, polish_oscillate=0, ruin=3, polish_ruin=3, recreate_units=90),
    "thorough": Effort(restarts=8, oscillate=4, polish_oscillate=1, ruin=6, polish_ruin=6, recreate_units=180),
}


def effort_of(effort: str | Effort, restarts: int | None = None) -> Effort:
    """The :class:`Effort` named ``effort``, with ``restarts`` instead of its own when given."""
    if isinstance(effort, str):
        if effort not in EFFORTS:
            raise InputError(f"unknown effort; choose {', '.join(EFFORTS)}", source="effort", value=effort)
        effort = EFFORTS[effort]
    if restarts is not None:
        if restarts < 1:
            raise InputError("must be at least 1", source="restarts", value=restarts)
        effort = replace(effort, restarts=restarts)
    return effort
