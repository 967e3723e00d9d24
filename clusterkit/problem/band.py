"""The population band of a group, and the one rule that says which band a group must meet.

**The band rule.** A group meets the band of its *main sub-ICB*: the sub-ICB holding most of its patients
(ties: the first code), whose band is its ``--band-for`` waiver (by sub-ICB code, else by its ICB's code) or
the default band. Every method and every measure applies this rule: the heuristic's group score
(:func:`group_band`), the column costs of the exact method (through the same score), the metrics and the
infeasibility diagnosis (:func:`band_of_group`). Where a formulation needs a band before it knows a
group's members (the pricing of column generation, the p-median bound), it uses :func:`band_hull`, the
loosest band of the piece: a relaxation, so that its bound stays a valid bound of the problem reported.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from clusterkit.errors import InputError

if TYPE_CHECKING:
    from clusterkit.model.practice import Practice
    from clusterkit.problem.grouping import GroupingProblem
    from clusterkit.problem.piece import PieceProblem

__all__ = ["Band", "group_band", "band_hull", "band_of_group", "loosest_band", "main_sub_icb"]


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
            raise InputError("band lower bound is negative", source="band", value=f"{self.lower}:{self.upper}")
        if self.lower > self.upper:
            raise InputError("band lower bound exceeds its upper bound", source="band",
                             value=f"{self.lower}:{self.upper}")
        if self.upper <= 0:
            raise InputError("band upper bound must be positive", source="band", value=f"{self.lower}:{self.upper}")

    @classmethod
    def parse(cls, text: str, option: str = "band") -> Band:
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


def group_band(piece: PieceProblem, index: np.ndarray) -> tuple[float, float, float]:
    """The band rule on arrays: ``(lower, upper, minority)`` of the group of practices ``index`` of ``piece``.

    ``minority`` is the patients outside the main sub-ICB (for the cross-boundary penalty).
    """
    if piece.uniform_band and not piece.cross_penalty:
        return float(piece.lower[0]), float(piece.upper[0]), 0.0
    areas = piece.band_area[index]
    main = int(areas[0])
    minority = 0.0
    if len(index) > 1 and areas.min() != areas.max():
        sizes = piece.sizes[index]
        by_area = np.bincount(areas, weights=sizes)
        main = int(np.argmax(by_area))  # ties: the lowest id, i.e. the first code
        minority = float(sizes.sum()) - float(by_area[main])
    position = index[int(np.argmax(areas == main))]
    return float(piece.lower[position]), float(piece.upper[position]), minority


def band_hull(piece: PieceProblem) -> tuple[float, float]:
    """The loosest band any group of ``piece`` can have: ``(least lower bound, largest upper bound)``."""
    if len(piece.lower) == 0:
        return 0.0, 0.0
    return float(piece.lower.min()), float(piece.upper.max())


def main_sub_icb(practices: Sequence[Practice]) -> str | None:
    """The sub-ICB holding most of the practices' patients (ties: the first code)."""
    by_area: Counter[str] = Counter()
    for practice in practices:
        by_area[practice.sub_icb or ""] += practice.list_size
    main = max(sorted(by_area), key=lambda area: by_area[area])
    return main or None


def band_of_group(problem: GroupingProblem, practices: Sequence[Practice]) -> Band:
    """The band rule on practices: the band a group of ``practices`` must meet under ``problem``.

    Examples
    --------
    >>> from clusterkit.model import Practice
    >>> from clusterkit.problem import GroupingProblem
    >>> rural = GroupingProblem(band_for={"00V": Band(20_000, 50_000)})
    >>> group = [Practice("A", "", 53.0, -2.0, 0, 0, 12_000, 0.0, sub_icb="00V"),
    ...          Practice("B", "", 53.0, -2.0, 0, 0, 9_000, 0.0, sub_icb="00T")]
    >>> band_of_group(rural, group)
    Band(lower=20000, upper=50000)
    """
    main = main_sub_icb(practices)
    icb = next((p.icb for p in practices if (p.sub_icb or None) == main), None)
    return problem.band_of(main, icb)


def loosest_band(problem: GroupingProblem, practices: Sequence[Practice]) -> Band:
    """The loosest band any group of ``practices`` can have (least lower bound, largest upper bound).

    The infeasibility diagnosis proves with it: a population that cannot be split even in this band cannot
    be split in the bands the rule gives each group. With one band throughout it is that band.
    """
    bands = {problem.band_of(p.sub_icb, p.icb) for p in practices} or {problem.band}
    return Band(min(band.lower for band in bands), max(band.upper for band in bands))
