"""The command line, python -m calibrate.tools.sample: writes the export and truth.json and
prints a one-line summary."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from calibrate.tools.sample.columns import DEFAULT_CHUNK
from calibrate.tools.sample.files import write_and_count
from calibrate.tools.sample.truth import write_truth


def main(argv: list[str] | None = None) -> int:
    """CLI: write the sample export and the true model, print a one-line summary."""
    parser = argparse.ArgumentParser(
        prog="python -m calibrate.tools.sample", description="Generate a messy B2B lead export."
    )
    parser.add_argument("--n", type=int, default=50_000, help="distinct leads (default 50000)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, default=Path("data/sample/leads.csv"))
    parser.add_argument(
        "--format",
        choices=["csv", "parquet"],
        default=None,
        help="default: from the --out suffix (.parquet) else csv",
    )
    parser.add_argument(
        "--truth", type=Path, default=None, help="default: truth.json next to --out"
    )
    parser.add_argument("--chunk", type=int, default=DEFAULT_CHUNK, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    fmt = args.format or ("parquet" if args.out.suffix.lower() == ".parquet" else "csv")
    truth = args.truth or args.out.with_name("truth.json")
    t0 = time.perf_counter()
    stats = write_and_count(args.out, args.n, args.seed, fmt, args.chunk)
    write_truth(truth, seed=args.seed, n=args.n)
    size = args.out.stat().st_size / 1e6
    share = stats["won"] / max(stats["closed"], 1)
    print(
        f"wrote {stats['rows']:,} rows ({args.n:,} leads, seed {args.seed}) to {args.out} "
        f"({size:.1f} MB, won {share:.1%} of closed) and {truth} in "
        f"{time.perf_counter() - t0:.1f}s"
    )
    return 0
