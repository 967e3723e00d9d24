"""The grouping problem: the band, rules, boundary and objective a planner states, validated on construction."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from clusterkit.errors import InputError
from clusterkit.model.partition import Partition
from clusterkit.problem.band import Band

if TYPE_CHECKING:
    from clusterkit.model.graph import PracticeGraph


OBJECTIVES = ("distance", "alignment", "blend")


WITHIN = ("none", "sub_icb", "icb")


def _restore_problem(*values: Any) -> GroupingProblem:
    """Unpickle a :class:`GroupingProblem` (see its ``__reduce__``)."""
    return GroupingProblem(*values)


@dataclass(frozen=True)
class GroupingProblem:
    """The rules and objective of a grouping; validated on construction.

    Parameters
    ----------
    band : Band
        Population band of a group (default 30,000-50,000).
    soft_above : bool
        Hard below, soft above: no group under ``lower``, groups above ``upper`` at ``penalty`` per patient
        (NHS England's 30-50k as it is read in practice). ``soft`` makes both sides soft.
    soft : bool
        Allow groups outside the band at ``penalty`` per patient outside (else the band is hard).
    penalty : float
        Soft-band penalty, in objective units (weighted km) per patient outside, averaged over the
        area's population.
    contiguity : bool
        Groups must be connected on the adjacency layer.
    within : {"none", "sub_icb", "icb"} or Partition
        Groups may not cross this boundary: the practices' sub-ICBs or ICBs by name, or any partition (e.g.
        the networks a tier is grouped inside); ``"none"``: any practices of the selection may group.
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
    units : Partition, optional
        Blocks of practices every group keeps whole (e.g. the neighbourhoods a tier above is made of), as
        must-link chains are kept whole.
    within_name : str
        What a part of a ``within`` partition is called in messages (e.g. ``network`` for the tier above).
    """

    band: Band = Band(30_000, 50_000)
    soft: bool = False
    soft_above: bool = False
    penalty: float = 10.0
    contiguity: bool = True
    within: str | Partition = "none"
    cross_penalty: float = 0.0
    max_diameter_km: float | None = None
    band_for: Mapping[str, Band] = field(default_factory=lambda: MappingProxyType({}))
    count: int | None = None
    centres: tuple[str, ...] = ()
    objective: str = "distance"
    weight: float = 0.5
    current: Mapping[str, str] | None = None
    move_penalty: float = 0.0
    units: Partition | None = None
    within_name: str = "part"

    def __post_init__(self) -> None:
        if self.objective not in OBJECTIVES:
            raise InputError(f"unknown objective; choose {', '.join(OBJECTIVES)}", source="objective",
                             value=self.objective)
        if not isinstance(self.within, Partition) and self.within not in WITHIN:
            raise InputError(f"unknown boundary rule; choose {', '.join(WITHIN)}", source="within", value=self.within)
        if not 0.0 <= self.weight <= 1.0 or math.isnan(self.weight):
            raise InputError("weight must lie between 0 and 1", source="weight", value=self.weight)
        for name, value in (("penalty", self.penalty), ("cross_penalty", self.cross_penalty),
                            ("move_penalty", self.move_penalty)):
            if value < 0 or math.isnan(value):
                raise InputError("must not be negative", source=name, value=value)
        if self.max_diameter_km is not None and not self.max_diameter_km > 0:
            raise InputError("must be positive", source="max_diameter_km", value=self.max_diameter_km)
        if self.count is not None and self.count < 1:
            raise InputError("must be at least 1", source="count", value=self.count)
        object.__setattr__(self, "band_for", MappingProxyType({k.upper(): v for k, v in dict(self.band_for).items()}))
        object.__setattr__(self, "centres", tuple(sorted({c.upper() for c in self.centres})))
        if self.current is not None:
            object.__setattr__(self, "current", MappingProxyType(dict(self.current)))

    def __reduce__(self) -> tuple[Any, ...]:
        # read-only mappings cannot be pickled: the rules travel to workers (a sweep's points) as plain dicts
        values = [getattr(self, item.name) for item in fields(self)]
        return (_restore_problem, tuple(dict(value) if isinstance(value, MappingProxyType) else value
                                        for value in values))

    @property
    def bounded(self) -> bool:
        """Whether groups must stay inside the parts of a boundary partition (``within`` is not ``"none"``)."""
        return isinstance(self.within, Partition) or self.within != "none"

    def boundary(self, graph: PracticeGraph) -> Partition | None:
        """The partition groups may not cross: ``within`` itself, or the practices' sub-ICBs or ICBs by name."""
        if isinstance(self.within, Partition):
            return self.within.restrict(graph.codes)
        if self.within == "none":
            return None
        return Partition.of_attribute(graph, self.within)

    @property
    def boundary_name(self) -> str:
        """How a part of the boundary is called in a message: ``sub-ICB``, ``ICB`` or ``part``."""
        if isinstance(self.within, str):
            return {"sub_icb": "sub-ICB", "icb": "ICB"}.get(self.within, "part")
        return self.within_name

    def check_areas(self, graph: PracticeGraph) -> None:
        """The problem fits ``graph``: every ``band_for`` area is a sub-ICB or ICB of its practices, and an
        alignment or blend objective has alignment or shared-staff relations to work with; else :class:`InputError`."""
        if self.objective != "distance" and not (graph.layer("alignment").number_of_edges()
                                                 or graph.layer("shared_staff").number_of_edges()):
            raise InputError(f"the {self.objective} objective needs alignment or shared-staff relations and the "
                             "practices have none; pass --relations FILE or --alignment-from COL",
                             source="objective", value=self.objective)
        areas = {(code or "").upper() for p in graph.practices for code in (p.sub_icb, p.icb)} - {""}
        for area in self.band_for:
            if area not in areas:
                shown = ", ".join(sorted(areas)[:12]) + (f", ... ({len(areas)} in all)" if len(areas) > 12 else "")
                raise InputError(f"area {area} is no sub-ICB or ICB of the selected practices; they have: "
                                 f"{shown or 'none'}", source="band_for", value=area)

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
        if isinstance(self.within, Partition):
            values["within"] = f"{len(self.within)} parts"
        values["units"] = None if self.units is None else f"{len(self.units)} blocks"
        return values
