"""Shared fixtures: tiny hand-built practices, bad-input cases, the CLI runner and the real NHS data.

The real data (``gp_practices_england.csv``) lives outside the repository; its folder comes from the
environment variable ``CLUSTERKIT_NHS_DATA`` (default ``../shared/data/nhs`` beside the repository).
Tests that need it are skipped, with the reason, when it is absent; it is read once per session.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from clusterkit.model.coordinates import to_bng
from clusterkit.model.graph import PracticeGraph
from clusterkit.model.practice import Practice

REPOSITORY = Path(__file__).resolve().parents[1]
NHS_DATA = Path(os.environ.get("CLUSTERKIT_NHS_DATA", REPOSITORY.parent / "shared" / "data" / "nhs"))
NHS_PRACTICES = NHS_DATA / "gp_practices_england.csv"

#: The header of gp_practices_england.csv, as the NHS file has it.
NHS_HEADER = "practice_code,practice_name,postcode,lat,lon,list_size,pcn_code,pcn_name,sub_icb_code,icb_code"

#: Five practices in and around Manchester, hand-placed: two ICBs, three sub-ICBs, one unwilling.
#: code, name, lat, lon, list size, sub-ICB, ICB, group, willing
TINY = (
    ("A1", "ALPHA SURGERY", 53.4800, -2.2400, 9_000, "00T", "QOP", "P1", True),
    ("B2", "BETA MEDICAL CENTRE", 53.4900, -2.2500, 6_000, "00T", "QOP", "P1", True),
    ("C3", "GAMMA HEALTH CENTRE", 53.5000, -2.2000, 12_000, "00V", "QOP", "P2", True),
    ("D4", "DELTA PRACTICE", 53.8000, -1.5500, 4_000, "01A", "QE1", "P3", True),
    ("E5", "EPSILON SURGERY", 53.8100, -1.5600, 3_000, "01A", "QE1", None, False),
)


def tiny_practices() -> list[Practice]:
    """The :data:`TINY` practices with BNG coordinates and turnover at £120 a patient."""
    lat = np.array([row[2] for row in TINY])
    lon = np.array([row[3] for row in TINY])
    x, y = to_bng(lat, lon)
    return [
        Practice(code, name, la, lo, float(xx), float(yy), size, size * 120.0, sub_icb, icb, group, willing,
                 {"philosophy": 0.1 * k, "note": f"n{k}"})
        for k, ((code, name, la, lo, size, sub_icb, icb, group, willing), xx, yy) in enumerate(zip(TINY, x, y))
    ]


def tiny_csv_text() -> str:
    """:data:`TINY` in the NHS file's layout (E5 has no PCN, like the 52 real practices without one)."""
    lines = [NHS_HEADER]
    for code, name, lat, lon, size, sub_icb, icb, group, _ in TINY:
        lines.append(f"{code},{name},M1 1AA,{lat},{lon},{size},{group or ''},{'PCN ' + group if group else ''},"
                     f"{sub_icb},{icb}")
    return "\n".join(lines) + "\n"


@pytest.fixture
def tiny_graph() -> PracticeGraph:
    return PracticeGraph.from_practices(tiny_practices(), meta={"source": "tiny"})


