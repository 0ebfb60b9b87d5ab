"""The measured work of each benchmark stage, run by :mod:`benchmarks.run` in a fresh process.

Usage (by the runner only): ``python -m benchmarks.stages STAGE SPEC.json OUT.json``. The
stage reads its inputs from the spec, does its work, and writes one JSON object of figures
to OUT.json. A fresh process per stage makes its peak RSS (``VmHWM``) its own; imports happen
before any clock starts. Times are wall-clock seconds from ``time.perf_counter``.
"""

from __future__ import annotations

import functools
import importlib
import json
import os
import statistics
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
#: Set to 1 to behave as if optbinning were not installed (used by the smoke test).
NO_OPTBINNING_ENV = "CALIBRATE_BENCH_NO_OPTBINNING"
#: The app's defaults on the Thresholds page: the last 12 months, 10 reps x 40 leads a month.
APP_WINDOW_MONTHS = 12
APP_REPS, APP_LEADS_PER_REP = 10, 40
METRIC = "MQLs per month"
#: How long a timed run waits, at most, for an idle machine (see :func:`settle`).
SETTLE_SECONDS = 30.0


# ----------------------------------------------------------------------------- helpers


def peak_rss() -> int | None:
    """This process's peak resident set size in bytes (``VmHWM``; ru_maxrss as fallback)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        import resource

        return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024
    except (ImportError, OSError):  # pragma: no cover - not Linux
        return None


def reset_peak_rss() -> bool:
    """Reset ``VmHWM`` to the current RSS (Linux >= 4.0); False when not possible."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def process_peak_rss(pid: int) -> int | None:
    """Peak RSS in bytes of another process (``VmHWM`` in /proc), None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def prewarm(path: str | Path) -> None:
    """Read a file once so both the measured run and its baseline find it in the page cache."""
    with open(path, "rb") as fh:
        while fh.read(16 << 20):
            pass


def remove_db(path: str | Path) -> None:
    for p in (Path(path), Path(f"{path}.wal")):
        if p.exists():
            p.unlink()


def percentiles(values_ms: list[float]) -> dict[str, float]:
    """p50, p95, max and mean of a list of milliseconds (p95 by linear interpolation)."""
    xs = sorted(values_ms)
    if not xs:
        return {}

    def q(f: float) -> float:
        k = (len(xs) - 1) * f
        lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
        return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)

    return {"n": len(xs), "p50_ms": q(0.5), "p95_ms": q(0.95), "max_ms": xs[-1],
            "mean_ms": statistics.fmean(xs)}


class SelfTimer:
    """Wraps module functions to record their *self* time (nested wrapped calls excluded).

    Used to break an end-to-end call down by the project's own steps, without changing what
    runs. Names missing from the module are ignored, so a refactor only thins the breakdown.
    """

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self._stack: list[list[float]] = []
        self._undo: list[tuple[Any, str, Any]] = []

    def wrap(self, module: Any, names: list[str]) -> None:
        for name in names:
            fn = getattr(module, name, None)
            if callable(fn):
                self._undo.append((module, name, fn))
                setattr(module, name, self._wrapped(name, fn))

    def _wrapped(self, name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(*args: Any, **kwargs: Any) -> Any:
            frame = [time.perf_counter(), 0.0]  # start, time spent in nested wrapped calls
            self._stack.append(frame)
            try:
                return fn(*args, **kwargs)
            finally:
                self._stack.pop()
                total = time.perf_counter() - frame[0]
                self.times[name] = self.times.get(name, 0.0) + total - frame[1]
                self.calls[name] = self.calls.get(name, 0) + 1
                if self._stack:
                    self._stack[-1][1] += total

        return inner

    def restore(self) -> None:
        for module, name, fn in reversed(self._undo):
            setattr(module, name, fn)
        self._undo.clear()


@contextmanager
def quiet() -> Iterator[None]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ------------------------------------------------------------------------------ ingest

#: Functions timed inside ingest() (self time each), by the module that looks them up.
INGEST_STEPS = {
    "calibrate.data.ingest": ["plan_columns", "sample_labels", "stage", "row_numbers",
                              "late_labels", "run_checks", "_duplicates", "_store",
                              "store_columns", "_report"],
    "calibrate.data.file_preview": ["open_source", "profile_columns", "guess_columns"],
    "calibrate.data.csv_reader": ["spread_sample", "make_sample"],
    "calibrate.data.readers": ["make_sample"],  # a Parquet file's
    "calibrate.data.xlsx_reader": ["make_sample"],
    "calibrate.data.cleaning": ["_fast_types", "_clean"],
}


def stage_ingest(spec: dict[str, Any]) -> dict[str, Any]:
    """The project's ``ingest()`` into a fresh DuckDB file, then the bare DuckDB read of the
    same file into another fresh file, alternately for ``repeats`` rounds (same process,
    page cache warm for both, the machine settled before each): medians are reported."""
    repeats = max(1, int(spec.get("repeats", 1)))
    wait = float(spec.get("settle", SETTLE_SECONDS))
    prewarm(spec["source"])
    rounds = []
    for _ in range(repeats):
        one = _ingest_once(spec, wait)
        one["bare"] = _bare_read_once(spec, wait)
        rounds.append(one)
    mid = sorted(rounds, key=lambda r: r["seconds"])[(repeats - 1) // 2]
    secs = statistics.median(r["seconds"] for r in rounds)
    bare_secs = statistics.median(r["bare"]["seconds"] for r in rounds)
    return {
        **mid, "seconds": secs,
        "peak_rss": _max_or_none(r["peak_rss"] for r in rounds),
        "bare": {**mid["bare"], "seconds": bare_secs,
                 "peak_rss": _max_or_none(r["bare"]["peak_rss"] for r in rounds)},
        "ratio": secs / bare_secs if bare_secs > 0 else None,
        "rounds": [{"seconds": r["seconds"], "bare_seconds": r["bare"]["seconds"],
                    "idle_before": r["idle_before"],
                    "bare_idle_before": r["bare"]["idle_before"]} for r in rounds],
    }


def _max_or_none(values: Any) -> int | None:
    got = [v for v in values if v is not None]
    return max(got) if got else None


def settle(max_wait: float = SETTLE_SECONDS, idle: float = 0.9) -> float:
    """Flush dirty pages, then wait (up to ``max_wait`` s) until the CPUs are ``idle`` idle
    over half a second, so that the writeback of the previous run's files and the tail of
    the previous stage do not land inside the next timing. Returns the idle share seen."""
    os.sync()
    deadline = time.monotonic() + max_wait
    share = 0.0
    while True:
        a = _cpu_times()
        time.sleep(0.5)
        b = _cpu_times()
        if a is None or b is None:
            return share
        total = sum(b) - sum(a)
        share = (b[3] - a[3]) / total if total > 0 else 1.0  # the 4th field is idle
        if share >= idle or time.monotonic() > deadline:
            return share


def _cpu_times() -> list[int] | None:
    try:
        with open("/proc/stat") as fh:
            return [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None


def _ingest_once(spec: dict[str, Any], wait: float) -> dict[str, Any]:
    """One timed ``ingest()`` of the source into a fresh database, with its breakdown."""
    from calibrate.data import ingest as ingest_module
    from calibrate.data import store

    db = Path(spec["db"])
    remove_db(db)
    con = store.connect(db)
    timer = SelfTimer()
    for module, names in INGEST_STEPS.items():
        timer.wrap(importlib.import_module(module), names)
    marks: list[tuple[str, float]] = []
    idle = settle(wait)
    reset = reset_peak_rss()
    t0 = time.perf_counter()
    try:
        report = ingest_module.ingest(
            con, spec["source"], replace=True,
            progress=lambda phase: marks.append((phase, time.perf_counter())))
        secs = time.perf_counter() - t0
    finally:
        timer.restore()
    rss = peak_rss() if reset else None
    con.close()
    phases = {}
    ends = [t for _, t in marks[1:]] + [t0 + secs]
    for (name, start), end in zip(marks, ends, strict=True):
        phases[name] = end - start
    steps = dict(sorted(timer.times.items(), key=lambda kv: -kv[1]))
    steps["(rest of ingest(), outside the functions above)"] = secs - sum(timer.times.values())
    return {"seconds": secs, "peak_rss": rss, "rows_read": int(report.rows_read),
            "rows_loaded": int(report.rows_loaded), "db_bytes": db.stat().st_size,
            "phases": phases, "steps": steps, "idle_before": idle}


def _bare_read_once(spec: dict[str, Any], wait: float) -> dict[str, Any]:
    """One timed bare ``CREATE TABLE t AS SELECT * FROM read_csv(file)`` into a fresh file."""
    import duckdb

    reader = "read_csv" if spec["format"] == "csv" else "read_parquet"
    bare_db = Path(spec["bare_db"])
    remove_db(bare_db)
    bcon = duckdb.connect(str(bare_db))
    idle = settle(wait)
    reset = reset_peak_rss()
    t0 = time.perf_counter()
    bcon.execute(f"CREATE TABLE t AS SELECT * FROM {reader}(?)", [str(spec["source"])])
    secs = time.perf_counter() - t0
    rss = peak_rss() if reset else None
    rows = int(bcon.execute("SELECT count(*) FROM t").fetchone()[0])
    bcon.close()
    remove_db(bare_db)
    return {"what": f"CREATE TABLE t AS SELECT * FROM {reader}(file)", "seconds": secs,
            "rows": rows, "peak_rss": rss, "idle_before": idle}


# --------------------------------------------------------------------------------- fit


def stage_fit(spec: dict[str, Any]) -> dict[str, Any]:
    """``Workbench(db).fit()`` as a notebook user calls it: the fit, the points table and
    the weights saved in force (for the later stages); then (untimed) write the split and
    attributes the baselines must use."""
    from calibrate.data import store
    from calibrate.decide import workshop
    from calibrate.model import fit as fitting  # noqa: F401 - imported before timing
    from calibrate.workbench import Workbench

    wb = Workbench(spec["db"], keep_backups=0)
    con = wb.con
    captured: dict[str, Any] = {}
    original = workshop.weights_from_fit

    def capture(con_: Any, result: Any, table: Any) -> Any:
        captured["result"] = result
        return original(con_, result, table)

    workshop.weights_from_fit = capture
    t0 = time.perf_counter()
    try:
        weights = wb.fit()
        secs = time.perf_counter() - t0
    finally:
        workshop.weights_from_fit = original
    rss = peak_rss()
    result = captured.get("result")
    note = None
    if result is None:  # the fit no longer goes through weights_from_fit
        note = "FitResult taken from a second, untimed fit() call"
        with quiet():
            result = fitting.fit(con, leakage="warn")
    types = {c.name: c.type for c in store.read_columns(con)}
    attributes = [{"name": n, "type": types.get(n, "categorical")}
                  for n in result.encoding.names]
    wb.close()
    split = result.split
    Path(spec["baseline_spec"]).write_text(json.dumps({
        "db": spec["db"], "population_sql": split.population_sql(),
        "test_sql": split.test_sql(), "attributes": attributes}, indent=1))
    inner = {k: float(v) for k, v in (result.timings or {}).items()}
    if "total" in inner:
        inner["points table, weights document, saved"] = secs - inner["total"]
    counts = {k: (v if k.endswith("_rate") else int(v)) for k, v in result.counts.items()}
    return {
        "seconds": secs, "peak_rss": rss, "auc": float(result.metrics.auc),
        "split": split.to_dict(), "attributes": [a["name"] for a in attributes],
        "dropped": list(result.dropped), "C": float(result.C), "counts": counts,
        "train_rows": counts.get("train"), "test_rows": counts.get("test"),
        "steps": inner, "levels": int(len(weights.table)), "note": note,
    }


def _frames_sql(bspec: dict[str, Any], test: bool) -> str:
    from calibrate.sql import quote

    cols = []
    for a in bspec["attributes"]:
        q = quote(a["name"])
        cast = "DOUBLE" if a["type"] == "numeric" else "VARCHAR"
        cols.append(f"CAST({q} AS {cast}) AS {q}")
    side = bspec["test_sql"] if test else f"NOT {bspec['test_sql']}"
    return (f"SELECT {', '.join(cols)}, (outcome = 'won')::INTEGER AS _won FROM leads "
            f"WHERE {bspec['population_sql']} AND {side}")


def _split_columns(bspec: dict[str, Any]) -> tuple[list[str], list[str]]:
    cats = [a["name"] for a in bspec["attributes"] if a["type"] != "numeric"]
    nums = [a["name"] for a in bspec["attributes"] if a["type"] == "numeric"]
    return cats, nums


def _baseline(spec: dict[str, Any], make: Callable[[list[str], list[str]], Any],
              proba: Callable[[Any, Any], Any]) -> dict[str, Any]:
    """Time reading the training rows from DuckDB into pandas plus fitting ``make()``'s model;
    then (untimed) its AUC on the test rows."""
    import duckdb
    from sklearn.metrics import roc_auc_score

    bspec = json.loads(Path(spec["baseline_spec"]).read_text())
    cats, nums = _split_columns(bspec)
    con = duckdb.connect(bspec["db"], read_only=True)
    est = make(cats, nums)
    t0 = time.perf_counter()
    train = con.execute(_frames_sql(bspec, test=False)).df()
    read_secs = time.perf_counter() - t0
    with quiet():
        est.fit(train[cats + nums], train["_won"].to_numpy())
    secs = time.perf_counter() - t0
    rss = peak_rss()
    test = con.execute(_frames_sql(bspec, test=True)).df()
    con.close()
    with quiet():
        auc = float(roc_auc_score(test["_won"].to_numpy(), proba(est, test[cats + nums])))
    return {"seconds": secs, "read_seconds": read_secs, "peak_rss": rss, "auc": auc,
            "train_rows": int(len(train)), "test_rows": int(len(test)),
            "features": len(cats) + len(nums)}


def make_sklearn(cats: list[str], nums: list[str]) -> Any:
    """The plain scikit-learn pipeline of both scikit-learn baselines (in process and end to
    end): one-hot categoricals and flags, numerics imputed (median) and standardised,
    LogisticRegression (lbfgs, default C)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    pre = ColumnTransformer([
        ("categorical", OneHotEncoder(handle_unknown="ignore"), cats),
        ("numeric", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
         nums)])
    return make_pipeline(pre, LogisticRegression(max_iter=2000))


