"""The grouping problem: bands, rules and objectives a planner states, and the result every method returns."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from clusterkit.errors import InputError
from clusterkit.results import Status

__all__ = [
    "OBJECTIVES",
    "WITHIN",
    "Band",
    "GroupingProblem",
    "Grouping",
    "UNGROUPED",
]

OBJECTIVES = ("distance", "alignment", "blend")
WITHIN = ("none", "sub_icb", "icb")

#: Label of unwilling practices in a grouping: they are left out and listed, never dropped.
UNGROUPED = ""


@dataclass(frozen=True, order=True)
class Band:
    """A population band ``[lower, upper]`` of registered patients.

    Examples
    --------
    >>> Band.parse("30000:50000")
    Band(lower=30000, upper=50000)
    >>> Band(30000, 50000).contains(41000)
    True
    """

    lower: int
    upper: int

    def __post_init__(self) -> None:
        if self.lower < 0:
            raise InputError("band lower bound is negative", source="--band", value=f"{self.lower}:{self.upper}")
        if self.lower > self.upper:
            raise InputError("band lower bound exceeds its upper bound", source="--band",
                             value=f"{self.lower}:{self.upper}")
        if self.upper <= 0:
            raise InputError("band upper bound must be positive", source="--band", value=f"{self.lower}:{self.upper}")

    @classmethod
    def parse(cls, text: str, option: str = "--band") -> Band:
        """Parse ``"30000:50000"`` (also ``30k:50k``, ``30,000-50,000``)."""
        cleaned = text.strip().lower().replace(",", "").replace("_", "")
        separator = ":" if ":" in cleaned else "-" if "-" in cleaned[1:] else None
        if separator is None:
            raise InputError("a band is written lower:upper, e.g. 30000:50000", source=option, value=text)
        low_text, _, high_text = cleaned.partition(separator)
        try:
            low, high = _patients(low_text), _patients(high_text)
        except ValueError:
            raise InputError("a band is written lower:upper, e.g. 30000:50000", source=option, value=text) from None
        if low > high:
            raise InputError("band lower bound exceeds its upper bound", source=option, value=text)
        try:
            return cls(low, high)
        except InputError as error:  # name the option the band came from
            raise InputError(error.detail, source=option, value=text) from None

    def contains(self, population: float) -> bool:
        """Whether ``population`` lies in the band."""
        return self.lower <= population <= self.upper

    def outside(self, population: float) -> float:
        """Patients below ``lower`` or above ``upper`` (0 inside)."""
        return max(0.0, self.lower - population, population - self.upper)

    def __str__(self) -> str:
        return f"{self.lower}:{self.upper}"


def _patients(text: str) -> int:
    text = text.strip()
    factor = 1000 if text.endswith("k") else 1
    value = float(text.rstrip("k")) * factor
    if not math.isfinite(value) or value != int(value):
        raise ValueError(text)
    return int(value)


@dataclass(frozen=True)
class GroupingProblem:
    """The rules and objective of a grouping; validated on construction.

    Parameters
    ----------
    band : Band
        Population band of a group (default 30,000-50,000).
    soft : bool
        Allow groups outside the band at ``penalty`` per patient outside (else the band is hard).
    penalty : float
        Soft-band penalty, in objective units (weighted km) per patient outside, averaged over the
        area's population.
    contiguity : bool
        Groups must be connected on the adjacency layer.
    within : {"none", "sub_icb", "icb"}
        Groups may not cross this boundary (``"none"``: any practices of the selection may group).
    cross_penalty : float
        With ``within="none"``: cost per patient (in km) of a practice grouped outside its group's main
        sub-ICB.
    max_diameter_km : float, optional
        Largest distance between two practices of a group.
    band_for : mapping
        Area code (sub-ICB or ICB) -> a different band for groups there (rural waivers).
    count : int, optional
        Exact number of groups (per area when the run is decomposed by ``within``).
    centres : tuple of str
        Hub practices that must be the centres of groups (one hub per group).
    objective : {"distance", "alignment", "blend"}
        Population-weighted distance to the group's centre practice; alignment and shared staff kept
        inside groups; or a blend.
    weight : float
        For ``blend``: the share given to alignment (0 = distance only, 1 = alignment only).
    current : mapping
        Practice -> current group, for stability.
    move_penalty : float
        Cost per patient (in km) of a practice leaving its current group's successor.
    """

    band: Band = Band(30_000, 50_000)
    soft: bool = False
    penalty: float = 10.0
    contiguity: bool = True
    within: str = "none"
    cross_penalty: float = 0.0
    max_diameter_km: float | None = None
    band_for: Mapping[str, Band] = field(default_factory=lambda: MappingProxyType({}))
    count: int | None = None
    centres: tuple[str, ...] = ()
    objective: str = "distance"
    weight: float = 0.5
    current: Mapping[str, str] | None = None
    move_penalty: float = 0.0

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"unknown objective; choose {', '.join(OBJECTIVES)}", source="--objective",
                             value=self.objective)
        if self.within not in WITHIN:
            raise InputError(f"unknown boundary rule; choose {', '.join(WITHIN)}", source="--within", value=self.within)
        if not 0.0 <= self.weight <= 1.0 or math.isnan(self.weight):
            raise InputError("weight must lie between 0 and 1", source="--weight", value=self.weight)
        for name, value in (("--penalty", self.penalty), ("--cross-penalty", self.cross_penalty),
                            ("--move-penalty", self.move_penalty)):
            if value < 0 or math.isnan(value):
                raise InputError("must not be negative", source=name, value=value)
        if self.max_diameter_km is not None and not self.max_diameter_km > 0:
            raise InputError("must be positive", source="--max-diameter-km", value=self.max_diameter_km)
        if self.count is not None and self.count < 1:
            raise InputError("must be at least 1", source="--count", value=self.count)
        object.__setattr__(self, "band_for", MappingProxyType({k.upper(): v for k, v in dict(self.band_for).items()}))
        object.__setattr__(self, "centres", tuple(sorted({c.upper() for c in self.centres})))
        if self.current is not None:
            object.__setattr__(self, "current", MappingProxyType(dict(self.current)))

    def band_of(self, sub_icb: str | None, icb: str | None) -> Band:
        """The band that applies to a group in this sub-ICB / ICB (a rural waiver or the default)."""
        for code in (sub_icb, icb):
            if code and code.upper() in self.band_for:
                return self.band_for[code.upper()]
        return self.band

    def to_dict(self) -> dict[str, Any]:
        """Parameters as a JSON-ready dict (the current grouping summarised by its size)."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values["band"] = str(self.band)
        values["band_for"] = {code: str(band) for code, band in self.band_for.items()}
        values["centres"] = list(self.centres)
        values["current"] = None if self.current is None else f"{len(self.current)} practices"
        return values


