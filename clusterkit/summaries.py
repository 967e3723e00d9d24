"""Plain-text summaries a planner reads: of a grouping (with its metrics) and of a study area.

They return strings; the command line prints them, a notebook may too.
"""

from __future__ import annotations

from typing import Any

from clusterkit.results import Status

__all__ = ["grouping_text", "budgets_text", "tiers_text", "comparison_text", "area_text", "listing", "sweep_text",
           "ensemble_text", "import_text"]


def grouping_text(grouping: Any, metrics: Any, problem: Any) -> str:
    def number(value: float | None, digits: int = 4) -> str:
        return "unknown" if value is None else f"{value:.{digits}f}"

    gap = "unknown" if grouping.gap is None else f"{grouping.gap:.2%}"
    if grouping.method == "evaluate":
        line = ("evaluated: every group meets the band and is connected" if grouping.status == Status.FEASIBLE
                else "evaluated: some groups break the rules (listed below)")
    elif grouping.method == "heuristic":
        status = {"FEASIBLE": "feasible (heuristic: optimality not proven)",
                  "NO_SOLUTION": "no grouping meeting every hard rule found (heuristic; not proven impossible)"}
        line = status.get(grouping.status, grouping.status.lower())
    elif grouping.status == Status.OPTIMAL:
        line = (f"optimal (proven by {grouping.solver}): objective {number(grouping.objective)}, "
                f"bound {number(grouping.bound)}, gap {gap}")
    else:
        what = "feasible, optimality not proven" if grouping.status == Status.FEASIBLE else (
            "no grouping meeting every hard rule found (not proven impossible)")
        line = f"{what} ({grouping.solver}): objective {number(grouping.objective)}, bound " \
               f"{number(grouping.bound)}, gap {gap}"
    meaning = {"distance": "patient-weighted km to each group's centre practice",
               "alignment": "share of alignment and shared staff lost between groups",
               "blend": f"blend: {problem.weight:g} alignment lost, {1 - problem.weight:g} scaled distance"}
    extras = [name for name, value in (("soft band", problem.soft), ("soft upper bound", problem.soft_above),
                                       ("move penalty", problem.move_penalty),
                                       ("cross penalty", problem.cross_penalty)) if value]
    lines = [
        f"status:      {line}",
        f"objective:   {number(grouping.objective)} ({meaning[problem.objective]}"
        + (f"; includes {', '.join(extras)}" if extras else "") + ")",
        f"groups:      {metrics.groups:,} ({metrics.population:,} patients); {metrics.in_band_share:.0%} in band "
        f"{problem.band}" + (f" or its --band-for waiver ({', '.join(problem.band_for)})" if problem.band_for else "")
        + (f" (with {len(grouping.flagged)} flagged practice(s) alone above it)"
                             if grouping.flagged else "") + f", {metrics.connected_share:.0%} connected",
    ]
    if problem.objective != "distance" or extras:  # else the objective line is this very figure
        lines.append(f"distance:    {metrics.weighted_km:.3f} km per patient to the group's centre")
    lines.append(f"widest:      {metrics.max_diameter_km:.1f} km between two practices of one group")
    if metrics.moved_practices is not None:
        lines.append(f"moved:       {metrics.moved_practices:,} practices ({metrics.moved_patients:,} patients) "
                     "vs the current grouping")
    kept = [f"{name} {share:.0%}" for name, share in (("alignment", metrics.alignment_kept_share),
                                                     ("shared staff", metrics.shared_staff_kept_share))
            if share is not None]
    if kept:
        lines.append(f"kept inside: {', '.join(kept)}")
    lines.append(f"unwilling:   {len(grouping.unwilling)}"
                 + (f" ({listing(grouping.unwilling)}; left out)" if grouping.unwilling else ""))
    lines.append(f"flagged:     {len(grouping.flagged)}"
                 + (f" ({listing(grouping.flagged)}; above the band, standing alone)" if grouping.flagged else ""))
    lines += [f"note:        {note}" for note in grouping.notes[:10]]
    if len(grouping.notes) > 10:
        lines.append(f"note:        ... {len(grouping.notes) - 10} more in summary.json")
    return "\n".join(lines)


