"""Benchmarks of ingest, fit and the slider answer (run with `make bench`)."""
