"""calibrate: sales and marketing agree, with numbers, on what a sales-ready lead is.

The public API, for a notebook or a script::

    import calibrate
    wb = calibrate.Workbench()            # or Workbench("data/calibrate.duckdb")
    wb.ingest(df_or_path)
    wb.fit()
    wb.figures(min_profile=60, min_behavior=45)

``Workbench`` drives the whole path (see ``help(calibrate.Workbench)``); ``LeadScorer`` is
the same model as a scikit-learn estimator. Both are imported on first use, so ``import
calibrate`` stays light (DuckDB, pandas and scikit-learn load only when needed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["CalibrateError", "LeadScorer", "Workbench", "__version__"]

if TYPE_CHECKING:
    from calibrate.errors import CalibrateError
    from calibrate.estimator import LeadScorer
    from calibrate.workbench import Workbench

_LAZY = {"Workbench": "calibrate.workbench", "LeadScorer": "calibrate.estimator",
         "CalibrateError": "calibrate.errors"}


def __getattr__(name: str) -> Any:
    """Import the public classes on first use (PEP 562)."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'calibrate' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
