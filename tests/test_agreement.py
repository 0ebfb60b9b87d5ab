"""The agreement as a record: tied to its weights and data, reproducible, never mixed."""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from calibrate import fmt
from calibrate.data import store
from calibrate.data.ingest import ingest
from calibrate.decide.agreement import (
    basis_now,
    basis_of,
    drift_line,
    export_source,
    figures_side_by_side,
    recompute,
    same_basis,
    scenario_payload,
)
from calibrate.decide.scenarios import mark_agreement, save_scenario
from calibrate.decide.tradeoff import Settings, figures_for
from calibrate.decide.workshop import active_weights, rules_of, workshop_grid
from calibrate.export.agreement_page import agreement_document, agreement_html
from calibrate.export.files import export_bytes
from calibrate.model.points import edit_points
from calibrate.model.weights import save_weights

from conftest import SAMPLE_CSV


@pytest.fixture(scope="module")
def slice_csv(tmp_path_factory):
    """The first 6,000 sample leads: enough to fit, quick to load."""
    path = tmp_path_factory.mktemp("agreement") / "leads.csv"
    with open(SAMPLE_CSV, encoding="utf-8") as src, open(path, "w", encoding="utf-8") as out:
        for i, line in enumerate(src):
            if i > 6_000:
                break
            out.write(line)
    return path


def save(con, name: str, min_profile: int = 40, min_behavior: int = 30, **kw):
    weights = active_weights(con)
    grid = workshop_grid(con, weights, rules_of(weights))
    settings = Settings(mode="both", min_profile=min_profile, min_behavior=min_behavior)
    result = figures_for(grid, None, settings)  # with the month ranges, as the app saves
    payload = scenario_payload(con, weights, settings, result)
    return save_scenario(con, name, payload, **kw), grid


def test_an_agreement_exports_the_same_after_edits_refits_and_new_data(db_path, slice_csv):
    con = store.connect(db_path)
    ingest(con, slice_csv)
    scenario, grid = save(con, "Sales proposal", author="Sam")
    agreed = mark_agreement(con, scenario, author="VP Sales")
    document = agreement_document(con, agreed)
    rules_csv = export_bytes(export_source(con)[0], "rules")
    assert f"weights #{scenario.payload['weights_id']}" in document
    leads = store.lead_count(con)
    assert f"{leads:,} leads loaded on" in document
    assert drift_line(agreed, basis_now(con, active_weights(con))) is None
    # The figures recomputed on the same weights and data are the saved ones, ranges too.
    assert recompute(agreed, grid).to_dict(ranges=True) == agreed.figures

    # An edit of the points: a new weights row in force.
    weights = active_weights(con)
    first = weights.table.iloc[0]
    edited = dataclasses.replace(weights, table=edit_points(
        weights.table, {(first.attribute, first.level): int(first.points) + 7}), id=None)
    save_weights(con, edited, store.data_version(con))
    # New data: a different slice replaces the leads.
    ingest(con, slice_csv, replace=True)
    now = active_weights(con)  # a refit on the new data version
    assert now.id not in (weights.id, edited.id)

    assert agreement_document(con, agreed) == document  # exactly, whatever happened since
    exported, source = export_source(con)
    assert source.id == agreed.id and exported.id == scenario.payload["weights_id"]
    assert export_bytes(exported, "rules") == rules_csv
    line = drift_line(agreed, basis_now(con, now))
    assert line == (f"Agreed on weights #{weights.id} and {leads:,} leads loaded on "
                    f"{basis_of(agreed).describe().split(' loaded on ')[1]}; since then: new "
                    f"data and weights #{now.id}.")
    side = figures_side_by_side(agreed.figures, recompute(
        agreed, workshop_grid(con, now, rules_of(now))))
    assert side[0]["figure"] == "MQLs per month" and side[0]["as agreed"] != "–"
    con.close()


def test_scenarios_on_different_weights_say_so_and_names_get_versions(db_path, slice_csv):
    con = store.connect(db_path)
    ingest(con, slice_csv)
    a, _ = save(con, "Marketing proposal")
    again, _ = save(con, "Marketing proposal", min_profile=50)
    assert (a.version, again.version) == (1, 2)
    assert same_basis(a, again)
    weights = active_weights(con)
    save_weights(con, dataclasses.replace(weights, id=None), store.data_version(con))
    b, _ = save(con, "Sales proposal")
    assert not same_basis(a, b)
    assert drift_line(a, basis_now(con, active_weights(con))).endswith(
        f"since then: weights #{b.payload['weights_id']}.")
    con.close()


