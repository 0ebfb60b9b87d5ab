"""``calibrate decay`` (issue 20): calls the Workbench and prints."""

from __future__ import annotations

import argparse


def cmd_decay(args: argparse.Namespace) -> int:
    """Not built yet."""
    raise NotImplementedError