def listing(codes: tuple[str, ...], limit: int = 10) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f", ... ({len(codes)} in all)" if len(codes) > limit else "")


def area_text(summary: Any) -> str:
    q = summary.list_size_quantiles
    lines = [
        f"source:      {summary.source}",
        f"practices:   {summary.practices:,}",
        f"population:  {summary.population:,}",
        f"areas:       {summary.icbs} ICB(s), {summary.sub_icbs} sub-ICB(s), {summary.current_groups:,} current group(s)",
        "list size:   " + ", ".join(f"{label} {q[key]:,}" for label, key in
                                    (("min", 0.0), ("p10", 0.1), ("p25", 0.25), ("median", 0.5), ("p75", 0.75),
                                     ("p90", 0.9), ("max", 1.0)) if key in q),
        "relations:   " + ", ".join(f"{name} {count:,}" for name, count in summary.relations.items()),
        f"no current group: {len(summary.without_current_group)}"
        + (f" ({listing(summary.without_current_group)})" if summary.without_current_group else ""),
        f"unwilling:   {len(summary.unwilling)}" + (f" ({listing(summary.unwilling)})" if summary.unwilling else ""),
        f"isolated:    {len(summary.isolated)}" + (f" ({listing(summary.isolated)})" if summary.isolated else "")
        + (f"; {summary.bridges} bridging edge(s) added" if summary.bridges else ""),
    ]
    if summary.grouping:
        g = summary.grouping
        lines.append(f"grouping:    {g['practices']:,} practices in {g['groups']:,} groups; {g['not_covered']:,} not covered")
    lines.append("ok")
    return "\n".join(lines)


def budgets_text(run: Any) -> str:
    """The planner's summary of a budgets run (a :class:`clusterkit.runs.Run` of ``budgets``)."""
    assignment, summary = run.result, run.summary
    counts = ", ".join(f"{count} {status.lower()}" for status, count in assignment.status_counts.items() if count)
    largest = f"{assignment.objective:.3f}" if assignment.objective is not None else "none"
    threshold = summary["exposure"]["loss_threshold"]
    lines = [f"networks:      {len(assignment.networks):,} ({counts})",
             f"holdings:      {len(assignment.holdings):,}; largest budget/turnover ratio {largest}; "
             f"{len(summary['exposure']['flagged_holders']):,} holder(s) flagged (worst loss > {threshold:g} of turnover)"]
    if assignment.ungrouped:
        lines.append(f"not in a network: {len(assignment.ungrouped)} ({listing(assignment.ungrouped)})")
    lines += [f"note:          {note}" for note in run.notes[:10]]
    return "\n".join(lines)


def tiers_text(run: Any) -> str:
    """One line per tier of a tiers run, then its notes."""
    lines = []
    for row in run.summary["tiers"]:
        measured = row["metrics"]
        lines.append(f"{row['tier'] + ':':<15} {row['groups']:,} groups of {row['band']}"
                     + (" (fixed)" if row["fixed"] else f", {row['status'].lower()}")
                     + f"; {measured['in_band_share']:.0%} in band, {measured['connected_share']:.0%} connected, "
                     f"{measured['weighted_km']:.3f} km to the group's centre")
    lines += [f"note:          {note}" for note in run.notes[:10]]
    return "\n".join(lines)


