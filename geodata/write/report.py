"""``report.md``: a run in Markdown a planner can paste: parameters, solver status and gap, the per-group
table, band compliance, and the comparison with the current grouping when it is known.

Every report starts the same way from the run's ``summary.json`` (one schema for every command): a title,
what was run on which inputs, the parameters and the solver's status, bound and gap. Then each command's own
sections: :func:`grouping_report` (``group``, ``demo``, ``evaluate``), :func:`tiers_report`,
:func:`comparison_report` and :func:`budgets_report`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from geodata.write.comparison import comparison_markdown
from geodata.write.files import write_text
from geodata.write.styling import area_name

__all__ = ["markdown_table", "band_compliance", "grouping_report", "tiers_report", "comparison_report",
           "budgets_report", "write_report"]

#: Moved practices listed in a report's comparison (all are in moves.csv of ``compare``).
MOVES_LISTED = 20


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, (Mapping, list, tuple)):
        return "`" + json.dumps(value, ensure_ascii=False, default=str) + "`"
    return str(value).replace("|", "\\|")


def markdown_table(header: Sequence[str], rows: Iterable[Sequence[Any]], numeric: Sequence[bool] = ()) -> list[str]:
    """A Markdown table (numbers with thousands separators, right-aligned where ``numeric``).

    >>> print("\\n".join(markdown_table(["group", "patients"], [["G1", 41000], ["G2", None]], [False, True])))
    | group | patients |
    | --- | ---: |
    | G1 | 41,000 |
    | G2 | — |
    """
    aligned = list(numeric) + [False] * (len(header) - len(numeric))
    lines = ["| " + " | ".join(header) + " |",
             "| " + " | ".join("---:" if right else "---" for right in aligned) + " |"]
    lines += ["| " + " | ".join(_cell(value) for value in row) + " |" for row in rows]
    return lines


def band_compliance(metrics: Any) -> str:
    """The band compliance line of a grouping's metrics.

    >>> from types import SimpleNamespace as S
    >>> rows = (S(band="30000:50000", in_band=True, flagged=False), S(band="30000:50000", in_band=False, flagged=True))
    >>> print(band_compliance(S(groups=2, in_band=1, in_band_share=0.5, connected=2, rows=rows)))
    ... # doctest: +NORMALIZE_WHITESPACE
    Band compliance: 1 of 2 groups (50%) within their band (30,000–50,000); 1 is a practice above the band, standing
    alone (flagged); 2 of 2 connected.
    """
    bands = sorted({row.band for row in metrics.rows}, key=lambda band: [int(part) for part in band.split(":")])
    shown = ", ".join("–".join(f"{int(part):,}" for part in band.split(":")) for band in bands)
    flagged = sum(row.flagged for row in metrics.rows)
    alone = (f"; {flagged} {'is a practice' if flagged == 1 else 'are practices'} above the band, standing alone "
             "(flagged)" if flagged else "")
    return (f"Band compliance: {metrics.in_band:,} of {metrics.groups:,} groups ({metrics.in_band_share:.0%}) within "
            f"their band ({shown}){alone}; {metrics.connected:,} of {metrics.groups:,} connected.")


def _number(value: Any, digits: int = 4) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}" if isinstance(value, float) else str(value)


def _heading(run: Any, title: str) -> list[str]:
    """Title, provenance, parameters and the solver's status, bound and gap, from the run's summary."""
    summary = run.summary
    inputs = ", ".join(f"`{Path(path).name}` (SHA-256 {digest[:12]}…)" for path, digest in summary["inputs"].items())
    lines = [f"# {title}", "",
             f"clusterkit {summary['clusterkit_version']} `{summary['command']}`, {summary['created']}"
             + (f", from {inputs}" if inputs else "") + ".", "", "## Parameters", ""]
    parameters = summary.get("parameters") or {}
    lines += markdown_table(["parameter", "value"], sorted(parameters.items())) if parameters else ["(none)"]
    gap = summary.get("gap")
    proof = ("proven optimal" if summary.get("proven_optimal") else
             "no bound: a heuristic proves nothing"
             if summary.get("method") == "heuristic" and summary.get("bound") is None else "optimality not proven")
    lines += ["", "## Solver", "", *markdown_table(["result", "value"], [
        ("method", summary.get("method")), ("solver", summary.get("solver")),
        ("status", f"{summary.get('status')} ({proof})"),
        ("objective", f"{_number(summary.get('objective'))} ({summary.get('objective_name')})"),
        ("bound", _number(summary.get("bound"))), ("gap", "unknown" if gap is None else f"{gap:.2%}"),
        ("seconds", summary.get("seconds")), ("seed", summary.get("seed"))]), ""]
    if run.unmet:
        lines += [f"**Unmet:** {run.unmet}", ""]
    lines += [f"- {note}" for note in summary.get("notes", [])[:10]]
    return lines + ([""] if summary.get("notes") else [])


def _group_table(rows: Sequence[Any], centres: Mapping[str, str],
                 parents: Mapping[str, str] | None = None) -> list[str]:
    header = ["group", *(["parent"] if parents is not None else []), "practices", "patients", "in band", "band",
              "centre", "weighted km", "widest km", "connected", "sub-ICBs"]
    numeric = [False, *([False] if parents is not None else []), True, True, False, False, False, True, True]
    return markdown_table(header, ([row.group, *([parents.get(row.group, "")] if parents is not None else []),
                                    row.practices, row.population,
                                    "alone above (flagged)" if row.flagged else row.in_band, row.band,
                                    centres.get(row.group, row.centre), round(row.weighted_km, 3),
                                    round(row.diameter_km, 1), row.connected, row.sub_icbs] for row in rows), numeric)


# ---------------------------------------------------------------------------------------------- the reports
def grouping_report(run: Any) -> str:
    """The report of a grouping: heading, band compliance, the groups, and today's grouping compared."""
    from clusterkit.metrics.compare import compare_groupings

    graph, grouping, metrics = run.graph, run.result, run.metrics
    lines = _heading(run, f"{area_name(graph)}: {metrics.groups:,} groups, {metrics.population:,} patients")
    lines += ["## Band compliance", "", band_compliance(metrics), ""]
    if grouping.unwilling:
        lines += [f"Not grouped (unwilling): {', '.join(grouping.unwilling)}.", ""]
    lines += [f"## Groups ({metrics.groups:,})", "", *_group_table(metrics.rows, grouping.centres), ""]
    current = {code: label for code, label in (run.extra.get("current") or {}).items() if label}
    if current:
        proposed = {code: label for code, label in grouping.labels.items() if label}
        comparison = compare_groupings(graph, current, proposed, run.extra.get("problem"),
                                       names=("current", "proposed"))
        lines += [comparison_markdown(comparison, limit=MOVES_LISTED, level=2,
                                      rest="(clusterkit compare lists all in moves.csv)")]
    else:
        lines += ["## Compared with the current grouping", "", "No current grouping is known (no pcn_code column "
                  "and no --current file).", ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def tiers_report(run: Any) -> str:
    """The report of nested tiers: heading, per tier its status, band compliance and groups with parents."""
    from geodata.write.tiers import tier_parents

    graph, result = run.graph, run.result
    lines = _heading(run, f"{area_name(graph)}: {len(result.tiers)} nested tiers ({result.order})")
    measured_tiers = run.extra["metrics"]
    lines += ["## Tiers", "", *markdown_table(
        ["tier", "band", "given", "status", "groups", "in band", "objective", "bound", "gap"],
        ([row["tier"], row["band"], row["fixed"], row["status"], row["groups"], f"{measured.in_band_share:.0%}",
          row["objective"], row["bound"], "—" if row["gap"] is None else f"{row['gap']:.2%}"]
         for row, measured in zip(run.summary["tiers"], measured_tiers)), [False, False, False, False, True]), ""]
    for tier, grouping, measured, parents in zip(result.tiers, result.groupings, measured_tiers, tier_parents(result)):
        lines += [f"## {tier.name.capitalize()} ({measured.groups:,} groups)", "", band_compliance(measured), "",
                  *_group_table(measured.rows, grouping.centres, parents), ""]
    return "\n".join(lines).rstrip("\n") + "\n"


def comparison_report(run: Any) -> str:
    """The report of a comparison: heading, then both sides' metrics, agreement and moves (comparison.md's)."""
    comparison = run.result
    first, second = comparison.names
    lines = _heading(run, f"{area_name(run.graph)}: {first} and {second} compared")
    for name, metrics in zip(comparison.names, comparison.metrics):
        lines += [f"{name}: {band_compliance(metrics)}", ""]
    lines += [comparison_markdown(comparison, level=2)]
    return "\n".join(lines).rstrip("\n") + "\n"


def budgets_report(run: Any) -> str:
    """The report of a budget assignment: heading, holders by specialty, every network, the unserved ones."""
    from clusterkit.budgets.results import worst_loss_share
    from geodata.write.maps import specialties_of

    assignment = run.result
    params = assignment.params
    lines = _heading(run, f"{area_name(run.graph)}: specialty budgets of {len(assignment.networks):,} networks")
    lines += ["## Holders by specialty", ""]
    rows = []
    for specialty in specialties_of(assignment):
        held = [h for h in assignment.holdings if h.specialty == specialty]
        flagged = sum(worst_loss_share(h, params["schedule"], params["variance"]) > params["loss_threshold"]
                      for h in held)
        rows.append([specialty, len(held), sum(len(h.members) == 1 for h in held),
                     sum(len(h.members) > 1 for h in held), round(sum(h.budget for h in held)),
                     round(max(h.ratio for h in held), 3), flagged])
    lines += markdown_table(["specialty", "networks served", "held by a practice", "held by a consortium",
                             "budget £ a year", "largest budget/turnover", "holders flagged"], rows,
                            [False, True, True, True, True, True, True]) + [""]
    holders: dict[str, list[str]] = {}
    for h in assignment.holdings:
        holders.setdefault(h.network, []).append(f"{h.specialty}: {h.holder}")
    lines += [f"## Networks ({len(assignment.networks):,})", "", *markdown_table(
        ["network", "practices", "patients", "status", "largest ratio", "gap", "holders"],
        ([result.network, result.practices, result.population, str(result.status), result.largest_ratio,
          "—" if result.gap is None else f"{result.gap:.2%}", "; ".join(holders.get(result.network, [])) or "—"]
         for result in assignment.networks), [False, True, True, False, True, True]), ""]
    failed = [result for result in assignment.networks if result.reasons]
    if failed:
        lines += [f"## Networks not served ({len(failed):,})", ""]
        lines += [f"- {result.network}: {result.reasons[0]}" for result in failed]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


#: Command -> its report.
REPORTS = {"group": grouping_report, "demo": grouping_report, "evaluate": grouping_report, "tiers": tiers_report,
           "compare": comparison_report, "budgets": budgets_report}


def write_report(path: Path, run: Any) -> Path:
    """Write ``report.md`` of ``run`` atomically."""
    return write_text(path, REPORTS[run.command](run))
