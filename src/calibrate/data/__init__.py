"""Leads in: the DuckDB store, reading exports, cleaning, roles, outcomes, quality, backups."""
