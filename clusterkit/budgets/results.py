"""Results of a specialty budget assignment, and the holders' exposure under the gain/risk-share journey.

:func:`solvers.budgets.assign_budgets` returns a :class:`BudgetAssignment`: one :class:`NetworkResult` per
network, each with its :class:`Holding` rows and the status, objective, bound and gap of every solver stage.
:func:`exposure_table` turns holdings into the yearly gain or loss of each holder (and, for a consortium,
of each member, pro rata to list size) for a spend variance; :func:`budget_summary` gathers everything a
``summary.json`` reports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from clusterkit.budgets.problem import HOLDER_KINDS
from clusterkit.model.graph import PracticeGraph
from clusterkit.results import Outcome, OutcomeView, Status, relative_gap, worst_status

__all__ = [
    "Holding",
    "StageResult",
    "NetworkResult",
    "BudgetAssignment",
    "Exposure",
    "exposure_table",
    "worst_loss_share",
    "budget_summary",
]

@dataclass(frozen=True)
class Holding:
    """One specialty of one network and its holder.

    Attributes
    ----------
    network, specialty : str
    budget : float
        Pounds a year.
    holder : str
        Practice code, named consortium, or ``A+B`` for an automatic consortium.
    members : tuple of str
        Member practices (one for a practice).
    kind : str
        ``practice``, ``consortium`` (automatic) or ``named consortium``.
    turnover : float
        The holder's turnover (sum of members').
    list_size : int
        The holder's registered patients.
    ratio : float
        ``budget / turnover``.
    preference : float
        The holder's preference score for the specialty (mean over members).
    interdependence : float
        Share of the network's population registered at practices other than the holder's members: how
        much the holder depends on others' referrals.
    """

    network: str
    specialty: str
    budget: float
    holder: str
    members: tuple[str, ...]
    kind: str
    turnover: float
    list_size: int
    ratio: float
    preference: float
    interdependence: float


@dataclass(frozen=True)
class StageResult(OutcomeView):
    """One lexicographic solver stage and its :class:`~clusterkit.results.Outcome`.

    ``stage`` is ``max_ratio`` (minimised), ``preference`` or ``spread`` (maximised; ``bound`` is then an
    upper bound).
    """

    stage: str
    outcome: Outcome

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict."""
        return {"stage": self.stage, **self.outcome.to_dict()}


