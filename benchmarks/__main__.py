"""Runs the speed and scale benchmarks in one go and prints a table per area.

python -m benchmarks            engine scoring, suggestions, rounds (warm, incremental, cold at
                                10,000 startups) and the web under load on SQLite, plus
                                PostgreSQL when BENCH_DATABASE_URL names an empty database
python -m benchmarks --quick    the same at smaller sizes, in a few minutes

Ranking quality has its own command: python -m benchmarks.quality
"""

from __future__ import annotations

import argparse
import os
import sys

from benchmarks import rounds, speed, suggestions, web


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes and shorter loads")
    args = parser.parse_args(argv)
    database = os.environ.get("BENCH_DATABASE_URL")
    if args.quick:
        speed.main(["--startups", "10000", "--challenges", "1000", "--repeat", "2", "--embed-docs", "100"])
        suggestions.main(["--challenges", "1000", "--iterations", "15"])
        rounds.main(["--sizes", "10000"])
        web.main(["--seconds", "10"] + (["--database-url", database] if database else []))
        return 0
    speed.main([])
    suggestions.main(["--challenges", "1000,10000", "--iterations", "30"])
    rounds.main(["--sizes", "10000"] + ["--cold"])
    rounds.main(["--sizes", "100000"])
    web.main(["--seconds", "20"] + (["--database-url", database] if database else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
