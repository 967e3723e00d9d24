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
        Region-growing starts per area (the best is kept).
    oscillate : int
        Best distinct restarts of each area improved by strategic oscillation (the band relaxed to a
        rising penalty, searched, restored and repaired); the costliest and most effective step.
    polish_oscillate : int
        The same for the final polish of a large piece started from its chunks (0: moves only).
    """

    restarts: int
    oscillate: int
    polish_oscillate: int


#: ``--effort`` levels. ``quick``: region growing and local search only (QOP in about 1 s); ``standard``: plus
#: oscillation of each area's best start (all of England within a minute on 2 cores); ``thorough``: 32 starts,
#: the best 12 oscillated, and the polish of a large piece oscillated too (small areas near their optimum).
EFFORTS = {
    "quick": Effort(restarts=4, oscillate=0, polish_oscillate=0),
    "standard": Effort(restarts=8, oscillate=1, polish_oscillate=0),
    "thorough": Effort(restarts=32, oscillate=12, polish_oscillate=1),
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
