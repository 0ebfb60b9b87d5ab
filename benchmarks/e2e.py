"""What a plain user runs to fit a scikit-learn or optbinning model on a CRM export (issue 18).

``python -m benchmarks.e2e {sklearn,optbinning} SPEC.json OUT.json``, spawned by the
``sklearn_e2e`` / ``optbinning_e2e`` stages of :mod:`benchmarks.stages`, which time it from
just before the spawn. In this fresh process: import pandas and the library, read the whole
CSV with ``pd.read_csv`` (default engine and options), drop duplicate lead ids, keep the
training leads by an inner merge with the benchmark's labels (key, 0/1 won, test flag: the
project's split, from the ingested database), clean the attribute columns as a plain user
would (categoricals ``.astype(str)``, numerics ``pd.to_numeric(errors="coerce")``, a
numeric column left with no number dropped) and fit the same model as the in-process
baseline (:data:`benchmarks.stages.BASELINE_MODELS`).

``time.time()`` is recorded after the imports, after reading the labels file (a benchmark
artefact: the stage leaves it out of the time), after ``read_csv``, after the cleaning and
when the fit returns; the marks and the peak RSS are written to OUT *before* anything
untimed happens. Then, untimed, the test leads are merged and cleaned the same way, scored,
and the test AUC is added to OUT.
"""

from __future__ import annotations

import time

START = time.time()  # before any import of this script's own

import json  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402


def _clean(frame: Any, cats: list[str], nums: list[str]) -> Any:
    """A plain user's cleaning: text for categoricals, numbers (else NaN) for numerics."""
    import pandas as pd

    cols = {c: frame[c].astype(str) for c in cats}
    cols.update({c: pd.to_numeric(frame[c], errors="coerce") for c in nums})
    return pd.DataFrame(cols, index=frame.index)[cats + nums]


def run(kind: str, spec: dict[str, Any], out: Path) -> None:
    marks = {"start": START}
    import pandas as pd

    from benchmarks.stages import BASELINE_MODELS, E2E_KEY, E2E_TEST, E2E_WON, peak_rss, quiet

    key, cats, nums = spec["key"], spec["categorical"], spec["numeric"]
    make = BASELINE_MODELS[kind]
    make(cats, nums)  # imports scikit-learn (and optbinning)
    marks["imports"] = time.time()
    labels = pd.read_parquet(spec["labels"])
    marks["labels_read"] = time.time()

    raw = pd.read_csv(spec["csv"])
    marks["read_csv"] = time.time()
    leads = raw.drop_duplicates(subset=key)
    if not pd.api.types.is_string_dtype(leads[key]):
        leads = leads.assign(**{key: leads[key].astype(str)})
    train_labels = labels.loc[~labels[E2E_TEST], [E2E_KEY, E2E_WON]]
    train = leads.merge(train_labels, left_on=key, right_on=E2E_KEY, how="inner")
    x, y = _clean(train, cats, nums), train[E2E_WON].to_numpy()
    # A numeric column with no number left ("35%" is not one) makes optbinning fail (and
    # scikit-learn's imputer drop it): the user leaves it out.
    empty = [c for c in nums if not x[c].notna().any()]
    if empty:
        nums = [c for c in nums if c not in empty]
        x = x.drop(columns=empty)
    est = make(cats, nums)
    marks["prepared"] = time.time()
    with quiet():
        est.fit(x, y)
    marks["fit"] = time.time()
    result: dict[str, Any] = {"marks": marks, "peak_rss_at_fit": peak_rss(),
                              "csv_rows": int(len(raw)), "train_rows": int(len(train)),
                              "empty_columns": empty}
    out.write_text(json.dumps(result))  # the timed part is over

    from sklearn.metrics import roc_auc_score

    test_labels = labels.loc[labels[E2E_TEST], [E2E_KEY, E2E_WON]]
    test = leads.merge(test_labels, left_on=key, right_on=E2E_KEY, how="inner")
    with quiet():
        proba = est.predict_proba(_clean(test, cats, nums))[:, 1]
    result["auc"] = float(roc_auc_score(test[E2E_WON].to_numpy(), proba))
    result["test_rows"] = int(len(test))
    # Values in the file that the plain cleaning turned into NaN (e.g. "1,200", "35%"),
    # per numeric column, on the training rows.
    lost = {}
    for c in spec["numeric"]:
        n = int((train[c].notna() & pd.to_numeric(train[c], errors="coerce").isna()).sum())
        if n:
            lost[c] = n
    result["lost_numbers"] = lost
    out.write_text(json.dumps(result))


def main(argv: list[str]) -> int:
    kind, spec_path, out_path = argv
    out = Path(out_path)
    try:
        run(kind, json.loads(Path(spec_path).read_text()), out)
    except Exception as exc:
        import traceback

        out.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}",
                                   "traceback": traceback.format_exc()[-4000:]}))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
