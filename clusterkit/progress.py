"""How a long run tells its caller how far it has got.

One protocol for every run: ``progress(done, total, note="")``. ``done`` and ``total`` count units of work (areas,
restarts, members, phases); ``note`` says in the planner's words where the run is now (``"restart 3 of 8: 0.812 km"``,
``"pricing: incumbent 0.8120, bound 0.7900, gap 2.71%"``). A caller that does not care passes nothing; the functions
that run work call :func:`tell`, which accepts ``None``.

Examples
--------
>>> seen = []
>>> tell(lambda done, total, note="": seen.append((done, total, note)), 1, 4, "restart 1 of 4")
>>> seen
[(1, 4, 'restart 1 of 4')]
>>> tell(None, 2, 4)  # nobody listening: nothing happens
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from clusterkit.results import relative_gap

__all__ = ["Progress", "tell", "gap_note", "best_note"]


class Progress(Protocol):
    """``progress(done, total, note="")``: called as work finishes; must be cheap and must not raise."""

    def __call__(self, done: int, total: int, note: str = "") -> None: ...


def tell(progress: Progress | None, done: int, total: int, note: str = "") -> None:
    """Tell ``progress`` (if any) that ``done`` of ``total`` units are finished, with an optional ``note``."""
    if progress is not None:
        if note:
            progress(done, total, note)
        else:
            progress(done, total)


def gap_note(phase: str, incumbent: float | None, bound: float | None) -> str:
    """A one-line state of an exact run: its phase, incumbent, best bound and relative gap.

    Examples
    --------
    >>> gap_note("pricing", 0.812, 0.790)
    'pricing: incumbent 0.8120, bound 0.7900, gap 2.71%'
    >>> gap_note("start", None, 0.5)
    'start: no incumbent yet, bound 0.5000'
    """
    if incumbent is None:
        return f"{phase}: no incumbent yet" + ("" if bound is None else f", bound {bound:.4f}")
    if bound is None:
        return f"{phase}: incumbent {incumbent:.4f}, no bound yet"
    return f"{phase}: incumbent {incumbent:.4f}, bound {bound:.4f}, gap {relative_gap(incumbent, bound) or 0.0:.2%}"


def best_note(step: str, scores: Iterable[tuple[float, float]]) -> str:
    """A one-line state of a search: the step just finished and the best of ``scores`` so far.

    ``scores`` are the ``(violation, cost)`` of the groupings found; the best has the least violation, then the
    least cost (a piece's cost is its objective per patient: km for the distance objective).

    Examples
    --------
    >>> best_note("restart 2 of 8", [(0.0, 0.91), (0.0, 0.8123), (1.5, 0.5)])
    'restart 2 of 8: best 0.8123'
    >>> best_note("restart 1 of 8", [(2.0, 0.7)])
    'restart 1 of 8: none meets the hard rules yet'
    """
    best = min(scores, default=None)
    if best is None or best[0] > 1e-9:
        return f"{step}: none meets the hard rules yet"
    return f"{step}: best {best[1]:.4f}"