@dataclass(frozen=True)
class NetworkResult:
    """One network's assignment, or why there is none.

    ``status`` is ``OPTIMAL`` only when every stage was proven optimal; ``INFEASIBLE`` with ``reasons``
    when a counting argument (before solving) or the solver proved that no assignment exists.
    """

    network: str
    status: Status
    holdings: tuple[Holding, ...]
    stages: tuple[StageResult, ...]
    practices: int
    population: int
    reasons: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def largest_ratio(self) -> float | None:
        """The largest budget/turnover ratio of the network's holders (``None`` without holdings)."""
        return max((h.ratio for h in self.holdings), default=None)

    @property
    def bound(self) -> float | None:
        """Proven lower bound on the smallest achievable largest ratio (stage 1)."""
        return self.stages[0].bound if self.stages else None

    @property
    def gap(self) -> float | None:
        """The worst relative gap of the network's stages (``None`` when none is known)."""
        gaps = [stage.gap for stage in self.stages if stage.gap is not None]
        return max(gaps) if gaps else None

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-ready dict."""
        return {
            "network": self.network,
            "status": self.status,
            "practices": self.practices,
            "population": self.population,
            "holdings": len(self.holdings),
            "largest_ratio": self.largest_ratio,
            "stages": [stage.to_dict() for stage in self.stages],
            "reasons": list(self.reasons),
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class BudgetAssignment:
    """Every network's assignment.

    Attributes
    ----------
    networks : tuple of NetworkResult
        Sorted by network.
    ungrouped : tuple of str
        Practices in no network (they took no part).
    solver : str
    seconds : float
        Wall time of the whole run.
    params : Mapping
        The problem's parameters and the solver options.
    """

    networks: tuple[NetworkResult, ...]
    ungrouped: tuple[str, ...] = ()
    solver: str = "highs"
    seconds: float = 0.0
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def holdings(self) -> tuple[Holding, ...]:
        """Every holding, by network then specialty."""
        return tuple(h for result in self.networks for h in result.holdings)

    @property
    def infeasible(self) -> tuple[NetworkResult, ...]:
        """Networks proven to have no assignment."""
        return tuple(r for r in self.networks if r.status == Status.INFEASIBLE)

    @property
    def unsolved(self) -> tuple[NetworkResult, ...]:
        """Networks where the solver found no solution within its limits (not proven infeasible)."""
        return tuple(r for r in self.networks if r.status == Status.NO_SOLUTION)

    @property
    def status(self) -> Status:
        """The worst network status: ``OPTIMAL`` only when every network was proven optimal."""
        return worst_status(r.status for r in self.networks)

    @property
    def status_counts(self) -> dict[str, int]:
        """Networks by status."""
        return {status: sum(r.status == status for r in self.networks) for status in Status}

    @property
    def objective(self) -> float | None:
        """The largest budget/turnover ratio over every holder."""
        return max((h.ratio for h in self.holdings), default=None)

    @property
    def bound(self) -> float | None:
        """A proven lower bound on the largest ratio of the networks served (max of their stage-1 bounds)."""
        bounds = [r.bound for r in self.networks if r.holdings and r.bound is not None]
        return max(bounds) if bounds else None

    @property
    def gap(self) -> float | None:
        """Relative gap between :attr:`objective` and :attr:`bound`."""
        return relative_gap(self.objective, self.bound)

    @property
    def worst_gap(self) -> float | None:
        """The largest gap of any stage of any network."""
        gaps = [r.gap for r in self.networks if r.gap is not None]
        return max(gaps) if gaps else None


@dataclass(frozen=True)
class Exposure:
    """The gain or loss of a holder (or of one consortium member) in one year of the journey.

    Attributes
    ----------
    network, specialty, holder : str
    party : str
        The holder itself (``level="holder"``) or one member practice (``level="member"``).
    level : str
        ``holder`` or ``member`` (a consortium member's share, pro rata to list size).
    year : int
        1, 2, ...
    share : float
        The holder's share of savings and overspend that year.
    budget : float
        The budget (the member's pro rata part for ``member`` rows).
    turnover : float
        The party's turnover.
    gain, loss : float
        Pounds gained on an underspend, lost on an overspend, of ``variance`` of the budget.
    share_of_turnover : float
        ``loss / turnover`` (equal to ``gain / turnover``).
    flagged : bool
        Whether ``share_of_turnover`` exceeds the loss threshold.
    """

    network: str
    specialty: str
    holder: str
    party: str
    level: str
    year: int
    share: float
    budget: float
    turnover: float
    gain: float
    loss: float
    share_of_turnover: float
    flagged: bool


def worst_loss_share(holding: Holding, schedule: Sequence[float], variance: float) -> float:
    """The holder's largest yearly loss on an overspend of ``variance``, as a share of its turnover.

    Examples
    --------
    >>> h = Holding("N1", "urology", 1e6, "A", ("A",), "practice", 1.2e6, 10_000, 1e6 / 1.2e6, 0.0, 0.8)
    >>> round(worst_loss_share(h, (0.1, 0.5, 1.0), 0.1), 4)
    0.0833
    """
    return max(schedule, default=0.0) * variance * holding.ratio


def exposure_table(
    graph: PracticeGraph,
    holdings: Sequence[Holding],
    schedule: Sequence[float],
    variance: float,
    loss_threshold: float,
) -> tuple[Exposure, ...]:
    """Each holder's gain or loss, year by year, under the gain/risk-share ``schedule``.

    In year ``t`` the holder keeps ``schedule[t]`` of a saving and bears the same share of an overspend:
    for a spend variance ``v`` the gain on an underspend and the loss on an overspend are both
    ``schedule[t] * v * budget``. A consortium's rows are followed by one row per member, pro rata to the
    members' list sizes (equal parts if they have no patients).

    Parameters
    ----------
    graph : PracticeGraph
        For members' list sizes and turnovers.
    holdings : sequence of Holding
    schedule : sequence of float
        The holder's share in years 1, 2, ...
    variance : float
        Spend variance as a share of the budget (0.1 for ±10%).
    loss_threshold : float
        A row is flagged when its loss exceeds this share of the party's turnover.

    Examples
    --------
    >>> from clusterkit.model import Practice, PracticeGraph
    >>> graph = PracticeGraph.from_practices([Practice("A", "", 52.0, -1.0, 0, 0, 10_000, 1.2e6)])
    >>> h = Holding("N1", "urology", 1e6, "A", ("A",), "practice", 1.2e6, 10_000, 1e6 / 1.2e6, 0.0, 0.8)
    >>> [(row.year, round(row.loss, 2)) for row in exposure_table(graph, [h], (0.1, 1.0), 0.1, 0.05)]
    [(1, 10000.0), (2, 100000.0)]
    """
    rows: list[Exposure] = []
    ordered = sorted(holdings, key=lambda h: (h.network, h.specialty.casefold(), h.holder))
    for holding in ordered:
        parties = [(holding.holder, "holder", holding.budget, holding.turnover)]
        if len(holding.members) > 1:
            sizes = [graph.practice(code).list_size for code in holding.members]
            total = sum(sizes)
            for code, size in zip(holding.members, sizes):
                part = size / total if total > 0 else 1.0 / len(holding.members)
                parties.append((code, "member", holding.budget * part, graph.practice(code).turnover))
        for party, level, budget, turnover in parties:
            for year, share in enumerate(schedule, start=1):
                amount = share * variance * budget
                relative = amount / turnover if turnover > 0 else (0.0 if amount == 0 else float("inf"))
                rows.append(Exposure(holding.network, holding.specialty, holding.holder, party, level, year, share,
                                     budget, turnover, amount, amount, relative, relative > loss_threshold))
    return tuple(rows)


def budget_summary(
    assignment: BudgetAssignment,
    exposures: Sequence[Exposure],
    *,
    schedule: Sequence[float],
    variance: float,
    loss_threshold: float,
) -> dict[str, Any]:
    """What ``summary.json`` reports: status, objective, bound, gap, counts, flags and reasons.

    The objective is the largest budget/turnover ratio over every holder; ``bound`` the largest of the
    networks' proven lower bounds. Networks are independent, so minimising each network's largest ratio
    also minimises the largest over all networks.
    """
    flagged = sorted({(e.network, e.specialty, e.holder) for e in exposures if e.level == "holder" and e.flagged})
    members_flagged = sorted({(e.network, e.specialty, e.party) for e in exposures
                              if e.level == "member" and e.flagged})
    holdings = assignment.holdings
    served = [r for r in assignment.networks if r.holdings]
    return {
        "status": assignment.status,
        "objective": {"name": "largest budget/turnover ratio", "value": assignment.objective},
        "bound": assignment.bound,
        "gap": assignment.gap,
        "worst_gap": assignment.worst_gap,
        "seconds": round(assignment.seconds, 3),
        "solver": assignment.solver,
        "networks": {
            "total": len(assignment.networks),
            "served": len(served),
            "by_status": assignment.status_counts,
        },
        "holdings": len(holdings),
        "holders_by_kind": {kind: sum(h.kind == kind for h in holdings)
                            for kind in HOLDER_KINDS},
        "distinct_practices_holding": len({code for h in holdings for code in h.members}),
        "largest_ratio": assignment.objective,
        "exposure": {
            "schedule": list(schedule),
            "variance": variance,
            "loss_threshold": loss_threshold,
            "worst_loss_share": max((e.share_of_turnover for e in exposures if e.level == "holder"), default=None),
            "flagged_holders": [{"network": n, "specialty": s, "holder": h} for n, s, h in flagged],
            "flagged_members": [{"network": n, "specialty": s, "practice": p} for n, s, p in members_flagged],
        },
        "infeasible": [{"network": r.network, "reasons": list(r.reasons)} for r in assignment.infeasible],
        "no_solution": [r.network for r in assignment.unsolved],
        "ungrouped": list(assignment.ungrouped),
        "notes": [note for r in assignment.networks for note in r.notes],
        "params": dict(assignment.params),
        "per_network": [r.to_dict() for r in assignment.networks],
    }
