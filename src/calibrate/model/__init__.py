"""The points: binning and encoding, the logistic fit, metrics, points tables, weights."""