SKLEARN_WHAT = ("OneHotEncoder(handle_unknown='ignore') + SimpleImputer(median) + "
                "StandardScaler + LogisticRegression(lbfgs, max_iter=2000)")


def make_optbinning(cats: list[str], nums: list[str]) -> Any:
    """The optbinning model of both optbinning baselines: BinningProcess (WoE, categorical
    columns declared) + Scorecard with a LogisticRegression estimator."""
    from optbinning import BinningProcess, Scorecard
    from sklearn.linear_model import LogisticRegression

    binning = BinningProcess(variable_names=cats + nums, categorical_variables=cats)
    return Scorecard(binning_process=binning,
                     estimator=LogisticRegression(max_iter=2000),
                     scaling_method="min_max",
                     scaling_method_params={"min": 0, "max": 100})


def optbinning_what() -> str:
    import optbinning

    return (f"optbinning {optbinning.__version__} BinningProcess + Scorecard"
            "(LogisticRegression)")


#: The baseline models by name, shared by the in-process and the end-to-end stages.
BASELINE_MODELS: dict[str, Callable[[list[str], list[str]], Any]] = {
    "sklearn": make_sklearn, "optbinning": make_optbinning}


def win_proba(est: Any, x: Any) -> Any:
    """The baselines' scores: the predicted probability of a win."""
    return est.predict_proba(x)[:, 1]


def stage_sklearn(spec: dict[str, Any]) -> dict[str, Any]:
    """Plain scikit-learn (:func:`make_sklearn`) on the training rows read from DuckDB."""
    out = _baseline(spec, make_sklearn, win_proba)
    out["what"] = SKLEARN_WHAT
    return out


def optbinning_missing() -> str | None:
    """Why optbinning cannot be used (None when it can)."""
    if os.environ.get(NO_OPTBINNING_ENV) == "1":
        return f"optbinning disabled by {NO_OPTBINNING_ENV}=1"
    try:
        import optbinning  # noqa: F401
    except ImportError:
        return "optbinning is not installed (pip install -e '.[bench]')"
    return None


def stage_optbinning(spec: dict[str, Any]) -> dict[str, Any]:
    """optbinning (:func:`make_optbinning`) on the training rows read from DuckDB."""
    missing = optbinning_missing()
    if missing:
        return {"skipped": missing}
    out = _baseline(spec, make_optbinning, win_proba)
    out["what"] = optbinning_what()
    return out


# --------------------------------------------------------------------- fit end to end
#
# Issue 18: ``calibrate fit`` as a user runs it (a fresh process, start to weights written)
# against a plain user's scikit-learn and optbinning scripts, each timed with its CSV read.


def _spawn(cmd: list[str], *, cwd: Path, stdout: Any, stderr: Any,
           timeout: float | None) -> dict[str, Any]:
    """Run ``cmd`` as a fresh process. Returns its wall seconds (``perf_counter`` from just
    before the spawn to its exit), ``time.time()`` just before the spawn, its exit code and
    peak RSS (``ru_maxrss`` of the child, from ``wait4``)."""
    import subprocess
    import threading

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    spawned = time.time()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=stdout,
                            stderr=stderr)
    timer = threading.Timer(timeout, proc.kill) if timeout else None
    if timer is not None:
        timer.start()
    try:
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        if timer is not None:
            timer.cancel()
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_seconds": wall, "spawned": spawned, "returncode": proc.returncode,
            "peak_rss": int(usage.ru_maxrss) * 1024}


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").strip().splitlines()[-lines:])
    except OSError:
        return ""


def _copy_db(src: str | Path, dst: Path) -> None:
    import shutil

    remove_db(dst)
    shutil.copyfile(src, dst)
    if Path(f"{src}.wal").exists():
        shutil.copyfile(f"{src}.wal", f"{dst}.wal")


