"""RESULTS.md from the raw results of :mod:`benchmarks.run`, with issue 5's targets judged."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# Issue 5's targets.
INGEST_RATIO_MAX = 1.5  # ingest CSV seconds / bare read_csv seconds
OPTBINNING_SPEEDUP_MIN = 4.0  # optbinning seconds / project fit seconds
SKLEARN_SPEEDUP_MIN = 1.5  # scikit-learn seconds / project fit seconds
AUC_TOLERANCE = 0.005  # project test AUC may trail a baseline's by at most this
# Issue 18: ``calibrate fit`` as a user runs it against the baselines with their CSV read.
E2E_OPTBINNING_SPEEDUP_MIN = 4.0  # optbinning end-to-end seconds / calibrate fit's
E2E_SKLEARN_SPEEDUP_MIN = 2.0  # scikit-learn end-to-end seconds / calibrate fit's
TARGET_MIN_N = 1_000_000  # issue 5 sets its targets at 1M and 10M; smaller runs are a preview
BIG_N = 10_000_000  # the fit time and memory targets apply from this size
BIG_FIT_SECONDS_MAX = 20.0
BIG_FIT_RSS_MAX = 4 * 1024**3
SLIDER_P95_MS_MAX = 5.0
BROWSER_P95_MS_MAX = 300.0
# Issue 19: the app's start-up on a database whose weights (and count grid) exist, from the
# navigation to the first MQL figure on screen: up to N leads, at most so many seconds (the
# issue sets none above 1M); and the Weights page's points table, the first time.
STARTUP_SECONDS_MAX = ((100_000, 2.0), (1_000_000, 5.0))
WEIGHTS_SECONDS_MAX = 1.0
STARTUP_MIN_N = 50_000  # the issue's sample; smaller runs are a preview
# Issue 20: drift (PSI of the scores and attributes, month by month) from the stored leads.
DRIFT_SECONDS_MAX = 10.0  # at BIG_N leads
# Issue 20: a backtest (refit before a cut, projection against the months after it).
BACKTEST_SECONDS_MAX = 10.0  # at BIG_N leads


@dataclass
class Verdict:
    n: int
    target: str
    measured: str
    status: str  # PASS, MISS or n/a
    detail: str = ""


# ------------------------------------------------------------------------- formatting


def _figure(x: float | None, unit: str, one_decimal_from: float, small_decimals: int) -> str:
    """Three significant figures or so: 0 decimals from 100, 1 from ``one_decimal_from``."""
    if x is None:
        return "–"
    if x >= 100:
        return f"{x:,.0f} {unit}"
    if x >= one_decimal_from:
        return f"{x:.1f} {unit}"
    return f"{x:.{small_decimals}f} {unit}"


def secs(x: float | None) -> str:
    return _figure(x, "s", 10, 2)


def ms(x: float | None) -> str:
    return _figure(x, "ms", 1, 3)


def size(b: float | None) -> str:
    if b is None:
        return "–"
    if b >= 1024**3:
        return f"{b / 1024**3:.2f} GiB"
    if b >= 1024**2:
        return f"{b / 1024**2:,.0f} MiB"
    return f"{b / 1024:,.0f} KiB"


def ratio(x: float | None) -> str:
    return "–" if x is None else (f"{x:.1f}x" if x >= 10 else f"{x:.2f}x")


def auc(x: float | None) -> str:
    return "–" if x is None else f"{x:.4f}"


def _ok(stage: dict[str, Any] | None) -> bool:
    return bool(stage) and "error" not in stage and "skipped" not in stage


def _why_not(stage: dict[str, Any] | None) -> str:
    if not stage:
        return "not run"
    if "error" in stage:
        return "ERROR: " + str(stage["error"])
    if "skipped" in stage:
        return "skipped: " + str(stage["skipped"])
    return ""


def _pctl(d: dict[str, Any] | None) -> str:
    if not d or "p50_ms" not in d:
        return "–"
    return f"{ms(d['p50_ms'])} / {ms(d['p95_ms'])}"


# ---------------------------------------------------------------------------- targets


def _speed_and_auc(n: int, fit: dict[str, Any], base: dict[str, Any], need: float,
                   t_speed: str, t_auc: str, who: str) -> list[Verdict]:
    """The speed target (at least ``need`` times the baseline) and the AUC target of one
    comparison; ``who`` names the side that must be faster in a miss's explanation."""
    speed = base["seconds"] / fit["seconds"]
    gap = fit["auc"] - base["auc"]
    return [
        Verdict(n, t_speed,
                f"{ratio(speed)} ({secs(base['seconds'])} vs {secs(fit['seconds'])})",
                *(("PASS", "") if speed >= need else
                  ("MISS", f"{need / speed:.1f}x short; {who} would need "
                           f"{secs(base['seconds'] / need)}"))),
        Verdict(n, t_auc, f"{auc(fit['auc'])} vs {auc(base['auc'])} ({gap:+.4f})",
                *(("PASS", "") if gap >= -AUC_TOLERANCE else
                  ("MISS", f"{-gap - AUC_TOLERANCE:.4f} beyond the tolerance"))),
    ]


