"""One GP practice and one pairwise relation between two practices (the rows of the model's inputs)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any




#: Practice income per registered patient a year, in pounds (8,000 patients ~ £1m).
DEFAULT_FUNDING_PER_PATIENT = 120.0


#: Relation kinds accepted in a relations table; ``shared_staff`` is written ``shared_staff:<resource>``.
RELATION_KINDS = ("alignment", "shared_staff", "must_link", "cannot_link")


@dataclass(frozen=True, eq=True)
class Practice:
    """One GP practice.

    Parameters
    ----------
    code : str
        ODS practice code, unique in a graph.
    name : str
        Practice name (may be empty).
    lat, lon : float
        WGS84 position in degrees.
    x, y : float
        British National Grid (EPSG:27700) position in metres.
    list_size : int
        Registered patients, >= 0.
    turnover : float
        Yearly income in pounds; by default ``list_size`` x funding per patient.
    sub_icb, icb : str or None
        Sub-ICB location (former CCG) and ICB codes.
    group : str or None
        Current group, e.g. the practice's PCN code.
    willing : bool
        Whether the practice takes part in a new grouping.
    attributes : Mapping
        Free attributes (philosophy scores, capabilities, ...), read-only.
    """

    code: str
    name: str
    lat: float
    lon: float
    x: float
    y: float
    list_size: int
    turnover: float
    sub_icb: str | None = None
    icb: str | None = None
    group: str | None = None
    willing: bool = True
    attributes: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}), compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.attributes, MappingProxyType):
            object.__setattr__(self, "attributes", MappingProxyType(dict(self.attributes)))

    def __reduce__(self) -> tuple[Any, ...]:
        # A mappingproxy cannot be pickled: rebuild from a plain dict (process pools, Dask, deepcopy).
        values = tuple(dict(self.attributes) if f.name == "attributes" else getattr(self, f.name) for f in fields(self))
        return (type(self), values)

    def node_attributes(self) -> dict[str, Any]:
        """The practice as a flat attribute dict (as stored on graph nodes)."""
        values = {
            "code": self.code,
            "name": self.name,
            "lat": self.lat,
            "lon": self.lon,
            "x": self.x,
            "y": self.y,
            "list_size": self.list_size,
            "turnover": self.turnover,
            "sub_icb": self.sub_icb,
            "icb": self.icb,
            "group": self.group,
            "willing": self.willing,
        }
        for key, value in self.attributes.items():
            values.setdefault(key, value)
        return values


@dataclass(frozen=True)
class Relation:
    """A pairwise relation between two practices.

    Parameters
    ----------
    a, b : str
        Practice codes (distinct).
    kind : str
        One of :data:`RELATION_KINDS`.
    value : float
        Alignment in [0, 1]; amount shared (FTE or count) for shared staff; 1 for links.
    resource : str or None
        The shared resource (``district_nurse``, ``ecg``, ...) for ``shared_staff``.
    """

    a: str
    b: str
    kind: str
    value: float = 1.0
    resource: str | None = None
