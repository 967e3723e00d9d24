"""The files of a comparison: comparison.md (a table for a board paper), comparison.json, moves.csv (the
practices that changed group, with both labels; ``moves.geojson`` is drawn from :func:`comparison_moves`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from geodata.write.files import write_csv, write_json, write_text

if TYPE_CHECKING:
    from clusterkit.metrics.compare import Comparison

__all__ = ["comparison_markdown", "write_comparison_markdown", "write_comparison_json", "write_moves_csv",
           "comparison_moves"]

#: Rows of the side-by-side table: label, metric key, format.
_ROWS = (
    ("groups", "groups", "{:,}"),
    ("practices grouped", "practices_grouped", "{:,}"),
    ("patients grouped", "population", "{:,}"),
    ("groups in band", "in_band_share", "{:.0%}"),
    ("groups connected", "connected_share", "{:.0%}"),
    ("patient-weighted km to the group's centre", "weighted_km", "{:.3f}"),
    ("widest group, km", "max_diameter_km", "{:.1f}"),
    ("alignment kept inside groups", "alignment_kept_share", "{:.0%}"),
    ("shared staff kept inside groups", "shared_staff_kept_share", "{:.0%}"),
    ("groups crossing a sub-ICB boundary", "crossing_groups", "{:,}"),
)


def _cell(value: Any, form: str) -> str:
    return "—" if value is None else form.format(value)


def comparison_markdown(comparison: Comparison, limit: int = 50, level: int = 1, rest: str = "in moves.csv") -> str:
    """A Markdown report of ``comparison``: both sides' metrics, agreement, group changes, moved practices.

    ``limit`` moved practices are listed, the others said to be ``rest``; ``level`` is the level of its title
    (``#``), its sections one level below (a report that includes it passes 2).
    """
    first, second = comparison.names
    sides = [metrics.to_dict() for metrics in comparison.metrics]
    title, section = "#" * level, "#" * (level + 1)
    lines = [f"{title} {first} and {second} compared", "", f"| | {first} | {second} |", "| --- | ---: | ---: |"]
    lines += [f"| {label} | {_cell(sides[0][key], form)} | {_cell(sides[1][key], form)} |" for label, key, form in _ROWS]
    counts = comparison.to_dict()["changes"]
    lines += ["", f"{section} Agreement", "",
              f"Over the {comparison.practices:,} practices grouped on both sides"
              + (f" ({comparison.left_out:,} grouped on one side only are left out)" if comparison.left_out else "")
              + ":", "",
              f"- adjusted Rand index {comparison.ari:.3f}, normalised mutual information {comparison.nmi:.3f} "
              "(1 = the same grouping); variation of information "
              f"{comparison.vi:.3f} nats (0 = the same)",
              f"- practices that changed group: {comparison.moved:,} ({comparison.moved_patients:,} patients)",
              f"- groups of {first}: {counts['kept']} kept, {counts['split']} split, {counts['merged']} merged into "
              f"larger ones, {counts['split and merged']} split and merged", ""]
    if comparison.moves:
        lines += [f"{section} Practices that changed group ({comparison.moved:,})", "",
                  f"| practice | list size | {first} | {second} |", "| --- | ---: | --- | --- |"]
        lines += [f"| {m.practice} | {m.list_size:,} | {m.before} | {m.after} |" for m in comparison.moves[:limit]]
        if comparison.moved > limit:
            lines.append(f"| ... {comparison.moved - limit:,} more {rest} | | | |")
    return "\n".join(lines) + "\n"


def write_comparison_markdown(path: Path, comparison: Comparison) -> Path:
    return write_text(path, comparison_markdown(comparison))


def write_comparison_json(path: Path, comparison: Comparison) -> Path:
    document = comparison.to_dict()
    document["group_changes"] = [{"group": change.group, "practices": change.practices, "into": list(change.into),
                                  "kept_share": change.kept_share, "kind": change.kind}
                                 for change in comparison.changes]
    return write_json(path, document)


def write_moves_csv(path: Path, comparison: Comparison) -> Path:
    first, second = comparison.names
    return write_csv(path, ("practice_code", "list_size", f"group_{first}", f"group_{second}"),
                     ((m.practice, m.list_size, m.before, m.after) for m in comparison.moves))


def comparison_moves(comparison: Comparison) -> list[tuple[str, str, str]]:
    """``(practice, before, after)`` of every practice that changed group."""
    return [(move.practice, move.before, move.after) for move in comparison.moves]
