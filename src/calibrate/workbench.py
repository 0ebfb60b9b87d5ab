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
    from collections.abc import Callable

    from calibrate.data.file_preview import FilePreview
    from calibrate.data.ingest import IngestReport
    from calibrate.data.quality import Quality
    from calibrate.decide.backtest import Backtest
    from calibrate.decide.comparison import Comparison
    from calibrate.decide.room import Room
    from calibrate.in_place import InPlaceReport
    from calibrate.model.decay import Decay
    from calibrate.model.refresh import Refresh
    from calibrate.model.stability import Stability
    from calibrate.thresholds import Thresholds, ThresholdsLike

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
        self._source_urls: dict[str, str] = {}  # in-place sources' URLs, in memory only
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

    @property
    def data_version(self) -> int:
        """A number that moves on with every load or role change (caches key on it).

        Examples
        --------
        >>> v = wb.data_version
        >>> cols = wb.quality().columns
        >>> name = cols[cols["role"] == "behavior"]["name"].iloc[0]
        >>> _ = wb.set_roles({name: "ignore"}); _ = wb.set_roles({name: "behavior"})
        >>> wb.data_version > v
        True
        """
        return store.data_version(self.con)

    @property
    def last_file(self) -> str | None:
        """The name of the file (or frame) the leads were last loaded from, without its
        folder; None before the first load.

        Examples
        --------
        >>> wb.last_file
        'leads.csv'
        """
        from calibrate.fmt import file_name

        last = store.last_load(self.con)
        return file_name(last[0]) if last else None

    def columns(self) -> list[Any]:
        """The stored columns: name, header as written (``source_name``), role, type and
        why the guess was made (``reason``).

        Examples
        --------
        >>> c = wb.columns()[0]
        >>> c.source_name, c.role
        ('lead_id', 'lead_id')
        """
        return store.read_columns(self.con)

    def ingest(self, data: Any, *, outcome: str | None = None,
               mapping: Any = None, replace: bool = True, table: str | None = None,
               query: str | None = None, in_place: bool = False,
               in_place_cap: int | None = None) -> IngestReport | InPlaceReport:
        """Load leads and return what was read, guessed and cleaned.

        Parameters
        ----------
        data : path, database URL, pandas DataFrame or Arrow table
            A CRM export (CSV, Excel, Parquet, JSON), a folder of Parquet files (a Delta
            or Iceberg table's folder: its current version), a PostgreSQL server
            (``postgresql://user@host:port/database``, with ``table`` or ``query``) or a
            frame; each goes through the same cleaning and guessing as a file. In place
            only: a Spark master URL (``local[*]``, ``spark://host:7077``, Spark Connect's
            ``sc://host:15002``) with ``table`` or ``query``.
        table, query : str, optional
            With a database URL: the table to read (``schema.table``), or a query. The
            password comes from the URL, ``PGPASSWORD`` or ``~/.pgpass`` and is never kept.
            With a Spark master: a table of its catalog (``crm.leads``) or a Spark SQL
            query; a Spark Connect ``token`` is used, never kept.
        outcome : str, optional
            The header of the outcome column, when the guess is not the right one.
        mapping : path or Mapping, optional
            A mapping file (TOML) fixing roles, types and labels.
        replace : bool, default True
            Replace the loaded leads (False appends; same columns, newer rows win).
        in_place : bool, default False
            With a database URL, a Spark master, or Parquet files (a file, a folder of
            them, a glob such as ``data/*.parquet``): leave the leads where they are
            (:mod:`calibrate.in_place`). Only a bounded set of rows is read, loaded and
            fitted in memory (all of them up to ``in_place_cap``; above, that many picked
            in the source: the md5 of each row in PostgreSQL, of each row's JSON in Spark,
            DuckDB's hash of each row for Parquet); the count grid is counted in the
            source over every row (Parquet: by an in-memory DuckDB; Spark: by Spark, on
            the running session when its master is the one named). The store keeps the
            columns, the weights, the grid and where the source is (the URL without
            password or token; the files' paths, sizes and modification times), no lead
            rows: :attr:`leads` is the source's count, a refit
            (:meth:`fit`) reads the source again (Parquet files changed since: it says so),
            and the steps that need lead rows (:meth:`drift`, :meth:`quality`...) say so.
            It replaces what is loaded (``replace`` aside).
        in_place_cap : int, optional
            Rows read at most in place (default 250,000, the fit's sampling bound).

        Returns
        -------
        IngestReport or InPlaceReport
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
        from calibrate.data.spark_source import is_spark_master, redact_master

        if is_spark_master(data) and not in_place:
            raise CalibrateError(
                f"Leads in Spark ({redact_master(data)}) load in place only: a table too big "
                "for one machine stays in Spark, which counts and samples it.",
                fix=f"Add --in-place: calibrate ingest {redact_master(data)} --table T "
                    "--in-place (wb.ingest(master, table=..., in_place=True)); or export the "
                    "leads to Parquet files and load those.",
                app_fix="Load them with \"Or leave the leads in Apache Spark (in place)\" "
                        "on the Data page, or export them to Parquet files and load those.")
        if not (replace or in_place):
            self._need_rows("Adding leads to those loaded")
        if in_place:
            return self._ingest_in_place(data, table, query, outcome=outcome,
                                         mapping=mapping, cap=in_place_cap)
        if self.db is not None:
            self.last_backup = backup_before_ingest(self.con, replace, self.db,
                                                    self.keep_backups)
        return ingest_any(self.con, data, outcome=outcome, mapping=mapping, replace=replace,
                          table=table, query=query)

    def _ingest_in_place(self, data: Any, table: str | None, query: str | None, *,
                         outcome: str | None, mapping: Any, cap: int | None,
                         rules: Any = None,
                         compute: Callable[[Any], Weights] | None = None) -> InPlaceReport:
        """Load (or reload, for a refit) a source in place, a database or Parquet files (or
        the source a record names): everything is read and computed first, then written
        (:mod:`calibrate.in_place`)."""
        from calibrate import in_place
        from calibrate.data.autobackup import backup_before_ingest
        from calibrate.decide.workshop import suggested_weights

        source = in_place.source_of(data, table, query)
        prepared = in_place.prepare(source, compute or suggested_weights, cap=cap,
                                    outcome=outcome, mapping=mapping, rules=rules)
        if self.db is not None:
            self.last_backup = backup_before_ingest(self.con, True, self.db,
                                                    self.keep_backups)
        if isinstance(source, in_place.PostgresSource | in_place.SparkSource):
            self._source_urls[source.where()["url"]] = source.url  # this session's, in memory
        return prepared.save(self.con)

    def preview(self, path: str | os.PathLike[str], *, mapping: Any = None,
                outcome: str | None = None) -> FilePreview:
        """What a file holds before it is loaded: headers, guessed roles and types, the
        outcome column and its labels, read from a sample (the Data page's upload steps).

        Parameters
        ----------
        path : path
            The file (CSV, Excel, Parquet, JSON).
        mapping : path or Mapping, optional
            Choices that override the guesses (see :meth:`saved_choices`).
        outcome : str, optional
            The outcome column's header, when the guess is not the right one.

        Examples
        --------
        >>> p = wb.preview("data/leads.csv")
        >>> p.outcome, p.headers[0]
        ('status', 'lead_id')
        """
        from calibrate.data.file_preview import inspect_file
        from calibrate.data.roles import Mapping as Choices
        from calibrate.data.roles import load_mapping

        if not isinstance(mapping, Choices):
            mapping = load_mapping(mapping)
        return inspect_file(path, mapping, outcome)

    def saved_choices(self, headers: Iterable[str]) -> tuple[Any, str] | None:
        """The choices (a Mapping) last loaded for a file with these headers, in any order,
        and when they were saved; None the first time such a file comes.

        Examples
        --------
        >>> wb.saved_choices(["a", "b"]) is None
        True
        """
        from calibrate.data.mappings import saved_mapping

        return saved_mapping(self.con, list(headers))

    def remember_choices(self, headers: Iterable[str], mapping: Any) -> None:
        """Keep ``mapping`` for the next file with these headers (the newest choice wins).

        Examples
        --------
        >>> from calibrate.data.roles import Mapping
        >>> wb.remember_choices(["a", "b"], Mapping())
        >>> wb.saved_choices(["b", "a"]) is not None
        True
        """
        from calibrate.data.mappings import save_mapping

        save_mapping(self.con, list(headers), mapping)

    def quality(self) -> Quality | None:
        """The loaded leads in numbers: rows, outcomes, dates, and each stored column's
        role, type, missing share and distinct values; None before the first load.

        Examples
        --------
        >>> q = wb.quality()
        >>> q.rows == wb.leads, sorted(q.outcomes)
        (True, ['lost', 'no_decision', 'open', 'won'])
        """
        from calibrate.data.quality import quality

        self._need_rows("The data quality summary")
        return quality(self.con)

    def set_roles(self, roles: Mapping[str, str]) -> int:
        """Move stored columns between profile, behavior and ignore without reloading
        (``{column: role}``, columns by their stored names as :meth:`quality` lists them);
        returns how many changed. The next fit uses the new roles.

        Examples
        --------
        >>> cols = wb.quality().columns
        >>> name = cols[cols["role"] == "behavior"]["name"].iloc[0]
        >>> wb.set_roles({name: "ignore"}), wb.set_roles({name: "behavior"})
        (1, 1)
        """
        from calibrate.data.quality import set_roles

        self._need_rows("Changing column roles")
        return set_roles(self.con, dict(roles))

    def leak_warnings(self) -> dict[str, str]:
        """Columns that look like they are known only after the outcome, by stored name,
        with why; the fit leaves them out.

        Examples
        --------
        >>> isinstance(wb.leak_warnings(), dict)
        True
        """
        from calibrate.model.leakage import leak_screen

        self._need_leads()
        self._need_rows("The leak screen")
        try:
            return leak_screen(self.con)
        except CalibrateError:
            return {}

    def rule_hits(self) -> pd.DataFrame:
        """How many loaded leads each auto-rule in force hits and how they converted (the
        rules saved with the newest weights; the default rules before any fit).

        Examples
        --------
        >>> list(wb.rule_hits().columns)
        ['rule', 'kind', 'leads', 'share', 'closed', 'wins', 'win_rate']
        """
        from calibrate.decide.rules import rule_hits
        from calibrate.decide.workshop import rules_of
        from calibrate.model.rule_settings import RuleSet
        from calibrate.model.weights import latest_weights

        self._need_leads()
        self._need_rows("Counting the auto-rules' hits")
        weights = latest_weights(self.con, store.data_version(self.con))
        return rule_hits(self.con, rules_of(weights) if weights is not None else RuleSet())

    # ------------------------------------------------------------------ the points

    def fit(self, *, exclude_no_decision: bool = False,
            lock: Mapping[tuple[str, str], int] | None = None,
            order: list[tuple[str, str, str]] | None = None,
            cap: Mapping[str, int] | None = None) -> Weights:
        """Fit the logistic model on the closed leads and put its points in force. Loaded in
        place (:meth:`ingest`), it reads the source again as the load did (the password from
        the URL given in this session, ``PGPASSWORD`` or ``~/.pgpass``) and counts its grid.

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
        from calibrate import in_place
        from calibrate.decide import workshop
        from calibrate.model.constraints import Constraints
        from calibrate.model.weights import latest_weights, save_weights

        self._need_leads()
        before = latest_weights(self.con, store.data_version(self.con))
        rules = before.rules if before else None  # the auto-rules in force carry over
        wanted = Constraints(dict(lock or {}), list(order or []), dict(cap or {}))

        def compute(con: duckdb.DuckDBPyConnection) -> Weights:
            if not wanted:
                return workshop.suggested_weights(con,
                                                  exclude_no_decision=exclude_no_decision)
            fitted, cost = workshop.constrained_weights(
                con, wanted, exclude_no_decision=exclude_no_decision)
            fitted.metrics = {**fitted.metrics, **cost}
            return fitted

        if (record := in_place.record_of(self.con)) is not None:  # read the source again
            return self._ingest_in_place(
                record.source(self._source_url()), None, None,
                outcome=record.outcome, mapping=in_place.mapping_of(record), cap=record.cap,
                rules=rules, compute=compute).weights
        weights = compute(self.con)
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

        self._need_rows("Measuring points on the held-out leads")
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
            wins, no-decision rate, nurture, capacity used, expected value... MQLs and
            wins a month have a 90% range from month-to-month variation
            (``mqls_per_month_low`` / ``_high``, ``wins_per_month_low`` / ``_high``; None
            for undated leads or a window under 3 months).

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
            if store.in_place(self.con) is not None:  # counted in the source
                from calibrate.in_place import kept_grid as kept_in_place

                self._grids[key] = kept_in_place(self.con, weights, rules, key[0],
                                                 self._source_url())
            else:
                self._grids[key] = kept_grid(self.con, weights, rules, data_version=key[0])
        return self._grids[key]

    def grid_sql(self, dialect: str = "duckdb", *, source: str = "leads") -> str:
        """The count grid of :meth:`grid` as one SQL query to run where the leads are:
        written once and transpiled with sqlglot to ``dialect`` (duckdb, postgres,
        snowflake, bigquery or spark), it reads table ``source`` under the original
        columns and returns only the grid's rows, the weights in force's counts
        (:func:`calibrate.export.grid_sql.grid_from_rows` reads them back as a grid).
        Its header comment says what the columns must hold (clean numbers, placeholders
        empty, one row per lead). Needs saved weights (:meth:`fit`), which it names.

        Examples
        --------
        >>> sql = wb.grid_sql("postgres", source="crm.leads")
        >>> sql.startswith(f"-- calibrate count grid (postgres, weights #{wb.weights.id})")
        True
        >>> "FROM crm.leads" in sql, "GROUP BY" in sql
        (True, True)
        """
        from calibrate.data.mappings import loaded_mapping
        from calibrate.decide.workshop import rules_of
        from calibrate.export.grid_sql import grid_sql
        from calibrate.model.recency import data_as_of

        weights = self._query_weights(dialect, source)
        columns = store.read_columns(self.con)
        as_of = (data_as_of(self.con) if (weights.table["kind"] == "recency").any()
                 else None)
        mapping = loaded_mapping(self.con)  # the load's own
        if mapping is None:  # leads loaded before it was kept: the choices remembered
            saved = self.saved_choices(c.source_name for c in columns if c.source_name)
            mapping = saved[0] if saved else None
        return grid_sql(weights.table, columns=columns, rules=rules_of(weights),
                        source=source, dialect=dialect, as_of=as_of,
                        outcomes=mapping.outcomes if mapping else None,
                        placeholders=mapping.placeholders if mapping else (),
                        weights_id=weights.id)

    def score_sql(self, dialect: str = "duckdb", *, source: str = "leads") -> str:
        """The score as one SQL ``SELECT`` over table ``source``, as
        ``export("sql", dialect=...)`` writes it (the agreement's thresholds, else the
        newest scenario's, else none), with a first line naming the weights and
        thresholds; ``dialect`` as for :meth:`grid_sql`. Needs saved weights (:meth:`fit`).

        Examples
        --------
        >>> sql = wb.score_sql("spark", source="crm.leads")
        >>> sql.splitlines()[1].startswith("-- calibrate lead score (spark)")
        True
        """
        from calibrate.decide.agreement import export_source
        from calibrate.decide.workshop import rules_of
        from calibrate.export.score_sql import portable_sql

        self._query_weights(dialect, source)
        weights, scenario = export_source(self.con)
        sql = portable_sql(weights.table, thresholds=weights.thresholds,
                           rules=rules_of(weights), columns=store.read_columns(self.con),
                           source=source, dialect=dialect)
        bar = (f"the thresholds of the {scenario.kind} '{scenario.name}'"
               if scenario is not None
               else "no thresholds (none saved yet: mql is false but for auto-qualified leads)")
        return f"-- Weights #{weights.id} with {bar}.\n{sql}"

    def _query_weights(self, dialect: str, source: str) -> Weights:
        """The saved weights in force for a query handed on (refusing to fit them), once
        ``dialect`` and the table name ``source`` are checked."""
        from calibrate.export.score_sql import DIALECTS
        from calibrate.model.weights import latest_weights

        if dialect not in DIALECTS:
            raise CalibrateError(f"Unknown SQL dialect '{dialect}'.",
                                 fix=f"Use one of {', '.join(DIALECTS)}.")
        if not str(source).strip():
            raise CalibrateError("No table name to read the leads from.",
                                 fix="Name the table that holds them, e.g. crm.leads.")
        self._need_leads()
        weights = latest_weights(self.con, store.data_version(self.con))
        if weights is None:
            raise CalibrateError("No weights are fitted for the loaded leads: the query "
                                 "would have no points to count.",
                                 fix="Fit them first: calibrate fit (wb.fit() in Python).")
        return weights

    # ------------------------------------------------------------------ scenarios

    def save_scenario(self, name: str, min_profile: int | None = None,
                      min_behavior: int | None = None, min_total: int | None = None, *,
                      segment: str | None = None,
                      segment_thresholds: Mapping[str, tuple[int, ...] | int] | None = None,
                      months: int | None = DEFAULT_MONTHS, reps: float | None = None,
                      leads_per_rep: float | None = None, cost_per_lead: float | None = None,
                      value_per_win: float | None = None,
                      segment_capacity: Mapping[str, tuple[float, float]] | None = None,
                      author: str = "", note: str = "") -> Scenario:
        """Save thresholds with their figures as a named scenario (a new version when the
        name exists), exactly as the Thresholds screen's Save does; same parameters as
        :meth:`figures`, and ``segment_capacity``: segments whose sales work their own
        MQLs, ``{"Enterprise": (reps, leads a rep works a month)}``, each judged against
        that segment's MQLs (``payload["segment_capacity"]``).

        Examples
        --------
        >>> saved = wb.save_scenario("Sales", min_profile=65, min_behavior=40,
        ...                          segment_thresholds={"Enterprise": (75, 40)},
        ...                          segment_capacity={"Enterprise": (2, 10)})
        >>> saved.version, saved.thresholds.describe()
        (2, 'profile ≥ 65 and behavior ≥ 40; Enterprise: profile ≥ 75 and behavior ≥ 40')
        >>> saved.payload["segment_capacity"]["Enterprise"]["capacity"]
        20.0
        """
        from calibrate.decide.agreement import save_thresholds

        settings, own = self._settings(min_profile, min_behavior, min_total,
                                       segment_thresholds, reps, leads_per_rep,
                                       cost_per_lead, value_per_win)
        self._need_leads()
        return save_thresholds(self.con, name, settings, segment=segment, months=months,
                               own_bars=own, segment_capacity=segment_capacity,
                               author=author, note=note, grid=self.grid())

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

    def changed_since(self, scenario: Scenario | None = None) -> str | None:
        """How the weights and data in force differ from what ``scenario`` (default: the
        one exports write) was computed on, in one line; None when they do not.

        Examples
        --------
        >>> wb.changed_since() is None
        True
        >>> refit = wb.fit()
        >>> wb.changed_since()                                       # doctest: +ELLIPSIS
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

    # ------------------------------------------------------------------ workshop rooms

    def open_room(self, min_profile: int | None = None, min_behavior: int | None = None,
                  min_total: int | None = None, *, thresholds: ThresholdsLike = None) -> Room:
        """Open a workshop room: every laptop that opens its link sees the facilitator's
        thresholds live, and may propose its own under a name (the Room page).

        Parameters
        ----------
        min_profile, min_behavior, min_total : int, optional
            Where the room starts (as for :meth:`figures`); else ``thresholds``, else 50
            and 50, as the Thresholds screen starts.
        thresholds : Thresholds or mapping, optional
            A whole definition to start from instead.

        Returns
        -------
        Room
            Its ``code`` (six capitals, for the participants' link ``?room=CODE``) and its
            ``key``, the facilitator's secret: only a caller with it can move or close the
            room. The room is kept in the store, so a reload or a restart finds it.

        Notes
        -----
        Opening a room closes the rooms opened more than 30 days before
        (:data:`calibrate.decide.room.MAX_AGE_DAYS`) that are still open: their links then
        say the room was closed; what they showed is kept.

        Examples
        --------
        >>> room = wb.open_room(min_profile=60, min_behavior=45)
        >>> len(room.code), room.thresholds.describe(), room.version
        (6, 'profile ≥ 60 and behavior ≥ 45', 1)
        >>> wb.room(room.code.lower()).key == room.key          # a code reads in any case
        True
        """
        from calibrate.data.rooms import load_rooms, update_room
        from calibrate.decide.room import Room, expire, expired, open_room

        for old in map(Room.from_dict, load_rooms(self.con)):
            if expired(old):  # closed in its own transaction, as any change to a room
                self._change_room(old.code, expire)

        class Taken(Exception):
            """The code drawn is another room's."""

        start = self._room_thresholds(min_profile, min_behavior, min_total, thresholds)
        for _ in range(20):  # 23**6 codes: a clash is rare, twenty in a row never happens
            room = open_room(start)

            def create(old: dict[str, Any] | None, room: Room = room) -> dict[str, Any]:
                if old is not None:
                    raise Taken
                return room.to_dict()

            try:
                update_room(self.con, room.code, create)
            except Taken:
                continue
            return room
        raise CalibrateError("No free room code was found.", fix="Open the room again.")

    def room(self, code: str) -> Room:
        """The room of that code as it is now (its ``version`` moves on with every change;
        ``closed`` once its facilitator closed it); a :class:`CalibrateError` when there is
        none.

        Examples
        --------
        >>> code = wb.open_room().code
        >>> wb.room(f" {code.lower()} ").code == code
        True
        >>> wb.room("ZZZZZZ")
        Traceback (most recent call last):
        ...
        calibrate.errors.CalibrateError: There is no room ZZZZZZ.
        How to fix: Check the code, or open a new room with open_room().
        """
        from calibrate.data.rooms import load_room
        from calibrate.decide.room import Room, normal_code

        data = load_room(self.con, normal_code(code))
        if data is None:
            raise self._no_room(code)
        return Room.from_dict(data)

    def move_room(self, code: str, key: str, min_profile: int | None = None,
                  min_behavior: int | None = None, min_total: int | None = None, *,
                  thresholds: ThresholdsLike = None, segment: str | None = None,
                  scenario: str | None = None) -> Room:
        """The facilitator's move: the room's thresholds, segment (None: all) and scenario
        (None: none) as given, for everyone in it; refused without the host ``key``.

        Parameters
        ----------
        code, key : str
            The room and its host key (from :meth:`open_room`).
        min_profile, min_behavior, min_total : int, optional
            The thresholds (as for :meth:`figures`), or ``thresholds``; with neither, the
            scenario's (its segments' own bars included).
        segment : str, optional
            The segment everyone looks at (a name of the loaded leads' segments).
        scenario : str, optional
            The saved scenario the room is on (a name or ``"#12"``).

        Examples
        --------
        >>> from calibrate.decide.room import figure_arguments
        >>> room = wb.open_room()
        >>> moved = wb.move_room(room.code, room.key, min_profile=65, min_behavior=40,
        ...                      segment="enterprise")
        >>> moved.thresholds.describe(), moved.segment, moved.version
        ('profile ≥ 65 and behavior ≥ 40', 'Enterprise', 2)
        >>> f = wb.figures(**figure_arguments(moved.thresholds, moved.segment))
        >>> f.mqls == wb.figures(min_profile=65, min_behavior=40, segment="Enterprise").mqls
        True
        >>> wb.move_room(room.code, room.key, scenario="sales").thresholds.describe()
        'profile ≥ 60 and behavior ≥ 45'
        >>> wb.move_room(room.code, "a guess", min_profile=0, min_behavior=0)  # no key
        Traceback (most recent call last):
        ...
        calibrate.errors.CalibrateError: Only the facilitator of room ... can move ...
        """
        from calibrate.decide.agreement import segment_named
        from calibrate.decide.room import move
        from calibrate.thresholds import Thresholds

        target = self._room_thresholds(min_profile, min_behavior, min_total, thresholds)
        if scenario is not None:
            saved = self.scenario(scenario)
            scenario = saved.name
            if target is None:
                target = Thresholds(saved.thresholds.main, saved.thresholds.segments)
                segment = segment if segment is not None else saved.thresholds.only
        if target is None:
            raise CalibrateError("No thresholds were given.",
                                 fix="Give min_profile and min_behavior, min_total, "
                                     "thresholds=, or a scenario.")
        if segment is not None:
            self._need_leads()
            segment = segment_named(self.grid(), segment)
        return self._change_room(code, lambda room: move(room, key, target, segment,
                                                         scenario))

    def propose(self, code: str, name: str, author: str, min_profile: int | None = None,
                min_behavior: int | None = None, min_total: int | None = None, *,
                thresholds: ThresholdsLike = None) -> Room:
        """A participant's proposal: thresholds under a name, for everyone in the room to
        see beside the facilitator's. A proposal of the same name (trimmed, without case)
        is replaced; names and the author's name are required, up to 60 characters.

        Examples
        --------
        >>> code = wb.open_room().code
        >>> room = wb.propose(code, "Sales view", "Ann", min_profile=70, min_behavior=40)
        >>> room = wb.propose(code, " sales VIEW ", "Ann", min_profile=75, min_behavior=40)
        >>> [(p.name, p.author, p.thresholds.describe()) for p in room.proposals]
        [('sales VIEW', 'Ann', 'profile ≥ 75 and behavior ≥ 40')]
        >>> wb.propose(code, "  ", "Ann", min_profile=70, min_behavior=40)
        Traceback (most recent call last):
        ...
        calibrate.errors.CalibrateError: The proposal name is empty.
        How to fix: Type a proposal name and try again.
        """
        from calibrate.decide.room import propose

        proposed = self._room_thresholds(min_profile, min_behavior, min_total, thresholds)
        if proposed is None:
            raise CalibrateError("No thresholds were proposed.",
                                 fix="Give min_profile and min_behavior, or min_total.")
        return self._change_room(code, lambda room: propose(room, name, author, proposed))

    def withdraw(self, code: str, name: str, *, key: str | None = None,
                 author: str | None = None) -> Room:
        """Take a proposal out of the room: the facilitator (with the host ``key``) may
        withdraw any, a participant (``author``) their own.

        Examples
        --------
        >>> room = wb.open_room()
        >>> _ = wb.propose(room.code, "Sales view", "Ann", min_profile=70, min_behavior=40)
        >>> wb.withdraw(room.code, "sales view", author="ann").proposals
        ()
        >>> _ = wb.propose(room.code, "Sales view", "Ann", min_profile=70, min_behavior=40)
        >>> len(wb.withdraw(room.code, "Sales view", key=room.key).proposals)
        0
        """
        from calibrate.decide.room import withdraw

        return self._change_room(code, lambda room: withdraw(room, name, key, author=author))

    def close_room(self, code: str, key: str) -> Room:
        """Close a room: only its facilitator (the host ``key``) may. Every screen on its
        links then says it was closed by its facilitator and stops re-reading it; moves,
        proposals and withdrawals are refused. What it showed (thresholds, segment,
        scenario, proposals) is kept: :meth:`room` still reads it.

        Examples
        --------
        >>> room = wb.open_room()
        >>> closed = wb.close_room(room.code, room.key)
        >>> closed.closed, closed.closed_by, wb.room(room.code).closed
        (True, 'facilitator', True)
        >>> wb.propose(room.code, "Late", "Ann", min_profile=70, min_behavior=40)
        ... # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        calibrate.errors.CalibrateError: Room ... was closed by its facilitator on ...
        How to fix: Open a new room with open_room().
        """
        from calibrate.decide.room import close

        return self._change_room(code, lambda room: close(room, key))

    def rooms(self) -> list[Room]:
        """The open rooms, oldest first, for a facilitator to see which are old (each one's
        ``created_at``; :func:`calibrate.decide.room.age_words` says it "3 days ago").
        Rooms older than 30 days are closed when a new one opens.

        Examples
        --------
        >>> code = wb.open_room().code
        >>> code in [r.code for r in wb.rooms()]
        True
        """
        from calibrate.data.rooms import load_rooms
        from calibrate.decide.room import Room

        kept = (Room.from_dict(data) for data in load_rooms(self.con))
        return sorted((r for r in kept if not r.closed), key=lambda r: (r.created_at, r.code))

    def figures_basis(self) -> tuple[int, int | None]:
        """What every figure is computed on now: the data version and the id of the
        weights in force (None before the first fit), in one quick read. A room's shared
        figures are kept per room version and this, so a refit shows at the next read.

        Examples
        --------
        >>> version, weights_id = wb.figures_basis()
        >>> version == wb.data_version and weights_id == wb.weights.id
        True
        """
        return store.figures_basis(self.con)

    def _change_room(self, code: str, change: Callable[[Room], Room]) -> Room:
        """Read, change and keep a room in one transaction (concurrent changes all land)."""
        from calibrate.data.rooms import update_room
        from calibrate.decide.room import Room, normal_code

        def apply(data: dict[str, Any] | None) -> dict[str, Any]:
            if data is None:
                raise self._no_room(code)
            return change(Room.from_dict(data)).to_dict()

        return Room.from_dict(update_room(self.con, normal_code(code), apply))

    @staticmethod
    def _room_thresholds(min_profile: int | None, min_behavior: int | None,
                         min_total: int | None, thresholds: ThresholdsLike
                         ) -> Thresholds | None:
        """The thresholds given as numbers or as a definition (None when neither)."""
        from calibrate.decide.agreement import threshold_settings
        from calibrate.thresholds import Bar, Thresholds

        if min_profile is None and min_behavior is None and min_total is None:
            return Thresholds.of(thresholds) or None
        threshold_settings(min_profile, min_behavior, min_total)  # whole points, 0 to 100
        if min_total is not None:
            return Thresholds(Bar("total", min_total=int(min_total)))
        return Thresholds(Bar(min_profile=int(min_profile), min_behavior=int(min_behavior)))

    @staticmethod
    def _no_room(code: str) -> CalibrateError:
        """The error for a room code that is not kept, in the API's and the app's words."""
        from calibrate.decide.room import normal_code

        return CalibrateError(f"There is no room {normal_code(code) or '(no code)'}.",
                              fix="Check the code, or open a new room with open_room().",
                              app_fix="Check the room code in the link, or open a new room.")

    # ------------------------------------------------------------------ out

    def score(self, data: Any = None, *, weights: Weights | str | os.PathLike[str] | None = None,
              mapping: Any = None, contacts: str = "hash",
              as_of: Any = None) -> pd.DataFrame:
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
        as_of : date or str, optional
            The scoring date (``YYYY-MM-DD``) that open leads' recency (days since an
            activity date) counts to; default today. A closed lead counts to its close date.

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
        from calibrate.model.recency import as_of_date

        day = None if as_of is None else as_of_date(as_of)  # a bad date stops before any work
        if weights is not None and not isinstance(weights, Weights):
            weights = Weights.read(weights)
        if weights is None and self.leads:
            weights = export_source(self.con)[0]
        if data is None:
            self._need_leads()
            self._need_rows("Scoring the loaded leads")
            return scored_leads(self.con, weights, contacts=contacts,  # type: ignore[arg-type]
                                as_of=day)
        if weights is None:
            raise CalibrateError("No weights to score with: no leads are loaded.",
                                 fix="Load historical leads first (wb.ingest(...)), or pass "
                                     "weights=... (a weights JSON file).")
        con = store.connect_memory()
        try:
            ingest_any(con, data, mapping=mapping, replace=True, require_outcome=False)
            return scored_leads(con, weights, contacts=contacts,  # type: ignore[arg-type]
                                source_file=str(data) if isinstance(data, str | os.PathLike)
                                else None, as_of=day)
        finally:
            con.close()

    def export(self, format: str = "rules", *, dialect: str = "duckdb") -> str | bytes:
        """The agreement (else the newest scenario) in one of the Export page's formats:
        csv, json, rules, sql (``dialect`` duckdb, postgres, snowflake, bigquery, spark),
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

    # ------------------------------------------------------------------ over time

    def decay(self, *, weights: Weights | str | os.PathLike[str] | None = None) -> Decay:
        """How fast behavior's effect fades without activity, from the closed leads: per
        behavior group (one per activity date, e.g. 'Last Email Click Date' for the email
        attributes; a lone 'Last Activity Date' is the group "all behavior"), the half-life
        in days with its 95% interval, and the decay settings to key in.

        Parameters
        ----------
        weights : Weights or path, optional
            Whose behavior points fade: by default the agreement's (else the newest
            scenario's, else those in force), or a weights JSON file.

        Returns
        -------
        Decay
            ``status`` ("estimated", "no decay found", "too few leads" or "cannot be
            estimated", saying what is missing), ``groups`` (per group: ``group``,
            ``date_column``, ``columns``, ``half_life_days``, ``low``, ``high``, ``leads``,
            ``status``, ``message``, ``leak``), ``settings`` (per tool, "any", "hubspot",
            "marketo" and "pardot": the lines to key in, their rounding said),
            ``headline()`` in one line and ``to_dict()`` for JSON.

        Examples
        --------
        The sample leads have no activity dates, so the result says what is missing:

        >>> d = wb.decay()
        >>> d.status, d.groups
        ('cannot be estimated', [])
        >>> print(d.headline())
        Decay cannot be estimated: the loaded leads have no activity dates. ...
        >>> d.settings["marketo"]
        ['behavior: no decay rule. The loaded leads have no activity dates.']
        """
        from calibrate.decide.agreement import export_source
        from calibrate.model.decay import decay

        self._need_leads()
        self._need_rows("Decay")
        if weights is None:
            weights = export_source(self.con)[0]
        elif not isinstance(weights, Weights):
            weights = Weights.read(weights)
        return decay(self.con, weights)

    def drift(self, reference: Any = None, *,
              weights: Weights | str | os.PathLike[str] | None = None) -> Stability:
        """How far each month's leads moved from a reference period: the population
        stability index (PSI) of the total, profile and behavior scores and of every
        attribute, flagged ``stable`` (below 0.1), ``watch`` or ``shifted`` (from 0.25).

        Parameters
        ----------
        reference : (start, end) or "START:END", optional
            The reference months, both included (``("2024-01", "2024-06")``); by default
            the first 6 months from the first dated lead (half the months, when fewer
            than 12).
        weights : Weights or path, optional
            Whose levels and scores to measure: by default the agreement's (else the newest
            scenario's, else those in force), or a weights JSON file.

        Returns
        -------
        Stability
            ``months`` (each later month: leads, the scores' PSI and flags, the attribute
            that moved most), ``summary`` (per attribute, most moved first, with the levels
            that moved most), ``scores``, ``attributes`` and ``levels`` row by row (each
            as a DataFrame too: ``summary_frame()``...), ``headline()`` in one line and
            ``to_dict()`` for JSON. A month with fewer than ``min_leads`` (300) leads is
            marked (``enough`` False, listed in ``few_leads``): its PSI may be chance.

        Examples
        --------
        >>> d = wb.drift()                     # the first 6 months against each later one
        >>> d.reference == (d.data_months[0], d.data_months[5])
        True
        >>> sorted({row["score"] for row in d.scores}), d.summary[0]["flag"] in (
        ...     "stable", "watch", "shifted")
        (['behavior', 'profile', 'total'], True)
        >>> d.few_leads == [m["month"] for m in d.months]   # ~125 leads a month: all rough
        True
        >>> try:
        ...     wb.drift(("2024-06", "2024-01"))
        ... except calibrate.CalibrateError as exc:
        ...     print(exc.what)
        The reference period 2024-06:2024-01 starts after it ends.
        """
        from calibrate.decide.agreement import export_source
        from calibrate.model.stability import stability

        self._need_leads()
        self._need_rows("Drift")
        if weights is None:
            weights = export_source(self.con)[0]
        elif not isinstance(weights, Weights):
            weights = Weights.read(weights)
        return stability(self.con, weights, reference)

    def backtest(self, split: Any = 6, min_profile: int | None = None,
                 min_behavior: int | None = None, min_total: int | None = None, *,
                 window: int = DEFAULT_MONTHS,
                 progress: Callable[[str], None] | None = None) -> Backtest:
        """What thresholds would have done: a fit on the leads created before a cut date,
        its projection from the months before the cut, against the MQLs, wins, conversion
        and share of wins of each month after it.

        Parameters
        ----------
        split : int, str or date, default 6
            The cut: the last N calendar months up to the newest lead's (``6``, ``"6m"``),
            or the first day of a month (``"2025-07-01"``, ``"2025-07"``); a lead created
            on that day is after the cut.
        min_profile, min_behavior, min_total : int, optional
            The thresholds, as for :meth:`figures`; by default the agreement's (else the
            newest scenario's, else the Thresholds screen's defaults, 50 and 50).
        window : int, default 12
            The months before the cut to project from (fewer when the history is shorter).
        progress : callable, optional
            Hears each step as it starts (``calibrate backtest`` prints them).

        Returns
        -------
        Backtest
            ``headline`` (the line to read out), ``projected`` (MQLs and wins a month with
            the 90% range of their mean over the months after the cut, conversion, share
            of wins), ``actual`` (the same after the cut), ``months`` (a row per month after
            the cut; ``months_frame()``), ``mqls_inside`` and ``wins_inside``, ``to_dict()``
            for JSON. The refit (its ``weights``) is fitted with the weights' options on the
            leads before the cut (a uniform sample above 250,000 closed leads: ``sampled``).

        Examples
        --------
        >>> b = wb.backtest(6)            # fit before the last 6 months, compare with them
        >>> b.cut, b.after, b.thresholds               # the newest scenario's thresholds
        ('2026-05-01', ('2026-05', '2026-10'), 'profile ≥ 40 and behavior ≥ 30')
        >>> b.headline.startswith("In the 6 months from 1 May 2026 these thresholds sent ")
        True
        >>> len(b.months_frame()), b.projected["mqls_low"] <= b.projected["mqls_high"]
        (6, True)
        >>> wb.backtest("2026-01-01", min_profile=60, min_behavior=45).window
        ('2025-01', '2025-12')
        >>> try:
        ...     wb.backtest("2026-01-15")
        ... except calibrate.CalibrateError as exc:
        ...     print(exc.what)
        The cut 2026-01-15 is not the first day of a month: a backtest compares whole months.
        """
        from calibrate.decide.agreement import export_source, threshold_settings
        from calibrate.decide.backtest import backtest, parse_split

        parse_split(split)  # a bad value is named before anything is fitted
        self._need_leads()
        self._need_rows("A backtest")
        weights = export_source(self.con)[0]
        if min_profile is None and min_behavior is None and min_total is None:
            thresholds: Any = weights.thresholds or Settings()
        else:
            thresholds = threshold_settings(min_profile, min_behavior, min_total)
        return backtest(self.con, weights, thresholds, split, window=window,
                        progress=progress)

    def refresh(self, months: int = 3) -> Refresh:
        """Whether the agreed weights still rank recent leads well: a refit on the leads of
        the last ``months`` months, the AUC of both on the newest of those leads (held out
        of the refit), the points that moved, and one line of advice.

        Returns
        -------
        Refresh
            ``status`` ("refit", "keep" or "unknown" when the recent closed leads are too
            few), ``advice`` (the line to read out), ``agreed_auc`` and ``refit_auc``,
            ``attributes`` and ``levels`` (agreed against refit points, most moved first),
            ``to_dict()`` for JSON.

        Examples
        --------
        >>> r = wb.refresh(months=12)
        >>> r.status in ("refit", "keep", "unknown"), r.advice.split(":")[0] in (
        ...     "Refit", "No refit needed", "Cannot tell yet")
        (True, True)
        >>> r.period[1] == wb.drift().data_months[-1]
        True
        """
        from calibrate.decide.agreement import export_source
        from calibrate.model.refresh import refresh

        self._need_leads()
        self._need_rows("A refresh check")
        return refresh(self.con, export_source(self.con)[0], months)

    # ------------------------------------------------------------------ helpers

    def _need_leads(self) -> None:
        if not self.leads:
            raise CalibrateError("No leads are loaded.",
                                 fix="Load leads first: wb.ingest(path_or_dataframe).")

    def _need_rows(self, what: str) -> None:
        """Stop ``what``, a step reading lead rows, on a store loaded in place."""
        from calibrate.in_place import needs_rows

        needs_rows(self.con, what)

    def _source_url(self) -> str | None:
        """The in-place source's URL as given in this session (None: not given here)."""
        record = store.in_place(self.con)
        return self._source_urls.get(record["url"]) if record else None

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