def verdicts(n: int, stages: dict[str, Any]) -> list[Verdict]:
    """Every target of issue 5 that applies to size ``n``, judged on its stages."""
    out: list[Verdict] = []
    ing = stages.get("ingest_csv")
    target = f"Ingest CSV within {INGEST_RATIO_MAX:g}x of bare read_csv"
    if _ok(ing) and ing.get("ratio"):
        r = ing["ratio"]
        out.append(Verdict(n, target, f"{ratio(r)} ({secs(ing['seconds'])} vs "
                                      f"{secs(ing['bare']['seconds'])})",
                           *(("PASS", "") if r <= INGEST_RATIO_MAX else
                             ("MISS", f"{r / INGEST_RATIO_MAX:.1f}x over the limit; would "
                                      f"need {secs(ing['bare']['seconds'] * INGEST_RATIO_MAX)}"))))
    else:
        out.append(Verdict(n, target, "–", "n/a", _why_not(ing)))

    fit = stages.get("fit")
    for key, label, need in (("optbinning", "optbinning", OPTBINNING_SPEEDUP_MIN),
                             ("sklearn", "scikit-learn", SKLEARN_SPEEDUP_MIN)):
        base = stages.get(key)
        t_speed = f"Fit at least {need:g}x faster than {label}"
        t_auc = f"Fit test AUC no lower than {label}'s by more than {AUC_TOLERANCE}"
        if not (_ok(fit) and _ok(base)):
            why = _why_not(fit) or _why_not(base)
            out += [Verdict(n, t_speed, "–", "n/a", why), Verdict(n, t_auc, "–", "n/a", why)]
            continue
        out += _speed_and_auc(n, fit, base, need, t_speed, t_auc, "project fit")

    out += _e2e_verdicts(n, stages)

    if n >= BIG_N:
        for t, value, limit, fmt in (
                (f"Fit under {BIG_FIT_SECONDS_MAX:g} s at {n:,}", "seconds",
                 BIG_FIT_SECONDS_MAX, secs),
                (f"Fit peak RSS under {size(BIG_FIT_RSS_MAX)} at {n:,}", "peak_rss",
                 BIG_FIT_RSS_MAX, size)):
            if _ok(fit) and fit.get(value) is not None:
                v = fit[value]
                out.append(Verdict(n, t, fmt(v), *(("PASS", "") if v < limit else
                                                    ("MISS", f"{v / limit:.2f}x the limit"))))
            else:
                out.append(Verdict(n, t, "–", "n/a", _why_not(fit)))
        dr = stages.get("drift")
        t = f"Drift under {DRIFT_SECONDS_MAX:g} s from {n:,} stored leads"
        if _ok(dr):
            v = dr["seconds"]
            out.append(Verdict(n, t, secs(v), *(("PASS", "") if v < DRIFT_SECONDS_MAX else
                                                 ("MISS", f"{v / DRIFT_SECONDS_MAX:.2f}x the "
                                                          "limit"))))
        else:
            out.append(Verdict(n, t, "–", "n/a", _why_not(dr)))
        bt = stages.get("backtest")
        t = f"Backtest under {BACKTEST_SECONDS_MAX:g} s from {n:,} stored leads"
        if _ok(bt):
            v = bt["seconds"]
            out.append(Verdict(n, t, secs(v), *(("PASS", "") if v < BACKTEST_SECONDS_MAX else
                                                 ("MISS", f"{v / BACKTEST_SECONDS_MAX:.2f}x "
                                                          "the limit"))))
        else:
            out.append(Verdict(n, t, "–", "n/a", _why_not(bt)))

    th = stages.get("thresholds")
    t = f"Slider answer p95 under {SLIDER_P95_MS_MAX:g} ms (server side, figures())"
    if _ok(th) and th.get("figures"):
        p95 = th["figures"]["p95_ms"]
        out.append(Verdict(n, t, ms(p95), *(("PASS", "") if p95 < SLIDER_P95_MS_MAX else
                                             ("MISS", f"{p95 / SLIDER_P95_MS_MAX:.1f}x over"))))
    else:
        out.append(Verdict(n, t, "–", "n/a", _why_not(th)))

    br = stages.get("browser")
    t = (f"Browser key press to new MQL figure on screen (first frame after the change) p95 "
         f"under {BROWSER_P95_MS_MAX:g} ms")
    if _ok(br):
        p95 = (br.get("in_page_frame") or br["in_page"])["p95_ms"]
        out.append(Verdict(n, t, ms(p95), *(("PASS", "") if p95 < BROWSER_P95_MS_MAX else
                                             ("MISS", f"{p95 - BROWSER_P95_MS_MAX:,.0f} ms "
                                                      f"({p95 / BROWSER_P95_MS_MAX:.1f}x) over"))))
    else:
        out.append(Verdict(n, t, "–", "n/a", _why_not(br)))
    if n < TARGET_MIN_N:  # a quick run: the same figures, not judged
        for v in out:
            if v.status in ("PASS", "MISS"):
                v.status, v.detail = "preview", f"{v.status.lower()} if it were judged " \
                    f"(targets are set at {TARGET_MIN_N:,} leads and above)"
    return out + startup_verdicts(n, stages)


def startup_limit(n: int) -> float | None:
    """Issue 19's limit on the first MQL figure at ``n`` leads (None above 1M: not set)."""
    return next((limit for upto, limit in STARTUP_SECONDS_MAX if n <= upto), None)


def startup_verdicts(n: int, stages: dict[str, Any]) -> list[Verdict]:
    """Issue 19, judged from its 50,000-lead sample up: a fresh server and browser on a
    database whose weights and count grid exist, the first MQL figure on screen within 2 s
    (up to 100,000 leads) or 5 s (up to 1M); the Weights page's points table within 1 s of
    clicking Weights in the app's navigation (its first visit). Opening ``/weights`` in a
    new tab loads the whole app again and is reported beside it, not judged."""
    out: list[Verdict] = []
    su = stages.get("startup")
    br = su.get("browser") if _ok(su) else None
    limit = startup_limit(n)
    for key, target, cap in (
            ("seconds", "App start-up: first MQL figure on screen within {cap} of opening "
                        "the app (a fresh server and browser, weights and count grid kept)",
             limit),
            ("weights_click_seconds", "App start-up: the Weights page's points table on "
                                      "screen within {cap} of clicking Weights in the "
                                      "app's navigation (its first visit)",
             WEIGHTS_SECONDS_MAX if limit is not None else None),
            ("weights_seconds", "App start-up: the Weights page opened in a new tab at "
                                "/weights (the whole app loads again) → its points table "
                                "on screen, reported", None)):
        text = target.format(cap=secs(cap) if cap is not None else "the issue's limit")
        if not _ok(br):
            out.append(Verdict(n, text, "–", "n/a", _why_not(su) or _why_not(br)))
            continue
        got = br.get(key)
        if got is None:  # a run from before the measure existed
            out.append(Verdict(n, text, "–", "n/a", "not measured in this run"))
            continue
        measured = f"{secs(got)} (median of {len(br['rounds'])})"
        if cap is None:
            why = ("issue 19 sets no limit above "
                   f"{STARTUP_SECONDS_MAX[-1][0]:,} leads") if key != "weights_seconds" else (
                "not judged: the limit is judged on the page opened from the navigation")
            bare = br.get(f"bare_{key}")
            if bare is not None:
                why += f"; a bare Streamlit page with one table: {secs(bare)}"
            out.append(Verdict(n, text, measured, "n/a", why))
            continue
        status, detail = ("PASS", "") if got <= cap else (
            "MISS", f"{secs(got - cap)} ({got / cap:.1f}x) over")
        bare = br.get(f"bare_{key}")
        if bare is not None:  # the peer: Streamlit's and the browser's own share
            what = "one figure" if key == "seconds" else "one table, opened the same way"
            detail = "; ".join(x for x in (detail, (
                f"a bare Streamlit page with {what}, served and timed the same way in "
                f"this run: {secs(bare)} ({got / bare:.2f}x; calibrate's own share "
                f"{secs(max(got - bare, 0.0))})")) if x)
        if n < STARTUP_MIN_N:
            status, detail = "preview", (f"{status.lower()} if it were judged (issue 19 "
                                         f"judges from {STARTUP_MIN_N:,} leads up)")
        out.append(Verdict(n, text, measured, status, detail))
    return out


#: The end-to-end baselines (issue 18): stage key, label, speed-up needed.
E2E_BASELINES = (("optbinning_e2e", "optbinning", E2E_OPTBINNING_SPEEDUP_MIN),
                 ("sklearn_e2e", "scikit-learn", E2E_SKLEARN_SPEEDUP_MIN))


def _e2e_verdicts(n: int, stages: dict[str, Any]) -> list[Verdict]:
    """Issue 18: ``calibrate fit`` in a fresh process (start to weights written) against each
    baseline in a fresh process with its CSV read, and their test AUCs."""
    out: list[Verdict] = []
    fit = stages.get("fit_e2e")
    for key, label, need in E2E_BASELINES:
        base = stages.get(key)
        t_speed = (f"calibrate fit (process start to weights written) at least {need:g}x "
                   f"faster than {label} end to end (with its CSV read)")
        t_auc = (f"calibrate fit end to end: test AUC no lower than {label}'s end to end by "
                 f"more than {AUC_TOLERANCE}")
        if not (_ok(fit) and _ok(base)):
            why = _why_not(fit) or _why_not(base)
            out += [Verdict(n, t_speed, "–", "n/a", why), Verdict(n, t_auc, "–", "n/a", why)]
            continue
        out += _speed_and_auc(n, fit, base, need, t_speed, t_auc, "calibrate fit")
    return out


