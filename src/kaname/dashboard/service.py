"""The Dashboard service: one method a page, each cached per filters and language until the data
changes (see dashboard/core.py for the cache, its data version and the warehouse lock).

The server process owns the warehouse (shared/ARCHITECTURE.md), so every write it makes (plan
saves, settings, refreshes, imports) calls `invalidate()`; anything written elsewhere (a CLI
`plan apply` on the app DB, another worker) shows within a second (DashboardCore.stamp).
"""

from __future__ import annotations

from typing import Any

from kaname.dashboard.core import DashboardCore, DataVersion, clean, records
from kaname.dashboard.filters import Filters
from kaname.dashboard.funnel import channels, funnel
from kaname.dashboard.pages import (
    catalog_document,
    department,
    executive,
    kpi_detail,
    tactics,
    tree,
    trends,
)

__all__ = ["Dashboard", "DataVersion", "clean", "records"]


class Dashboard(DashboardCore):
    # ------------------------------------------------------------------ pages
    def executive(self, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(("executive", f, language), lambda: executive(self, f, language))

    def department(self, name: str, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(
            ("department", name, f, language), lambda: department(self, name, f, language)
        )

    def funnel(self, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(("funnel", f, language), lambda: funnel(self, f, language))

    def channels(self, f: Filters, language: str, model: str | None = None) -> dict[str, Any]:
        return self.cached(
            ("channels", f, language, model), lambda: channels(self, f, language, model)
        )

    def tactics(self, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(("tactics", f, language), lambda: tactics(self, f, language))

    def trends(self, kpi: str, f: Filters, language: str, periods: int = 12) -> dict[str, Any]:
        return self.cached(
            ("trends", kpi, f, language, periods), lambda: trends(self, kpi, f, language, periods)
        )

    def kpi(self, kpi: str, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(("kpi", kpi, f, language), lambda: kpi_detail(self, kpi, f, language))

    def tree(self, f: Filters, language: str) -> dict[str, Any]:
        return self.cached(("tree", f, language), lambda: tree(self, f, language))

    def catalog(self, language: str) -> dict[str, Any]:
        return self.cached(("catalog", language), lambda: catalog_document(self, language))
