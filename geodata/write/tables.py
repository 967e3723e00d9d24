"""CSV tables: a grouping (``practice_code,group``), practices and relations as the readers read them back."""

from __future__ import annotations

from geodata.write.files import write_csv

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from clusterkit.model.graph import PracticeGraph


def write_groups_csv(path: str | Path, labels: Mapping[str, Any]) -> Path:
    """Write a grouping as ``practice_code,group``, sorted by practice code."""
    return write_csv(path, ("practice_code", "group"), sorted((code, labels[code]) for code in labels))


def write_practices_csv(path: str | Path, graph: PracticeGraph) -> Path:
    """Write practices in the column layout of ``gp_practices_england.csv`` (plus willing and attributes)."""
    attribute_names = sorted({name for practice in graph.practices for name in practice.attributes})
    header = ["practice_code", "practice_name", "lat", "lon", "list_size", "turnover", "pcn_code", "sub_icb_code",
              "icb_code", "willing", *attribute_names]
    rows = (
        [p.code, p.name, f"{p.lat:.6f}", f"{p.lon:.6f}", p.list_size, round(p.turnover, 2), p.group, p.sub_icb, p.icb,
         "yes" if p.willing else "no", *(p.attributes.get(name) for name in attribute_names)]
        for p in graph.practices
    )
    return write_csv(path, header, rows)


def write_relations_csv(path: str | Path, relations: Iterable[Any]) -> Path:
    """Write relations as the long table ``a,b,kind,value`` that :func:`geodata.read_relations` reads."""
    rows = (
        [r.a, r.b, f"{r.kind}:{r.resource}" if r.resource else r.kind, "" if r.kind.endswith("_link") else r.value]
        for r in relations
    )
    return write_csv(path, ("a", "b", "kind", "value"), rows)
