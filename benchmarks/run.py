"""Benchmarks of issue 5: ingest, fit, threshold answers and the browser round trip; (issue
18) the hand-written parts against their library twins; (issue 20) drift by month and the
backtest; (issue 21, ``--postgres``) leads in PostgreSQL read in place against copied first.

``python -m benchmarks.run --sizes 100000,1000000 [--out benchmarks/RESULTS.md]
[--work benchmarks/work] [--skip-browser] [--skip-baselines] [--skip-components]``;
``python -m benchmarks.run --sizes 1M --components`` runs only the comparison of the
hand-written parts (to ``WORK/RESULTS-components.md`` unless ``--out`` says otherwise).

For each size N the sample generator writes N leads as CSV and Parquet into the work
directory (reused when present), then every stage runs in a fresh Python process
(:mod:`benchmarks.stages`) so that its peak RSS is its own. The results go to RESULTS.md
(rewritten each run, see :mod:`benchmarks.report`) and, raw, to ``WORK/<OUT's name>.json``
(``results.json`` for the default ``RESULTS.md``).
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.stages import SETTLE_SECONDS, settle

ROOT = Path(__file__).resolve().parents[1]
BROWSER_MAX_DEFAULT = 10_000_000


def parse_sizes(text: str) -> list[int]:
    sizes = []
    for part in text.split(","):
        part = part.strip().lower().replace("_", "")
        if not part:
            continue
        mult = 1
        if part[-1] in "km":
            mult = 1_000 if part[-1] == "k" else 1_000_000
            part = part[:-1]
        sizes.append(int(float(part) * mult))
    if not sizes or any(n < 1_000 for n in sizes):
        raise argparse.ArgumentTypeError("sizes must be 1000 leads or more, e.g. 100000,1000000")
    return sizes


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__.split(
        "\n\n")[0])
    ap.add_argument("--sizes", type=parse_sizes, default=parse_sizes("100000"),
                    help="comma-separated lead counts (100000, 1M, 10m ...)")
    ap.add_argument("--out", type=Path, default=None,
                    help="report file (default benchmarks/RESULTS.md; with --components "
                         "WORK/RESULTS-components.md)")
    ap.add_argument("--work", type=Path, default=ROOT / "benchmarks" / "work",
                    help="generated files and databases (kept; files are reused)")
    ap.add_argument("--skip-browser", action="store_true", help="no browser round trip")
    ap.add_argument("--browser-max", type=int, default=BROWSER_MAX_DEFAULT,
                    help="largest N that gets the browser stage (default 1,000,000)")
    ap.add_argument("--skip-baselines", action="store_true",
                    help="no scikit-learn / optbinning baselines")
    ap.add_argument("--components", action="store_true",
                    help="only compare the hand-written solver, metrics and binning with their "
                         "library twins (ingesting the sample when its database is missing)")
    ap.add_argument("--postgres", action="store_true",
                    help="only issue 21: leads in a private PostgreSQL server, read in place "
                         "and copied first (needs WORK/nN/leads.duckdb from a full run; to "
                         "WORK/RESULTS-postgres.md unless --out says otherwise)")
    ap.add_argument("--parquet-in-place", action="store_true",
                    help="only issue 21 on Parquet: N leads generated as clean typed Parquet "
                         "files (WORK/nN/typed_parquet_seedS/, reused), then loaded in place "
                         "by a fresh process, timed from its start; to "
                         "WORK/RESULTS-parquet.md unless --out says otherwise")
    ap.add_argument("--skip-components", action="store_true",
                    help="no comparison of the hand-written parts in a full run")
    ap.add_argument("--component-repeats", type=int, default=5,
                    help="timed rounds of each hand-written part and its twins; medians reported")
    ap.add_argument("--seed", type=int, default=7, help="sample generator seed")
    ap.add_argument("--moves", type=int, default=200, help="random slider moves timed")
    ap.add_argument("--panel-moves", type=int, default=50,
                    help="moves timed for the whole threshold panel (an extra figure)")
    ap.add_argument("--presses", type=int, default=30, help="key presses in the browser")
    ap.add_argument("--startup-repeats", type=int, default=3,
                    help="app start-ups timed (a fresh server and browser each); median "
                         "reported")
    ap.add_argument("--repeats", type=int, default=3,
                    help="ingest rounds, each followed by its bare read, and rounds of "
                         "calibrate fit end to end, of drift and of the backtest; medians "
                         "reported")
    ap.add_argument("--baseline-repeats", type=int, default=1,
                    help="rounds of each end-to-end baseline (scikit-learn, optbinning with "
                         "their CSV read); medians reported")
    ap.add_argument("--settle", type=float, default=SETTLE_SECONDS,
                    help="seconds to wait at most, before each stage and each timed ingest "
                         "or bare read, for the CPUs to go idle (after flushing dirty pages)")
    ap.add_argument("--stage-timeout", type=float, default=3 * 3600,
                    help="seconds before a stage process is killed")
    return ap


# ---------------------------------------------------------------------------- machine


def machine() -> dict[str, Any]:
    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram = int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover
        usable = os.cpu_count()
    return {"cpu": cpu, "cores": os.cpu_count(), "usable_cores": usable, "ram": ram,
            "python": platform.python_version(), "os": platform.platform(),
            "versions": _versions()}


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for name in ("duckdb", "numpy", "pandas", "scikit-learn", "optbinning", "streamlit",
                 "playwright"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                              timeout=30).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD") or "unknown"
        dirty = [line[3:] for line in git("status", "--porcelain").splitlines()
                 if line[3:].startswith(("src/", "app.py", "pyproject.toml"))]
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": []}
    return {"commit": commit, "dirty": dirty}


# -------------------------------------------------------------------------- execution


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def ensure_sample(path: Path, n: int, seed: int, fmt: str) -> dict[str, Any]:
    """Write the sample file unless a complete one is there (written to a temp name first)."""
    if path.exists():
        return {"path": str(path), "bytes": path.stat().st_size, "generated_seconds": None}
    from calibrate.tools import sample

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.partial")
    say(f"generating {n:,} leads as {fmt} -> {path}")
    t = time.perf_counter()
    sample.write(tmp, n=n, seed=seed, fmt=fmt)
    tmp.replace(path)
    return {"path": str(path), "bytes": path.stat().st_size,
            "generated_seconds": time.perf_counter() - t}


def run_stage(stage: str, spec: dict[str, Any], folder: Path, label: str,
              timeout: float) -> dict[str, Any]:
    """Run one stage in a fresh interpreter, once the machine has settled (up to
    ``spec["settle"]`` seconds); its JSON result (or the error)."""
    spec_path = folder / f"{label}.spec.json"
    out_path = folder / f"{label}.result.json"
    spec_path.write_text(json.dumps(spec, indent=1))
    out_path.unlink(missing_ok=True)
    say(f"  {label} ...")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    idle = settle(float(spec.get("settle", SETTLE_SECONDS)))
    load = os.getloadavg()[0]
    t = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "benchmarks.stages", stage, str(spec_path), str(out_path)],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    wall = time.perf_counter() - t
    if out_path.exists():
        result = json.loads(out_path.read_text())
    else:
        tail = (proc.stderr or proc.stdout or "").strip().splitlines()[-15:]
        result = {"error": f"stage process exited with {proc.returncode}",
                  "traceback": "\n".join(tail)}
    result["process_seconds"] = wall
    result["load_before"] = load  # 1-minute load average when the stage started
    result["idle_before"] = idle  # CPU idle share just before it started
    if "error" in result:
        say(f"  {label} FAILED: {result['error']}")
    elif "skipped" in result:
        say(f"  {label} skipped: {result['skipped']}")
    else:
        say(f"  {label} done in {wall:.1f} s")
    return result


def components_spec(args: argparse.Namespace, db: Path, source: str) -> dict[str, Any]:
    """The spec of the hand-written parts' stage (it ingests ``source`` if ``db`` is missing)."""
    return {"settle": args.settle, "db": str(db), "source": source,
            "repeats": args.component_repeats}


