"""``python -m calibrate.cli``: the ``calibrate`` command."""

from calibrate.cli import main

raise SystemExit(main())