def comparison_text(comparison: Any) -> str:
    """The agreement, the moves and each side's headline figures of a comparison."""
    first, second = comparison.names
    lines = [f"compared:    {comparison.practices:,} practices grouped on both sides"
             + (f" ({comparison.left_out:,} on one side only, left out)" if comparison.left_out else ""),
             f"agreement:   ARI {comparison.ari:.3f}, NMI {comparison.nmi:.3f}, VI {comparison.vi:.3f}",
             f"moved:       {comparison.moved:,} practices ({comparison.moved_patients:,} patients) from {first} "
             f"to {second}"]
    for side, metrics in zip(comparison.names, comparison.metrics):
        lines.append(f"{side + ':':<12} {metrics.groups:,} groups, {metrics.in_band_share:.0%} in band, "
                     f"{metrics.weighted_km:.3f} km, {metrics.connected_share:.0%} connected")
    return "\n".join(lines)


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def sweep_text(run: Any) -> str:
    """The Pareto table of a sweep run, one line per point, the front starred."""
    sweep = run.result
    lines = [f"sweep: {len(sweep.points)} points, {sweep.method}"
             + (f", {sweep.proven} proven optimal for their weights" if sweep.method == "exact" else
                " (heuristic: no point proven optimal)"),
             "  point          km  align.kept  staff.kept  moved  in band  front"]
    for point, front in zip(sweep.points, sweep.non_dominated):
        metrics = point.metrics
        lines.append(f"  {point.name:<12} {metrics.weighted_km:5.3f}  {_percent(metrics.alignment_kept_share):>10}  "
                     f"{_percent(metrics.shared_staff_kept_share):>10}  "
                     f"{'-' if metrics.moved_practices is None else metrics.moved_practices:>5}  "
                     f"{metrics.in_band_share:>7.0%}  {'*' if front else ''}")
    lines.append(f"front (*): {', '.join(point.name for point, on in zip(sweep.points, sweep.non_dominated) if on) or 'none'}")
    return "\n".join(lines)


def ensemble_text(run: Any) -> str:
    """What an ensemble run found: diversity, the kept candidates, the consensus and the swing practices."""
    ensemble = run.result
    spread = ensemble.diversity
    consensus = ensemble.members[ensemble.consensus]
    lines = [f"ensemble: {len(ensemble.members)} members, {spread.distinct} different groupings "
             f"({spread.duplicate_share:.0%} duplicates)",
             f"diversity: normalised VI between members median {spread.vi_median:.3f} "
             f"(quartiles {spread.vi_quartiles[0]:.3f}-{spread.vi_quartiles[2]:.3f}, max {spread.vi_max:.3f})",
             f"kept {len(ensemble.kept)} (each at least {ensemble.min_vi:g} from the others):",
             "  candidate     km  align.kept  moved  in band  VI to consensus"]
    for index in ensemble.kept:
        member = ensemble.members[index]
        metrics = member.metrics
        lines.append(f"  {member.name:<10} {metrics.weighted_km:5.3f}  {_percent(metrics.alignment_kept_share):>10}  "
                     f"{'-' if metrics.moved_practices is None else metrics.moved_practices:>5}  "
                     f"{metrics.in_band_share:>7.0%}  {float(ensemble.vi[index, ensemble.consensus]):.3f}")
    swing = ensemble.swing
    lines.append(f"consensus: {consensus.name} (the member closest to all others), "
                 f"{consensus.metrics.weighted_km:.3f} km")
    lines.append(f"swing practices (outside their consensus group in most members): {len(swing)}"
                 + (f": {', '.join(swing[:12])}" + (", ..." if len(swing) > 12 else "") if swing else ""))


def import_text(run: Any, unmatched_file: str) -> str:
    """What an NHS import read and made (a :class:`clusterkit.runs.Run` of ``import-nhs``); ``unmatched_file``
    names the list of practices left out."""
    result = run.result
    located = result.located_by_list_postcode
    lines = [
        f"mapping:     {result.mapping_source}: {len(result.practices) + len(result.unmatched):,} practices, "
        f"extract {result.mapping_date}",
        f"list sizes:  {result.lists_source}: extract {result.lists_date}"
        + (f"; {len(result.lists_not_in_mapping):,} practices not in the mapping (closed or merged since)"
           if result.lists_not_in_mapping else ""),
        f"postcodes:   {result.postcodes_listed:,} in {len(result.postcode_sources)} file(s)",
        f"imported:    {len(result.practices):,} practices ({result.population:,} patients)"
        + (f", {len(located)} located by their list-size postcode ({listing(tuple(code for code, _, _ in located))})"
           if located else ""),
        f"unmatched:   {len(result.unmatched):,}" + (
            " (" + ", ".join(f"{reason}: {count:,}" for reason, count in result.reasons().items())
            + f"), listed in {unmatched_file}" if result.unmatched else ""),
    ]
    return "\n".join(lines)