def bench_size(n: int, args: argparse.Namespace) -> dict[str, Any]:
    work = args.work.resolve()
    folder = work / f"n{n}"
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "leads.duckdb"
    timeout = args.stage_timeout
    if args.postgres:  # issue 21 alone, on the typed leads of an earlier run's store
        spec = {"settle": args.settle, "store": str(db), "n": n, "folder": str(folder),
                "timeout": timeout}
        if not db.exists():
            return {"files": {}, "stages": {"postgres_in_place": {
                "skipped": f"no {db}: run the benchmarks at this size first"}}}
        return {"files": {}, "stages": {"postgres_in_place": run_stage(
            "postgres_in_place", spec, folder, "postgres_in_place", timeout)}}
    if args.parquet_in_place:  # issue 21 on Parquet files alone
        spec = {"settle": args.settle, "n": n, "seed": args.seed, "folder": str(folder),
                "timeout": timeout}
        return {"files": {}, "stages": {"parquet_in_place": run_stage(
            "parquet_in_place", spec, folder, "parquet_in_place", timeout)}}
    if args.components:  # the comparison alone, on the database of an earlier run if any
        files = {"csv": ensure_sample(work / f"leads_{n}_seed{args.seed}.csv", n, args.seed,
                                      "csv")}
        return {"files": files, "stages": {"components": run_stage(
            "components", components_spec(args, db, files["csv"]["path"]), folder,
            "components", timeout)}}
    files = {fmt: ensure_sample(work / f"leads_{n}_seed{args.seed}.{fmt}", n, args.seed, fmt)
             for fmt in ("csv", "parquet")}
    stages: dict[str, Any] = {}
    common = {"settle": args.settle}  # every stage waits for an idle machine first

    stages["ingest_csv"] = run_stage("ingest", {
        **common, "format": "csv", "source": files["csv"]["path"], "db": str(db),
        "bare_db": str(folder / "bare_csv.duckdb"), "repeats": args.repeats},
        folder, "ingest_csv", timeout)
    stages["ingest_parquet"] = run_stage("ingest", {
        **common, "format": "parquet", "source": files["parquet"]["path"],
        "db": str(folder / "leads_from_parquet.duckdb"),
        "bare_db": str(folder / "bare_parquet.duckdb"), "repeats": args.repeats},
        folder, "ingest_parquet", timeout)
    (folder / "leads_from_parquet.duckdb").unlink(missing_ok=True)
    if "error" in stages["ingest_csv"]:
        return {"files": files, "stages": stages}

    baseline_spec = str(folder / "baseline.spec.json")
    stages["fit"] = run_stage("fit", {**common, "db": str(db), "baseline_spec": baseline_spec},
                              folder, "fit", timeout)
    if "error" in stages["fit"]:
        return {"files": files, "stages": stages}
    # calibrate fit as a user runs it, on a scratch copy of the database (issue 18)
    stages["fit_e2e"] = run_stage("fit_e2e", {
        **common, "db": str(db), "scratch_db": str(folder / "fit_e2e.duckdb"),
        "repeats": args.repeats, "timeout": timeout}, folder, "fit_e2e", timeout)
    if args.skip_baselines:
        for name in ("sklearn", "optbinning", "sklearn_e2e", "optbinning_e2e"):
            stages[name] = {"skipped": "--skip-baselines"}
    else:
        for name in ("sklearn", "optbinning"):
            stages[name] = run_stage(name, {**common, "baseline_spec": baseline_spec},
                                     folder, name, timeout)
        for name in ("sklearn_e2e", "optbinning_e2e"):  # with their CSV read (issue 18)
            stages[name] = run_stage(name, {
                **common, "baseline_spec": baseline_spec, "csv": files["csv"]["path"],
                "labels": str(folder / "e2e_labels.parquet"),
                "repeats": args.baseline_repeats, "timeout": timeout}, folder, name, timeout)
    if args.skip_components:
        stages["components"] = {"skipped": "--skip-components"}
    else:
        stages["components"] = run_stage(
            "components", components_spec(args, db, files["csv"]["path"]), folder,
            "components", timeout)
    stages["thresholds"] = run_stage("thresholds", {
        **common, "db": str(db), "moves": args.moves, "panel_moves": args.panel_moves,
        "seed": args.seed}, folder, "thresholds", timeout)
    # Issue 20: drift of the stored leads (PSI of the scores and attributes by month).
    stages["drift"] = run_stage("drift", {**common, "db": str(db), "repeats": args.repeats},
                                folder, "drift", timeout)
    # Issue 20: a backtest (a refit before the last 6 months, its projection against them).
    stages["backtest"] = run_stage("backtest", {**common, "db": str(db),
                                                "repeats": args.repeats},
                                   folder, "backtest", timeout)
    if args.skip_browser:
        stages["browser"] = {"skipped": "--skip-browser"}
    elif n > args.browser_max:
        stages["browser"] = {"skipped": f"N above --browser-max {args.browser_max:,}"}
    else:
        start = stages["thresholds"].get("browser_profile_start", 50)
        stages["browser"] = run_stage("browser", {
            **common, "db": str(db), "presses": args.presses, "profile_start": start},
            folder, "browser", timeout)
    # Issue 19: a fresh server on this database (weights and count grid kept), a fresh
    # browser: the first MQL figure and the Weights page's points table.
    no_browser = ("--skip-browser" if args.skip_browser else
                  f"N above --browser-max {args.browser_max:,}" if n > args.browser_max
                  else None)
    stages["startup"] = run_stage("startup", {
        **common, "db": str(db), "repeats": args.startup_repeats,
        "browser": no_browser is None, "browser_skipped": no_browser, "timeout": timeout},
        folder, "startup", timeout)
    return {"files": files, "stages": stages}