# Why a target is missed, by the start of its target text: written from the breakdowns
# below, printed only for the targets that this run misses.
WHY = {
    "Ingest CSV": (
        "A bare `read_csv` only parses the file with the types its sniffer guessed. "
        "`ingest()` also checks every value: text columns are trimmed and checked for "
        "placeholders (\"N/A\", \"Select\", \"-\"), numbers with separators, percent or "
        "currency signs, Yes/No flags and dates in several formats are parsed by "
        "regex-guarded SQL, negative, fractional, future and pre-1990 values are flagged, and "
        "a per-value code records what was done so that every issue is reported with its "
        "count and example rows; outcome labels are mapped in the same pass (from those of "
        "the sample; any other after it), then duplicate ids are merged (a GROUP BY of "
        "every id: 0.13 s per million rows). The file is read once (a large CSV is profiled "
        "from 16 chunks spread over it, in one query over the sample's distinct values). "
        "Numeric and date columns whose sample is clean are parsed by DuckDB's own CSV reader "
        "(a value the sample missed falls back to the text path, at the cost of a second "
        "pass). The benchmark file is dirty on purpose (separators in `employees` and "
        "`amount`, percent signs in `email_open_rate`, placeholders in `visits`, slash dates "
        "in `created_at`): those 5 of its 14 numeric and date columns, the 2 Yes/No columns "
        "and the 13 text columns take the SQL path, whose cost is the per-value regexes and "
        "codes. In the breakdown, `_clean` is that pass. DuckDB's profile of that pass at "
        "10M rows (CPU seconds summed over both threads): the CSV scan 16 s (bare: 14 s), "
        "writing the table 8 s (bare: 8 s) plus a commit that costs both about the same, "
        "and the cleaning expressions 25 s (trim 6.4, parse 12.4, numbers' second chance "
        "2.2, values and codes 4.1). Values and codes took 7 s, and writing the codes 0.6 s "
        "per million rows more, while each file column had its own mostly NULL code column; "
        "the codes are now pre-shifted bits packed into 64-bit words. Each expression was "
        "timed alone on "
        "1M rows and its cheapest SQL form kept (the placeholder regex is 15x cheaper than "
        "`lower(x) = ...` tests and cheaper than any first-character prefilter; a bare "
        "`TRY_CAST` was 12% cheaper than the regex-guarded cast but accepts more forms; "
        "`35%` and `1,200` are stripped by `left`/`replace`, as `regexp_replace` cost most "
        "of a decorated number's parse; a Yes/No column tests its commonest spellings by "
        "equality first). Cleaning each distinct value once (an ENUM cast "
        "to the sample's values and a lookup list) was tried and saved little except on the "
        "percent column: a projection of a million values costs about 20 ms whatever it "
        "computes. Single runs on this machine spread by 10 to 20% either way, hence the "
        "medians of alternating rounds."),
    "Fit at least 4x faster than optbinning": (
        "The fit is encode (binning learnt in DuckDB: numeric columns with few distinct "
        "values from one count per value), group (closed leads collapsed to distinct code "
        "patterns in one DuckDB GROUP BY), leakage checks, 3-fold CV over 7 strengths on at "
        "most 30k patterns, and a penalised Newton fit on the patterns whose Hessian comes "
        "from a fixed subset of 200k patterns; see the Fit line of the breakdown. With 14+ "
        "attributes almost every lead is its own pattern, so grouping saves little at this "
        "size, and below `max_fit_rows` (2M) every closed lead is fitted, unsampled. The "
        "ratio is load-sensitive (see System load)."),
    "Fit under": (
        "Above `max_fit_rows` (2M closed leads) the fit keeps every win and a hashed, "
        "weighted sample of non-wins (case-control sampling), with exact level counts; what "
        "remains is the SQL that learns the bins and encodes 10M rows."),
    "Drift under": (
        "Drift is one DuckDB pass over the dated leads: every attribute's level code (the "
        "points table's CASE expressions; a map lookup for text columns of few values), "
        "each lead's profile and behavior points, then GROUPING SETS counting leads per "
        "month and points, and per month and level of a few packs of attributes; the PSI "
        "works on those counts. About a third of its time is coding and scoring the leads, "
        "the rest the grouping sets (each a hash aggregate over every lead); more cores cut "
        "both nearly in proportion."),
    "Fit peak RSS": (
        "Codes are held per attribute in the smallest integer type and the fit runs on a "
        "weighted sample above `max_fit_rows`; what remains is DuckDB's working memory."),
    "App start-up: first MQL figure": (
        "The figure waits on three things in turn (see 'Start-up, in the browser' and 'in "
        "one fresh process' below). (1) Streamlit's page in a browser with nothing cached: "
        "about 1.4 s to load its JavaScript and open the websocket. (2) The first script "
        "run on the server: `app.py` imports its pages (pandas alone about 0.65 s, with the "
        "Data page's ingest modules about 1.2 s), then the sidebar, the store, the weights "
        "and the count grid, read from the store (0.07 s at 50,000 leads, 0.14 s at 1M, "
        "where counting it took 0.4 s and 3 to 4 s), the figures and the charts. (3) The "
        "browser then fetches and runs the JavaScript of the elements it draws for the first "
        "time, among them plotly.js (4.7 MB) for the charts and a syntax highlighter "
        "(1.5 MB) for the sidebar's restore command (`st.code`); the MQL figure is drawn "
        "after them: with those two held back, it showed about 3 s earlier at 50,000 leads. "
        "What is left is in the app's pages and Streamlit, not in the counts: importing the "
        "pages and opening the workbench when the server starts (Streamlit's `st.App` "
        "lifespan hook) instead of on the first visit, no `st.code` on every page, and the "
        "figures drawn before the charts ask for plotly.js."),
    "App start-up: the Weights page": (
        "The Weights page's script run ends about 0.5 s after its tab connects; the points "
        "table (`st.data_editor`) is drawn only once the browser has fetched and run the "
        "JavaScript of the data grid (about 1.2 MB with its Arrow formatting), plotly.js "
        "(4.7 MB) for the page's charts and the sidebar's syntax highlighter (1.5 MB), "
        "each page of a browser running them again."),
    "Browser key press": (
        "The figure changes after Streamlit's round trip: the key press, the websocket "
        "message, the fragment rerun on the server (the threshold panel, its figures and "
        "four plotly charts, see 'Threshold panel per move') and the browser's render. "
        "The server's figures take well under a millisecond; the rest is Streamlit and "
        "plotly, and it grows with machine load (see System load). Measured with Chromium's "
        "own counters, the browser's main thread spends about 370 ms per move redrawing the "
        "three plotly charts that change (it was 520 ms before the charts carried a "
        "`datarevision` and fixed margins), and a rerun on the server no longer ends with "
        "Streamlit's full garbage collection (~150 ms holding the GIL, now off in "
        "`.streamlit/config.toml`). On 2 cores the browser and the server compete, so a key "
        "press that lands while the previous move's charts are still drawing waits."),
}