@dataclass(frozen=True)
class Grouping:
    """A grouping of practices and what is known of its quality.

    Attributes
    ----------
    labels : Mapping[str, str]
        Practice code -> group id; unwilling practices get :data:`UNGROUPED`.
    status : str
        ``OPTIMAL`` only when a solver proved it; a heuristic is ``FEASIBLE`` (or ``INFEASIBLE`` /
        ``NO_SOLUTION``).
    objective : float or None
        Objective value (for ``distance``: population-weighted mean km to the centre practice).
    bound : float or None
        Best proven lower bound on the objective; ``None`` when unknown (always for the heuristic).
    gap : float or None
        Relative gap ``(objective - bound) / objective``; ``None`` when unknown.
    seconds : float
        Wall time.
    method, solver : str
        ``heuristic`` or ``exact``; solver name (``"clusterkit"`` for the heuristic).
    seed : int or None
    centres : Mapping[str, str]
        Group id -> its centre practice.
    flagged : tuple of str
        Practices larger than the band's upper bound, standing alone.
    unwilling : tuple of str
        Practices left out because they are unwilling.
    notes : tuple of str
        What the method wants the user to know (e.g. areas solved in soft mode, time limits hit).
    params : Mapping
        The problem's parameters.
    """

    labels: Mapping[str, str]
    status: Status
    objective: float | None
    bound: float | None = None
    gap: float | None = None
    seconds: float = 0.0
    method: str = "heuristic"
    solver: str = "clusterkit"
    seed: int | None = None
    centres: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    flagged: tuple[str, ...] = ()
    unwilling: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    params: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        object.__setattr__(self, "labels", MappingProxyType(dict(self.labels)))
        object.__setattr__(self, "centres", MappingProxyType(dict(self.centres)))
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    @property
    def groups(self) -> dict[str, tuple[str, ...]]:
        """Group id -> its practices (sorted); unwilling practices are not in any group."""
        found: dict[str, list[str]] = {}
        for code in sorted(self.labels):
            label = self.labels[code]
            if label != UNGROUPED:
                found.setdefault(label, []).append(code)
        return {label: tuple(codes) for label, codes in sorted(found.items())}