@pytest.fixture
def tiny_csv(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.csv"
    path.write_text(tiny_csv_text(), encoding="utf-8")
    return path


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[[str, str | bytes], Path]:
    """Write text or bytes to a file in ``tmp_path`` and return its path."""

    def write(name: str, content: str | bytes) -> Path:
        path = tmp_path / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


# ---------------------------------------------------------------------------------------------- bad inputs
#: Lines of a valid practices file, for building bad ones.
OK_ROWS = tiny_csv_text().splitlines()
GOOD_RELATIONS = "a,b,kind,value\nA1,B2,alignment,0.8\n"


@dataclass(frozen=True)
class BadCase:
    """One bad input and where its error must point.

    ``files`` maps a file name to its content (``None``: a folder of that name). ``culprit`` is the
    file the error names (or the option, such as ``--icb``); ``row``/``column``/``value`` what it
    must say about the place; ``fragment`` a key part of the message.
    """

    id: str
    files: dict[str, str | bytes | None]
    culprit: str
    fragment: str
    row: int | None = None
    column: str | None = None
    value: str | None = None
    practices: str = "practices.csv"
    relations: str | None = None
    groups: str | None = None
    icb: tuple[str, ...] = ()
    sub_icb: tuple[str, ...] = ()
    options: dict[str, Any] = field(default_factory=dict)


def _practices(*rows: str, header: str = NHS_HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


def _ok_with(*rows: str) -> str:
    return "\n".join([*OK_ROWS, *rows]) + "\n"


_OK = _ok_with()
BAD_CASES = (
    BadCase("missing-file", {}, "practices.csv", "no such file"),
    BadCase("empty-file", {"practices.csv": ""}, "practices.csv", "the file is empty"),
    BadCase("blank-lines-only", {"practices.csv": "\n\n  \n"}, "practices.csv", "the file is empty"),
    BadCase("header-only", {"practices.csv": NHS_HEADER + "\n"}, "practices.csv", "has a header but no practice rows"),
    BadCase("directory", {"practices.csv": None}, "practices.csv", "is a directory, not a file"),
    BadCase("missing-list-size-column", {"practices.csv": "practice_code,lat,lon\nA1,53.48,-2.24\n"}, "practices.csv",
            "missing required column 'list_size'", row=1),
    BadCase("missing-code-column", {"practices.csv": "name,lat,lon,list_size\nX,53.48,-2.24,100\n"}, "practices.csv",
            "missing required column 'practice_code'", row=1),
    BadCase("mapped-column-absent", {"practices.csv": _OK}, "practices.csv",
            "has no column 'ods' (given with --code-col)", row=1, options={"code": "ods"}),
    BadCase("duplicate-code", {"practices.csv": _ok_with("a1,DUP,M1 1AA,53.47,-2.23,100,P1,PCN,00T,QOP")},
            "practices.csv", "duplicate practice code (first on row 2)", row=7, column="practice_code", value="A1"),
    BadCase("negative-list-size", {"practices.csv": _practices("A1,X,M1,53.48,-2.24,-5,P1,N,00T,QOP")}, "practices.csv",
            "list size is negative", row=2, column="list_size", value="-5"),
    BadCase("non-numeric-list-size", {"practices.csv": _ok_with("F6,X,M1,53.48,-2.24,many,P1,N,00T,QOP")},
            "practices.csv", "is not a whole number of patients", row=7, column="list_size", value="many"),
    BadCase("fractional-list-size", {"practices.csv": _practices("A1,X,M1,53.48,-2.24,88.5,P1,N,00T,QOP")},
            "practices.csv", "is not a whole number of patients", row=2, column="list_size", value="88.5"),
    BadCase("empty-list-size", {"practices.csv": _practices("A1,X,M1,53.48,-2.24,,P1,N,00T,QOP")}, "practices.csv",
            "is empty; expected a whole number of patients", row=2, column="list_size"),
    BadCase("missing-latitude", {"practices.csv": _ok_with("F6,X,M1,,-2.24,100,P1,N,00T,QOP")}, "practices.csv",
            "coordinate is missing", row=7, column="lat"),
    BadCase("missing-longitude", {"practices.csv": _practices("A1,X,M1,53.48,,100,P1,N,00T,QOP")}, "practices.csv",
            "coordinate is missing", row=2, column="lon"),
    BadCase("text-latitude", {"practices.csv": _practices("A1,X,M1,north,-2.24,100,P1,N,00T,QOP")}, "practices.csv",
            "is not a latitude in degrees", row=2, column="lat", value="north"),
    BadCase("latitude-outside-uk", {"practices.csv": _ok_with("F6,X,M1,40.5,-2.24,100,P1,N,00T,QOP")}, "practices.csv",
            "lies outside the UK", row=7, column="lat", value="40.5"),
    BadCase("longitude-outside-uk", {"practices.csv": _practices("A1,X,M1,53.48,12.5,100,P1,N,00T,QOP")},
            "practices.csv", "lies outside the UK", row=2, column="lon", value="12.5"),
    BadCase("swapped-coordinates", {"practices.csv": _practices("A1,X,M1,-2.24,53.48,100,P1,N,00T,QOP")},
            "practices.csv", "are latitude and longitude swapped?", row=2, column="lat", value="-2.24"),
    # issue 9: input that lies
    BadCase("decimal-comma-longitude", {"practices.csv": _practices('A1,X,M1,53.48,"-0,5",100,P1,N,00T,QOP')},
            "practices.csv", "has a decimal comma", row=2, column="lon", value="-0,5"),
    BadCase("comma-in-list-size", {"practices.csv": _practices('A1,X,M1,53.48,-2.24,"8800,5",P1,N,00T,QOP')},
            "practices.csv", "has a comma that is not a thousands separator", row=2, column="list_size",
            value="8800,5"),
    BadCase("implausible-list-size", {"practices.csv": _practices("A1,X,M1,53.48,-2.24,1e12,P1,N,00T,QOP")},
            "practices.csv", "list size is implausible: above 1,000,000 patients", row=2, column="list_size",
            value="1e12"),
    BadCase("unclosed-quote-last-row", {"practices.csv": _ok_with('F6,"X SURGERY,M1,53.48,-2.24,100,P1,N,00T,QOP')},
            "practices.csv", 'has a quote (") that is never closed', row=7),
    BadCase("empty-code", {"practices.csv": _practices(",X,M1,53.48,-2.24,100,P1,N,00T,QOP")}, "practices.csv",
            "practice code is empty", row=2, column="practice_code"),
    BadCase("too-many-fields", {"practices.csv": _ok_with("F6,X,M1,53.48,-2.24,100,P1,N,00T,QOP,extra")},
            "practices.csv", "has 11 fields but the header has 10", row=7),
    BadCase("binary-garbage", {"practices.csv": b"practice_code,lat\nA1\x00\x01\x02\x93\xff\xfe garbage"},
            "practices.csv", "contains binary data (NUL bytes)", row=2),
    BadCase("not-utf8", {"practices.csv": _practices("A1,CAF\xc9,M1,53.48,-2.24,100,P1,N,00T,QOP").encode("cp1252")},
            "practices.csv", "is not valid utf-8 (byte 0xc9)", row=2),
    BadCase("excel-workbook", {"practices.csv": b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256))}, "practices.csv",
            "an Excel .xlsx workbook?"),
    BadCase("garbage-geojson", {"practices.geojson": b"\x89\x12not json at all\x01"}, "practices.geojson",
            "cannot be read as GeoJSON/GeoPackage", practices="practices.geojson"),
    BadCase("unknown-icb", {"practices.csv": _OK}, "--icb", "ICB code 'QXX' selects no practice", icb=("QOP", "qxx")),
    BadCase("unknown-sub-icb", {"practices.csv": _OK}, "--sub-icb", "sub-ICB code '99Z' selects no practice",
            sub_icb=("99Z",)),
    BadCase("icb-and-sub-icb-disjoint", {"practices.csv": _OK}, "--icb/--sub-icb",
            "no practice is in ICB QE1 and sub-ICB 00T at once", icb=("QE1",), sub_icb=("00T",)),
    BadCase("relation-unknown-practice",
            {"practices.csv": _OK, "relations.csv": GOOD_RELATIONS + "A1,ZZ9,must_link,\n"},
            "relations.csv", "names a practice that is not in the practices file", row=3, column="b", value="ZZ9",
            relations="relations.csv"),
    BadCase("relation-with-itself", {"practices.csv": _OK, "relations.csv": "a,b,kind,value\nC3,c3,alignment,0.5\n"},
            "relations.csv", "relates a practice to itself", row=2, column="b", value="c3", relations="relations.csv"),
    BadCase("relation-unknown-kind", {"practices.csv": _OK, "relations.csv": GOOD_RELATIONS + "A1,C3,friendship,1\n"},
            "relations.csv", "unknown relation kind", row=3, column="kind", value="friendship",
            relations="relations.csv"),
    BadCase("alignment-above-one", {"practices.csv": _OK, "relations.csv": "a,b,kind,value\nA1,B2,alignment,1.5\n"},
            "relations.csv", "alignment must lie between 0 and 1", row=2, column="value", value="1.5",
            relations="relations.csv"),
    BadCase("alignment-negative", {"practices.csv": _OK, "relations.csv": GOOD_RELATIONS + "B2,C3,alignment,-0.1\n"},
            "relations.csv", "alignment must lie between 0 and 1", row=3, column="value", value="-0.1",
            relations="relations.csv"),
    BadCase("alignment-not-a-number", {"practices.csv": _OK, "relations.csv": "a,b,kind,value\nA1,B2,alignment,high\n"},
            "relations.csv", "is not an alignment between 0 and 1", row=2, column="value", value="high",
            relations="relations.csv"),
    BadCase("shared-staff-without-resource",
            {"practices.csv": _OK, "relations.csv": "a,b,kind,value\nA1,B2,shared_staff,1\n"},
            "relations.csv", "shared staff needs a resource", row=2, column="kind", value="shared_staff",
            relations="relations.csv"),
    BadCase("must-and-cannot-link", {"practices.csv": _OK,
                                     "relations.csv": "a,b,kind,value\nA1,B2,must_link,\nB2,A1,cannot_link,\n"},
            "relations.csv", "A1 and B2 are both must_link and cannot_link (other on row 2)", row=3,
            relations="relations.csv"),
    BadCase("relations-header-only", {"practices.csv": _OK, "relations.csv": "a,b,kind,value\n"}, "relations.csv",
            "has a header but no relation rows", relations="relations.csv"),
    BadCase("relations-directory", {"practices.csv": _OK, "relations.csv": None}, "relations.csv",
            "is a directory, not a file", relations="relations.csv"),
    BadCase("grouping-unknown-practice", {"practices.csv": _OK, "groups.csv": "practice_code,group\nA1,G1\nQ9,G2\n"},
            "groups.csv", "names a practice that is not in the practices file", row=3, column="practice_code",
            value="Q9", groups="groups.csv"),
    BadCase("grouping-outside-selection", {"practices.csv": _OK, "groups.csv": "practice_code,group\nD4,G1\nE5,G2\n"},
            "groups.csv", "names none of the 3 selected practices", groups="groups.csv", icb=("QOP",)),
    BadCase("grouping-repeated-practice", {"practices.csv": _OK, "groups.csv": "practice_code,group\nA1,G1\nA1,G2\n"},
            "groups.csv", "practice appears twice (first on row 2)", row=3, column="practice_code", value="A1",
            groups="groups.csv"),
    BadCase("grouping-without-groups", {"practices.csv": _OK, "groups.csv": "practice_code,group\nA1,\nB2, \n"},
            "groups.csv", "gives no practice a group", groups="groups.csv"),
)