def _why(missed: list[Verdict]) -> list[str]:
    out = []
    for key, text in WHY.items():
        hit = [v for v in missed if v.target.startswith(key)]
        if hit:
            sizes = ", ".join(f"{v.n:,}" for v in hit)
            out.append(f"- **{key}** (missed at N = {sizes}): {text}")
    return out


# ----------------------------------------------------------------------------- render


def _stage_table(n: int, r: dict[str, Any]) -> list[str]:
    st = r["stages"]
    rows = ["| Stage | Measured | Peak RSS | Baseline | Baseline measured | Baseline RSS | "
            "Ratio | Test AUC (project / baseline) |",
            "|---|---|---|---|---|---|---|---|"]

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    for key, label in (("ingest_csv", "Ingest CSV: `ingest()`"),
                       ("ingest_parquet", "Ingest Parquet: `ingest()`")):
        s = st.get(key)
        if _ok(s):
            b = s["bare"]
            reader = "read_csv" if key == "ingest_csv" else "read_parquet"
            row(label, secs(s["seconds"]), size(s["peak_rss"]), f"bare DuckDB `{reader}`",
                secs(b["seconds"]), size(b.get("peak_rss")),
                f"{ratio(s['ratio'])} slower", "")
        else:
            row(label, _why_not(s), "", "", "", "", "", "")

    fit = st.get("fit")
    if _ok(fit):
        for key, label in (("sklearn", "scikit-learn pipeline"),
                           ("optbinning", "optbinning BinningProcess + Scorecard")):
            b = st.get(key)
            if _ok(b):
                speed = b["seconds"] / fit["seconds"]
                row("Fit: `Workbench.fit()`", secs(fit["seconds"]), size(fit["peak_rss"]),
                    label, secs(b["seconds"]), size(b["peak_rss"]),
                    f"project {ratio(speed)} faster" if speed >= 1 else
                    f"project {ratio(1 / speed)} slower",
                    f"{auc(fit['auc'])} / {auc(b['auc'])}")
            else:
                row("Fit: `Workbench.fit()`", secs(fit["seconds"]), size(fit["peak_rss"]),
                    label, _why_not(b), "", "", f"{auc(fit['auc'])} / –")
    else:
        row("Fit: `Workbench.fit()`", _why_not(fit), "", "", "", "", "", "")

    e2e = st.get("fit_e2e")
    label = "Fit end to end: `calibrate fit` (process start to weights written)"
    if _ok(e2e):
        label += f", median of {len(e2e['rounds'])}"
        for key, name, _ in reversed(E2E_BASELINES):
            b = st.get(key)
            what = f"{name} end to end: Python, imports, `read_csv`, merge, clean, fit"
            if _ok(b):
                speed = b["seconds"] / e2e["seconds"]
                row(label, secs(e2e["seconds"]), size(e2e["peak_rss"]), what,
                    secs(b["seconds"]), size(b["peak_rss"]),
                    f"calibrate {ratio(speed)} faster" if speed >= 1 else
                    f"calibrate {ratio(1 / speed)} slower",
                    f"{auc(e2e['auc'])} / {auc(b['auc'])}")
            else:
                row(label, secs(e2e["seconds"]), size(e2e["peak_rss"]), what, _why_not(b),
                    "", "", f"{auc(e2e['auc'])} / –")
    else:
        row(label, _why_not(e2e), "", "", "", "", "", "")

    th = st.get("thresholds")
    if _ok(th):
        nv = th["naive"]
        row("Thresholds precompute: `workshop_grid` + `grid.cube`",
            secs(th["precompute_seconds"]), size(th["peak_rss"]),
            "naive: scored leads materialised in DuckDB", secs(nv["precompute_seconds"]),
            "", "", "")
        fig = th["figures"]
        speed = nv["p95_ms"] / fig["p95_ms"] if fig["p95_ms"] else None
        row(f"Slider move: `figures()` p50 / p95 ({fig['n']} moves)", _pctl(fig), "",
            "naive: one DuckDB COUNT query per move", _pctl(nv), "",
            f"project {ratio(speed)} faster (p95)" if speed else "–", "")
        panel = th.get("panel") or {}
        row("Extra: whole threshold panel per move (figures, curve, heatmap, 2 distributions, "
            "4 plotly figures) p50 / p95", _pctl(panel) if "p50_ms" in panel else
            str(panel.get("error", "–")), "", "", "", "", "", "")
    else:
        row("Thresholds", _why_not(th), "", "", "", "", "", "")

    dr = st.get("drift")
    label = "Drift: `Workbench.drift()` (first 6 months against each later month)"
    if _ok(dr):
        row(f"{label}, median of {len(dr['rounds'])}", secs(dr["seconds"]),
            size(dr["peak_rss"]), "", "", "", "", "")
    else:
        row(label, _why_not(dr), "", "", "", "", "", "")

    bt = st.get("backtest")
    label = "Backtest: `Workbench.backtest(6)` (a refit before the last 6 months, against them)"
    if _ok(bt):
        row(f"{label}, median of {len(bt['rounds'])}", secs(bt["seconds"]),
            size(bt["peak_rss"]), "", "", "", "", "")
    else:
        row(label, _why_not(bt), "", "", "", "", "", "")

    br = st.get("browser")
    if _ok(br):
        row(f"Browser: key press → MQL text changes, in page, p50 / p95 ({br['presses']} "
            "presses)", _pctl(br["in_page"]), size(br.get("server_peak_rss")) + " (server)",
            "", "", "", "", "")
        row("Browser: key press → first animation frame after the change, p50 / p95",
            _pctl(br.get("in_page_frame")), "", "", "", "", "", "")
        row("Browser: same as the first row, timed in Python around press + wait, p50 / p95",
            _pctl(br["round_trip"]), "", "", "", "", "", "")
        row("Browser: key press → new value sent on the websocket (client side), p50 / p95",
            _pctl(br.get("key_to_send")), "", "", "", "", "", "")
        row("Browser: value sent → MQL text changes (server rerun + network + render), "
            "p50 / p95", _pctl(br.get("send_to_change")), "", "", "", "", "", "")
        row("Browser: key press → rerun finished (charts drawn), p50 / p95",
            _pctl(br["to_idle"]), "", "", "", "", "", "")
        row("Browser: first page load (incl. grid build)", secs(br["first_load_seconds"]),
            "", "", "", "", "", "")
    else:
        row("Browser round trip", _why_not(br), "", "", "", "", "", "")

    su = st.get("startup")
    sb = su.get("browser") if _ok(su) else None
    if _ok(sb):
        n_rounds = len(sb["rounds"])
        row(f"Start-up: opening the app → first MQL figure on screen (fresh server and "
            f"browser, median of {n_rounds})", secs(sb["seconds"]), size(su.get("peak_rss")),
            "", "", "", "", "")
        row("Start-up: opening the app → first chart on screen / page run finished",
            f"{secs(sb['chart_seconds'])} / {secs(sb['idle_seconds'])}", "", "", "", "", "",
            "")
        if "weights_click_seconds" in sb:
            row("Start-up: clicking Weights in the app's navigation (its first visit) → "
                "points table on screen", secs(sb["weights_click_seconds"]), "", "", "", "",
                "", "")
        row("Start-up: opening the Weights page in a new tab → points table on screen / "
            "page run finished", f"{secs(sb['weights_seconds'])} / "
            f"{secs(sb['weights_idle_seconds'])}", "", "", "", "", "", "")
    else:
        row("Start-up", _why_not(su) or _why_not(sb), "", "", "", "", "", "")
    return rows


