"""A smoke run of the benchmarks (issue 5) at a tiny size, so they cannot rot.

Runs every stage except the browser in its own process, as ``make bench`` does, on 3,000
leads, and checks that RESULTS.md has every stage and target with positive figures. The
optbinning baseline runs when optbinning is installed; without it the run must still pass,
with a note in its place (checked separately, so it is covered either way).
"""

from __future__ import annotations

import json
import math
import statistics

from benchmarks import report, run, stages

N = 3_000


def positive(x) -> bool:
    return isinstance(x, int | float) and math.isfinite(x) and x > 0


def test_smoke_run_measures_every_stage(tmp_path):
    out = tmp_path / "RESULTS.md"
    work = tmp_path / "work"
    code = run.main(["--sizes", str(N), "--work", str(work), "--out", str(out),
                     "--skip-browser", "--moves", "40", "--panel-moves", "3",
                     "--repeats", "2", "--settle", "1"])
    raw = json.loads((work / "results.json").read_text())  # named after the --out file
    st = raw["sizes"][str(N)]["stages"]
    errors = {k: v.get("traceback", v["error"]) for k, v in st.items() if "error" in v}
    assert code == 0 and not errors, errors

    for key in ("ingest_csv", "ingest_parquet"):
        s = st[key]
        assert all(positive(x) for x in (s["seconds"], s["peak_rss"], s["bare"]["seconds"],
                                         s["ratio"]))
        assert s["rows_loaded"] == N and s["bare"]["rows"] == s["rows_read"] >= N
        assert s["phases"] and s["steps"]
        rounds = s["rounds"]  # alternating with the bare read; the medians are reported
        assert len(rounds) == 2 and all(positive(r["bare_seconds"]) for r in rounds)
        assert s["seconds"] == statistics.median(r["seconds"] for r in rounds)
        assert s["ratio"] == s["seconds"] / statistics.median(r["bare_seconds"] for r in rounds)
    fit = st["fit"]
    assert positive(fit["seconds"]) and positive(fit["peak_rss"]) and 0.5 < fit["auc"] <= 1
    assert fit["attributes"] and positive(fit["train_rows"]) and positive(fit["test_rows"])
    baselines = [st["sklearn"]] + ([] if "skipped" in st["optbinning"] else [st["optbinning"]])
    for b in baselines:
        assert positive(b["seconds"]) and positive(b["peak_rss"]) and 0.5 < b["auc"] <= 1
        # the same split as the project's fit
        assert (b["train_rows"], b["test_rows"]) == (fit["train_rows"], fit["test_rows"])
    th = st["thresholds"]
    assert positive(th["precompute_seconds"]) and positive(th["peak_rss"])
    for d in (th["figures"], th["naive"], th["panel"]):
        assert positive(d["p50_ms"]) and positive(d["p95_ms"]) and d["p95_ms"] >= d["p50_ms"]
    assert th["figures"]["n"] == 40 and th["naive"]["agree"] == 40
    assert st["browser"] == {"skipped": "--skip-browser"}

    text = out.read_text()
    for heading in ("## Machine", "## Targets", f"## N = {N:,} leads", "Git commit:", "CPU:"):
        assert heading in text
    for stage in ("Ingest CSV: `ingest()`", "Ingest Parquet: `ingest()`",
                  "Fit: `suggested_weights()`", "scikit-learn pipeline",
                  "optbinning BinningProcess + Scorecard",
                  "Thresholds precompute", "Slider move: `figures()`",
                  "naive: one DuckDB COUNT query per move", "Browser round trip"):
        assert stage in text, stage
    verdicts = report.verdicts(N, st)
    targets = [v.target for v in verdicts]
    assert len(targets) == 7  # ingest, 2 x (speed, AUC), slider, browser; 10M ones not at 3k
    for v in verdicts:
        assert v.target in text
        assert v.status in ("preview", "n/a")  # 3k leads: below the judged sizes
    assert {v.status for v in verdicts if "Browser" in v.target} == {"n/a"}
    # The same figures judged as if they were measured at a judged size.
    judged = report.verdicts(report.TARGET_MIN_N, st)
    for v in judged:
        if v.status == "MISS":
            assert v.detail  # by how much
    assert all(v.status in ("PASS", "MISS") for v in judged
               if "Browser" not in v.target and "optbinning" not in v.target)


def test_without_optbinning_the_baseline_is_a_note(monkeypatch):
    monkeypatch.setenv(stages.NO_OPTBINNING_ENV, "1")
    result = stages.stage_optbinning({"baseline_spec": "not read when optbinning is missing"})
    assert set(result) == {"skipped"}
    fit = {"seconds": 1.0, "peak_rss": 2**28, "auc": 0.8, "split": {"kind": "time"},
           "counts": {"train": 80, "test": 20}, "attributes": ["a"], "levels": 3, "C": 1.0,
           "dropped": [], "steps": {"fit": 1.0}}
    sizes = {"3000": {"files": {}, "stages": {"fit": fit, "optbinning": result}}}
    text = report.render({"machine": run.machine(), "git": {"commit": "abc", "dirty": []},
                          "command": "python -m benchmarks.run", "started": "now",
                          "sizes": sizes})
    assert f"skipped: optbinning disabled by {stages.NO_OPTBINNING_ENV}=1" in text
    assert "| 3,000 | Fit at least 4x faster than optbinning | – | n/a: skipped" in text


def test_sizes_parse():
    assert run.parse_sizes("100000, 1M,10m,3k") == [100_000, 1_000_000, 10_000_000, 3_000]
