"""Runs the generator's command line, so ``python -m calibrate.tools.sample`` works."""

from calibrate.tools.sample.cli import main

raise SystemExit(main())