def _breakdown(r: dict[str, Any]) -> list[str]:
    st = r["stages"]
    lines = []
    for key, label in (("ingest_csv", "Ingest CSV"), ("ingest_parquet", "Ingest Parquet")):
        s = st.get(key)
        if not _ok(s):
            continue
        total = s["seconds"]
        rounds = s.get("rounds") or []
        if len(rounds) > 1:
            pairs = ", ".join(f"{secs(x['seconds'])} / {secs(x['bare_seconds'])}"
                              for x in rounds)
            lines.append(f"- **{label}, rounds** (ingest / bare read, alternating, the "
                         f"machine settled before each; medians in the table): {pairs}.")
        phases = ", ".join(f"{k} {secs(v)}" for k, v in s["phases"].items())
        steps = ", ".join(f"`{k}` {secs(v)} ({v / total:.0%})" if not k.startswith("(")
                          else f"{k} {secs(v)} ({v / total:.0%})"
                          for k, v in s["steps"].items() if v >= 0.005 * total)
        lines.append(f"- **{label}** (the median round; {s['rows_read']:,} rows read, "
                     f"{s['rows_loaded']:,} loaded, DB {size(s['db_bytes'])}): progress "
                     f"phases: {phases}. "
                     f"Self time by function (`calibrate.data.ingest`, `file_preview`, "
                     f"`readers`, `csv_reader`, `xlsx_reader`, `cleaning`): {steps}.")
    fit = st.get("fit")
    if _ok(fit):
        steps = ", ".join(f"{k} {secs(v)}" for k, v in fit["steps"].items() if k != "total")
        c = fit["counts"]
        lines.append(f"- **Fit** ({fit['split']['kind']} split: {c.get('train', 0):,} train / "
                     f"{c.get('test', 0):,} test leads, {c.get('patterns', 0):,} patterns, "
                     f"{len(fit['attributes'])} attributes, {fit['levels']} levels, C = "
                     f"{fit['C']:g}): {steps}."
                     + (f" Fitted on a weighted case-control sample of "
                        f"{int(c['sampled_leads']):,} closed leads (non-wins kept at rate "
                        f"{c.get('sampled_rate', 1):.3g}, wins at "
                        f"{c.get('sampled_win_rate', 1):.3g}); level counts are exact."
                        if c.get("sampled_leads") else "")
                     + (f" Left out as leakage: {', '.join(fit['dropped'])}."
                        if fit["dropped"] else "")
                     + (f" Note: {fit['note']}." if fit.get("note") else ""))
    for key, label in (("sklearn", "scikit-learn"), ("optbinning", "optbinning")):
        b = st.get(key)
        if _ok(b):
            lines.append(f"- **{label}** ({b['what']}): reading {b['train_rows']:,} training "
                         f"rows into pandas {secs(b['read_seconds'])} of "
                         f"{secs(b['seconds'])}; tested on {b['test_rows']:,} rows.")
    lines += _e2e_breakdown(st)
    th = st.get("thresholds")
    if _ok(th):
        nv = th["naive"]
        lines.append(f"- **Thresholds**: grid {secs(th['grid_seconds'])} "
                     f"({th['grid_rows']:,} rows), cube {secs(th['cube_seconds'])} (window: "
                     f"last {th['window_months']} months, all segments, the app's default); "
                     f"naive answers agree with `figures()` on {nv['agree']}/{nv['moves']} "
                     "moves.")
        parts = (th.get("panel") or {}).get("parts_p50_ms")
        if parts:
            lines.append("- **Threshold panel per move** (median ms of each piece): "
                         + ", ".join(f"`{k}` {ms(v)}" for k, v in parts.items()) + ".")
    dr = st.get("drift")
    if _ok(dr):
        shifted = ", ".join(dr["shifted"]) or "none"
        lines.append(f"- **Drift** ({dr['leads']:,} leads, {dr['undated']:,} undated; "
                     f"reference {dr['reference'][0]} to {dr['reference'][1]} with "
                     f"{dr['reference_leads']:,} leads; {dr['months']} later months, "
                     f"{dr['attributes']} attributes and 3 scores; shifted: {shifted}): "
                     "rounds " + ", ".join(secs(x) for x in dr["rounds"]) + ".")
    bt = st.get("backtest")
    if _ok(bt):
        fitted = (f"a sample of {bt['fitted_leads']:,} of its {bt['closed_before']:,} closed "
                  "leads" if bt["sampled"] else f"its {bt['fitted_leads']:,} closed leads")
        lines.append(f"- **Backtest** ({bt['leads']:,} leads, cut {bt['cut']}: refit on "
                     f"{fitted}, projected from {bt['window_months']} months, compared with "
                     f"{bt['after_months']}; {bt['thresholds']}): steps of the median round "
                     + ", ".join(f"{k} {secs(v)}" for k, v in bt["steps"].items())
                     + "; rounds " + ", ".join(secs(x) for x in bt["rounds"]) + ".")
    lines += _startup_breakdown(st.get("startup"))
    return lines


def _startup_breakdown(su: dict[str, Any] | None) -> list[str]:
    """Issue 19: the start-up rounds, and where a first page run's time goes."""
    if not _ok(su):
        return []
    lines = []
    prep = su["prepared"]
    parts = su.get("parts") or {}
    steps = parts.get("steps") or {}
    if steps:
        lines.append(
            f"- **Start-up, in one fresh process** (what the first page runs do besides "
            f"Streamlit's own work; the count grid of {prep['grid_rows']:,} rows was "
            f"{'read from the store' if parts.get('grid_origin') == 'stored' else 'built'}"
            "): " + ", ".join(f"{k} {secs(v)}" for k, v in steps.items()) + ".")
    sb = su.get("browser") or {}
    if _ok(sb):
        def phases(r: dict[str, Any], prefix: str = "") -> str:
            marks = [("Streamlit's page loaded", "shell_seconds"),
                     ("websocket open", "connected_seconds"),
                     ("first script run ended", f"{prefix}run_end_seconds")]
            return ", ".join(f"{name} {secs(r[key])}" for name, key in marks if key in r)

        rounds = "; ".join(
            f"**{secs(r['seconds'])}** ({phases(r)}; chart {secs(r['chart_seconds'])}, all "
            f"drawn {secs(r['idle_seconds'])}; server start {secs(r['server_start_seconds'])}"
            + (f"; the bare Streamlit page {secs(r['bare_seconds'])}"
               if "bare_seconds" in r else "") + ")"
            for r in sb["rounds"])
        clicks = "; ".join(
            f"**{secs(r['weights_click_seconds'])}**"
            + (f" (the bare Streamlit table {secs(r['bare_weights_click_seconds'])})"
               if "bare_weights_click_seconds" in r else "")
            for r in sb["rounds"] if "weights_click_seconds" in r)
        weights = "; ".join(
            f"**{secs(r['weights_seconds'])}** (its script run ended "
            f"{secs(r.get('weights_run_end_seconds'))}, all drawn "
            f"{secs(r['weights_idle_seconds'])}"
            + (f"; the bare Streamlit table {secs(r['bare_weights_seconds'])}"
               if "bare_weights_seconds" in r else "") + ")" for r in sb["rounds"])
        lines.append(
            "- **Start-up, in the browser** (each round a fresh `streamlit run` on the "
            "database, then a fresh Chromium profile; times from the navigation's start to "
            "the first animation frame showing the element, stamped in the page, with the "
            "moments Streamlit's page loaded, its websocket opened and the first script run "
            "ended as the page saw them; the machine settled before each). First MQL figure "
            f"per round: {rounds}. "
            + (f"Then a click on Weights in the app's navigation, from the click to its "
               f"points table on screen: {clicks}. " if clicks else "")
            + f"The Weights page's points table (a second tab, after "
            f"that): {weights}. The server's own start (`streamlit run` until it answers its "
            "health check) comes before the navigation and is not counted.")
    return lines


