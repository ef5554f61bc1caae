"""Benchmark ``qingshou simulate``: seconds and rows per second to write a synthetic book of N loans.

    .venv/bin/python bench/bench_simulate.py --loans 100000 [--workers 2] [--format csv|parquet] [--keep]

Runs the real command in a child process into ``var/bench/simulate-<N>`` (removed afterwards unless
``--keep``) and prints wall seconds, rows written per table, rows per second and the peak RSS of the
command (workers are separate processes; the figure is the largest one). Prints one JSON line with
``--json``. No assertions: figures go to docs/benchmarks.md with the command that produced them.
"""

from __future__ import annotations

import json
import shutil

from measure import VAR_BENCH, book_arguments, qingshou, rate, run


def main() -> None:
    parser = book_arguments(__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=None, help="default: one per CPU")
    parser.add_argument("--keep", action="store_true", help="keep the written folder")
    args = parser.parse_args()

    out = VAR_BENCH / f"simulate-{args.loans}"
    shutil.rmtree(out, ignore_errors=True)
    command = [qingshou(), "simulate", "--loans", str(args.loans), "--seed", str(args.seed)]
    command += ["--as-of", args.as_of, "--out", str(out), "--format", args.format, "--quiet", "--json"]
    if args.workers:
        command += ["--workers", str(args.workers)]
    result = run(command).check()
    summary = result.json()
    rows = summary["rows"]
    total = sum(rows.values())
    size_mb = sum(path.stat().st_size for path in out.iterdir()) / 2**20
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    figures = {
        "loans": args.loans,
        "format": args.format,
        "seconds": round(result.seconds, 1),
        "rows": rows,
        "rows_per_second": round(total / result.seconds),
        "loans_per_second": round(args.loans / result.seconds),
        "peak_rss_mb": round(result.peak_rss_mb),
        "size_mb": round(size_mb),
        "command": " ".join(command),
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False))
        return
    print(f"simulate {args.loans:,} loans ({args.format}): {result.seconds:.1f} s, {size_mb:,.0f} MB written")
    for table, count in rows.items():
        print(f"  {table:<13}{count:>14,}")
    print(f"  {'total':<13}{total:>14,} rows, {rate(total, result.seconds)} rows/s")
    print(f"  loans/s {rate(args.loans, result.seconds)}; peak RSS {result.peak_rss_mb:,.0f} MB")


if __name__ == "__main__":
    main()
