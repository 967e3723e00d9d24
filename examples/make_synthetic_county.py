"""Write the seeded synthetic county to CSV files that every clusterkit command reads.

    python examples/make_synthetic_county.py --out county/ --seed 3
    clusterkit validate county/county_practices.csv --relations county/county_relations.csv

The county (80-110 practices, three sub-ICBs, today's groups, a few unwilling practices) and its
relations (alignment, shared staff, must/cannot-link) come from :mod:`clusterkit.synthetic`; the same
seed always gives the same files.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from clusterkit.synthetic import synthetic_county, synthetic_relations
from geodata import write_practices_csv, write_relations_csv


def write_county(out_dir: str | Path, seed: int = 0) -> tuple[Path, Path]:
    """Write ``county_practices.csv`` and ``county_relations.csv`` into ``out_dir``; return their paths."""
    folder = Path(out_dir)
    county = synthetic_county(seed=seed)
    relations = synthetic_relations(county, seed=seed)
    practices_path = write_practices_csv(folder / "county_practices.csv", county)
    relations_path = write_relations_csv(folder / "county_relations.csv", relations)
    return practices_path, relations_path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="synthetic_county", help="folder for the CSV files (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the county (default: %(default)s)")
    options = parser.parse_args(argv)
    practices_path, relations_path = write_county(options.out, options.seed)
    print(f"wrote {practices_path} and {relations_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
