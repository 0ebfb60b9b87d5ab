"""``calibrate backtest`` (issue 20): calls the Workbench and prints."""

from __future__ import annotations

import argparse


def cmd_backtest(args: argparse.Namespace) -> int:
    """Not built yet."""
    raise NotImplementedError