def _e2e_breakdown(st: dict[str, Any]) -> list[str]:
    """The end-to-end fits (issue 18): every round, and where each baseline's time goes."""
    lines = []
    e2e = st.get("fit_e2e")
    if _ok(e2e):
        rounds = ", ".join(secs(r["seconds"]) for r in e2e["rounds"])
        fit = st.get("fit")
        inner = ""
        if _ok(fit):
            inner = (f" The in-process `Workbench.fit()` took {secs(fit['seconds'])}; the "
                     f"other {secs(e2e['seconds'] - fit['seconds'])} are starting Python, "
                     "importing calibrate, opening the database, saving the weights and "
                     f"printing the points (in-process test AUC {auc(fit['auc'])}).")
        lines.append(f"- **calibrate fit, end to end** (`calibrate fit --db` on a copy of the "
                     f"ingested database, a fresh process each round, the machine settled "
                     f"before each; median in the table): rounds {rounds}; test AUC "
                     f"{auc(e2e['auc'])} from the weights it saved." + inner)
    for key, name, _ in E2E_BASELINES:
        b = st.get(key)
        if not _ok(b):
            continue
        rounds = ", ".join(secs(r["seconds"]) for r in b["rounds"])
        lost = b.get("lost_numbers") or {}
        empty = b.get("empty_columns") or []
        lines.append(
            f"- **{name}, end to end** ({b['what']}; rounds {rounds}, the median one here): "
            f"Python start {secs(b['python_start_seconds'])}, imports "
            f"{secs(b['imports_seconds'])}, `pd.read_csv` of {b['csv_rows']:,} rows "
            f"{secs(b['read_csv_seconds'])}, drop duplicate ids + merge the labels + clean "
            f"{secs(b['prepare_seconds'])}, fit on {b['train_rows']:,} training rows "
            f"{secs(b['fit_seconds'])}; not counted: reading the benchmark's labels file "
            f"{secs(b['labels_seconds'])}. Tested on {b['test_rows']:,} rows."
            + (" Values the plain cleaning (`pd.to_numeric(errors='coerce')`) turned into "
               "NaN on the training rows: " + ", ".join(f"{c} {v:,}" for c, v in lost.items())
               + "." if lost else "")
            + (f" Left out as empty after it: {', '.join(empty)}." if empty else ""))
    return lines


def _files(r: dict[str, Any]) -> str:
    return ", ".join(
        f"{fmt.upper()} {size(f['bytes'])}"
        + (f" (generated in {secs(f['generated_seconds'])})"
           if f.get("generated_seconds") else " (reused)")
        for fmt, f in r.get("files", {}).items())


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    g = results["git"]
    v = m.get("versions", {})
    only_components = results.get("mode") == "components"
    out = [
        "# Benchmarks: hand-written parts against their library twins (issue 18)"
        if only_components else "# Benchmarks (issue 5)",
        "",
        f"Written by `{results['command'].strip()}`; every run rewrites this file. What each "
        "figure means and how it is measured: [README.md](README.md).",
        "",
        "## Machine",
        "",
        f"- CPU: {m['cpu']}, {m['cores']} cores ({m['usable_cores']} usable), "
        f"RAM {size(m['ram'])}",
        f"- Python {m['python']} on {m['os']}; "
        + ", ".join(f"{k} {val}" for k, val in v.items()),
        f"- Date: {results['started']}"
        + (f" to {results['finished']}" if results.get("finished") else " (run not finished)"),
        f"- Git commit: {g['commit']}"
        + (f" plus uncommitted changes in {', '.join(g['dirty'][:8])}"
           + (" ..." if len(g["dirty"]) > 8 else "") if g["dirty"] else ""),
    ]
    sizes = sorted(results["sizes"].items(), key=lambda kv: int(kv[0]))
    if results.get("mode") == "postgres":
        out[0] = "# Benchmarks: in place against copying first, on PostgreSQL (issue 21)"
        return "\n".join(out + [""] + postgres_section(results) + [""])
    if only_components:
        out += [""] + components_summary(sizes)
        for n, r in sizes:
            comp = r["stages"].get("components") or {}
            out += ["", f"## N = {int(n):,} leads", "", f"Files: {_files(r)}."
                    + (f" The stage took {secs(comp['process_seconds'])} in all (set-up, "
                       "untimed fit and every round included)."
                       if comp.get("process_seconds") else "")]
            out += components_detail(r["stages"].get("components"))
        out.append("")
        return "\n".join(out)
    out += [
        "",
        "## Targets",
        "",
        "| N | Target | Measured | Result |",
        "|---|---|---|---|",
    ]
    missed = []
    for n, r in sizes:
        for verdict in verdicts(int(n), r["stages"]):
            result = verdict.status + (f": {verdict.detail}" if verdict.detail else "")
            out.append(f"| {int(n):,} | {verdict.target} | {verdict.measured} | {result} |")
            if verdict.status == "MISS":
                missed.append(verdict)
    why = _why(missed)
    if why:
        out += ["", "### Why these targets are missed", ""] + why
    if not any(int(n) >= BIG_N for n, _ in sizes):
        out += ["", f"The {BIG_N:,}-lead targets (fit under {BIG_FIT_SECONDS_MAX:g} s, peak "
                f"RSS under {size(BIG_FIT_RSS_MAX)}; drift under {DRIFT_SECONDS_MAX:g} s, "
                f"backtest under {BACKTEST_SECONDS_MAX:g} s) were not measured in this run."]
    summary = components_summary(sizes)
    if summary:
        out += [""] + summary
    for n, r in sizes:
        out += ["", f"## N = {int(n):,} leads", "", f"Files: {_files(r)}.", ""]
        out += _stage_table(int(n), r)
        out += ["", "Where the time goes:", ""] + _breakdown(r)
        loads = {k: s["load_before"] for k, s in r["stages"].items() if "load_before" in s}
        if loads:
            out += [f"- **System load** (1-minute load average on {m['cores']} cores when each "
                    "stage started; other work on the machine inflates the times): "
                    + ", ".join(f"{k} {v:.1f}" for k, v in loads.items()) + "."]
        if "components" in r["stages"]:
            out += components_detail(r["stages"]["components"])
    out.append("")
    return "\n".join(out)


