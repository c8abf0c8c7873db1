"""Compute: the KPI catalog, the fiscal calendar, the metric engine, targets and pacing."""
