"""The agreement: auto-rules, the MQL rule, the count grid, figures, scenarios, scoring."""