# ------------------------------------------------------- hand-written parts (issue 18)

#: A hand-written part earns its place when it is at least this many times faster than its
#: library twin with the same results (below it, the maintained library would do).
COMPONENT_SPEEDUP_MIN = 1.5
#: What each hand-written part does besides speed that its twin does not (for the verdicts).
COMPONENT_NOTES = {
    "Solver": "its Hessian comes from `bincount` over pairs of attributes, is reused across "
              "Newton steps and across the C path of the cross-validation, and gives the "
              "coefficients' intervals",
    "Metrics": "they also give the lift and calibration tables on the same grouped rows "
               "(tied scores split fractionally)",
    "Binning": "its cut points are round numbers a person can type into a marketing-"
               "automation rule, learnt in DuckDB without reading the column into Python",
}


@dataclass
class PartVerdict:
    n: int
    part: str
    ours: str  # what calibrate's part measured
    twin: str  # the library twin judged against, and its time
    speedup: float | None  # twin seconds / calibrate seconds
    same: str  # how the results compare
    status: str  # EARNS, MARGINAL, LIBRARY or n/a
    detail: str = ""


def _judge(speed: float, same_ok: bool, why_not_same: str,
           same: str = "the same results") -> tuple[str, str]:
    if not same_ok:
        return "LIBRARY", why_not_same
    if speed >= COMPONENT_SPEEDUP_MIN:
        return "EARNS", f"{ratio(speed)} faster with {same}"
    if speed >= 1:
        return "MARGINAL", (f"faster, but under {COMPONENT_SPEEDUP_MIN:g}x: the library twin "
                            "would do")
    return "LIBRARY", f"the library twin is {ratio(1 / speed)} faster"


def component_verdicts(n: int, comp: dict[str, Any] | None) -> list[PartVerdict]:
    """Whether each hand-written part earns its place against its library twin at size n."""
    out: list[PartVerdict] = []
    parts = ("Solver", "Metrics", "Binning")
    if not _ok(comp):
        return [PartVerdict(n, p, "–", "–", None, "–", "n/a", _why_not(comp)) for p in parts]
    sol = comp.get("solver")
    if _ok(sol):
        ours = sol["calibrate"]["seconds"]
        agreeing = {k: v for k, v in sol["twins"].items() if v["agree"]}
        pool = agreeing or sol["twins"]
        name, best = min(pool.items(), key=lambda kv: kv[1]["seconds"])
        speed = best["seconds"] / ours
        status, detail = _judge(speed, bool(agreeing), "no library solver reached the same "
                                "coefficients within its tolerances")
        out.append(PartVerdict(
            n, "Solver", f"Newton {secs(ours)}",
            f"scikit-learn {name} {secs(best['seconds'])}", speed,
            f"max Δ coefficient {best['max_abs_diff']:.1e}, tolerance {sol['coef_tol']:g}",
            status, detail))
    else:
        out.append(PartVerdict(n, "Solver", "–", "–", None, "–", "n/a", _why_not(sol)))
    met = comp.get("metrics")
    if _ok(met):
        ours = met["calibrate_grouped"]["seconds"]
        twins = {"on weighted unique rows": met["sklearn_weighted"],
                 "on lead rows": met["sklearn_rows"]}
        name, best = min(twins.items(), key=lambda kv: kv[1]["seconds"])
        speed = best["seconds"] / ours
        same = all(t["agree"] for t in twins.values())
        diff = max(t["max_abs_diff"] for t in twins.values())
        status, detail = _judge(speed, same, "the values differ")
        out.append(PartVerdict(
            n, "Metrics", f"grouped {ms(ours * 1e3)}",
            f"sklearn.metrics {name} {ms(best['seconds'] * 1e3)}", speed,
            f"max Δ {diff:.1e}", status, detail))
    else:
        out.append(PartVerdict(n, "Metrics", "–", "–", None, "–", "n/a", _why_not(met)))
    bi = comp.get("binning")
    if _ok(bi):
        ours, theirs = bi["calibrate"]["seconds"], bi["optbinning"]["seconds"]
        speed = theirs / ours
        m_ours, m_theirs = bi["mean"]["calibrate"], bi["mean"]["optbinning"]
        gap = m_ours["test_auc"] - m_theirs["test_auc"]
        status, detail = _judge(speed, gap >= -AUC_TOLERANCE,
                                f"its bins score {-gap:.4f} test AUC below optbinning's "
                                f"(tolerance {AUC_TOLERANCE})", "bins as good")
        out.append(PartVerdict(
            n, "Binning", f"`learn_encoding` {secs(ours)}",
            f"optbinning read + fit {secs(theirs)}", speed,
            f"mean test AUC {auc(m_ours['test_auc'])} vs {auc(m_theirs['test_auc'])}, "
            f"mean IV {m_ours['iv']:.3f} vs {m_theirs['iv']:.3f}", status, detail))
    else:
        out.append(PartVerdict(n, "Binning", "–", "–", None, "–", "n/a", _why_not(bi)))
    return out


