"""The one-page agreement: the MQL definition, the figures it was agreed on, the points and
the signatures, as Markdown and as a standalone HTML page, from the scenario's own record."""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import duckdb

from calibrate import fmt
from calibrate.data import store
from calibrate.decide.agreement import (
    basis_of,
    capacity_lines,
    export_source,
    scenario_weights,
)
from calibrate.decide.figure_text import RANGE_NOTE, figure_rows, has_range
from calibrate.decide.rules import describe
from calibrate.decide.scenarios import Scenario
from calibrate.decide.workshop import rules_of
from calibrate.model.weights import Weights
from calibrate.thresholds import Thresholds, ThresholdsLike


def agreement_document(con: duckdb.DuckDBPyConnection, scenario: Scenario) -> str:
    """The one-page agreement (Markdown) of a scenario, from its own record only: the same
    document whenever it is exported (the export date aside)."""
    if scenario.payload.get("weights_id") is not None:
        weights = scenario_weights(con, scenario)
    else:  # saved before scenarios named their weights: the weights in force, as then
        weights = export_source(con)[0]
    rules_text = scenario.payload.get("rules_text")
    if rules_text is None:  # saved before scenarios kept it
        columns = {c.name: c.type for c in store.read_columns(con)}
        rules_text = describe(rules_of(weights), columns)
    return agreement_markdown(
        weights, scenario.figures, title="What a sales-ready lead is: our agreement",
        thresholds=scenario.thresholds, rules_text=rules_text, date=scenario.created_at,
        signed_by=scenario.author, basis=basis_of(scenario).describe(),
        capacity=capacity_lines(scenario.payload))


def agreement_markdown(weights: Weights, figures: Mapping[str, Any], *, title: str,
                       thresholds: ThresholdsLike, rules_text: list[str] | None = None,
                       date: datetime | None = None, signed_by: str = "",
                       basis: str = "", capacity: list[str] | None = None) -> str:
    """One page stating the MQL definition, thresholds, projected figures (MQLs and wins a
    month with their range, when saved with one) and date; the ``basis`` says what the
    figures were computed on ("weights #3 and 50,000 leads")."""
    when = (date or datetime.now()).strftime("%Y-%m-%d")
    lines = [f"# {title}", "", f"Agreed on {when}"
             + (f" by {_md(signed_by)}" if signed_by else "")
             + ".", "", "## Definition of a sales-ready lead (MQL)", ""]
    lines.append(" ".join(Thresholds.of(thresholds).sentences(name=_md, both="**and**")))
    if rules_text:
        lines += ["", "Rules applied before the score:", ""]
        lines += [f"- {_md(r)}" for r in rules_text]
    lines += ["", "## Projected figures", "", "| Figure | Value |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in figure_rows(figures)]
    if has_range(figures):
        lines += ["", RANGE_NOTE]
    if capacity:
        lines += ["", "Sales capacity:", ""] + [f"- {_md(line)}" for line in capacity]
    if basis:
        lines += ["", f"Computed on {basis}."]
    data = weights.data
    if data:
        lines += ["", f"Based on {fmt.number(data.get('rows'))} leads"
                  + (f" created {data.get('created_from', '')[:10]} to "
                     f"{data.get('created_to', '')[:10]}" if data.get("created_from") else "")
                  + "."]
    for axis in ("profile", "behavior"):
        part = weights.table[weights.table["axis"] == axis]
        if part.empty:
            continue
        lines += ["", f"## {axis.capitalize()} points", "", "| Attribute | Level | Points |",
                  "|---|---|---|"]
        lines += [f"| {_md(r.attribute)} | {_md(r.level)} | {int(r.points)} |"
                  for r in part.itertuples() if int(r.points) != 0]
    lines += ["", "Signed for marketing: ______________________", "",
              "Signed for sales: ______________________", "",
              f"Review again before {_review_date(date)}.", ""]
    return "\n".join(lines)


def _md(text: Any) -> str:
    """User text as literal Markdown (see :func:`calibrate.fmt.md`)."""
    return fmt.md(text)


def _unescape(text: str) -> str:
    """Markdown backslash escapes undone (for the HTML page, whose text is HTML-escaped)."""
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>~]|&lt;|&gt;|&amp;)", r"\1", text)


def _review_date(date: datetime | None) -> str:
    d = date or datetime.now()
    return f"{d.year}-12-31" if d.month < 10 else f"{d.year + 1}-06-30"


def agreement_html(markdown: str) -> str:
    """The agreement as a standalone HTML page (a small Markdown subset, all text escaped)."""
    body: list[str] = []
    table: list[list[str]] = []
    in_list = False

    def flush_table() -> None:
        if table:
            head, *rest = table
            body.append("<table><thead><tr>" + "".join(f"<th>{c}</th>" for c in head)
                        + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>"
                                  for row in rest) + "</tbody></table>")
            table.clear()

    for line in markdown.splitlines():
        text = _unescape(html.escape(line).replace("**", ""))
        if line.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in
                     html.escape(line).replace("\\|", "\x00").strip("|").split("|")]
            cells = [_unescape(c.replace("\x00", "|")) for c in cells]
            if not all(set(c) <= {"-"} for c in cells):
                table.append(cells)
            continue
        flush_table()
        if in_list and not line.startswith("- "):
            body.append("</ul>")
            in_list = False
        if line.startswith("# "):
            body.append(f"<h1>{text[2:]}</h1>")
        elif line.startswith("## "):
            body.append(f"<h2>{text[3:]}</h2>")
        elif line.startswith("- "):
            if not in_list:
                body.append("<ul>")
                in_list = True
            body.append(f"<li>{text[2:]}</li>")
        elif line.strip():
            body.append(f"<p>{text}</p>")
    flush_table()
    if in_list:
        body.append("</ul>")
    style = ("body{font-family:system-ui,sans-serif;max-width:52em;margin:2em auto;"
             "line-height:1.5}table{border-collapse:collapse}td,th{border:1px solid #ccc;"
             "padding:.3em .8em;text-align:left}")
    return ("<!doctype html><html><head><meta charset='utf-8'><title>MQL agreement</title>"
            f"<style>{style}</style></head><body>" + "\n".join(body) + "</body></html>")
