"""Which practices a study area keeps: the ``--icb`` / ``--sub-icb`` codes, the one rule that tests a practice
against them and the one check that every code selects something.

:meth:`PracticeGraph.select` applies it to a graph; a reader applies it row by row (:mod:`geodata.read.practices`),
so that the rows of a national file outside the area are never built into practices.

Examples
--------
>>> selection = AreaSelection.of(icb=["qop "], sub_icb=[])
>>> selection.keeps("QOP", "00T"), selection.keeps("QE1", "01G"), bool(selection)
(True, False, True)
>>> selection.meta()
{'icb': ['QOP'], 'sub_icb': []}
>>> selection.check(icbs={"QE1"}, sub_icbs={"00T"}, chosen=0)
Traceback (most recent call last):
...
clusterkit.errors.InputError: icb: ICB code 'QOP' selects no practice; codes in the input: QE1
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from clusterkit.errors import InputError

__all__ = ["AreaSelection"]


@dataclass(frozen=True)
class AreaSelection:
    """ICB and sub-ICB codes to keep (upper case); an empty set keeps every practice."""

    icb: frozenset[str] = frozenset()
    sub_icb: frozenset[str] = frozenset()

    @classmethod
    def of(cls, icb: Sequence[str] | None = None, sub_icb: Sequence[str] | None = None) -> AreaSelection:
        """The selection of these codes, matched case-insensitively; blank codes are ignored."""
        return cls(frozenset(code.strip().upper() for code in icb or () if code.strip()),
                   frozenset(code.strip().upper() for code in sub_icb or () if code.strip()))

    def __bool__(self) -> bool:
        return bool(self.icb or self.sub_icb)

    def keeps(self, icb: str | None, sub_icb: str | None) -> bool:
        """Whether a practice of this ICB and sub-ICB is in the selection."""
        return ((not self.icb or (icb or "").upper() in self.icb)
                and (not self.sub_icb or (sub_icb or "").upper() in self.sub_icb))

    def check(self, icbs: Collection[str], sub_icbs: Collection[str], chosen: int) -> None:
        """Raise :class:`InputError` when a code selects no practice (``icbs``, ``sub_icbs``: the codes the input
        has, upper case) or the codes together select none (``chosen`` practices kept); the message lists the
        codes that exist."""
        for option, wanted, present, label in (("icb", self.icb, icbs, "ICB"), ("sub_icb", self.sub_icb, sub_icbs,
                                                                                  "sub-ICB")):
            present = set(present) - {""}
            for code in sorted(wanted):
                if code not in present:
                    examples = ", ".join(sorted(present)[:12]) or "none (the file has no such column)"
                    more = "" if len(present) <= 12 else f", ... ({len(present)} in all)"
                    raise InputError(f"{label} code {code!r} selects no practice; codes in the input: {examples}{more}",
                                     source=option)
        if not chosen:
            raise InputError(f"no practice is in ICB {', '.join(sorted(self.icb))} and sub-ICB "
                             f"{', '.join(sorted(self.sub_icb))} at once", source="icb/sub_icb")

    def meta(self) -> dict[str, list[str]]:
        """The selection as a graph records it in ``meta["selection"]``."""
        return {"icb": sorted(self.icb), "sub_icb": sorted(self.sub_icb)}
