"""The data model: practices, relations and the immutable :class:`PracticeGraph`.

A :class:`PracticeGraph` holds the practices of a study area (sorted by code) and a set of edge
layers, each a frozen :mod:`networkx` graph over practice codes:

``adjacency``
    who may be grouped contiguously; edge attribute ``distance_km`` (and ``bridge=True`` on edges added
    only to connect otherwise separate parts).
``alignment``
    affinity in [0, 1]; edge attribute ``weight``.
``shared_staff``
    staff or equipment shared by a pair; edge attributes ``resources`` (resource -> amount) and
    ``weight`` (their sum).
``must_link`` / ``cannot_link``
    pairs that must be, or must not be, in the same group.

Nothing mutates a graph once built: every ``with_*`` method and every builder returns a new one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp

from clusterkit.errors import InputError
from clusterkit.model.adjacency import build_adjacency
from clusterkit.model.practice import RELATION_KINDS, Practice, Relation
from clusterkit.model.selection import AreaSelection


#: The edge layers every graph has (possibly empty).
LAYERS = ("adjacency", "alignment", "shared_staff", "must_link", "cannot_link")


def _restore_graph(practices: tuple[Practice, ...], layers: dict[str, nx.Graph], meta: dict[str, Any]) -> PracticeGraph:
    """Unpickle a :class:`PracticeGraph` (see its ``__reduce__``)."""
    return PracticeGraph(practices, MappingProxyType(layers), MappingProxyType(meta))


def _frozen_layer(nodes: Sequence[str], edges: Iterable[tuple[str, str, dict[str, Any]]] = ()) -> nx.Graph:
    layer = nx.Graph()
    layer.add_nodes_from(nodes)
    layer.add_edges_from(edges)
    return nx.freeze(layer)


@dataclass(frozen=True)
class PracticeGraph:
    """Practices of a study area and their relation layers; immutable.

    Build one with :meth:`from_practices` (or a loader in :mod:`geodata`), then derive new graphs with
    :meth:`with_adjacency`, :meth:`with_relations`, :meth:`select` and :meth:`subset`.

    Examples
    --------
    >>> from clusterkit.model import Practice, PracticeGraph
    >>> graph = PracticeGraph.from_practices([
    ...     Practice("A1", "North", 53.0, -2.0, 0, 0, 9000, 1.08e6),
    ...     Practice("B2", "South", 53.01, -2.0, 0, 1100, 6000, 7.2e5),
    ... ])
    >>> graph.codes, graph.population
    (('A1', 'B2'), 15000)
    """

    practices: tuple[Practice, ...]
    layers: Mapping[str, nx.Graph]
    meta: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))

    def __reduce__(self) -> tuple[Any, ...]:
        # Mappingproxies (layers, meta, cached index) cannot be pickled: rebuild from plain dicts.
        return (_restore_graph, (self.practices, dict(self.layers), dict(self.meta)))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_practices(cls, practices: Iterable[Practice], meta: Mapping[str, Any] | None = None) -> PracticeGraph:
        """A graph of ``practices`` with empty layers; raises :class:`InputError` on a duplicate code."""
        ordered = sorted(practices, key=lambda practice: practice.code)
        for before, after in zip(ordered, ordered[1:]):
            if before.code == after.code:
                raise InputError("duplicate practice code", value=after.code)
        codes = [practice.code for practice in ordered]
        layers = {name: _frozen_layer(codes) for name in LAYERS}
        return cls(tuple(ordered), MappingProxyType(layers), MappingProxyType(dict(meta or {})))

    def with_layer(self, name: str, layer: nx.Graph, **meta: Any) -> PracticeGraph:
        """A new graph whose layer ``name`` is ``layer`` (restricted to this graph's practices)."""
        if name not in LAYERS:
            raise ValueError(f"unknown layer {name!r}; layers are {', '.join(LAYERS)}")
        codes = self.codes
        known = self.index
        edges = [(a, b, dict(attrs)) for a, b, attrs in layer.edges(data=True) if a in known and b in known]
        layers = dict(self.layers)
        layers[name] = _frozen_layer(codes, edges)
        merged = dict(self.meta)
        merged.update(meta)
        return PracticeGraph(self.practices, MappingProxyType(layers), MappingProxyType(merged))

    def with_attributes(self, values: Mapping[str, Mapping[str, Any]]) -> PracticeGraph:
        """A new graph whose practices carry these extra attributes (practice code -> {name: value})."""
        practices = tuple(replace(p, attributes={**p.attributes, **values[p.code]}) if p.code in values else p
                          for p in self.practices)
        return PracticeGraph(practices, self.layers, self.meta)

    def with_meta(self, **meta: Any) -> PracticeGraph:
        """A new graph with extra metadata entries."""
        merged = dict(self.meta)
        merged.update(meta)
        return replace(self, meta=MappingProxyType(merged))

    def with_adjacency(self, method: str = "delaunay", **options: Any) -> PracticeGraph:
        """A new graph with its adjacency layer built by :func:`clusterkit.model.adjacency.build_adjacency`."""
        return build_adjacency(self, method=method, **options)

    def with_relations(self, relations: Iterable[Relation]) -> PracticeGraph:
        """A new graph with ``relations`` added to the alignment, shared-staff and link layers.

        Relations naming practices outside this graph are ignored (a loader has already checked that
        they exist in the input file); use :func:`geodata.read_relations` to validate a file.
        """
        known = self.index
        layers = {name: nx.Graph(self.layers[name]) for name in RELATION_KINDS}
        for relation in relations:
            if relation.a not in known or relation.b not in known:
                continue
            layer = layers[relation.kind]
            if relation.kind == "shared_staff":
                attrs = layer.get_edge_data(relation.a, relation.b) or {"resources": {}, "weight": 0.0}
                resources = dict(attrs["resources"])
                resource = relation.resource or "staff"
                resources[resource] = resources.get(resource, 0.0) + float(relation.value)
                layer.add_edge(relation.a, relation.b, resources=resources, weight=float(sum(resources.values())))
            elif relation.kind == "alignment":
                layer.add_edge(relation.a, relation.b, weight=float(relation.value))
            else:
                layer.add_edge(relation.a, relation.b)
        graph = self
        for name, layer in layers.items():
            graph = graph.with_layer(name, layer)
        return graph

    # ------------------------------------------------------------------ selection
    def subset(self, codes: Iterable[str]) -> PracticeGraph:
        """The sub-graph of the given practice codes (every layer restricted to them)."""
        wanted = set(codes)
        unknown = sorted(wanted - set(self.index))
        if unknown:
            raise InputError(f"unknown practice code(s) {', '.join(unknown[:10])}")
        practices = tuple(p for p in self.practices if p.code in wanted)
        layers = {name: nx.freeze(nx.Graph(layer.subgraph(wanted))) for name, layer in self.layers.items()}
        return PracticeGraph(practices, MappingProxyType(layers), self.meta)

    def select(self, icb: Sequence[str] | None = None, sub_icb: Sequence[str] | None = None) -> PracticeGraph:
        """The practices whose ICB is one of ``icb`` and whose sub-ICB is one of ``sub_icb``.

        An empty or ``None`` filter selects everything. Codes are matched case-insensitively.

        Raises
        ------
        InputError
            When a code selects no practice, or the combination selects none; the message lists the
            codes that exist.
        """
        selection = AreaSelection.of(icb, sub_icb)
        if not selection:
            return self
        chosen = [p.code for p in self.practices if selection.keeps(p.icb, p.sub_icb)]
        selection.check({(p.icb or "").upper() for p in self.practices},
                        {(p.sub_icb or "").upper() for p in self.practices}, len(chosen))
        return self.subset(chosen).with_meta(selection=selection.meta())

    # ------------------------------------------------------------------ views
    @cached_property
    def codes(self) -> tuple[str, ...]:
        """Practice codes, sorted."""
        return tuple(p.code for p in self.practices)

    @cached_property
    def index(self) -> Mapping[str, int]:
        """Practice code -> position in :attr:`practices`."""
        return MappingProxyType({code: i for i, code in enumerate(self.codes)})

    def __len__(self) -> int:
        return len(self.practices)

    def practice(self, code: str) -> Practice:
        """The practice with this code."""
        try:
            return self.practices[self.index[code]]
        except KeyError:
            raise InputError("unknown practice code", value=code) from None

    def layer(self, name: str) -> nx.Graph:
        """The frozen networkx graph of one layer; nodes are practice codes."""
        return self.layers[name]

    @cached_property
    def list_sizes(self) -> np.ndarray:
        """List sizes as an int64 array, in code order."""
        return np.array([p.list_size for p in self.practices], dtype=np.int64)

    @cached_property
    def xy(self) -> np.ndarray:
        """``(n, 2)`` British National Grid coordinates in metres, in code order."""
        return np.array([(p.x, p.y) for p in self.practices], dtype=float).reshape(-1, 2)

    @property
    def population(self) -> int:
        """Total registered patients."""
        return int(self.list_sizes.sum())

    def areas(self, level: str) -> dict[str, tuple[str, ...]]:
        """Practice codes by area: ``level`` is ``"sub_icb"``, ``"icb"`` or ``"group"``.

        Practices without a value are collected under the empty string.
        """
        if level not in ("sub_icb", "icb", "group"):
            raise ValueError(f"unknown area level {level!r}")
        found: dict[str, list[str]] = {}
        for practice in self.practices:
            found.setdefault(getattr(practice, level) or "", []).append(practice.code)
        return {area: tuple(codes) for area, codes in sorted(found.items())}

    def edge_arrays(self, name: str, weight: str | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Edges of a layer as index arrays ``(i, j, value)`` with ``i < j``, sorted.

        ``value`` is the edge attribute ``weight`` (1.0 where absent or when ``weight`` is None).
        """
        index = self.index
        rows = []
        for a, b, attrs in self.layers[name].edges(data=True):
            i, j = sorted((index[a], index[b]))
            rows.append((i, j, float(attrs.get(weight, 1.0)) if weight else 1.0))
        rows.sort()
        if not rows:
            return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, float)
        i, j, value = zip(*rows)
        return np.array(i, np.int64), np.array(j, np.int64), np.array(value, float)

    def sparse(self, name: str, weight: str | None = None) -> sp.csr_matrix:
        """Symmetric CSR matrix of a layer, in code order (see :meth:`edge_arrays`)."""
        i, j, value = self.edge_arrays(name, weight)
        n = len(self)
        matrix = sp.coo_matrix((np.r_[value, value], (np.r_[i, j], np.r_[j, i])), shape=(n, n))
        return matrix.tocsr()

    def components(self, name: str = "adjacency") -> list[tuple[str, ...]]:
        """Connected components of a layer, largest first, each sorted by code."""
        parts = [tuple(sorted(part)) for part in nx.connected_components(self.layers[name])]
        return sorted(parts, key=lambda part: (-len(part), part))

    def isolated(self, name: str = "adjacency") -> tuple[str, ...]:
        """Practices with no edge in a layer."""
        layer = self.layers[name]
        return tuple(code for code in self.codes if layer.degree(code) == 0)

    def relation_counts(self) -> dict[str, int]:
        """Number of edges in each layer."""
        return {name: self.layers[name].number_of_edges() for name in LAYERS}

    def to_networkx(self) -> nx.Graph:
        """A mutable copy of the adjacency layer with every practice attribute on its node."""
        graph = nx.Graph(self.layers["adjacency"])
        for practice in self.practices:
            graph.nodes[practice.code].update(practice.node_attributes())
        return graph
