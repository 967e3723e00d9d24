"""A federation's question, on the synthetic county: what does grouping by alignment ("GPs pick their friends")
cost in geography and gain in alignment and shared staff, against a geographic grouping and today's groups?

Run from the repository root::

    python examples/federation_story.py                  # seed 1
    python examples/federation_story.py --seed 4 --weight 0.9

The county's practices carry two philosophy scores, alignment between neighbours with similar philosophies,
and district nurses and health visitors shared by some pairs (see ``clusterkit.synthetic``). The script groups
it twice through the library (distance only; a blend weighted to alignment), compares each with today's groups
and with each other, and prints the table a federation would paste into a board paper.
"""

from __future__ import annotations

import argparse

from clusterkit import GroupingProblem, Partition, group_practices
from clusterkit.metrics.compare import compare_groupings
from clusterkit.synthetic import synthetic_county, synthetic_relations


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1, help="seed of the county and of the search")
    parser.add_argument("--weight", type=float, default=0.8, help="share of alignment in the blend (0-1)")
    arguments = parser.parse_args(argv)
    county = synthetic_county(seed=arguments.seed)
    graph = county.with_relations(synthetic_relations(county, seed=arguments.seed)).with_adjacency()
    today = Partition({p.code: p.group for p in graph.practices if p.group and p.willing})
    geographic = group_practices(graph, GroupingProblem(objective="distance"), seed=arguments.seed, workers=1)
    aligned = group_practices(graph, GroupingProblem(objective="blend", weight=arguments.weight), seed=arguments.seed,
                              workers=1)
    sides = {"today": today.labels, "geographic": geographic.labels, "aligned": aligned.labels}
    measured = compare_groupings(graph, sides["today"], sides["geographic"], names=("today", "geographic"))
    metrics = {"today": measured.metrics[0], "geographic": measured.metrics[1],
               "aligned": compare_groupings(graph, today, sides["aligned"]).metrics[1]}
    print(f"synthetic county, seed {arguments.seed}: {len(graph)} practices; aligned = blend with weight "
          f"{arguments.weight:g} on alignment\n")
    print("| | today | geographic | aligned |")
    print("| --- | ---: | ---: | ---: |")
    for label, key, form in (("groups", "groups", "{:,}"), ("in band 30-50k", "in_band_share", "{:.0%}"),
                             ("connected", "connected_share", "{:.0%}"),
                             ("patient-weighted km to the centre", "weighted_km", "{:.3f}"),
                             ("alignment kept inside groups", "alignment_kept_share", "{:.0%}"),
                             ("shared staff kept inside groups", "shared_staff_kept_share", "{:.0%}")):
        cells = [form.format(getattr(metrics[name], key)) for name in ("today", "geographic", "aligned")]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\n| comparison | ARI | NMI | VI | practices moved |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for first, second in (("today", "geographic"), ("today", "aligned"), ("geographic", "aligned")):
        comparison = compare_groupings(graph, sides[first], sides[second], names=(first, second))
        print(f"| {first} → {second} | {comparison.ari:.3f} | {comparison.nmi:.3f} | {comparison.vi:.3f} | "
              f"{comparison.moved} |")


if __name__ == "__main__":
    main()