def components_summary(sizes: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The section saying, per size and part, whether the hand-written part earns its place;
    then one sentence per part from the largest size that measured it."""
    judged = [(int(n), r["stages"]["components"]) for n, r in sizes
              if "components" in r.get("stages", {})]
    if not judged:
        return []
    out = ["## Hand-written parts against their library twins (issue 18)", "",
           "Each part calibrate writes itself for speed, timed beside the maintained library "
           "that does the same job on the same rows (median of the rounds, machine settled "
           "before each part); how: [README.md](README.md#5-hand-written-parts-against-their-"
           f"library-twins). A part **earns its place** when it is at least "
           f"{COMPONENT_SPEEDUP_MIN:g}x faster than its fastest twin with the same results "
           "(the solver's coefficients within the tolerance, the metrics' values equal, the "
           f"binning's test AUC within {AUC_TOLERANCE} of optbinning's); MARGINAL when faster "
           "by less; LIBRARY when the twin is faster or the results differ. At small sizes "
           "fixed costs (input checks, set-up) weigh on both sides: judge from "
           f"{TARGET_MIN_N:,} leads up, on an idle machine (each part's load is recorded "
           "below).", "",
           "| N | Part | Hand-written | Fastest library twin | Twin / hand-written | "
           "Results | Verdict |",
           "|---|---|---|---|---|---|---|"]
    last: dict[str, PartVerdict] = {}
    for n, comp in judged:
        for v in component_verdicts(n, comp):
            verdict = v.status + (f": {v.detail}" if v.detail else "")
            out.append(f"| {n:,} | {v.part} | {v.ours} | {v.twin} | "
                       f"{ratio(v.speedup)} | {v.same} | {verdict} |")
            if v.status != "n/a":
                last[v.part] = v
    if last:
        out += [""]
        for part, v in last.items():
            word = {"EARNS": "earns its place", "MARGINAL": "is marginal",
                    "LIBRARY": "does not earn its place (prefer the library)"}[v.status]
            out.append(f"- **{part}** (at {v.n:,} leads) {word}: {v.detail} ({v.ours} against "
                       f"{v.twin}; {v.same}). Besides speed, {COMPONENT_NOTES[part]}.")
    return out


def components_detail(comp: dict[str, Any] | None) -> list[str]:
    """The comparison's figures at one size: every variant, then the binning per column."""
    if not _ok(comp):
        return ["", f"Hand-written parts against their library twins: {_why_not(comp)}."]
    rows = ["", f"Hand-written parts against their library twins (median of {comp['repeats']} "
            "rounds after an untimed run):", "",
            "| Part | Hand-written | Measured | Library twin | Twin measured | "
            "Twin / hand-written | Results |",
            "|---|---|---|---|---|---|---|"]

    def row(*cells: str) -> None:
        rows.append("| " + " | ".join(cells) + " |")

    sol = comp.get("solver")
    if _ok(sol):
        ours = sol["calibrate"]
        for t in sol["twins"].values():
            row(f"Solver: {sol['patterns']:,} training patterns x {sol['levels']} levels, "
                f"C = {sol['C']:g}", f"`{sol['what']}`, {ours['n_iter']} Newton steps",
                secs(ours["seconds"]),
                f"{t['what']} on {sol['rows_library']:,} weighted rows, {t['n_iter']} "
                "iterations" + ("" if t["converged"] else " (not converged)"),
                secs(t["seconds"]), ratio(t["seconds"] / ours["seconds"]),
                f"max Δ coefficient {t['max_abs_diff']:.1e}, objective "
                f"{t['objective_gap']:+.1e} relative"
                + ("" if t["agree"] else f" — DIFFERENT (tol {sol['coef_tol']:g})"))
    else:
        row("Solver", _why_not(sol), "", "", "", "", "")
    met = comp.get("metrics")
    if _ok(met):
        ours = met["calibrate_grouped"]
        label = (f"Metrics (AUC, KS, log loss, Brier) of {met['test_leads']:,} test leads")
        for key, what in (("sklearn_weighted", f"sklearn.metrics on {met['weighted_rows']:,} "
                                               "weighted unique rows"),
                          ("sklearn_rows", f"sklearn.metrics on {met['test_leads']:,} lead "
                                           "rows")):
            t = met[key]
            row(label, f"calibrate on {met['grouped_rows']:,} grouped rows",
                ms(ours["seconds"] * 1e3), what, ms(t["seconds"] * 1e3),
                ratio(t["seconds"] / ours["seconds"]),
                f"max Δ {t['max_abs_diff']:.1e}" + ("" if t["agree"] else " — DIFFERENT"))
        row(label, f"calibrate on {met['test_leads']:,} lead rows (no grouping)",
            ms(met["calibrate_rows"]["seconds"] * 1e3), "", "", "",
            f"grouping the leads took {ms(met['group_seconds'] * 1e3)}")
    else:
        row("Metrics", _why_not(met), "", "", "", "", "")
    bi = comp.get("binning")
    if _ok(bi):
        ob = bi["optbinning"]
        row(f"Binning: {len(bi['columns'])} numeric columns, {bi['train_leads']:,} training "
            "leads", f"{bi['calibrate']['what']}", secs(bi["calibrate"]["seconds"]),
            ob["what"], f"{secs(ob['seconds'])} (read {secs(ob['read_seconds'])})",
            ratio(ob["seconds"] / bi["calibrate"]["seconds"]),
            f"optbinning's fit alone (without the read): "
            f"{ratio(ob['fit_seconds'] / bi['calibrate']['seconds'])}")
        rows += ["", f"Binning quality per column (information value on the "
                 f"{bi['train_leads']:,} training leads; AUC on the {bi['test_leads']:,} test "
                 "leads scoring each by its bin's training win rate; calibrate / optbinning):",
                 "", "| Column | Bins | IV | Test AUC | calibrate's cuts | optbinning's cuts |",
                 "|---|---|---|---|---|---|"]
        for c in bi["columns"]:
            a, b = c["calibrate"], c["optbinning"]
            rows.append(
                f"| {c['column']} | {a['bins']} / {b['bins']} | {a['iv']:.3f} / {b['iv']:.3f} | "
                f"{auc(a['test_auc'])} / {auc(b['test_auc'])} | "
                f"{', '.join(f'{e:g}' for e in c['calibrate_edges'])} | "
                f"{', '.join(f'{e:.4g}' for e in c['optbinning_edges'])} |")
    else:
        row("Binning", _why_not(bi), "", "", "", "", "")
    state = ", ".join(f"{k} load {p['load_before']:.1f}, idle {p['idle_before']:.0%}"
                      for k, p in ((k, comp.get(k)) for k in ("solver", "metrics", "binning"))
                      if isinstance(p, dict) and "load_before" in p)
    if state:
        rows += ["", f"Machine before each part (1-minute load average, CPU idle share): "
                 f"{state}."]
    return rows


# ------------------------------------------------------------- PostgreSQL (issue 21)


def postgres_section(results: dict[str, Any]) -> list[str]:
    """Issue 21: in place against copying first, on leads held in PostgreSQL, one row per
    size and path (see :func:`benchmarks.stages.stage_postgres_in_place`)."""
    g = results["git"]
    out = [f"## Issue 21: in place against copying first, on PostgreSQL "
           f"({results['started'][:10]}, {g['commit']}"
           + (", uncommitted changes" if g.get("dirty") else "") + ")", "",
           f"Written by `{results['command'].strip()}`. Bytes moved: the Arrow bytes "
           "(`nbytes`, in memory, not wire bytes) of every result calibrate received "
           "from the server through ADBC, the same measure for both paths. Peak RSS: the "
           "calibrate process of each path (a fresh one each).", "",
           "| N | Path | Seconds | Steps | Bytes moved (rows) | Peak RSS | DuckDB file "
           "| AUC | Grid leads |",
           "|---|---|---|---|---|---|---|---|---|"]
    notes = []
    for n, r in sorted(results["sizes"].items(), key=lambda kv: int(kv[0])):
        st = r["stages"].get("postgres_in_place") or {}
        if "error" in st or "skipped" in st:
            out.append(f"| {int(n):,} | – | {_why_not(st)} | | | | | | |")
            continue
        load = st.get("load") or {}
        notes.append(f"N = {int(n):,}: loading the Postgres table took "
                     f"{secs(load.get('seconds'))} ({load.get('rows', 0):,} rows, "
                     f"{size(load.get('table_bytes'))} in Postgres).")
        for key, label in (("copy", "copying first"), ("in_place", "in place")):
            p = st.get(key) or {}
            moved = p.get("moved") or {}
            steps = "; ".join(f"{k} {secs(v)}" for k, v in (p.get("steps") or {}).items())
            out.append(f"| {int(n):,} | {label} | {secs(p.get('seconds'))} | {steps} | "
                       f"{size(moved.get('bytes'))} ({moved.get('rows', 0):,}) | "
                       f"{size(p.get('peak_rss'))} | {size(p.get('db_bytes'))} | "
                       f"{auc(p.get('auc'))} | {p.get('grid_leads', 0):,} |")
    return out + ([""] + notes if notes else [])