def parquet_report(results: dict[str, Any]) -> str:
    """The Markdown of a ``--parquet-in-place`` run: per size, the end-to-end time from the
    process start, peak RSS, the DuckDB file, rows, AUC and the steps (issue 21's target:
    100M leads under 2 minutes and 8 GiB)."""
    m, g = results["machine"], results["git"]
    out = ["# Benchmarks: leads in Parquet files, loaded in place (issue 21)", "",
           f"Written by `{results['command'].strip()}`.", "",
           f"- CPU: {m['cpu']}, {m['usable_cores']} usable cores, RAM "
           f"{(m['ram'] or 0) / 2**30:.1f} GiB; duckdb {m['versions'].get('duckdb')}",
           f"- Date: {results['started']}; git {g['commit']}"
           + (" (uncommitted changes)" if g["dirty"] else ""), "",
           "| N | path | seconds (process start to weights + grid stored; copying first: "
           "x the in-place time) | peak RSS | DuckDB file | rows read | held-out AUC | grid "
           "cells | Parquet files |",
           "|---|---|---|---|---|---|---|---|---|"]
    steps: list[str] = []
    for n, r in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        st = r["stages"].get("parquet_in_place") or {}
        if "in_place" not in st:
            out.append(f"| {int(n):,} | | {st.get('error') or st.get('skipped')} | | | | | | |")
            continue
        p, data = st["in_place"], st["data"]
        files = f"{data['files']} ({data['bytes'] / 2**20:,.0f} MiB)"
        for path, r2 in (("in place", p), ("copying first", st.get("copy"))):
            if r2 is None:
                continue
            ratio = (f" ({r2['seconds_from_process_start'] / p['seconds_from_process_start']:.2f}x)"
                     if r2 is not p else "")
            out.append(f"| {int(n):,} | {path} | {r2['seconds_from_process_start']:.1f}{ratio} | "
                       f"{r2['peak_rss'] / 2**30:.2f} GiB | {r2['db_bytes'] / 2**20:.1f} MiB | "
                       f"{r2['rows_read']:,} of {r2['rows']:,} | {r2['auc']:.4f} | "
                       f"{r2['grid_cells']:,} | {files} |")
            steps += ["", f"N = {int(n):,}, {path}: imports {r2['imports_seconds']:.1f} s; "
                      f"then {r2['seconds_in_ingest']:.1f} s:"]
            steps += [f"- {k}: {v:.2f} s" for k, v in r2["steps"].items()]
        if data.get("generated_seconds"):
            steps.append(f"- (data generated once in {data['generated_seconds']:.0f} s, "
                         f"generator peak RSS {data['generator_peak_rss'] / 2**30:.2f} GiB)")
    return "\n".join(out + steps + [""])


