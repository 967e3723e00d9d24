"""Load the practices of one real ICB from the NHS data and print a summary, as `clusterkit validate` does.

    python examples/load_real_icb.py            # QOP, Greater Manchester
    python examples/load_real_icb.py QHM --sub-icb 16C

The data folder is ``--data``, else the environment variable ``CLUSTERKIT_NHS_DATA``, else
``../shared/data/nhs`` beside the repository (see that folder's README for sources and licence).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from clusterkit.model.describe import AreaSummary, describe
from clusterkit.errors import ClusterkitError
from geodata import load_study_area

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "nhs"


def summary_lines(summary: AreaSummary) -> list[str]:
    """The main lines of the summary `clusterkit validate` prints."""
    quantiles = summary.list_size_quantiles
    return [
        f"source:      {summary.source}",
        f"practices:   {summary.practices:,}",
        f"population:  {summary.population:,}",
        f"areas:       {summary.icbs} ICB(s), {summary.sub_icbs} sub-ICB(s), "
        f"{summary.current_groups:,} current group(s)",
        f"list size:   min {quantiles[0.0]:,}, median {quantiles[0.5]:,}, max {quantiles[1.0]:,}",
        f"adjacency:   {summary.relations['adjacency']:,} edges ({summary.adjacency_method}), "
        f"{len(summary.isolated)} isolated practice(s), {summary.bridges} bridge(s)",
        f"no current group: {len(summary.without_current_group)}"
        + (f" ({', '.join(summary.without_current_group[:10])})" if summary.without_current_group else ""),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("icb", nargs="?", default="QOP", help="ICB code (default: %(default)s)")
    parser.add_argument("--sub-icb", action="append", default=[], help="keep only this sub-ICB (repeatable)")
    parser.add_argument("--data", type=Path, default=Path(os.environ.get("CLUSTERKIT_NHS_DATA", DEFAULT_DATA)),
                        help="folder holding gp_practices_england.csv")
    options = parser.parse_args(argv)
    try:
        graph = load_study_area(options.data / "gp_practices_england.csv", icb=[options.icb], sub_icb=options.sub_icb)
    except ClusterkitError as error:
        print(f"load_real_icb: error: {error}", file=sys.stderr)
        return error.exit_code
    print("\n".join(summary_lines(describe(graph))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