def _median_round(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    return sorted(rounds, key=lambda r: r["seconds"])[(len(rounds) - 1) // 2]


def calibrate_command() -> Path:
    """The ``calibrate`` console script of this interpreter's environment (beside
    ``sys.executable``, not resolved: the venv's python is a link)."""
    return Path(sys.executable).parent / "calibrate"


def stage_fit_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """``calibrate fit --db COPY`` as a user runs it: a fresh process of the console script
    on a copy of the ingested database (copied before each round, untimed, so every round
    does the same work and the database of the later stages is untouched), timed from just
    before the spawn to the process's exit; ``repeats`` rounds, the machine settled before
    each, the median reported. The test AUC is read from the weights it saved."""
    import duckdb

    from calibrate.data import store
    from calibrate.model.weights import latest_weights

    exe = calibrate_command()
    if not exe.exists():
        raise RuntimeError(f"no calibrate console script at {exe} (pip install -e .)")
    repeats = max(1, int(spec.get("repeats", 1)))
    wait = float(spec.get("settle", SETTLE_SECONDS))
    scratch = Path(spec["scratch_db"])
    folder = scratch.parent
    cmd = [str(exe), "fit", "--db", str(scratch)]
    rounds = []
    try:
        for i in range(repeats):
            _copy_db(spec["db"], scratch)  # untimed: the same starting database each round
            con = duckdb.connect(str(scratch), read_only=True)
            before = int(con.execute("SELECT coalesce(max(id), 0) FROM fits").fetchone()[0])
            con.close()
            prewarm(scratch)
            idle = settle(wait)
            load = os.getloadavg()[0]
            out_log, err_log = folder / "fit_e2e.stdout.txt", folder / "fit_e2e.stderr.txt"
            with open(out_log, "wb") as out, open(err_log, "wb") as err:
                run = _spawn(cmd, cwd=folder, stdout=out, stderr=err,
                             timeout=spec.get("timeout"))
            if run["returncode"] != 0:
                raise RuntimeError(f"calibrate fit exited with {run['returncode']} in round "
                                   f"{i + 1}: {_tail(err_log) or _tail(out_log)}")
            con = duckdb.connect(str(scratch), read_only=True)
            weights = latest_weights(con, store.data_version(con))
            con.close()
            if weights is None or weights.id is None or weights.id <= before:
                raise RuntimeError("calibrate fit exited 0 but saved no new weights")
            rounds.append({"seconds": run["wall_seconds"], "peak_rss": run["peak_rss"],
                           "auc": float(weights.metrics["auc"]), "weights_id": weights.id,
                           "idle_before": idle, "load_before": load})
    finally:
        remove_db(scratch)
    mid = _median_round(rounds)
    return {
        "what": f"{exe.name} fit --db COPY (console script, fresh process; stdout to a file)",
        "command": " ".join(cmd), "seconds": statistics.median(r["seconds"] for r in rounds),
        "peak_rss": _max_or_none(r["peak_rss"] for r in rounds), "auc": mid["auc"],
        "aucs": sorted({round(r["auc"], 12) for r in rounds}), "rounds": rounds,
    }


#: The labels file's columns (names a CSV is unlikely to have).
E2E_KEY, E2E_WON, E2E_TEST = "_bench_key", "_bench_won", "_bench_test"


def e2e_inputs(bspec: dict[str, Any], labels: Path) -> dict[str, Any]:
    """Untimed preparation of the end-to-end baselines: the lead key's, attributes' and
    outcome's CSV headers (``ColumnInfo.source_name``), and a Parquet file of the training
    and test leads of the project's split: each lead's key as stored (ingest trims it), its
    0/1 won label and whether it is a test lead."""
    import duckdb

    from calibrate.data import store
    from calibrate.sql import quote

    con = duckdb.connect(bspec["db"], read_only=True)
    try:
        columns = store.read_columns(con)
        ids = [c for c in columns if c.role in ("lead_id", "id")]
        if not ids:
            raise RuntimeError("the leads have no lead id column to match the CSV rows by")
        key = ids[0]
        source = {c.name: c.source_name for c in columns}
        rows, keys = con.execute(
            f"SELECT count(*), count(DISTINCT {quote(key.name)}) FROM leads WHERE "
            f"{bspec['population_sql']}").fetchone()
        if rows != keys:
            raise RuntimeError(f"{rows - keys} closed leads share a lead id: the CSV rows "
                               "cannot be matched by it")
        tmp = labels.with_name(f".{labels.name}.partial")
        con.execute(
            f"COPY (SELECT CAST({quote(key.name)} AS VARCHAR) AS {E2E_KEY}, "
            f"(outcome = 'won')::INTEGER AS {E2E_WON}, "
            f"coalesce({bspec['test_sql']}, false) AS {E2E_TEST} "
            f"FROM leads WHERE {bspec['population_sql']}) TO '{tmp}' (FORMAT parquet)")
        tmp.replace(labels)
        test = int(con.execute(f"SELECT count(*) FROM leads WHERE {bspec['population_sql']} "
                               f"AND {bspec['test_sql']}").fetchone()[0])
    finally:
        con.close()
    cats, nums = _split_columns(bspec)
    return {"labels": str(labels), "key": key.source_name,
            "categorical": [source.get(c, c) for c in cats],
            "numeric": [source.get(c, c) for c in nums],
            "train_leads": int(rows) - test, "test_leads": test}


def _e2e_baseline(spec: dict[str, Any], kind: str) -> dict[str, Any]:
    """A plain user's script (:mod:`benchmarks.e2e`) in a fresh process, ``repeats`` rounds
    (machine settled before each, median reported): its seconds are from the parent's
    ``time.time()`` just before the spawn to the child's ``time.time()`` when the fit
    returned, less the child's read of the benchmark's labels file."""
    bspec = json.loads(Path(spec["baseline_spec"]).read_text())
    folder = Path(spec["baseline_spec"]).parent
    child = {"csv": spec["csv"], **e2e_inputs(bspec, Path(spec["labels"]))}
    child_spec = folder / f"{kind}_e2e.child.json"
    child_spec.write_text(json.dumps(child, indent=1))
    repeats = max(1, int(spec.get("repeats", 1)))
    wait = float(spec.get("settle", SETTLE_SECONDS))
    prewarm(spec["csv"])
    rounds = []
    for i in range(repeats):
        out_path = folder / f"{kind}_e2e.child.result.json"
        out_path.unlink(missing_ok=True)
        idle = settle(wait)
        load = os.getloadavg()[0]
        err_log = folder / f"{kind}_e2e.stderr.txt"
        with open(err_log, "wb") as err:
            run = _spawn([sys.executable, "-m", "benchmarks.e2e", kind, str(child_spec),
                          str(out_path)], cwd=ROOT, stdout=err, stderr=err,
                         timeout=spec.get("timeout"))
        got = json.loads(out_path.read_text()) if out_path.exists() else {}
        if run["returncode"] != 0 or "error" in got or "auc" not in got:
            raise RuntimeError(f"the {kind} script exited with {run['returncode']} in round "
                               f"{i + 1}: {got.get('error') or _tail(err_log)}\n"
                               f"{got.get('traceback', '')}")
        m, t0 = got["marks"], run["spawned"]
        labels = m["labels_read"] - m["imports"]
        rounds.append({
            "seconds": m["fit"] - t0 - labels, "to_fit_seconds": m["fit"] - t0,
            "python_start_seconds": m["start"] - t0, "imports_seconds": m["imports"] - m["start"],
            "labels_seconds": labels,
            "read_csv_seconds": m["read_csv"] - m["labels_read"],
            "prepare_seconds": m["prepared"] - m["read_csv"],
            "fit_seconds": m["fit"] - m["prepared"], "process_wall_seconds": run["wall_seconds"],
            "peak_rss": got["peak_rss_at_fit"], "process_peak_rss": run["peak_rss"],
            "auc": got["auc"], "idle_before": idle, "load_before": load,
            **{k: got[k] for k in ("csv_rows", "train_rows", "test_rows", "lost_numbers",
                                    "empty_columns")}})
    mid = _median_round(rounds)
    return {**mid, "seconds": statistics.median(r["seconds"] for r in rounds),
            "peak_rss": _max_or_none(r["peak_rss"] for r in rounds), "rounds": rounds,
            "train_leads": child["train_leads"], "test_leads": child["test_leads"],
            "key": child["key"], "features": len(child["categorical"]) + len(child["numeric"])}


def stage_sklearn_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """scikit-learn end to end: python, imports, ``read_csv``, merge, clean, fit."""
    out = _e2e_baseline(spec, "sklearn")
    out["what"] = SKLEARN_WHAT
    return out


def stage_optbinning_e2e(spec: dict[str, Any]) -> dict[str, Any]:
    """optbinning end to end: python, imports, ``read_csv``, merge, clean, fit."""
    missing = optbinning_missing()
    if missing:
        return {"skipped": missing}
    out = _e2e_baseline(spec, "optbinning")
    out["what"] = optbinning_what()
    return out


# -------------------------------------------------------------------------- thresholds


def _app_settings(months: list | None) -> Any:
    from calibrate.decide.tradeoff import Settings

    return Settings(reps=APP_REPS, leads_per_rep_per_month=APP_LEADS_PER_REP,
                    months_in_window=len(months) if months else None)


def _panel(cube: Any, settings: Any, parts: dict[str, list[float]] | None = None) -> None:
    """What the Thresholds fragment computes per slider move besides figures(); with
    ``parts``, the milliseconds of each piece are appended to it."""
    from calibrate.decide.grid_views import heatmap, score_distribution
    from calibrate.decide.sweep import tradeoff_curve
    from calibrate.decide.tradeoff import figures
    from calibrate.ui import charts

    clock = [time.perf_counter_ns()]

    def lap(name: str) -> None:
        now = time.perf_counter_ns()
        if parts is not None:
            parts.setdefault(name, []).append((now - clock[0]) / 1e6)
        clock[0] = now

    f = figures(cube, settings)
    lap("figures")
    curve = tradeoff_curve(cube, settings, "both")
    lap("tradeoff_curve")
    cells = heatmap(cube)
    lap("heatmap")
    dists = [(score_distribution(cube, axis), axis, value) for axis, value in
             (("profile", settings.min_profile), ("behavior", settings.min_behavior))]
    lap("score_distribution x2")
    charts.tradeoff_chart(curve, f.to_dict(), settings.capacity)
    lap("charts.tradeoff_chart")
    charts.heatmap_chart(cells, settings.min_profile, settings.min_behavior)
    lap("charts.heatmap_chart")
    for dist, axis, value in dists:
        charts.distribution_chart(dist, axis, value)
    lap("charts.distribution_chart x2")


def _naive_query(months: list | None) -> str:
    where = ""
    if months:
        where = "WHERE month IN (" + ", ".join(f"DATE '{m.isoformat()}'" for m in months) + ")"
    mql = "(k = 1 OR (k = 0 AND p >= $p AND b >= $b))"
    return (f"SELECT count(*) FILTER (WHERE {mql}), "
            f"count(*) FILTER (WHERE {mql} AND outcome = 'won'), "
            f"count(*) FILTER (WHERE {mql} AND outcome IN ('won', 'lost', 'no_decision')), "
            f"count(*) FILTER (WHERE outcome = 'won') FROM _naive_scored {where}")


def stage_thresholds(spec: dict[str, Any]) -> dict[str, Any]:
    """The one-off grid precompute, then random slider moves answered by ``figures()``; the
    naive baseline answers the same moves with a DuckDB COUNT over the scored leads."""
    import duckdb
    import numpy as np

    from calibrate import fmt  # noqa: F401 - plotly imported before timing
    from calibrate.data import store
    from calibrate.decide.tradeoff import figures
    from calibrate.decide.workshop import last_months, rules_of, scored_sql, workshop_grid
    from calibrate.model.weights import latest_weights

    con = duckdb.connect(spec["db"], read_only=True)
    weights = latest_weights(con, store.data_version(con))
    if weights is None:
        raise RuntimeError("no saved weights in the database (the fit stage saves them)")
    rules = rules_of(weights)
    t0 = time.perf_counter()
    grid = workshop_grid(con, weights, rules)
    t1 = time.perf_counter()
    months = last_months(grid, APP_WINDOW_MONTHS)
    cube = grid.cube(months, None)
    t2 = time.perf_counter()
    rss = peak_rss()
    base = _app_settings(months)
    rng = np.random.default_rng(int(spec.get("seed", 7)))
    moves = [(int(p), int(b)) for p, b in rng.integers(0, 101, size=(int(spec["moves"]), 2))]
    figures(cube, base)  # warm-up (first-call costs), not counted
    fig_ms, answers = [], []
    for p, b in moves:
        s = replace(base, min_profile=p, min_behavior=b)
        t = time.perf_counter_ns()
        f = figures(cube, s)
        fig_ms.append((time.perf_counter_ns() - t) / 1e6)
        answers.append((f.mqls, f.wins, f.closed, f.mqls_per_month))

    panel: dict[str, Any]
    try:
        _panel(cube, base)  # warm-up
        panel_ms: list[float] = []
        parts: dict[str, list[float]] = {}
        for p, b in moves[: int(spec.get("panel_moves", 50))]:
            s = replace(base, min_profile=p, min_behavior=b)
            t = time.perf_counter_ns()
            _panel(cube, s, parts)
            panel_ms.append((time.perf_counter_ns() - t) / 1e6)
        panel = {**percentiles(panel_ms),
                 "parts_p50_ms": {k: statistics.median(v) for k, v in parts.items()}}
    except Exception as exc:  # the extra must not sink the stage if the UI helpers change
        panel = {"error": f"{type(exc).__name__}: {exc}"}

    # Naive baseline: the scored leads materialised once, one COUNT query per move.
    t = time.perf_counter()
    con.execute(
        "CREATE TEMP TABLE _naive_scored AS SELECT "
        "least(greatest(coalesce(CAST(round(profile_points) AS INTEGER), 0), 0), 100) AS p, "
        "least(greatest(coalesce(CAST(round(behavior_points) AS INTEGER), 0), 0), 100) AS b, "
        "CASE WHEN starts_with(rule, 'disqualified') THEN 2 "
        "WHEN starts_with(rule, 'qualified') THEN 1 ELSE 0 END AS k, "
        "coalesce(CAST(outcome AS VARCHAR), 'open') AS outcome, "
        "CAST(date_trunc('month', month) AS DATE) AS month "
        f"FROM ({scored_sql(con, weights, rules)}) AS s")
    naive_pre = time.perf_counter() - t
    query = _naive_query(months)
    n_months = len(months) if months else cube.months
    naive_ms, agree = [], 0
    for (p, b), (mqls, wins, closed, per_month) in zip(moves, answers, strict=True):
        t = time.perf_counter_ns()
        row = con.execute(query, {"p": p, "b": b}).fetchone()
        naive_per_month = row[0] / n_months
        naive_ms.append((time.perf_counter_ns() - t) / 1e6)
        agree += (row[0], row[1], row[2]) == (mqls, wins, closed) and \
            abs(naive_per_month - per_month) < 1e-9
    con.close()

    # A profile threshold where one step changes the MQL figure as the app shows it, so the
    # browser stage can alternate between two values that both redraw the metric.
    shown = [fmt.per_month(figures(cube, replace(base, min_profile=p, min_behavior=50))
                           .mqls_per_month) for p in range(101)]
    starts = [p for p in range(100) if shown[p] != shown[p + 1]]
    start = min(starts, key=lambda p: (abs(p - 50), p)) if starts else 50
    return {
        "precompute_seconds": t2 - t0, "grid_seconds": t1 - t0, "cube_seconds": t2 - t1,
        "grid_rows": int(len(grid.frame)), "peak_rss": rss,
        "window_months": len(months) if months else None,
        "figures": percentiles(fig_ms), "panel": panel,
        "naive": {"precompute_seconds": naive_pre, **percentiles(naive_ms),
                  "agree": agree, "moves": len(moves)},
        "browser_profile_start": start,
    }


# ----------------------------------------------------------------------------- browser

_OBSERVER_JS = """(label) => {
  const find = () => {
    for (const m of document.querySelectorAll('[data-testid=stMetric]')) {
      if (m.innerText.includes(label)) return m.querySelector('[data-testid=stMetricValue]');
    }
    return null;
  };
  window.__seq = 0; window.__frames = 0; window.__t0 = null; window.__t1 = null;
  window.__t1f = null;
  let el = find();
  window.__last = el ? el.innerText : null;
  window.__sent = null;
  document.addEventListener('keydown', () => {
    window.__t0 = performance.now(); window.__sent = null;
  }, true);
  new MutationObserver(() => {
    if (!el || !el.isConnected) el = find();
    const text = el ? el.innerText : null;
    if (text !== null && text !== window.__last) {
      window.__last = text; window.__t1 = performance.now(); window.__seq += 1;
      const seq = window.__seq;
      requestAnimationFrame(() => {
        if (window.__seq === seq) { window.__t1f = performance.now(); window.__frames = seq; }
      });
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


#: Installed before the app loads: stamps the first websocket message sent after a keydown
#: (Streamlit's BackMsg carrying the new slider value), to split client and server time.
_SEND_HOOK_JS = """(() => {
  const send = WebSocket.prototype.send;
  WebSocket.prototype.send = function (data) {
    if (window.__t0 !== undefined && window.__t0 !== null && window.__sent === null) {
      window.__sent = performance.now();
    }
    return send.call(this, data);
  };
})();"""


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def stage_browser(spec: dict[str, Any]) -> dict[str, Any]:
    """The real app under ``streamlit run`` in headless Chromium: key presses on the profile
    slider, timed from the keydown until the MQL metric's text changes."""
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import assert_no_exception, browser, streamlit_server, wait_idle

    db = Path(spec["db"])
    presses = int(spec["presses"])
    start = int(spec.get("profile_start") or 50)
    with (tempfile.TemporaryDirectory(prefix="chromium-", dir=db.parent) as profile,
          streamlit_server(db) as url, browser(Path(profile), downloads=False) as ctx):
        server = [p for p in _children(os.getpid())
                  if b"streamlit" in Path(f"/proc/{p}/cmdline").read_bytes()]
        page = ctx.new_page()
        page.add_init_script(_SEND_HOOK_JS)
        t0 = time.perf_counter()
        page.goto(url)
        page.locator("[data-testid=stMetric]", has_text=METRIC).first.wait_for(
            timeout=600_000)
        wait_idle(page, 600_000)
        first_load = time.perf_counter() - t0
        # A tab's first view draws its charts half a second after its figures: the presses
        # start once they are drawn, as a user's would.
        page.locator("[data-testid=stPlotlyChart] .main-svg").first.wait_for(timeout=600_000)
        wait_idle(page, 120_000)
        assert_no_exception(page)
        slider = page.get_by_role("slider", name="Minimum profile score")
        slider.focus()
        if start != 50:  # move to where one step redraws the metric
            key = "ArrowRight" if start > 50 else "ArrowLeft"
            for _ in range(abs(start - 50)):
                slider.press(key)
            wait_idle(page, 120_000)
        page.evaluate(_OBSERVER_JS, METRIC)
        in_page, frame, round_trip, to_idle, to_send, after_send = [], [], [], [], [], []
        for i in range(presses):
            seq = page.evaluate("window.__seq")
            t = time.perf_counter()
            slider.press("ArrowRight" if i % 2 == 0 else "ArrowLeft")
            page.wait_for_function("(n) => window.__seq > n", arg=seq, timeout=60_000)
            round_trip.append((time.perf_counter() - t) * 1e3)
            wait_idle(page, 120_000)
            to_idle.append((time.perf_counter() - t) * 1e3)
            page.wait_for_function("(n) => window.__frames > n", arg=seq, timeout=60_000)
            t0, t1, t1f, sent = page.evaluate(
                "[window.__t0, window.__t1, window.__t1f, window.__sent]")
            in_page.append(float(t1 - t0))
            frame.append(float(t1f - t0))
            if sent is not None and sent <= t1:
                to_send.append(float(sent - t0))
                after_send.append(float(t1 - sent))
        assert_no_exception(page)
        server_rss = process_peak_rss(server[0]) if server else None
    return {"presses": presses, "profile_start": start, "first_load_seconds": first_load,
            "in_page": percentiles(in_page), "in_page_frame": percentiles(frame),
            "round_trip": percentiles(round_trip),
            "to_idle": percentiles(to_idle), "key_to_send": percentiles(to_send),
            "send_to_change": percentiles(after_send), "server_peak_rss": server_rss,
            "peak_rss": peak_rss()}


# ----------------------------------------------------------------------------- start-up
#
# Issue 19: how long a person waits for the first MQL figure after opening the app (a fresh
# ``streamlit run`` on a database whose weights and count grid exist), and for the Weights
# page's points table.

#: Installed before the app loads: stamps ``performance.now()`` (milliseconds from the
#: navigation's start) when the first MQL figure, the first plotly chart and the first
#: points table appear, and again on the first animation frame after each (what can be seen);
#: also when Streamlit's page is loaded (``shell``), its websocket opens (``connected``) and
#: the first script run starts and ends as the page sees it (``run``, ``run_end``); and, once
#: a click lands (``click``), when the Weights page's table is on screen (``nav_table``).
_STARTUP_JS = """(() => {
  window.__startup = {};
  const seen = (name, found) => {
    if (!found || (name in window.__startup)) return;
    window.__startup[name] = performance.now();
    requestAnimationFrame(() => { window.__startup[name + '_frame'] = performance.now(); });
  };
  const stamp = (name) => {
    if (!(name in window.__startup)) window.__startup[name] = performance.now();
  };
  window.addEventListener('load', () => stamp('shell'));
  const Socket = window.WebSocket;
  window.WebSocket = function (...args) {
    const ws = new Socket(...args);
    ws.addEventListener('open', () => stamp('connected'));
    return ws;
  };
  window.WebSocket.prototype = Socket.prototype;
  const check = () => {
    const app = document.querySelector('[data-testid=stApp]');
    const state = app && app.getAttribute('data-test-script-state');
    if (state === 'running') stamp('run');
    if (state === 'notRunning' && ('run' in window.__startup)) stamp('run_end');
    let metric = false;
    for (const m of document.querySelectorAll('[data-testid=stMetric]')) {
      if (m.innerText.includes('MQLs per month')
          && m.querySelector('[data-testid=stMetricValue]')) { metric = true; break; }
    }
    seen('figure', metric);
    seen('chart', document.querySelector('[data-testid=stPlotlyChart] .main-svg'));
    seen('table', document.querySelector('[data-testid=stDataFrame] canvas'));
    if ('click' in window.__startup) {  // opened from the app's own navigation
      const title = document.querySelector('h1');
      seen('nav_table', title && title.innerText.startsWith('Weights')
                        && document.querySelector('[data-testid=stDataFrame] canvas'));
    }
  };
  document.addEventListener('click', () => stamp('click'), true);
  new MutationObserver(check).observe(document, {subtree: true, childList: true,
                                                 attributes: true, characterData: true});
})();"""


def _startup_marks(page: Any) -> dict[str, float]:
    """The page's stamps (see :data:`_STARTUP_JS`) in seconds from the navigation's start."""
    marks = page.evaluate("window.__startup") or {}
    return {k: float(v) / 1e3 for k, v in marks.items() if v is not None}


def _startup_stamp(page: Any, name: str, timeout_ms: float) -> float:
    """Seconds from the navigation's start to the first frame showing ``name``."""
    page.wait_for_function(f"() => window.__startup && window.__startup.{name}_frame "
                           "!== undefined", timeout=timeout_ms)
    return float(page.evaluate(f"window.__startup.{name}_frame")) / 1e3


def _startup_round(db: Path, folder: Path, timeout_ms: float) -> dict[str, Any]:
    """One fresh server and one fresh browser context: the Thresholds page from the
    navigation to its first MQL figure, first chart and finished run; a click on Weights
    in the app's navigation to its points table (the page's first visit in the server's
    life); then the Weights page in a second tab, to its points table and finished run."""
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import assert_no_exception, browser, streamlit_server, wait_idle

    t_start = time.perf_counter()
    with (tempfile.TemporaryDirectory(prefix="chromium-", dir=folder) as profile,
          streamlit_server(db) as url):
        server_start = time.perf_counter() - t_start
        with browser(Path(profile), downloads=False) as ctx:
            page = ctx.new_page()
            page.add_init_script(_STARTUP_JS)
            t0 = time.perf_counter()
            page.goto(url)
            figure = _startup_stamp(page, "figure", timeout_ms)
            figure_python = time.perf_counter() - t0
            chart = _startup_stamp(page, "chart", timeout_ms)
            wait_idle(page, timeout_ms)
            idle = time.perf_counter() - t0
            marks = _startup_marks(page)
            assert_no_exception(page)
            click = _weights_click(page, timeout_ms)

            weights = ctx.new_page()  # a new session of the same browser, as a second tab
            weights.add_init_script(_STARTUP_JS)
            t0 = time.perf_counter()
            weights.goto(f"{url}/weights")
            table = _startup_stamp(weights, "table", timeout_ms)
            table_python = time.perf_counter() - t0
            wait_idle(weights, timeout_ms)
            weights_idle = time.perf_counter() - t0
            weights_marks = _startup_marks(weights)
            assert_no_exception(weights)
    # Where the seconds go, as the page saw them: Streamlit's page loaded, its websocket
    # open, the first script run on the server (imports, store, weights, grid, figures,
    # charts: the run's end as the page learns it), then the browser drawing the figure.
    phases = {"shell_seconds": marks.get("shell"), "connected_seconds": marks.get("connected"),
              "run_end_seconds": marks.get("run_end"),
              "weights_run_end_seconds": weights_marks.get("run_end")}
    return {"seconds": figure, "figure_python_seconds": figure_python,
            "chart_seconds": chart, "idle_seconds": idle, "server_start_seconds": server_start,
            "weights_seconds": table, "weights_python_seconds": table_python,
            "weights_idle_seconds": weights_idle, "weights_click_seconds": click,
            **{k: v for k, v in phases.items() if v is not None}}


def _weights_click(page: Any, timeout_ms: float) -> float:
    """Seconds from a click on Weights in the app's navigation (the page idle before it)
    to the first frame showing its points table: opening the page as a person does."""
    page.get_by_role("link", name="Weights").first.click()
    _startup_stamp(page, "nav_table", timeout_ms)
    marks = page.evaluate("window.__startup")
    return float(marks["nav_table_frame"] - marks["click"]) / 1e3


def _bare_round(db: Path, folder: Path, timeout_ms: float) -> dict[str, float]:
    """The peer of :func:`_startup_round`: a fresh server on ``benchmarks/bare_app.py`` (bare
    Streamlit pages with one MQL figure, and a points table at ``/weights``) and a fresh
    browser context, seconds from the navigation to each on screen: Streamlit's and the
    browser's own share."""
    import tempfile

    sys.path.insert(0, str(ROOT / "tests"))
    from browser import browser, streamlit_server, wait_idle

    with (tempfile.TemporaryDirectory(prefix="chromium-", dir=folder) as profile,
          streamlit_server(db, script=ROOT / "benchmarks" / "bare_app.py") as url,
          browser(Path(profile), downloads=False) as ctx):
        page = ctx.new_page()
        page.add_init_script(_STARTUP_JS)
        page.goto(url)
        figure = _startup_stamp(page, "figure", timeout_ms)
        wait_idle(page, timeout_ms)
        click = _weights_click(page, timeout_ms)
        weights = ctx.new_page()
        weights.add_init_script(_STARTUP_JS)
        weights.goto(f"{url}/weights")
        return {"bare_seconds": figure, "bare_weights_click_seconds": click,
                "bare_weights_seconds": _startup_stamp(weights, "table", timeout_ms)}


def _startup_parts(spec: dict[str, Any]) -> dict[str, Any]:
    """In a fresh process, what the app's first runs do besides Streamlit itself, step by
    step: the imports of ``app.py``, opening the store, the weights, the count grid (read
    from the store), the Thresholds panel's figures and charts, and the Weights page's
    charts and no-decision comparison."""
    code = ("import json, sys; from benchmarks.stages import startup_parts; "
            "print(json.dumps(startup_parts(sys.argv[1])))")
    import subprocess

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    done = subprocess.run([sys.executable, "-c", code, spec["db"]], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=spec.get("timeout"))
    if done.returncode:
        raise RuntimeError("the start-up parts failed: " + done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def startup_parts(db: str) -> dict[str, Any]:
    """The steps of :func:`_startup_parts`, timed in this (fresh) process."""
    import logging

    logging.disable(logging.WARNING)  # Streamlit's "no runtime" warnings outside a server
    steps: dict[str, float] = {}
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        steps[name] = now - clock[0]
        clock[0] = now

    import streamlit  # noqa: F401

    lap("import streamlit")
    import plotly.graph_objects  # noqa: F401

    lap("import plotly")
    for module in ("access", "data", "export", "scenarios", "sidebar", "thresholds",
                   "weights"):  # as app.py imports them
        importlib.import_module(f"calibrate.ui.{module}")
    lap("import calibrate's pages")
    from calibrate.decide.workshop import last_months
    from calibrate.model.revisions import is_edited
    from calibrate.ui import charts
    from calibrate.workbench import Workbench

    wb = Workbench(db, keep_backups=0)
    lap("open the store")
    weights = wb.weights
    lap("the weights in force")
    grid = wb.grid()
    lap("the count grid")
    months = last_months(grid, APP_WINDOW_MONTHS)
    cube = grid.cube(months, None)
    lap("the default window's cube")
    _panel(cube, _app_settings(months))
    lap("the Thresholds panel's figures and 4 charts")
    for axis in ("profile", "behavior"):
        charts.weights_chart(weights.table, axis)
    lap("the Weights page's 2 charts")
    if is_edited(weights):
        wb.evaluate()
        lap("the edited points evaluated (a held-out fit)")
    wb.no_decision_comparison()
    lap("the Weights page's no-decision comparison (two held-out fits)")
    wb.close()
    return {"steps": steps, "grid_origin": grid.origin, "grid_rows": int(len(grid.frame))}


def stage_startup(spec: dict[str, Any]) -> dict[str, Any]:
    """The app's start-up on a database whose weights and count grid exist: in process, the
    steps of the first page runs (:func:`startup_parts`); then, unless ``browser`` is off,
    ``repeats`` rounds of a fresh ``streamlit run`` and a fresh browser context, timed from
    the navigation to the first MQL figure on screen, and to the Weights page's points
    table (median reported)."""
    from calibrate.workbench import Workbench

    db = Path(spec["db"])
    wait = float(spec.get("settle", SETTLE_SECONDS))
    with Workbench(db, keep_backups=0) as wb:  # untimed: what a previous start left behind
        t = time.perf_counter()
        weights = wb.weights
        grid = wb.grid()
        prepared = {"grid_origin": grid.origin, "grid_rows": int(len(grid.frame)),
                    "seconds": time.perf_counter() - t, "weights_id": weights.id,
                    "leads": wb.leads}
    settle(wait)
    parts = _startup_parts(spec)
    out: dict[str, Any] = {"prepared": prepared, "parts": parts}
    if not spec.get("browser", True):
        out["browser"] = {"skipped": spec.get("browser_skipped") or "no browser"}
        out["peak_rss"] = peak_rss()
        return out
    timeout_ms = float(spec.get("page_timeout", 600)) * 1e3
    rounds = []
    for _ in range(max(1, int(spec.get("repeats", 1)))):
        idle = settle(wait)
        load = os.getloadavg()[0]
        one = _startup_round(db, db.parent, timeout_ms)
        settle(wait)
        bare = _bare_round(db, db.parent, timeout_ms)
        rounds.append({**one, **bare, "idle_before": idle, "load_before": load})
    mid = _median_round(rounds)
    keys = {k for r in rounds for k in r if k.endswith("seconds")}
    out["browser"] = {
        **mid, "rounds": rounds,
        **{k: statistics.median(r[k] for r in rounds if k in r) for k in sorted(keys)}}
    out["peak_rss"] = peak_rss()
    return out


# ------------------------------------------------------------------------------- drift


def stage_drift(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 20: ``Workbench.drift()`` on the stored leads as ``calibrate drift`` runs it
    (read-only; the agreed weights, here the fit stage's weights in force; the first 6 months
    against each later one): one DuckDB pass scoring and counting every dated lead, then
    the PSI of the scores and attributes. ``repeats`` rounds, the machine settled before
    each; the median is reported."""
    from calibrate.workbench import Workbench

    wait = float(spec.get("settle", SETTLE_SECONDS))
    rounds: list[float] = []
    with Workbench(spec["db"], read_only=True, keep_backups=0) as wb:
        leads = wb.leads
        for _ in range(max(1, int(spec.get("repeats", 1)))):
            settle(wait)
            t = time.perf_counter()
            result = wb.drift()
            rounds.append(time.perf_counter() - t)
    return {"seconds": statistics.median(rounds), "rounds": rounds, "peak_rss": peak_rss(),
            "leads": leads, "undated": result.undated, "reference": list(result.reference),
            "reference_leads": result.reference_leads, "months": len(result.months),
            "attributes": len(result.summary),
            "shifted": [r["attribute"] for r in result.summary if r["flag"] == "shifted"]}


# ---------------------------------------------------------------------------- backtest


def stage_backtest(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 20: ``Workbench.backtest(6)`` on the stored leads as ``calibrate backtest --split
    6`` runs it (read-only; the fit stage's weights in force and, no scenario being saved,
    the Thresholds screen's default thresholds): a refit on the leads before the last 6
    months (a uniform sample above 250,000 closed leads), the count grid of its points over
    the 12 months before the cut and the 6 after, the projection and its range against each
    month after the cut. ``repeats`` rounds, the machine settled before each; the median is
    reported, with the steps of the median round."""
    from calibrate.workbench import Workbench

    wait = float(spec.get("settle", SETTLE_SECONDS))
    rounds: list[dict[str, Any]] = []
    with Workbench(spec["db"], read_only=True, keep_backups=0) as wb:
        leads = wb.leads
        for _ in range(max(1, int(spec.get("repeats", 1)))):
            settle(wait)
            marks: list[tuple[str, float]] = []

            def mark(step: str, marks: list[tuple[str, float]] = marks) -> None:
                marks.append((step, time.perf_counter()))

            t = time.perf_counter()
            result = wb.backtest(int(spec.get("split", 6)), progress=mark)
            end = time.perf_counter()
            ends = [m[1] for m in marks[1:]] + [end]
            rounds.append({"seconds": end - t, "steps": {
                step: stop - start for (step, start), stop in zip(marks, ends, strict=True)}})
    mid = _median_round(rounds)
    return {"seconds": statistics.median(r["seconds"] for r in rounds),
            "rounds": [r["seconds"] for r in rounds], "steps": mid["steps"],
            "peak_rss": peak_rss(), "leads": leads, "cut": result.cut,
            "closed_before": result.closed_before, "fitted_leads": result.fitted_leads,
            "sampled": result.sampled, "window_months": result.window_months,
            "after_months": result.after_months, "thresholds": result.thresholds,
            "mqls_inside": result.mqls_inside, "wins_inside": result.wins_inside,
            "headline": result.headline}


# ---------------------------------------------------------------------------- postgres

#: The Postgres table the leads are loaded into for :func:`stage_postgres_in_place`.
PG_TABLE = "leads"


class ArrowBytes:
    """Counts what calibrate receives from PostgreSQL: the Arrow bytes (``nbytes``, in memory,
    not wire bytes) of every result ADBC hands over (record batch streams and whole tables),
    and the seconds spent pulling them. Patches ``adbc_driver_manager.dbapi.Cursor``."""

    def __init__(self) -> None:
        self.bytes = 0
        self.rows = 0
        self.results = 0
        self.seconds = 0.0
        self._undo: list[tuple[Any, str, Any]] = []

    def install(self) -> None:
        import adbc_driver_manager.dbapi as dbapi
        import pyarrow as pa

        cls = dbapi.Cursor
        batches, table = cls.fetch_record_batch, cls.fetch_arrow_table
        counter = self

        def fetch_record_batch(cur: Any) -> Any:
            reader = batches(cur)
            counter.results += 1

            def counted() -> Iterator[Any]:
                while True:
                    t = time.perf_counter()
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        counter.seconds += time.perf_counter() - t
                        return
                    counter.seconds += time.perf_counter() - t
                    counter.bytes += batch.nbytes
                    counter.rows += batch.num_rows
                    yield batch

            return pa.RecordBatchReader.from_batches(reader.schema, counted())

        def fetch_arrow_table(cur: Any) -> Any:
            t = time.perf_counter()
            got = table(cur)
            counter.seconds += time.perf_counter() - t
            counter.results += 1
            counter.bytes += got.nbytes
            counter.rows += got.num_rows
            return got

        self._undo = [(cls, "fetch_record_batch", batches), (cls, "fetch_arrow_table", table)]
        cls.fetch_record_batch = fetch_record_batch
        cls.fetch_arrow_table = fetch_arrow_table

    def restore(self) -> None:
        for owner, name, fn in self._undo:
            setattr(owner, name, fn)
        self._undo.clear()

    def figures(self) -> dict[str, Any]:
        return {"bytes": self.bytes, "rows": self.rows, "results": self.results,
                "fetch_seconds": self.seconds}


def _pg_load(server: Any, spec: dict[str, Any]) -> dict[str, Any]:
    """Load the leads into a Postgres table: the typed ``leads`` table of a benchmark store
    (``spec["store"]``, renamed back to the source's headers from its ``columns`` table:
    in place needs numbers as numbers and dates as dates) or a Parquet file
    (``spec["source"]``, typed as it is); ``spec["n"]`` rows at most."""
    import duckdb

    from postgres import copy_from_duckdb

    duck = duckdb.connect()
    if spec.get("store"):
        duck.execute(f"ATTACH '{spec['store']}' AS s (READ_ONLY)")
        cols = duck.execute("SELECT name, source_name FROM s.columns ORDER BY position"
                            ).fetchall()
        select = ", ".join(f'"{n}" AS "{src}"' for n, src in cols)
        relation = f"SELECT {select} FROM s.leads"
    else:
        relation = f"SELECT * FROM read_parquet('{spec['source']}')"
    if spec.get("n"):
        relation += f" LIMIT {int(spec['n'])}"
    duck.execute(f"CREATE VIEW src AS {relation}")
    server.create_database("bench")
    t = time.perf_counter()
    with server.connect("bench", autocommit=True) as pg:
        types = copy_from_duckdb(pg, PG_TABLE, duck, "src")
        pg.execute(f"ANALYZE {PG_TABLE}")
        rows = int(pg.execute(f"SELECT count(*) FROM {PG_TABLE}").fetchone()[0])
        size = int(pg.execute(f"SELECT pg_total_relation_size('{PG_TABLE}')").fetchone()[0])
    duck.close()
    return {"rows": rows, "seconds": time.perf_counter() - t, "table_bytes": size,
            "types": types}


def _pg_path(url: str, db: Path, in_place: bool, wait: float) -> dict[str, Any]:
    """One path, timed end to end in this process: ``Workbench(db).ingest(url, table=...)``
    then ``fit()`` and ``grid()`` (copying first), or ``ingest(..., in_place=True)`` (which
    fits and counts the grid itself) then ``grid()`` read back."""
    from calibrate import in_place as in_place_module
    from calibrate.data import frames
    from calibrate.workbench import Workbench

    remove_db(db)
    counter = ArrowBytes()
    timer = SelfTimer()
    timer.wrap(frames, ["ingest_database"])
    timer.wrap(in_place_module, ["count_rows", "sample_key", "source_grid"])
    idle = settle(wait)
    reset = reset_peak_rss()
    counter.install()
    steps: dict[str, float] = {}
    try:
        t0 = time.perf_counter()
        wb = Workbench(db, keep_backups=0)
        with quiet():
            if in_place:
                report = wb.ingest(url, table=PG_TABLE, in_place=True)
                t1 = time.perf_counter()
                weights = report.weights
                grid = wb.grid()
                end = time.perf_counter()
                steps["count rows in the source"] = timer.times.get("count_rows", 0.0)
                steps["pick the sample's key (the first 10,000 rows)"] = timer.times.get(
                    "sample_key", 0.0)
                steps["read the sample and ingest it"] = timer.times.get("ingest_database", 0.0)
                steps["grid counted in the source"] = timer.times.get("source_grid", 0.0)
                steps["fit and the rest of ingest(in_place=True)"] = (
                    t1 - t0 - sum(steps.values()))
                steps["grid() read back"] = end - t1
                rows_read = int(report.sample.rows_read)
            else:
                report = wb.ingest(url, table=PG_TABLE)
                t1 = time.perf_counter()
                weights = wb.fit()
                t2 = time.perf_counter()
                grid = wb.grid()
                end = time.perf_counter()
                steps = {"ingest (read the whole table, load)": t1 - t0, "fit": t2 - t1,
                         "grid": end - t2}
                rows_read = int(report.rows_read)
        secs = end - t0
    finally:
        counter.restore()
        timer.restore()
    rss = peak_rss() if reset else None
    leads = wb.leads
    wb.close()
    return {"seconds": secs, "steps": steps, "moved": counter.figures(), "peak_rss": rss,
            "db_bytes": db.stat().st_size + (Path(f"{db}.wal").stat().st_size
                                             if Path(f"{db}.wal").exists() else 0),
            "auc": float(weights.metrics.get("auc", float("nan"))),
            "grid_leads": int(grid.frame["leads"].sum()), "grid_rows": int(len(grid.frame)),
            "rows_read": rows_read, "leads": int(leads), "idle_before": idle}


def stage_postgres_path(spec: dict[str, Any]) -> dict[str, Any]:
    """One path of :func:`stage_postgres_in_place` in a fresh process of its own (so that
    its peak RSS is its own): ``spec`` gives the server's ``url``, the DuckDB file ``db``
    and ``in_place``."""
    return _pg_path(spec["url"], Path(spec["db"]), bool(spec["in_place"]),
                    float(spec.get("settle", SETTLE_SECONDS)))


def _child(stage: str, spec: dict[str, Any], spec_path: Path, out_path: Path, what: str,
           timeout: float | None) -> dict[str, Any]:
    """Run stage ``stage`` on ``spec`` in a fresh interpreter (so that its peak RSS is its
    own); its JSON result, or a RuntimeError saying how ``what`` failed."""
    import subprocess

    spec_path.write_text(json.dumps(spec, indent=1))
    out_path.unlink(missing_ok=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])}
    done = subprocess.run([sys.executable, "-m", "benchmarks.stages", stage,
                           str(spec_path), str(out_path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)
    if not out_path.exists():
        raise RuntimeError(f"{what} exited with {done.returncode}: " + done.stderr[-2000:])
    result = json.loads(out_path.read_text())
    if "error" in result:
        raise RuntimeError(f"{what} failed: {result['error']}\n"
                           + result.get("traceback", ""))
    return result


def _pg_child(spec: dict[str, Any], folder: Path, name: str,
              timeout: float | None) -> dict[str, Any]:
    """Run :func:`stage_postgres_path` in a fresh interpreter; its JSON result."""
    return _child("postgres_path", spec, folder / f"pg_{name}.spec.json",
                  folder / f"pg_{name}.result.json", f"the {name} path", timeout)


def stage_postgres_in_place(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 21: leads held in a real PostgreSQL table (a private server from
    ``tests/postgres.py``, its cluster under the temporary folder and removed afterwards),
    read by calibrate two ways, each in a fresh process of its own (the machine settled
    and the peak RSS reset after its imports): copying first (``ingest(url, table=T)``,
    every row read via ADBC into DuckDB, then ``fit()`` and ``grid()``) and in place
    (``ingest(url, table=T, in_place=True)``: a sample of at most 250,000 rows picked in
    the source, fitted in memory, the count grid counted in Postgres). Bytes moved: the
    Arrow bytes of every result calibrate received (:class:`ArrowBytes`), the same measure
    for both paths."""
    sys.path.insert(0, str(ROOT / "tests"))
    import postgres

    wait = float(spec.get("settle", SETTLE_SECONDS))
    folder = Path(spec["folder"])
    folder.mkdir(parents=True, exist_ok=True)
    out: dict[str, Any] = {}
    with postgres.running(folder, settings={"shared_buffers": "256MB"}) as server:
        out["load"] = _pg_load(server, spec)
        url = server.url("bench")
        for name, in_place in (("in_place", True), ("copy", False)):
            out[name] = _pg_child({"url": url, "db": str(folder / f"pg_{name}.duckdb"),
                                   "in_place": in_place, "settle": wait}, folder, name,
                                  spec.get("timeout"))
    for name in ("in_place", "copy"):
        remove_db(folder / f"pg_{name}.duckdb")  # its size is kept in db_bytes
    out["peak_rss"] = max(out["in_place"]["peak_rss"] or 0, out["copy"]["peak_rss"] or 0)
    out["moved_measure"] = ("Arrow bytes (nbytes) of every result received through ADBC, "
                            "in memory, not wire bytes")
    return out


# ----------------------------------------------------------------- Parquet in place

#: Leads generated (and typed) at once for :func:`typed_parquet`: ~2.5 GB peak RSS at 2M.
PARQUET_CHUNK = 2_000_000
#: The date formats the benchmark generator writes.
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y")


def _typed_select(columns: list[Any]) -> str:
    """DuckDB SELECT over the generator's all-text chunk ``_chunk``: each column typed as
    in place needs it, by the stored column types of a small load of the same generator
    (numbers as DOUBLE without "$ , %", dates as TIMESTAMP, placeholders NULL, the outcome
    labels as written); the rule of tests/test_grid_sql.py ``warehouse``."""
    from calibrate.sql import literal, quote
    from calibrate.vocabulary import PLACEHOLDERS

    missing = ", ".join(literal(p) for p in sorted({p.strip().lower() for p in PLACEHOLDERS}
                                                   | {""}))
    out = []
    for c in columns:
        if not c.source_name:
            continue
        col = quote(c.source_name)
        if c.type == "numeric":
            number = f"TRY_CAST(regexp_replace({col}, '[$€£%,\\s]', '', 'g') AS DOUBLE)"
            expr = f"CASE WHEN isfinite({number}) THEN {number} END"
        elif c.type == "date":
            expr = "coalesce(" + ", ".join(f"try_strptime({col}, {literal(f)})"
                                           for f in _DATE_FORMATS) + ")"
        elif c.role == "outcome":
            expr = col
        else:
            expr = f"CASE WHEN lower(trim({col})) IN ({missing}) THEN NULL ELSE {col} END"
        out.append(f"{expr} AS {col}")
    return "SELECT " + ", ".join(out) + " FROM _chunk"


def typed_parquet(folder: Path, n: int, seed: int, chunk: int = PARQUET_CHUNK
                  ) -> dict[str, Any]:
    """``n`` leads of the benchmark generator (:mod:`calibrate.tools.sample`, its distinct
    leads: no duplicate rows) as clean typed Parquet files in ``folder``, one per chunk of
    ``chunk`` leads, written without any CSV: at most one chunk in memory (peak RSS ~1.2 GB
    per million leads of ``chunk``). A complete folder (its ``_complete.json``) is reused."""
    import resource
    import tempfile

    import duckdb

    from calibrate.data import store
    from calibrate.data.ingest import ingest
    from calibrate.tools import sample
    from calibrate.tools.sample.columns import DEFAULT_END
    from calibrate.tools.sample.leads import lead_chunks

    done = folder / "_complete.json"
    if done.exists():
        return {**json.loads(done.read_text()), "generated_seconds": None}
    t = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.parquet"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:  # the column types, from a small load
        small = Path(tmp) / "small.csv"
        sample.write(small, n=20_000, seed=seed)
        con = store.connect_memory()
        ingest(con, small, replace=True)
        select = _typed_select(store.read_columns(con))
        con.close()
    duck = duckdb.connect()
    rows = 0
    for i, (table, _, _) in enumerate(lead_chunks(n, seed, 24, DEFAULT_END, chunk)):
        duck.register("_chunk", table)
        part = folder / f"part-{i:05d}.parquet"
        duck.execute(f"COPY ({select}) TO '{part}' (FORMAT parquet, COMPRESSION zstd)")
        duck.unregister("_chunk")
        rows += table.num_rows
        del table
    duck.close()
    info = {"rows": rows, "files": len(list(folder.glob("*.parquet"))),
            "bytes": sum(f.stat().st_size for f in folder.glob("*.parquet")),
            "seed": seed, "chunk": chunk,
            "generated_seconds": time.perf_counter() - t,
            "generator_peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024}
    done.write_text(json.dumps(info, indent=1))
    return info


def stage_parquet_path(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 21, timed in a fresh process from its start: ``Workbench(db).ingest(folder,
    in_place=True)`` on typed Parquet files (a sample read and fitted in memory, the count
    grid counted by DuckDB over every file), until weights and grid are stored. Peak RSS:
    the process's ``VmHWM`` (imports included)."""
    import resource

    started = float(spec["process_started"])  # time.time() just before the parent spawned us
    t_import = time.perf_counter()
    from calibrate import in_place as in_place_module
    from calibrate.data.parquet_source import ParquetSource
    from calibrate.workbench import Workbench

    imports = time.perf_counter() - t_import
    db = Path(spec["db"])
    remove_db(db)
    if not spec.get("in_place", True):
        return _parquet_copy(spec, db, started, imports)
    timer = SelfTimer()
    timer.wrap(in_place_module, ["count_rows", "sample_key", "source_as_of", "source_grid"])
    timer.wrap(ParquetSource, ["ingest_rows"])
    try:
        t0 = time.perf_counter()
        with quiet():
            wb = Workbench(db, keep_backups=0)
            report = wb.ingest(spec["folder"], in_place=True)
            wb.close()
        end = time.perf_counter()
        done_at = time.time()
    finally:
        timer.restore()
    steps = {"count rows (Parquet metadata)": timer.times.get("count_rows", 0.0),
             "pick the sample's key (the first 10,000 rows)": timer.times.get("sample_key", 0.0),
             "read the sample (hash of the lead id) and ingest it":
                 timer.times.get("ingest_rows", 0.0),
             "newest date in the source": timer.times.get("source_as_of", 0.0),
             "grid counted by DuckDB over every row": timer.times.get("source_grid", 0.0)}
    steps["fit and the rest of ingest(in_place=True)"] = end - t0 - sum(steps.values())
    wal = Path(f"{db}.wal")
    return {"seconds_from_process_start": done_at - started, "seconds_in_ingest": end - t0,
            "imports_seconds": imports, "steps": steps,
            # VmHWM: this process's own peak. ru_maxrss is reported too, but Linux carries
            # it over from the parent at fork and keeps it across exec.
            "peak_rss": peak_rss(),
            "ru_maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "db_bytes": db.stat().st_size + (wal.stat().st_size if wal.exists() else 0),
            "rows": int(report.record.rows), "rows_read": int(report.record.rows_read),
            "files": len(report.record.files),
            "auc": float(report.weights.metrics.get("auc", float("nan"))),
            "grid_leads": int(report.grid.leads), "grid_cells": int(len(report.grid.frame))}


#: Largest N at which the Parquet stage also times its peer, copying first (above it the
#: copy would take a quarter of an hour and most of the disk's free space).
PARQUET_COPY_MAX = 10_000_000


def _parquet_copy(spec: dict[str, Any], db: Path, started: float, imports: float
                  ) -> dict[str, Any]:
    """The peer of the in-place load, in the same kind of fresh process: the same files
    copied first (``Workbench(db).ingest(folder)``, every row cleaned and stored), fitted,
    and the count grid built from the stored leads, until weights and grid are stored."""
    from calibrate.workbench import Workbench

    steps: dict[str, float] = {}
    t0 = time.perf_counter()
    with quiet():
        wb = Workbench(db, keep_backups=0)
        t = time.perf_counter()
        wb.ingest(spec["folder"])
        steps["ingest (every row read, cleaned and stored)"] = time.perf_counter() - t
        t = time.perf_counter()
        weights = wb.fit()
        steps["fit"] = time.perf_counter() - t
        t = time.perf_counter()
        grid = wb.grid()
        steps["grid"] = time.perf_counter() - t
        rows = int(wb.leads)
        wb.close()
    end = time.perf_counter()
    done_at = time.time()
    wal = Path(f"{db}.wal")
    return {"seconds_from_process_start": done_at - started, "seconds_in_ingest": end - t0,
            "imports_seconds": imports, "steps": steps, "peak_rss": peak_rss(),
            "db_bytes": db.stat().st_size + (wal.stat().st_size if wal.exists() else 0),
            "rows": rows, "rows_read": rows, "files": 0,
            "auc": float(weights.metrics.get("auc", float("nan"))),
            "grid_leads": int(grid.leads), "grid_cells": int(len(grid.frame))}


def stage_parquet_in_place(spec: dict[str, Any]) -> dict[str, Any]:
    """Issue 21 for Parquet: ``spec["n"]`` leads generated as clean typed Parquet files
    (:func:`typed_parquet`, reused when complete), then loaded in place by a fresh process
    (:func:`stage_parquet_path`) once the machine has settled. The target: 100M leads under
    2 minutes and 8 GiB peak RSS."""

    folder = Path(spec["folder"])
    data = folder / f"typed_parquet_seed{int(spec.get('seed', 7))}"
    out: dict[str, Any] = {"data": typed_parquet(data, int(spec["n"]), int(spec.get("seed", 7)),
                                                 int(spec.get("chunk", PARQUET_CHUNK)))}
    db = folder / "parquet_in_place.duckdb"
    out["idle_before"] = settle(float(spec.get("settle", SETTLE_SECONDS)))
    t = time.perf_counter()
    result = _child("parquet_path", {"folder": str(data), "db": str(db),
                                     "process_started": time.time()},
                    folder / "parquet_path.spec.json", folder / "parquet_path.result.json",
                    "the in-place process", spec.get("timeout"))
    out["process_wall_seconds"] = time.perf_counter() - t
    remove_db(db)  # its size is kept in db_bytes
    out["in_place"] = result
    out["peak_rss"] = result["peak_rss"]
    if int(spec["n"]) <= int(spec.get("copy_max", PARQUET_COPY_MAX)):  # the peer
        settle(float(spec.get("settle", SETTLE_SECONDS)))
        out["copy"] = _child("parquet_path", {"folder": str(data), "db": str(db),
                                              "in_place": False,
                                              "process_started": time.time()},
                             folder / "parquet_copy.spec.json",
                             folder / "parquet_copy.result.json", "the copy-first process",
                             spec.get("timeout"))
        remove_db(db)
    return out


# -------------------------------------------------------------------------- components


def stage_components(spec: dict[str, Any]) -> dict[str, Any]:
    """Hand-written parts (solver, metrics, binning) against their library twins (issue 18;
    see :mod:`benchmarks.components`)."""
    from benchmarks.components import run_components

    return run_components(spec)


# ------------------------------------------------------------------------------- entry

STAGES: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "ingest": stage_ingest, "fit": stage_fit, "sklearn": stage_sklearn,
    "optbinning": stage_optbinning, "fit_e2e": stage_fit_e2e,
    "sklearn_e2e": stage_sklearn_e2e, "optbinning_e2e": stage_optbinning_e2e,
    "thresholds": stage_thresholds, "browser": stage_browser, "startup": stage_startup,
    "components": stage_components, "drift": stage_drift, "backtest": stage_backtest,
    "postgres_in_place": stage_postgres_in_place, "postgres_path": stage_postgres_path,
    "parquet_in_place": stage_parquet_in_place, "parquet_path": stage_parquet_path,
}


def main(argv: list[str]) -> int:
    stage, spec_path, out_path = argv
    spec = json.loads(Path(spec_path).read_text())
    try:
        result = STAGES[stage](spec)
    except Exception as exc:
        result = {"error": f"{type(exc).__name__}: {exc}",
                  "traceback": traceback.format_exc()[-4000:]}
    Path(out_path).write_text(json.dumps(result, indent=1, default=str))
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