def render(results: dict[str, Any]) -> str:
    """The report of this run's mode."""
    return parquet_report(results) if results.get("mode") == "parquet" else report.render(
        results)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.out is None:
        args.out = (args.work / "RESULTS-components.md" if args.components
                    else args.work / "RESULTS-postgres.md" if args.postgres
                    else args.work / "RESULTS-parquet.md" if args.parquet_in_place
                    else ROOT / "benchmarks" / "RESULTS.md")
    args.work.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {
        "started": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "machine": machine(), "git": git_state(),
        "command": "python -m benchmarks.run " + " ".join(argv if argv is not None
                                                          else sys.argv[1:]),
        "options": {"moves": args.moves, "presses": args.presses, "seed": args.seed,
                    "startup_repeats": args.startup_repeats,
                    "repeats": args.repeats, "baseline_repeats": args.baseline_repeats,
                    "settle": args.settle,
                    "component_repeats": args.component_repeats},
        "mode": ("components" if args.components else "postgres" if args.postgres
                 else "parquet" if args.parquet_in_place else "all"),
        "sizes": {},
    }
    raw = args.work / f"{args.out.stem.lower()}.json"  # a quick run keeps the full one's
    for n in args.sizes:
        say(f"N = {n:,}")
        results["sizes"][str(n)] = bench_size(n, args)
        raw.write_text(json.dumps(results, indent=1, default=str))
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(render(results))  # after each size: partial runs count
    results["finished"] = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    raw.write_text(json.dumps(results, indent=1, default=str))
    args.out.write_text(render(results))
    say(f"wrote {args.out}")
    errors = [f"N={n} {s}" for n, r in results["sizes"].items()
              for s, v in r["stages"].items() if "error" in v]
    if errors:
        say("stages failed: " + ", ".join(errors))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
