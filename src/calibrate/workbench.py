"""The workbench: one object for a notebook, the CLI and the tests to drive calibrate.

It holds one store (a DuckDB file, or memory) and says in plain calls what the app's
screens do: load leads, fit the suggested points, project the figures of thresholds,
suggest thresholds, save scenarios and agree on one, score new leads and export the
agreement in every format the Export page offers.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import pandas as pd

from calibrate.data import store
from calibrate.decide.grid import Grid
from calibrate.decide.scenarios import Scenario
from calibrate.decide.suggestion import Suggestion
from calibrate.decide.tradeoff import Figures, Settings
from calibrate.errors import CalibrateError
from calibrate.model.weights import Weights

if TYPE_CHECKING:  # the ingest's modules load with the first ingest, not with the fit
    from calibrate.data.ingest import IngestReport
    from calibrate.decide.comparison import Comparison

DEFAULT_MONTHS = 12  # as the workshop screen projects by default


class Workbench:
    """calibrate's work on one store: leads in, points, thresholds, agreement, exports out.

    Parameters
    ----------
    db : str or path, optional
        The DuckDB file to work in (created if missing). None keeps everything in memory,
        gone when the workbench is closed.
    read_only : bool, default False
        Open the file only to read (exports, scenario lists): works on a read-only file.
    keep_backups : int, optional
        Automatic backups to keep beside a file (one before each load that replaces leads,
        one after each agreement); default ``$CALIBRATE_KEEP_BACKUPS`` or 10, 0 for none.

    Heavy libraries (pandas' I/O, the solver's scipy, Streamlit) load on first use, so
    ``import calibrate`` stays quick; each method imports what it needs.

    Examples
    --------
    The whole path, from a CRM export to the agreed rules (``data/leads.csv`` holds
    3,000 sample leads here):

    >>> import calibrate
    >>> wb = calibrate.Workbench()                     # in memory; Workbench("x.duckdb") keeps it
    >>> wb.ingest("data/leads.csv").rows_loaded
    3000
    >>> weights = wb.fit()
    >>> 0.5 < weights.metrics["auc"] <= 1
    True
    >>> f = wb.figures(min_profile=60, min_behavior=45, reps=4, leads_per_rep=20)
    >>> f.mqls <= f.leads
    True
    >>> wb.save_scenario("Sales", min_profile=60, min_behavior=45).name
    'Sales'
    >>> wb.agree("Sales", by="VP Sales and VP Marketing").kind
    'agreement'
    >>> scored = wb.score("data/leads.csv")
    >>> list(scored.columns[:9])           # the id and outcome under the file's own headers
    ['lead_id', 'status (outcome)', 'profile_points', 'behavior_points', 'total', 'grade',
     'level', 'rule', 'mql']
    >>> wb.export("rules").splitlines()[0]
    'score,field,operator,value,points,level,segment'
    >>> wb.close()
    """

    def __init__(self, db: str | os.PathLike[str] | None = None, *, read_only: bool = False,
                 keep_backups: int | None = None) -> None:
        self.db = Path(db) if db is not None else None
        self.keep_backups = keep_backups
        self.last_backup: Any = None  # the automatic backup of the last ingest or agreement
        self._fits: dict[tuple[int, bool], Any] = {}  # held-out fits, for evaluations
        self._grids: dict[tuple[int, int, str], Any] = {}  # count grids, for projections
        self.con: duckdb.DuckDBPyConnection = (
            store.connect(db, read_only=read_only) if db is not None
            else store.connect_memory())

    def cursor(self) -> Workbench:
        """A workbench on a new cursor of the same store, sharing this one's caches: one per
        thread (the app gives each page run one; DuckDB connections are not shared by
        threads). Closing it leaves this one open.

        Examples
        --------
        >>> other = wb.cursor()
        >>> other.leads == wb.leads
        True
        >>> other.close()
        """
        other = object.__new__(Workbench)
        other.__dict__.update(self.__dict__)
        other.con = self.con.cursor()
        other.last_backup = None
        return other

    def __repr__(self) -> str:
        where = str(self.db) if self.db is not None else "memory"
        return f"Workbench({where!r}: {self.leads:,} leads)"

    def __enter__(self) -> Workbench:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store (a file keeps everything saved; memory is gone).

        Examples
        --------
        >>> with calibrate.Workbench() as temporary:   # closed at the end of the block
        ...     temporary.leads
        0
        """
        self.con.close()

    # ------------------------------------------------------------------ data

    @property
    def leads(self) -> int:
        """How many leads are loaded (0 before the first ingest).

        Examples
        --------
        >>> wb.leads
        3000
        """
        return store.lead_count(self.con)

    def ingest(self, data: Any, *, outcome: str | None = None,
               mapping: Any = None, replace: bool = True) -> IngestReport:
        """Load leads and return what was read, guessed and cleaned.

        Parameters
        ----------
        data : path, pandas DataFrame or Arrow table
            A CRM export (CSV, Excel, Parquet, JSON) or a frame; a frame goes through the
            same cleaning and guessing as a file.
        outcome : str, optional
            The header of the outcome column, when the guess is not the right one.
        mapping : path or Mapping, optional
            A mapping file (TOML) fixing roles, types and labels.
        replace : bool, default True
            Replace the loaded leads (False appends; same columns, newer rows win).

        Returns
        -------
        IngestReport
            Its ``summary()`` is what ``calibrate ingest`` prints.

        Examples
        --------
        A DataFrame is cleaned and guessed as the file would be:

        >>> frame = pd.read_csv("data/leads.csv", dtype=str)
        >>> report = wb.ingest(frame.head(2000))
        >>> report.rows_loaded == wb.leads     # 2,000 rows, duplicated lead ids merged
        True
        >>> print(report.summary())                                   # doctest: +ELLIPSIS
        Loaded 1,995 leads from data frame (csv, encoding 'utf-8')
          2,000 rows read; 5 duplicate lead ids merged
        ...
        """
        from calibrate.data.autobackup import backup_before_ingest
        from calibrate.data.frames import ingest_any

        if self.db is not None:
            self.last_backup = backup_before_ingest(self.con, replace, self.db,
                                                    self.keep_backups)
        return ingest_any(self.con, data, outcome=outcome, mapping=mapping, replace=replace)

    # ------------------------------------------------------------------ the points

    def fit(self, *, exclude_no_decision: bool = False,
            lock: Mapping[tuple[str, str], int] | None = None,
            order: list[tuple[str, str, str]] | None = None,
            cap: Mapping[str, int] | None = None) -> Weights:
        """Fit the logistic model on the closed leads and put its points in force.

        Parameters
        ----------
        exclude_no_decision : bool, default False
            Leave no-decision leads out of the fit instead of counting them as not won.
        lock, order, cap : optional
            Workshop constraints: ``{(attribute, level): points}``, ``[(attribute,
            higher level, lower level)]``, ``{attribute: most points}``.

        Returns
        -------
        Weights
            ``table`` (the points), ``metrics`` (held-out AUC, KS, log loss, Brier,
            leakage warnings and, with constraints, what they cost in AUC).

        Examples
        --------
        >>> weights = wb.fit()
        >>> sorted(set(weights.table["axis"]))
        ['behavior', 'profile']
        >>> bool(weights.table.groupby("axis")["points"].max().le(100).all())
        True

        A workshop constraint: a level's points fixed by hand, and what it costs.

        >>> top = weights.table.iloc[0]
        >>> held = wb.fit(lock={(top.attribute, top.level): 0})
        >>> int(held.table.iloc[0]["points"]), "auc_cost" in held.metrics
        (0, True)
        """
        from calibrate.decide import workshop
        from calibrate.model.constraints import Constraints
        from calibrate.model.weights import latest_weights, save_weights

        self._need_leads()
        before = latest_weights(self.con, store.data_version(self.con))
        rules = before.rules if before else None  # the auto-rules in force carry over
        wanted = Constraints(dict(lock or {}), list(order or []), dict(cap or {}))
        if wanted:
            weights, cost = workshop.constrained_weights(
                self.con, wanted, exclude_no_decision=exclude_no_decision)
            weights.metrics = {**weights.metrics, **cost}
        else:
            weights = workshop.suggested_weights(self.con,
                                                 exclude_no_decision=exclude_no_decision)
        weights.rules = rules
        weights.id = save_weights(self.con, weights, store.data_version(self.con))
        return weights

    @property
    def weights(self) -> Weights:
        """The weights in force (fitted first if the loaded leads have none yet).

        Examples
        --------
        >>> w = wb.weights
        >>> w.id is not None and len(w.table) > 0
        True
        """
        from calibrate.decide.workshop import active_weights

        self._need_leads()
        return active_weights(self.con)

    @property
    def points(self) -> pd.DataFrame:
        """The points table in force: axis, attribute, level, points, leads, win rate...

        Examples
        --------
        >>> list(wb.points.columns[:5])
        ['axis', 'attribute', 'kind', 'level', 'code']
        """
        return self.weights.table.copy()

    def edit_points(self, edits: Mapping[tuple[str, str], int]) -> Weights:
        """Set some levels' points by hand (``{(attribute, level): points}``); the edited
        table is saved as new weights in force, as the Weights page does.

        Examples
        --------
        >>> row = wb.points.iloc[1]
        >>> edited = wb.edit_points({(row.attribute, row.level): 7})
        >>> int(wb.points.iloc[1]["points"]), int(row.suggested_points) == int(
        ...     wb.points.iloc[1]["suggested_points"])
        (7, True)
        """
        from calibrate.model.revisions import with_edits
        from calibrate.model.weights import save_weights

        edited = with_edits(self.weights, edits)
        save_weights(self.con, edited, store.data_version(self.con))
        return edited

    def reset_points(self, levels: Iterable[tuple[str, str]] | None = None) -> Weights:
        """Put some levels' points (``[(attribute, level)]``; default: every level) back to
        the model's suggestion, saved as new weights in force (the Weights page's Reset).
        The edits stay in the store's history; nothing is overwritten.

        Examples
        --------
        >>> row = wb.points.iloc[1]
        >>> key = (row.attribute, row.level)
        >>> _ = wb.edit_points({key: int(row.suggested_points) + 5})
        >>> back = wb.reset_points([key])
        >>> int(back.table.iloc[1]["points"]) == int(row.suggested_points)
        True
        >>> _ = wb.edit_points({key: 0})
        >>> bool((wb.reset_points().table["points"] == wb.points["suggested_points"]).all())
        True
        """
        from calibrate.model.revisions import with_reset
        from calibrate.model.weights import save_weights

        updated = with_reset(self.weights, levels)
        updated.id = save_weights(self.con, updated, store.data_version(self.con))
        return updated

    def evaluate(self, table: pd.DataFrame | None = None) -> dict[str, Any]:
        """How a points table (default: the one in force, edits included) ranks the leads
        the fit held out: AUC, KS, log loss, Brier, lift by decile. Compare with the
        suggestion's ``weights.metrics`` to see what an edit costs.

        Examples
        --------
        >>> flat = wb.points.assign(points=0)       # every lead the same: no ranking at all
        >>> wb.evaluate(flat)["auc"]
        0.5
        >>> wb.evaluate()["auc"] > 0.5
        True
        """
        from calibrate.model.revisions import held_out_metrics

        weights = self.weights
        chosen = weights.table if table is None else table
        return held_out_metrics(self.con, chosen, self._held_out(weights).split)

    def constrain(self, lock: Mapping[tuple[str, str], int] | None = None,
                  order: list[tuple[str, str, str]] | None = None,
                  cap: Mapping[str, int] | None = None) -> Weights:
        """Apply workshop constraints to the suggested points in force without refitting
        (the Weights page's "Apply"), save the result as the weights in force and measure
        what the constraints cost in held-out AUC (``metrics["auc_cost"]``).

        Examples
        --------
        >>> top = wb.points.iloc[0]
        >>> held = wb.constrain(lock={(top.attribute, top.level): 0})
        >>> int(held.table.iloc[0]["points"]), held.metrics["auc_cost"] >= -0.01
        (0, True)
        """
        from calibrate.model.constraints import Constraints
        from calibrate.model.revisions import with_constraints
        from calibrate.model.weights import save_weights

        weights = self.weights
        wanted = Constraints(dict(lock or {}), list(order or []), dict(cap or {}))
        updated, cost = with_constraints(self.con, weights, wanted,
                                         self._held_out(weights).split)
        updated.metrics = {**updated.metrics, **cost}
        updated.id = save_weights(self.con, updated, store.data_version(self.con))
        return updated

    def set_rules(self, rules: Any) -> Weights:
        """Put other auto-rules in force (a :class:`~calibrate.model.rule_settings.RuleSet`
        or its dict), saved with the points in force.

        Examples
        --------
        >>> rules = wb.weights.rules or {}
        >>> w = wb.set_rules({**rules, "competitor_domains": ["rival.example"]})
        >>> wb.weights.rules["competitor_domains"]
        ['rival.example']
        """
        from calibrate.model.revisions import with_rules
        from calibrate.model.rule_settings import RuleSet
        from calibrate.model.weights import save_weights

        ruleset = rules if isinstance(rules, RuleSet) else RuleSet.from_dict(dict(rules))
        updated = with_rules(self.weights, ruleset.to_dict())
        updated.id = save_weights(self.con, updated, store.data_version(self.con))
        return updated

    def no_decision_comparison(self) -> pd.DataFrame:
        """The suggested points with no-decision leads counted as not won, and left out of
        the fit, side by side (largest difference first).

        Examples
        --------
        >>> list(wb.no_decision_comparison().columns)  # doctest: +NORMALIZE_WHITESPACE
        ['axis', 'attribute', 'level', 'suggested_points (not won)',
         'suggested_points (left out)', 'difference']
        """
        from calibrate.model.revisions import no_decision_comparison

        return no_decision_comparison(self._held_out(None, False), self._held_out(None, True))

    def _held_out(self, weights: Weights | None, exclude: bool | None = None) -> Any:
        """The fit whose held-out split measures edits (kept per data version and choice)."""
        from calibrate.decide.workshop import held_out_fit

        if exclude is None:
            exclude = bool(weights.options.get("exclude_no_decision", False))  # type: ignore[union-attr]
        key = (store.data_version(self.con), exclude)
        if key not in self._fits:
            self._fits[key] = held_out_fit(self.con, exclude_no_decision=exclude)
        return self._fits[key]

    # ------------------------------------------------------------------ thresholds

    def figures(self, min_profile: int | None = None, min_behavior: int | None = None,
                min_total: int | None = None, *, segment: str | None = None,
                segment_thresholds: Mapping[str, tuple[int, ...] | int] | None = None,
                months: int | None = DEFAULT_MONTHS, reps: float | None = None,
                leads_per_rep: float | None = None, cost_per_lead: float | None = None,
                value_per_win: float | None = None) -> Figures:
        """Every figure the Thresholds screen shows for these thresholds.

        Parameters
        ----------
        min_profile, min_behavior : int
            The two thresholds (0-100); or ``min_total`` alone for one total score.
        segment : str, optional
            Project one segment's leads (its definition alone); None: every lead.
        segment_thresholds : mapping, optional
            Segments with a bar of their own: ``{"Enterprise": (70, 40)}`` or, with
            ``min_total``, ``{"Enterprise": 55}``.
        months : int, default 12
            The latest months of inflow to project from (0 or None: all history).
        reps, leads_per_rep : float, optional
            Sales capacity (MQLs a month sales can work = reps x leads per rep).
        cost_per_lead, value_per_win : float, optional
            Money: cost of working a lead, value of a win (default: mean won amount).

        Returns
        -------
        Figures
            MQLs per month, conversion with its 95% interval, wins per month, share of all
            wins, no-decision rate, nurture, capacity used, expected value...

        Examples
        --------
        >>> f = wb.figures(min_profile=60, min_behavior=45, reps=4, leads_per_rep=20)
        >>> f.conversion_low <= f.conversion <= f.conversion_high
        True
        >>> stricter = wb.figures(min_profile=80, min_behavior=45)
        >>> stricter.mqls <= f.mqls
        True
        """
        from calibrate.decide.agreement import segment_named
        from calibrate.decide.tradeoff import figures_for
        from calibrate.decide.workshop import last_months

        settings, own = self._settings(min_profile, min_behavior, min_total,
                                       segment_thresholds, reps, leads_per_rep,
                                       cost_per_lead, value_per_win)
        grid = self._grid()
        window = last_months(grid, months)
        settings = replace(settings, months_in_window=len(window) if window else None)
        own = {segment_named(grid, k): settings.with_bar(v.bar()) for k, v in own.items()}
        return figures_for(grid, window, settings, own, segment_named(grid, segment))

    def suggest(self, objective: str = "max_wins_within_capacity", *, mode: str = "both",
                floor: float | None = None, segment: str | None = None,
                months: int | None = DEFAULT_MONTHS, reps: float | None = None,
                leads_per_rep: float | None = None, cost_per_lead: float | None = None,
                value_per_win: float | None = None) -> Suggestion:
        """The thresholds the Thresholds screen's buttons suggest.

        ``objective`` "max_wins_within_capacity" (needs ``reps`` and ``leads_per_rep``)
        or "conversion_floor" (the most volume with conversion at least ``floor``, a
        fraction: 0.10 for 10%). ``mode`` "both" suggests two thresholds, "total" one.
        Other parameters as for :meth:`figures`.

        Examples
        --------
        >>> s = wb.suggest("max_wins_within_capacity", reps=2, leads_per_rep=10)
        >>> s.found, s.figures.mqls_per_month <= 2 * 10
        (True, True)
        >>> wb.suggest("conversion_floor", floor=1.01).found   # no bar converts above 100%
        False
        """
        from calibrate.decide.agreement import segment_named
        from calibrate.decide.suggestion import suggest
        from calibrate.decide.workshop import last_months

        grid = self._grid()
        window = last_months(grid, months)
        settings = Settings(mode=mode, reps=reps, leads_per_rep_per_month=leads_per_rep,
                            cost_per_lead_worked=cost_per_lead, value_per_win=value_per_win,
                            months_in_window=len(window) if window else None)
        cube = grid.cube(window, segment_named(grid, segment))
        return suggest(cube, settings, objective, floor=floor)  # type: ignore[arg-type]

    def grid(self) -> Grid:
        """The count grid the Thresholds screen projects from: leads by profile and
        behavior score, month, segment, outcome and auto-rule, for the weights in force
        (built once per data version, weights and rules, then kept; a file keeps it too,
        so a new workbench on it, the app after a restart, reads it instead of scoring
        every lead again). Its ``cube(months, segment)`` feeds
        :mod:`calibrate.decide.tradeoff`'s figures, curve, grid and distributions, each a
        sub-millisecond answer to a slider move.

        Examples
        --------
        >>> from calibrate.decide.tradeoff import Settings, figures
        >>> g = wb.grid()
        >>> f = figures(g.cube(None, None), Settings(min_profile=60, min_behavior=45))
        >>> f.mqls == wb.figures(min_profile=60, min_behavior=45, months=0).mqls
        True
        >>> wb.grid() is g                                   # kept until the weights change
        True
        """
        import json

        from calibrate.decide.workshop import kept_grid, rules_of

        self._need_leads()
        weights = self.weights
        rules = rules_of(weights)
        key = (store.data_version(self.con), int(weights.id or 0),
               json.dumps(rules.to_dict(), sort_keys=True))
        if key not in self._grids:
            if len(self._grids) >= 8:  # a long session refits and edits: keep the latest
                self._grids.pop(next(iter(self._grids)))
            self._grids[key] = kept_grid(self.con, weights, rules, data_version=key[0])
        return self._grids[key]

    # ------------------------------------------------------------------ scenarios

    def save_scenario(self, name: str, min_profile: int | None = None,
                      min_behavior: int | None = None, min_total: int | None = None, *,
                      segment: str | None = None,
                      segment_thresholds: Mapping[str, tuple[int, ...] | int] | None = None,
                      months: int | None = DEFAULT_MONTHS, reps: float | None = None,
                      leads_per_rep: float | None = None, cost_per_lead: float | None = None,
                      value_per_win: float | None = None, author: str = "",
                      note: str = "") -> Scenario:
        """Save thresholds with their figures as a named scenario (a new version when the
        name exists), exactly as the Thresholds screen's Save does; same parameters as
        :meth:`figures`.

        Examples
        --------
        >>> saved = wb.save_scenario("Sales", min_profile=65, min_behavior=40,
        ...                          segment_thresholds={"Enterprise": (75, 40)})
        >>> saved.version, saved.thresholds.describe()
        (2, 'profile ≥ 65 and behavior ≥ 40; Enterprise: profile ≥ 75 and behavior ≥ 40')
        """
        from calibrate.decide.agreement import save_thresholds

        settings, own = self._settings(min_profile, min_behavior, min_total,
                                       segment_thresholds, reps, leads_per_rep,
                                       cost_per_lead, value_per_win)
        self._need_leads()
        return save_thresholds(self.con, name, settings, segment=segment, months=months,
                               own_bars=own, author=author, note=note, grid=self.grid())

    def agree(self, name: str, *, by: str, note: str = "") -> Scenario:
        """Record the scenario named (or ``"#12"``) as the agreement, signed ``by``.

        Returns the agreement; ``wb.scenario(f"#{a.payload['agreed_scenario_id']}")`` is
        the scenario it agrees on. With a file, an automatic backup follows
        (``wb.last_backup``).

        Examples
        --------
        >>> a = wb.agree("Sales", by="VP Sales and VP Marketing")
        >>> wb.agreed().name, wb.agreed().author
        ('Sales', 'VP Sales and VP Marketing')
        """
        from calibrate.data.autobackup import backup_at_agreement
        from calibrate.decide.agreement import record_agreement

        agreement = record_agreement(self.con, name, by=by, note=note)[1]
        if self.db is not None:
            self.last_backup = backup_at_agreement(self.con, self.db, self.keep_backups)
        return agreement

    def scenario(self, ref: str) -> Scenario:
        """The newest version of the scenario named ``ref`` (trimmed, without case), or the
        saved row ``"#12"``; a :class:`CalibrateError` lists the names when none matches.

        Examples
        --------
        >>> wb.scenario(" sales ").thresholds.describe()
        'profile ≥ 60 and behavior ≥ 45'
        """
        from calibrate.decide.scenarios import find_scenario

        return find_scenario(self.con, ref)

    def agreed(self) -> Scenario | None:
        """What exports write: the agreement in force, else the newest scenario (None
        before anything is saved).

        Examples
        --------
        >>> wb.agreed().name, wb.agreed().kind        # no agreement yet: the newest scenario
        ('Marketing', 'scenario')
        """
        from calibrate.decide.agreement import agreed_source

        return agreed_source(self.con)

    def agreed_weights(self) -> Weights:
        """What exports write: the agreement's own points, thresholds and auto-rules (else
        the newest scenario's; before anything is saved, the weights in force without
        thresholds).

        Examples
        --------
        >>> w = wb.agreed_weights()
        >>> w.thresholds.describe(), w.id == wb.scenario("Marketing").payload["weights_id"]
        ('profile ≥ 40 and behavior ≥ 30', True)
        """
        from calibrate.decide.agreement import export_source

        self._need_leads()
        return export_source(self.con)[0]

    def drift(self, scenario: Scenario | None = None) -> str | None:
        """How the weights and data in force differ from what ``scenario`` (default: the
        one exports write) was computed on, in one line; None when they do not.

        Examples
        --------
        >>> wb.drift() is None
        True
        >>> refit = wb.fit()
        >>> wb.drift()                                               # doctest: +ELLIPSIS
        'Saved on weights #1 and 3,000 leads loaded on ...; since then: weights #2.'
        """
        from calibrate.decide.agreement import basis_in_force, drift_line

        scenario = scenario if scenario is not None else self.agreed()
        return drift_line(scenario, basis_in_force(self.con)) if scenario is not None else None

    def recompute(self, scenario: Scenario) -> Figures:
        """A scenario's thresholds and settings on the weights and data in force now (its
        window the same number of latest months), to set beside the figures it saved.

        Examples
        --------
        >>> sales = wb.scenario("Sales")
        >>> wb.recompute(sales).mqls == sales.figures["mqls"]        # nothing changed since
        True
        """
        from calibrate.decide.agreement import recompute

        return recompute(scenario, self.grid())

    def scenarios(self) -> pd.DataFrame:
        """The newest version of each scenario: thresholds, headline figures, which one is
        the agreement, and how each one's basis differs from what is in force.

        Examples
        --------
        >>> wb.scenarios()[["name", "thresholds_text", "agreed"]]
                name                  thresholds_text  agreed
        0  Marketing  profile ≥ 40 and behavior ≥ 30   False
        1      Sales  profile ≥ 60 and behavior ≥ 45   False
        """
        return pd.DataFrame(self.overview()["scenarios"])

    def history(self) -> list[Scenario]:
        """Every save, newest first: each version of each scenario, and every agreement
        (``kind`` "scenario" or "agreement"); nothing is ever overwritten.

        Examples
        --------
        >>> [(s.name, s.kind, s.version) for s in wb.history()]
        [('Marketing', 'scenario', 1), ('Sales', 'scenario', 1)]
        """
        from calibrate.decide.scenarios import list_scenarios

        return list_scenarios(self.con)

    def overview(self) -> dict[str, Any]:
        """The Scenarios page as data: ``agreement`` (the one in force, or None),
        ``in_force`` (the weights and data now) and ``scenarios`` (one dict per name).

        Examples
        --------
        >>> view = wb.overview()
        >>> view["agreement"] is None, len(view["scenarios"])
        (True, 2)
        """
        from calibrate.decide.agreement import scenario_overview

        return scenario_overview(self.con)

    def compare(self, a: str, b: str) -> Comparison:
        """Two scenarios (names or ``"#id"``) side by side: ``rows`` of thresholds and
        figures with the difference B - A, ``note`` on whether their bases match.

        Examples
        --------
        >>> c = wb.compare("Sales", "Marketing")
        >>> c.note                                                   # doctest: +ELLIPSIS
        'Both computed on weights #1 and 3,000 leads loaded on ....'
        >>> c.table()[1]
        {'': 'Minimum profile score', 'A': '60', 'B': '40', 'B - A': '-20'}
        """
        from calibrate.decide.comparison import compare

        return compare(self.scenario(a), self.scenario(b))

    # ------------------------------------------------------------------ out

    def score(self, data: Any = None, *, weights: Weights | str | os.PathLike[str] | None = None,
              mapping: Any = None, contacts: str = "hash") -> pd.DataFrame:
        """Score leads: profile, behavior, total, grade, level, rule, mql and reasons.

        Parameters
        ----------
        data : path, DataFrame or Arrow table, optional
            New leads (no outcome needed); None scores the loaded leads.
        weights : Weights or path, optional
            The weights to score with, or a weights JSON file (``export("json")``); by
            default the agreement's (else the newest scenario's, else those in force). With
            weights given, no leads need be loaded.
        mapping : path or Mapping, optional
            A mapping file for ``data`` (roles and types), as for :meth:`ingest`.
        contacts : {"hash", "drop", "plain"}, default "hash"
            How contact fields appear in the result.

        Examples
        --------
        Score a file with a weights file, as marketing ops would, in a fresh workbench:

        >>> with open("weights.json", "w") as out:
        ...     _ = out.write(wb.export("json"))
        >>> scored = calibrate.Workbench().score("data/leads.csv", weights="weights.json")
        >>> len(scored), bool(scored["grade"].isin(list("ABCD")).all())
        (3000, True)
        """
        from calibrate.data.frames import ingest_any
        from calibrate.decide.agreement import export_source
        from calibrate.decide.scored_leads import scored_leads

        if weights is not None and not isinstance(weights, Weights):
            weights = Weights.read(weights)
        if weights is None and self.leads:
            weights = export_source(self.con)[0]
        if data is None:
            self._need_leads()
            return scored_leads(self.con, weights, contacts=contacts)  # type: ignore[arg-type]
        if weights is None:
            raise CalibrateError("No weights to score with: no leads are loaded.",
                                 fix="Load historical leads first (wb.ingest(...)), or pass "
                                     "weights=... (a weights JSON file).")
        con = store.connect_memory()
        try:
            ingest_any(con, data, mapping=mapping, replace=True, require_outcome=False)
            return scored_leads(con, weights, contacts=contacts,  # type: ignore[arg-type]
                                source_file=str(data) if isinstance(data, str | os.PathLike)
                                else None)
        finally:
            con.close()

    def export(self, format: str = "rules", *, dialect: str = "duckdb") -> str | bytes:
        """The agreement (else the newest scenario) in one of the Export page's formats:
        csv, json, rules, sql (``dialect`` duckdb, postgres, snowflake, bigquery),
        hubspot, marketo, pardot, mautic, markdown, html (text) or xlsx (bytes).

        Examples
        --------
        >>> sql = wb.export("sql", dialect="postgres")
        >>> sql.startswith("-- calibrate lead score (postgres)")
        True
        >>> wb.export("markdown").splitlines()[0]
        '# What a sales-ready lead is: our agreement'
        """
        from calibrate.decide.agreement import export_source
        from calibrate.export.agreement_page import agreement_document, agreement_html
        from calibrate.export.files import export_bytes

        self._need_leads()
        weights, source = export_source(self.con)
        if format in ("markdown", "html"):
            if source is None:
                raise CalibrateError("No scenario or agreement is saved yet.",
                                     fix="Save one first: wb.save_scenario(NAME, "
                                         "min_profile=P, min_behavior=B).")
            text = agreement_document(self.con, source)
            return agreement_html(text) if format == "html" else text
        data = export_bytes(weights, format, columns=store.read_columns(self.con),
                            dialect=dialect)
        return data if format == "xlsx" else data.decode("utf-8")

    def backup(self, out: str | os.PathLike[str] | None = None) -> Path:
        """A consistent copy of the store; by default a new file in ``backups/`` beside the
        database (where the app's sidebar lists it). Works on a read-only workbench.

        Examples
        --------
        >>> copy = wb.backup()
        >>> copy.parent.name, copy.suffix
        ('backups', '.duckdb')
        """
        from calibrate.data.autobackup import backup_now
        from calibrate.data.backup import backup

        if out is not None:
            return backup(self.con, out)
        if self.db is None:
            raise CalibrateError("An in-memory workbench has no folder for backups.",
                                 fix="Give the file to write: wb.backup('leads.duckdb').")
        return backup_now(self.con, self.db).path

    @staticmethod
    def restore(backup_file: str | os.PathLike[str],
                db: str | os.PathLike[str] | None = None) -> Any:
        """Replace the database ``db`` (default ``$CALIBRATE_DB`` or
        data/calibrate.duckdb) with a backup, atomically; the file it replaces is kept
        beside it. No workbench may have it open. Returns what was done (``summary()``).

        Examples
        --------
        >>> copy = wb.backup("before.duckdb")
        >>> wb.close()
        >>> done = calibrate.Workbench.restore(copy, "data/calibrate.duckdb")
        >>> wb = calibrate.Workbench("data/calibrate.duckdb")
        >>> wb.leads
        3000
        """
        from calibrate.data.backup import restore

        return restore(backup_file, db)

    # ------------------------------------------------------------------ helpers

    def _need_leads(self) -> None:
        if not self.leads:
            raise CalibrateError("No leads are loaded.",
                                 fix="Load leads first: wb.ingest(path_or_dataframe).")

    def _grid(self) -> Any:
        return self.grid()

    @staticmethod
    def _settings(min_profile: int | None, min_behavior: int | None, min_total: int | None,
                  segment_thresholds: Mapping[str, Any] | None, reps: float | None,
                  leads_per_rep: float | None, cost_per_lead: float | None,
                  value_per_win: float | None) -> tuple[Settings, dict[str, Settings]]:
        from calibrate.decide.agreement import segment_bar, threshold_settings

        settings = replace(threshold_settings(min_profile, min_behavior, min_total),
                           reps=reps, leads_per_rep_per_month=leads_per_rep,
                           cost_per_lead_worked=cost_per_lead, value_per_win=value_per_win)
        own = {str(seg): segment_bar(settings, str(seg), values)
               for seg, values in (segment_thresholds or {}).items()}
        return settings, own