@dataclass(frozen=True)
class PreparedCase:
    """A :class:`BadCase` written into a temporary folder."""

    case: BadCase
    folder: Path

    def path(self, name: str | None) -> Path | None:
        return None if name is None else self.folder / name

    @property
    def practices(self) -> Path:
        return self.folder / self.case.practices

    def cli_args(self) -> list[str]:
        """Arguments of ``clusterkit validate`` for this case."""
        args = ["validate", str(self.practices)]
        if self.case.relations:
            args += ["--relations", str(self.path(self.case.relations))]
        if self.case.groups:
            args += ["--groups", str(self.path(self.case.groups))]
        for code in self.case.icb:
            args += ["--icb", code]
        for code in self.case.sub_icb:
            args += ["--sub-icb", code]
        for name, column in self.case.options.items():
            args += [f"--{name.replace('_', '-')}-col", column]
        return args


@pytest.fixture(params=BAD_CASES, ids=[case.id for case in BAD_CASES])
def bad_case(request: pytest.FixtureRequest, tmp_path: Path) -> PreparedCase:
    case: BadCase = request.param
    for name, content in case.files.items():
        path = tmp_path / name
        if content is None:
            path.mkdir()
        elif isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return PreparedCase(case, tmp_path)


# ---------------------------------------------------------------------------------------------- real data
@pytest.fixture(scope="session")
def nhs_practices_csv() -> Path:
    if not NHS_PRACTICES.is_file():
        pytest.skip(f"real NHS data not found at {NHS_PRACTICES} (set CLUSTERKIT_NHS_DATA to its folder)")
    return NHS_PRACTICES


@pytest.fixture(scope="session")
def nhs_graph(nhs_practices_csv: Path) -> PracticeGraph:
    """Every English practice, read once per session (no adjacency)."""
    from geodata import read_practices

    return read_practices(nhs_practices_csv)
