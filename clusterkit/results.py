"""What a method established: one :class:`Status` and one :class:`Outcome` for every solver and engine.

Every result of clusterkit (a grouping, a piece of one, a budget stage, a network's budgets) carries an
:class:`Outcome`: the status, the objective of the solution returned, the best proven bound, the relative
gap between them, the seconds it took and who produced it. ``bound`` and ``gap`` are ``None`` when unknown,
never invented; a heuristic is :attr:`Status.FEASIBLE` at best.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from clusterkit.model.partition import Partition

__all__ = ["Status", "Outcome", "OutcomeView", "Grouping", "relative_gap", "worst_status"]


class Status(StrEnum):
    """How far a method got. A member equals its name as a string (``Status.OPTIMAL == "OPTIMAL"``).

    Members are listed from best to worst (:func:`worst_status` uses that order).
    """

    OPTIMAL = "OPTIMAL"
    """A solution whose optimality a solver proved (within the gap tolerance asked for)."""

    FEASIBLE = "FEASIBLE"
    """A solution meeting every hard rule, optimality not proven: a heuristic, or an exact run stopped by its
    time limit (its bound and gap say how far it may be from the optimum)."""

    NO_SOLUTION = "NO_SOLUTION"
    """No solution meeting the hard rules was found within the limits; none is proven impossible either."""

    INFEASIBLE = "INFEASIBLE"
    """Proven: no solution meets the hard rules."""

    @property
    def has_solution(self) -> bool:
        """Whether a solution meeting every hard rule comes with this status."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)

    @classmethod
    def _missing_(cls, value: object) -> Status:
        raise ValueError(f"unknown status {value!r}; statuses are {', '.join(cls)}")


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``, or ``None`` when either is unknown or infinite.

    Examples
    --------
    >>> relative_gap(1.0, 0.99)
    0.01...
    >>> relative_gap(1.0, None) is None
    True
    """
    if objective is None or bound is None or not math.isfinite(objective) or not math.isfinite(bound):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


def worst_status(statuses: Iterable[Status | str]) -> Status:
    """The worst of several statuses (``OPTIMAL`` for none): a whole is only as proven as its weakest part.

    Examples
    --------
    >>> worst_status(["OPTIMAL", "FEASIBLE"])
    <Status.FEASIBLE: 'FEASIBLE'>
    """
    order = list(Status)
    found = [Status(status) for status in statuses]
    return max(found, key=order.index) if found else Status.OPTIMAL


@dataclass(frozen=True)
class Outcome:
    """What one run of a method established.

    Attributes
    ----------
    status : Status
    objective : float or None
        Objective of the solution returned (``None`` without one).
    bound : float or None
        Best proven bound on the optimum (a lower bound when minimising, an upper one when maximising);
        ``None`` when unknown.
    gap : float or None
        :func:`relative_gap` of ``objective`` and ``bound``; computed when not given.
    seconds : float
        Wall time.
    solver : str
        ``"highs"``, ``"cbc"`` or ``"clusterkit"`` (the heuristic).
    time_limit : float or None
        The limit the run had.
    detail : str
        The solver's own status words.

    Examples
    --------
    >>> Outcome(Status.FEASIBLE, 1.02, 1.0).gap
    0.0196...
    """

    status: Status
    objective: float | None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    solver: str = "clusterkit"
    time_limit: float | None = None
    detail: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        if self.gap is None:
            object.__setattr__(self, "gap", relative_gap(self.objective, self.bound))

    @property
    def has_solution(self) -> bool:
        """Whether a solution comes with this outcome."""
        return self.status.has_solution

    @property
    def proven_optimal(self) -> bool:
        """Whether optimality was proven."""
        return self.status == Status.OPTIMAL

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {"status": str(self.status), "proven_optimal": self.proven_optimal, "objective": self.objective,
                "bound": self.bound, "gap": self.gap, "seconds": round(self.seconds, 4), "solver": self.solver,
                "time_limit": self.time_limit}


class OutcomeView:
    """The fields of an ``outcome`` attribute, read through: for results that carry an :class:`Outcome`."""

    outcome: Outcome

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def objective(self) -> float | None:
        return self.outcome.objective

    @property
    def bound(self) -> float | None:
        return self.outcome.bound

    @property
    def gap(self) -> float | None:
        return self.outcome.gap

    @property
    def seconds(self) -> float:
        return self.outcome.seconds

    @property
    def solver(self) -> str:
        return self.outcome.solver


@dataclass(frozen=True)
class Grouping(OutcomeView):
    """A grouping of practices: a :class:`~clusterkit.model.Partition`, the :class:`Outcome` of the method
    that made it, and where it came from.

    Attributes
    ----------
    partition : Partition
        Practice -> group id; unwilling practices are :data:`~clusterkit.model.UNGROUPED`.
    outcome : Outcome
        ``OPTIMAL`` only when a solver proved it; a heuristic is ``FEASIBLE`` (or ``NO_SOLUTION``).
        For ``distance`` the objective is the population-weighted mean km to each group's centre practice.
    method : str
        ``heuristic`` or ``exact``.
    seed : int or None
    centres : Mapping[str, str]
        Group id -> its centre practice (its hub, else its 1-median).
    flagged : tuple of str
        Practices larger than the band's upper bound, standing alone.
    unwilling : tuple of str
        Practices left out because they are unwilling.
    notes : tuple of str
        What the method wants the user to know (e.g. areas solved in soft mode, time limits hit).
    params : Mapping
        The problem's parameters and the method's settings.

    Examples
    --------
    >>> from clusterkit.model import Partition
    >>> grouping = Grouping(Partition({"A": "G1", "B": "G1", "C": ""}), Outcome(Status.FEASIBLE, 0.5), unwilling=("C",))
    >>> dict(grouping.groups), str(grouping.status), grouping.bound
    ({'G1': ('A', 'B')}, 'FEASIBLE', None)
    """

    partition: Partition
    outcome: Outcome
    method: str = "heuristic"
    seed: int | None = None
    centres: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flagged: tuple[str, ...] = ()
    unwilling: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "centres", MappingProxyType(dict(self.centres)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __reduce__(self) -> tuple[Any, ...]:
        # read-only mappings cannot be pickled: a grouping travels to and from workers as plain dicts
        return (Grouping, (self.partition, self.outcome, self.method, self.seed, dict(self.centres), self.flagged,
                           self.unwilling, self.notes, dict(self.params)))

    @property
    def labels(self) -> Mapping[str, str]:
        """Practice code -> group id (:data:`~clusterkit.model.UNGROUPED` for the unwilling)."""
        return self.partition.labels

    @property
    def groups(self) -> Mapping[str, tuple[str, ...]]:
        """Group id -> its practices (sorted); unwilling practices are in no group."""
        return self.partition.parts
