"""A partition of practices into parts: groups, NHS areas, blocks kept whole, tiers.

A :class:`Partition` maps each practice to one part and each part to its members, both ways. It is the
one shape for every "who is with whom" of the project: a grouping's groups, today's PCNs, the sub-ICBs a
group may not cross (``GroupingProblem.within``), the blocks a grouping keeps whole (``units``), and the
tiers nested one inside the next. Its quotient graph (one node per part, members kept on the node, edge
weights summed, as networkx's Louvain builds the graph of communities) is what a tier above is grouped on.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import networkx as nx

from clusterkit.errors import InputError

if TYPE_CHECKING:
    from clusterkit.model.graph import PracticeGraph

__all__ = ["UNGROUPED", "Partition", "quotient_graph"]

#: Label of a practice in no part (e.g. an unwilling practice in a grouping): left out and listed, never dropped.
UNGROUPED = ""

#: Separator of hierarchical part ids: ``F03/N12`` is part ``N12`` of part ``F03``.
SEPARATOR = "/"


@dataclass(frozen=True)
class Partition:
    """Practices in parts; immutable.

    Parameters
    ----------
    labels : Mapping[str, str]
        Practice code -> part id. Practices labelled :data:`UNGROUPED` are in no part.

    Examples
    --------
    >>> partition = Partition({"B": "N2", "A": "N1", "C": "N1", "D": ""})
    >>> partition.parts
    mappingproxy({'N1': ('A', 'C'), 'N2': ('B',)})
    >>> partition.part_of("C"), len(partition), partition.ungrouped
    ('N1', 2, ('D',))
    """

    labels: Mapping[str, str]
    parts: Mapping[str, tuple[str, ...]] = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        labels = {str(code): str(label) for code, label in sorted(dict(self.labels).items())}
        parts: dict[str, list[str]] = {}
        for code, label in labels.items():
            if label != UNGROUPED:
                parts.setdefault(label, []).append(code)
        object.__setattr__(self, "labels", MappingProxyType(labels))
        object.__setattr__(self, "parts", MappingProxyType({label: tuple(codes) for label, codes in sorted(parts.items())}))

    def __reduce__(self) -> tuple[Any, ...]:
        return (Partition, (dict(self.labels),))

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_parts(cls, parts: Mapping[str, Iterable[str]]) -> Partition:
        """A partition from part id -> members; raises :class:`InputError` when a practice is in two parts."""
        labels: dict[str, str] = {}
        for label, codes in parts.items():
            for code in codes:
                if code in labels and labels[code] != label:
                    raise InputError(f"practice {code} is in two parts, {labels[code]} and {label}")
                labels[code] = label
        return cls(labels)

    @classmethod
    def of_attribute(cls, graph: PracticeGraph, attribute: str) -> Partition:
        """The partition of ``graph``'s practices by one of their attributes: ``"sub_icb"``, ``"icb"`` or
        ``"group"`` (today's PCN). Practices without a value are in part ``"NONE"``."""
        if attribute not in ("sub_icb", "icb", "group"):
            raise InputError(f"unknown area level {attribute!r}; choose sub_icb, icb or group")
        return cls({p.code: getattr(p, attribute) or "NONE" for p in graph.practices})

    # ------------------------------------------------------------------ views
    def __len__(self) -> int:
        return len(self.parts)

    def __iter__(self) -> Iterator[str]:
        return iter(self.parts)

    def part_of(self, code: str) -> str:
        """The part of a practice (:data:`UNGROUPED` when it is in none or unknown)."""
        return self.labels.get(code, UNGROUPED)

    def members(self, part: str) -> tuple[str, ...]:
        """The practices of one part, sorted."""
        return self.parts.get(part, ())

    @property
    def codes(self) -> tuple[str, ...]:
        """Practices in some part, sorted."""
        return tuple(code for code, label in self.labels.items() if label != UNGROUPED)

    @property
    def ungrouped(self) -> tuple[str, ...]:
        """Practices labelled :data:`UNGROUPED`."""
        return tuple(code for code, label in self.labels.items() if label == UNGROUPED)

    def restrict(self, codes: Iterable[str]) -> Partition:
        """The partition of ``codes`` only (practices not labelled here stay out)."""
        wanted = set(codes)
        return Partition({code: label for code, label in self.labels.items() if code in wanted})

    # ------------------------------------------------------------------ nesting
    def is_nested_in(self, coarser: Partition) -> bool:
        """Whether every part lies inside one part of ``coarser`` (every member labelled there).

        >>> Partition({"A": "H1", "B": "H1", "C": "H2"}).is_nested_in(Partition({"A": "N1", "B": "N1", "C": "N1"}))
        True
        >>> Partition({"A": "H1", "B": "H1"}).is_nested_in(Partition({"A": "N1", "B": "N2"}))
        False
        """
        return not self.nesting_violations(coarser)

    def nesting_violations(self, coarser: Partition) -> dict[str, tuple[str, ...]]:
        """Parts that straddle ``coarser``: part id -> the parts of ``coarser`` its members lie in."""
        found = {}
        for label, codes in self.parts.items():
            outer = sorted({coarser.part_of(code) for code in codes})
            if len(outer) != 1 or outer[0] == UNGROUPED:
                found[label] = tuple(outer)
        return found

    def nested_ids(self, coarser: Partition) -> Partition:
        """The same parts with hierarchical ids ``OUTER/INNER`` (``F03/N12``); requires nesting.

        >>> Partition({"A": "N1", "B": "N2"}).nested_ids(Partition({"A": "F1", "B": "F1"})).labels["B"]
        'F1/N2'
        """
        violations = self.nesting_violations(coarser)
        if violations:
            label, outer = next(iter(violations.items()))
            raise InputError(f"part {label} is not nested in one part of the coarser partition: it spans "
                             f"{', '.join(part or 'no part' for part in outer)}")
        return Partition({code: (f"{coarser.part_of(code)}{SEPARATOR}{label}" if label != UNGROUPED else UNGROUPED)
                          for code, label in self.labels.items()})

    def to_dict(self) -> dict[str, str]:
        """Practice -> part id, as a plain dict."""
        return dict(self.labels)


def quotient_graph(graph: PracticeGraph, partition: Partition, layer: str = "adjacency",
                   weight: str | None = None) -> nx.Graph:
    """The graph of ``partition``'s parts over one layer of ``graph``.

    One node per part, with its ``members`` (practice codes) and ``list_size`` (patients); an edge between
    two parts when some edge of ``layer`` joins their members, with ``weight`` the number (or, given an
    edge attribute name, the sum of that attribute) of such edges.

    Examples
    --------
    >>> from clusterkit.synthetic import synthetic_county
    >>> county = synthetic_county(seed=1).with_adjacency()
    >>> sub_icbs = quotient_graph(county, Partition.of_attribute(county, "sub_icb"))
    >>> sorted(sub_icbs.nodes), nx.is_connected(sub_icbs)
    (['X1A', 'X2B', 'X3C'], True)
    """
    quotient = nx.Graph()
    sizes = {p.code: p.list_size for p in graph.practices}
    for label, codes in partition.parts.items():
        quotient.add_node(label, members=codes, list_size=sum(sizes.get(code, 0) for code in codes))
    for a, b, attributes in graph.layer(layer).edges(data=True):
        part_a, part_b = partition.part_of(a), partition.part_of(b)
        if part_a == UNGROUPED or part_b == UNGROUPED or part_a == part_b:
            continue
        value = float(attributes.get(weight, 1.0)) if weight else 1.0
        if quotient.has_edge(part_a, part_b):
            quotient[part_a][part_b]["weight"] += value
        else:
            quotient.add_edge(part_a, part_b, weight=value)
    return quotient