def test_before_any_save_the_weights_in_force_are_exported_without_thresholds(
        db_path, slice_csv):
    con = store.connect(db_path)
    ingest(con, slice_csv)
    weights, source = export_source(con)
    assert source is None and not weights.thresholds
    con.close()


def test_figure_lines_count_as_people_read_and_say_in_all_without_dates():
    from calibrate.decide.agreement import figure_lines

    figures = {"mqls_per_month": 156.3, "wins_per_month": 9.44, "conversion": 0.0604,
               "conversion_low": 0.05, "conversion_high": 0.07, "nurture_per_month": 1234.5}
    lines = dict(figure_lines(figures))
    assert lines["MQLs per month"] == "156" and lines["Wins per month"] == "9.4"
    assert lines["Nurture pool per month"] == "1.2k"
    assert lines["Conversion (win rate of MQLs)"].startswith("6.0% (95% interval 5.0")
    undated = dict(figure_lines({**figures, "dated": False}))
    assert undated["MQLs in all"] == "156" and undated["Wins in all"] == "9.4"
    assert "MQLs per month" not in undated
    ranged = dict(figure_lines({**figures, "mqls_per_month_low": 139.6,
                                "mqls_per_month_high": 175.2, "wins_per_month_low": 7.04,
                                "wins_per_month_high": None}))
    assert ranged["MQLs per month"] == "156 (range 140–175)"
    assert ranged["Wins per month"] == "9.4"  # one end missing: no range


def test_saved_figures_keep_their_ranges_and_old_records_read_without(db_path, slice_csv):
    """A scenario keeps the 90% month ranges of MQLs and wins a month in its stored JSON;
    the agreement page and the Export page's side-by-side show them; a record saved before
    ranges were kept still exports, without a range and without an error."""
    con = store.connect(db_path)
    ingest(con, slice_csv)
    scenario, grid = save(con, "Sales proposal", author="Sam")
    raw = con.execute("SELECT payload FROM scenarios WHERE id = ?", [scenario.id]).fetchone()
    stored = json.loads(raw[0])["figures"]  # read as any reader would, not by the writer
    for key in ("mqls_per_month", "wins_per_month"):
        low, high = stored[f"{key}_low"], stored[f"{key}_high"]
        assert isinstance(low, float) and isinstance(high, float)
        assert low <= stored[key] <= high and low < high
    document = agreement_document(con, scenario)
    for label, key in (("MQLs per month", "mqls_per_month"), ("Wins per month", "wins_per_month")):
        row = re.search(rf"^\| {label} \| (.+) \|$", document, re.MULTILINE).group(1)
        assert row == (f"{fmt.per_month(stored[key])} (range "
                       f"{fmt.per_month(stored[key + '_low'])}–"
                       f"{fmt.per_month(stored[key + '_high'])})")
    assert "90% of resamples" in document
    assert "range " in agreement_html(document)

    old_figures = {k: v for k, v in scenario.figures.items() if not k.endswith(("_low",
                                                                                "_high"))
                   or k.startswith("conversion")}
    assert "mqls_per_month_low" not in old_figures and "conversion_low" in old_figures
    old = save_scenario(con, "Saved long ago", {**scenario.payload, "figures": old_figures})
    document = agreement_document(con, mark_agreement(con, old, author="VP Sales"))
    assert re.search(rf"^\| MQLs per month \| {fmt.per_month(stored['mqls_per_month'])} \|$",
                     document, re.MULTILINE)
    assert "range" not in document and "90% of resamples" not in document
    side = {r["figure"]: r for r in figures_side_by_side(old.figures, recompute(old, grid))}
    assert side["MQLs per month"]["as agreed"] == fmt.per_month(stored["mqls_per_month"])
    assert side["MQLs per month"]["on what is in force now"].startswith(
        f"{fmt.per_month(stored['mqls_per_month'])} (range ")
    con.close()
