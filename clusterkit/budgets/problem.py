"""Specialty budgets: the problem a commissioner states and the candidate holders in each network.

A commissioner devolves the budget of each surgical specialty (urology, ophthalmology, ENT, ...) for a
network's population to one *holder*: a practice of the network, or a consortium of its practices. This
module defines the problem (:class:`BudgetProblem`, :class:`Specialty`, :class:`Consortium`);
:mod:`clusterkit.budgets.candidates` turns a grouping into one independent network instance per network
with every admissible (specialty, holder) option and explains why a network cannot be served; the MIP
lives in :mod:`solvers.budgets`; results and exposure reporting in :mod:`clusterkit.budgets.results`.

Rules
-----
- every specialty of a network gets exactly one holder: a practice of the network, a consortium named by
  the user, or a consortium formed automatically;
- a holder's budget is at most ``risk_cap`` times its turnover (a consortium's turnover is the sum of its
  members');
- each practice takes part in at most ``max_per_practice`` holdings (each member of a consortium uses
  one of its holdings);
- practices below ``min_list_size`` patients, and unwilling practices, never hold alone; small practices
  may join a consortium, unwilling ones never take part;
- a consortium is formed automatically for a specialty only when no single practice can hold it within
  the cap: from the fewest adjacent practices that can (every connected set of that size, up to
  ``max_consortium_size``, becomes a candidate).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property

from clusterkit.errors import InputError

__all__ = [
    "DEFAULT_SCHEDULE",
    "HOLDER_KINDS",
    "MAX_CONSORTIUM_SIZE",
    "Specialty",
    "Consortium",
    "BudgetProblem",
    "parse_schedule",
    "budget_ratio",
    "format_money",
    "format_number",
    "network_budgets",
]

#: The holder's share of savings and overspend by year: the gain/risk-share journey of the seeds.
DEFAULT_SCHEDULE = (0.1, 0.5, 1.0)

#: What a holder can be.
HOLDER_KINDS = ("practice", "consortium", "named consortium")

#: Largest automatic consortium size (connected sets grow combinatorially beyond it).
MAX_CONSORTIUM_SIZE = 6

@dataclass(frozen=True)
class Specialty:
    """One row of a specialties table: the budget of a specialty, for every network or for one.

    Parameters
    ----------
    name : str
        The specialty, e.g. ``"urology"`` (matched case-insensitively).
    rate_per_1000 : float, optional
        Pounds a year per 1,000 registered patients of the network.
    budget : float, optional
        Pounds a year for the network (exactly one of ``rate_per_1000`` and ``budget`` is given).
    network : str, optional
        The network this row applies to, overriding the row without a network; ``None`` for every network.

    Examples
    --------
    >>> Specialty("urology", rate_per_1000=13_333.33).budget_for(75_000)
    999999.75
    """

    name: str
    rate_per_1000: float | None = None
    budget: float | None = None
    network: str | None = None

    def __post_init__(self) -> None:
        if not self.name.strip():
            raise InputError("a specialty has no name")
        if (self.rate_per_1000 is None) == (self.budget is None):
            raise InputError("give a specialty either a rate per 1,000 patients or a budget", value=self.name)
        amount = self.rate_per_1000 if self.budget is None else self.budget
        if amount is None or not math.isfinite(amount) or amount <= 0:
            raise InputError(f"specialty {self.name}: budget must be a positive amount in £ (a £0 budget would "
                             "still use up a holder)", value=amount)

    @property
    def key(self) -> str:
        """The case-insensitive name used for matching."""
        return self.name.strip().casefold()

    def budget_for(self, population: int) -> float:
        """The budget in pounds for a network of ``population`` registered patients."""
        if self.budget is not None:
            return float(self.budget)
        return float(self.rate_per_1000) * population / 1000.0  # type: ignore[arg-type]


@dataclass(frozen=True)
class Consortium:
    """A consortium named by the user: practices that hold a budget together."""

    name: str
    members: tuple[str, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(sorted(set(self.members))))
        if len(self.members) < 2:
            raise InputError("a consortium needs at least two practices", value=self.name)


def parse_schedule(text: str, option: str = "schedule") -> tuple[float, ...]:
    """Parse a risk/gain-share schedule ``"0.1,0.5,1.0"`` (the holder's share by year, each in 0-1).

    Percentages are accepted too (``"10%,50%,100%"``).

    Examples
    --------
    >>> parse_schedule("0.1, 0.5, 1")
    (0.1, 0.5, 1.0)
    >>> parse_schedule("10%,100%")
    (0.1, 1.0)
    """
    shares = []
    for part in text.split(","):
        cell = part.strip()
        if not cell:
            raise InputError("a schedule is the holder's share by year, e.g. 0.1,0.5,1.0", source=option, value=text)
        try:
            share = float(cell[:-1]) / 100.0 if cell.endswith("%") else float(cell)
        except ValueError:
            raise InputError("a schedule is the holder's share by year, e.g. 0.1,0.5,1.0", source=option,
                             value=text) from None
        if not 0.0 <= share <= 1.0:
            raise InputError("every share of the schedule must lie between 0 and 1", source=option, value=cell)
        shares.append(share)
    return tuple(shares)


def budget_ratio(budget: float, turnover: float) -> float:
    """A budget as a multiple of its holder's turnover (``inf`` for a holder without turnover).

    Examples
    --------
    >>> round(budget_ratio(1_000_000, 8_000 * 120), 2)
    1.04
    """
    if turnover <= 0:
        return math.inf if budget > 0 else 0.0
    return budget / turnover


def format_money(amount: float) -> str:
    """Pounds as a planner writes them: ``£1.9m``, ``£640k``, ``£950``.

    Examples
    --------
    >>> format_money(1_900_000), format_money(1_000_000), format_money(641_234), format_money(950)
    ('£1.9m', '£1m', '£641k', '£950')
    """
    if abs(amount) >= 999_500:
        return "£" + f"{amount / 1e6:.2f}".rstrip("0").rstrip(".") + "m"
    if abs(amount) >= 999.5:
        return f"£{amount / 1e3:.0f}k"
    return f"£{amount:.0f}"


def format_number(value: float) -> str:
    """A multiplier as written in messages: ``1.0``, ``0.75``."""
    return f"{value:.1f}" if round(value, 1) == value else f"{value:g}"


@dataclass(frozen=True)
class BudgetProblem:
    """The rules of a specialty budget assignment; validated on construction.

    Parameters
    ----------
    specialties : tuple of Specialty
        Budget rules: one row per specialty without a network, plus optional per-network overrides.
    risk_cap : float
        A holder's budget may be at most this multiple of its turnover (default 1.0).
    max_per_practice : int
        Holdings a practice may take part in (default 1: practices depend on each other's referrals).
    min_list_size : int
        Practices with fewer patients never hold alone (default 3,000; single-handed practices).
    max_consortium_size : int
        Largest automatic consortium (default 3; 1 turns automatic consortia off).
    preferences : tuple of (practice, specialty, score)
        Preference or capability scores; a consortium scores the mean of its members' scores.
    consortia : tuple of Consortium
        Consortia named by the user; each is a candidate holder in its network.
    schedule : tuple of float
        The holder's share of savings and overspend in years 1, 2, ... (each in 0-1).
    variance : float
        Spend variance as a share of the budget, e.g. 0.1 for ±10%.
    loss_threshold : float
        Flag holders whose worst-case loss exceeds this share of their turnover (default 0.05).
    """

    specialties: tuple[Specialty, ...]
    risk_cap: float = 1.0
    max_per_practice: int = 1
    min_list_size: int = 3000
    max_consortium_size: int = 3
    preferences: tuple[tuple[str, str, float], ...] = ()
    consortia: tuple[Consortium, ...] = ()
    schedule: tuple[float, ...] = DEFAULT_SCHEDULE
    variance: float = 0.1
    loss_threshold: float = 0.05

    def __post_init__(self) -> None:
        object.__setattr__(self, "specialties", tuple(self.specialties))
        object.__setattr__(self, "preferences", tuple(sorted((c, s, float(v)) for c, s, v in self.preferences)))
        object.__setattr__(self, "consortia", tuple(sorted(self.consortia, key=lambda c: c.name)))
        object.__setattr__(self, "schedule", tuple(float(share) for share in self.schedule))
        if not self.specialties:
            raise InputError("no specialty to assign", source="specialties")
        seen: set[tuple[str, str | None]] = set()
        for specialty in self.specialties:
            key = (specialty.key, specialty.network)
            if key in seen:
                where = f" in network {specialty.network}" if specialty.network else ""
                raise InputError(f"specialty appears twice{where}", source="specialties", value=specialty.name)
            seen.add(key)
        if not (self.risk_cap > 0 and math.isfinite(self.risk_cap)):
            raise InputError("must be a positive number", source="risk_cap", value=self.risk_cap)
        if self.max_per_practice < 1:
            raise InputError("must be at least 1", source="max_per_practice", value=self.max_per_practice)
        if self.min_list_size < 0:
            raise InputError("must not be negative", source="min_list_size", value=self.min_list_size)
        if not 1 <= self.max_consortium_size <= MAX_CONSORTIUM_SIZE:
            raise InputError(f"must lie between 1 and {MAX_CONSORTIUM_SIZE}", source="max_consortium_size",
                             value=self.max_consortium_size)
        if not self.schedule:
            raise InputError("the schedule needs at least one year", source="schedule")
        for share in self.schedule:
            if not 0.0 <= share <= 1.0:
                raise InputError("every share of the schedule must lie between 0 and 1", source="schedule",
                                 value=share)
        if not 0.0 <= self.variance <= 1.0:
            raise InputError("spend variance must lie between 0 and 1 (0.1 is ±10%)", source="variance",
                             value=self.variance)
        if not (self.loss_threshold >= 0 and math.isfinite(self.loss_threshold)):
            raise InputError("must be a non-negative share of turnover", source="loss_threshold",
                             value=self.loss_threshold)
        names = {specialty.key for specialty in self.specialties}
        for code, specialty, score in self.preferences:
            if specialty.casefold() not in names:
                raise InputError(f"preference of {code} names an unknown specialty", source="preferences",
                                 value=specialty)
            if not math.isfinite(score):
                raise InputError(f"preference of {code} for {specialty} is not a number", source="preferences")

    @cached_property
    def preference_of(self) -> dict[tuple[str, str], float]:
        """``(practice code, specialty key) -> score``."""
        return {(code, specialty.casefold()): score for code, specialty, score in self.preferences}

    @cached_property
    def specialty_names(self) -> tuple[str, ...]:
        """Every specialty's display name (first spelling met), sorted case-insensitively."""
        names: dict[str, str] = {}
        for specialty in self.specialties:
            names.setdefault(specialty.key, specialty.name.strip())
        return tuple(names[key] for key in sorted(names))

    def to_dict(self) -> dict[str, object]:
        """Parameters as a JSON-ready dict."""
        return {
            "specialties": [
                {"specialty": s.name, "rate_per_1000": s.rate_per_1000, "budget": s.budget, "network": s.network}
                for s in self.specialties
            ],
            "risk_cap": self.risk_cap,
            "max_per_practice": self.max_per_practice,
            "min_list_size": self.min_list_size,
            "max_consortium_size": self.max_consortium_size,
            "preferences": len(self.preferences),
            "consortia": {c.name: list(c.members) for c in self.consortia},
            "schedule": list(self.schedule),
            "variance": self.variance,
            "loss_threshold": self.loss_threshold,
        }


def network_budgets(problem: BudgetProblem, network: str, population: int) -> dict[str, float]:
    """Specialty -> budget in pounds for one network (sorted by specialty).

    A row naming the network overrides the row without one; a specialty given only for other networks
    does not apply here.
    """
    chosen: dict[str, Specialty] = {}
    for specialty in problem.specialties:
        if specialty.network is None:
            chosen.setdefault(specialty.key, specialty)
    for specialty in problem.specialties:
        if specialty.network == network:
            chosen[specialty.key] = specialty
    display = {name.casefold(): name for name in problem.specialty_names}
    return {display[key]: chosen[key].budget_for(population) for key in sorted(chosen)}
