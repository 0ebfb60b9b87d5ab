"""Tools around calibrate, not used at run time (the sample generator)."""
