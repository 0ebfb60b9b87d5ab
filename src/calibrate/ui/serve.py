"""The app server's start-up (issue 19): what the first screen needs is ready before anyone
opens the app, instead of being built on the first visit.

``app.py`` serves an ``st.App`` whose lifespan (:func:`lifespan`) runs :func:`warm` once,
before the server answers: it imports every page (pandas, plotly, the ingest modules) and
opens the process-wide workbench, the weights in force and their count grid (read from the
store, where a previous start kept it). A page view then finds them in memory.

Nothing here shows anything or decides who may see it: the sign-in gate runs in every page
view, as before.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from streamlit.logger import get_logger

from calibrate.errors import CalibrateError

#: The pages, in the order a visit is likely to need them (the default page first).
PAGES = ("access", "sidebar", "thresholds", "weights", "present", "scenarios", "export",
         "room", "health", "data")

#: Streamlit's logger for this module: its lines show in the server's output at Streamlit's
#: ``logger.level`` (info by default).
_LOG = get_logger(__name__)


def warm() -> dict[str, float]:
    """Import the pages and open the workbench, the weights in force and their count grid
    (the weights are fitted first when the loaded leads have none, as the first visit
    would). Seconds per step; never raises: a problem (no leads, a locked file) is left to
    the page that meets it, which says what to do (a page that does not import is left to
    its own view too)."""
    steps: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        steps[name] = now - clock
        clock = now

    for name in PAGES:
        try:
            importlib.import_module(f"calibrate.ui.{name}")
        except Exception:  # that page shows its error when opened; the others still work
            _LOG.exception("calibrate: the %s page did not import at start-up", name)
    # Streamlit's first element in a process looks at the call stack (inspect.stack(), to
    # tell a REPL), which maps every loaded module to its file: about 0.5 s with pandas,
    # plotly and DuckDB loaded. inspect keeps that map, so making it now spares the visit.
    inspect.stack()
    lap("import the pages")
    from calibrate.ui import state

    wb = None
    try:
        wb = state.shared().cursor()  # as a page run does: one cursor per thread
        lap("open the store")
        if wb.leads:
            weights = wb.weights
            lap("the weights in force")
            grid = wb.grid()
            lap(f"the count grid ({grid.origin})")
            first_charts(grid, weights)
            lap("the first charts")
            _LOG.info("calibrate: ready at start-up (weights #%s): %s", weights.id,
                      ", ".join(f"{k} {v:.2f} s" for k, v in steps.items()))
    except CalibrateError as exc:
        _LOG.warning("calibrate: nothing prepared at start-up: %s", exc.message)
    except Exception:  # the page that needs it shows the error; the server still starts
        _LOG.exception("calibrate: nothing prepared at start-up")
    finally:
        if wb is not None:
            wb.close()  # the cursor; the shared workbench stays open
    return steps


def first_charts(grid: Any, weights: Any) -> None:
    """The Thresholds panel's charts at the default thresholds and window, and the Weights
    page's: thrown away, they load what plotly imports on a first figure (its validators,
    narwhals' plugins; about 0.5 s)."""
    from calibrate.decide.grid_views import heatmap, score_distribution
    from calibrate.decide.tradeoff import Settings, figures_for, period
    from calibrate.decide.workshop import last_months
    from calibrate.ui import charts, thresholds

    months = last_months(grid, thresholds.WINDOWS["Last 12 months"]) if grid.months else None
    settings = Settings(min_profile=50, min_behavior=50,
                        months_in_window=len(months) if months else None)
    cube = grid.cube(months, None)
    f = figures_for(grid, months, settings)
    thresholds.tradeoff_figure(cube, settings, f, period(cube))
    charts.heatmap_chart(heatmap(cube, months=f.months), 50, 50, per=period(cube))
    charts.distribution_chart(score_distribution(cube, "profile"), "profile", 50)
    for axis in ("profile", "behavior"):
        charts.weights_chart(weights.table, axis)


@asynccontextmanager
async def lifespan(app: Any) -> AsyncIterator[None]:
    """``st.App``'s start-up hook: :func:`warm` before the server answers (in a worker
    thread, so the event loop stays free)."""
    await asyncio.to_thread(warm)
    yield
