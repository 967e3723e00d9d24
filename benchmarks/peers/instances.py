"""The benchmark instances: areas of the real NHS practice file, each with its own Delaunay adjacency."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from clusterkit.model.graph import PracticeGraph
from clusterkit.problem.band import Band

__all__ = ["BAND", "INSTANCES", "Instance", "default_data_path", "instance", "load_instance"]

#: The population band of every instance (NHS England's notional network size).
BAND = Band(30_000, 50_000)

#: Environment variable naming the practices CSV (``gp_practices_england.csv``).
DATA_VARIABLE = "CLUSTERKIT_NHS_DATA"


@dataclass(frozen=True)
class Instance:
    """An area of the practice file.

    Parameters
    ----------
    name : str
        Short name used on the command line and in the table.
    icb, sub_icb : tuple of str
        Area filters (empty: all of England).
    description : str
        What the area is, for the report.
    """

    name: str
    icb: tuple[str, ...]
    sub_icb: tuple[str, ...]
    description: str


INSTANCES: dict[str, Instance] = {
    "00T": Instance("00T", ("QOP",), ("00T",), "sub-ICB 00T of ICB QOP (Greater Manchester)"),
    "QOP": Instance("QOP", ("QOP",), (), "ICB QOP (Greater Manchester)"),
    "england": Instance("england", (), (), "all of England"),
}


def instance(name: str) -> Instance:
    """The instance called ``name``: a key of :data:`INSTANCES`, an ICB code (``QE1``: the whole ICB) or an ICB
    and one of its sub-ICBs (``QE1/00R``).

    Raises
    ------
    KeyError
        For a name of none of these forms.

    Examples
    --------
    >>> instance("QE1/00R").sub_icb, instance("QE1").icb
    (('00R',), ('QE1',))
    """
    if name in INSTANCES:
        return INSTANCES[name]
    icb, _, sub_icb = name.partition("/")
    if len(icb) == 3 and icb.isalnum() and icb.isupper() and (not sub_icb or sub_icb.isalnum()):
        where = f"sub-ICB {sub_icb} of ICB {icb}" if sub_icb else f"ICB {icb}"
        return Instance(name, (icb,), (sub_icb,) if sub_icb else (), where)
    raise KeyError(f"unknown instance {name!r}: choose {', '.join(INSTANCES)}, an ICB code (QE1) or ICB/sub-ICB "
                   "(QE1/00R)")


def default_data_path() -> Path:
    """The practices CSV in the data folder ``$CLUSTERKIT_NHS_DATA`` (as the tests and examples read it; a path
    to the CSV itself also works), else in ``../shared/data/nhs`` beside the repository."""
    from_environment = os.environ.get(DATA_VARIABLE)
    if from_environment:
        path = Path(from_environment)
        return path / "gp_practices_england.csv" if path.is_dir() else path
    repository = Path(__file__).resolve().parents[2]
    return repository.parent / "shared" / "data" / "nhs" / "gp_practices_england.csv"


def load_instance(name: str, data: str | Path | None = None) -> PracticeGraph:
    """Load an instance with its Delaunay adjacency over the instance's practices.

    Parameters
    ----------
    name : str
        An instance name (see :func:`instance`).
    data : path, optional
        The practices CSV (default :func:`default_data_path`).

    Raises
    ------
    KeyError
        For an unknown instance name.
    """
    from geodata import load_study_area

    area = instance(name)
    path = Path(data) if data is not None else default_data_path()
    return load_study_area(path, icb=list(area.icb), sub_icb=list(area.sub_icb))
