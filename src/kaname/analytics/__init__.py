"""Analyse: attribution, cohorts, RFM, customer lifetime value and forecasting.

Pure maths over pandas DataFrames (no database, web or CLI imports; enforced by ruff in
`analytics/ruff.toml`). The workspace's `analytics` service builds these frames from the
warehouse; analysts call the same functions in notebooks (docs/analytics.md).
"""
