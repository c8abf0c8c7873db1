"""Names of the records that pages otherwise show by id (campaigns), read from the warehouse."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore


def campaign_names(dash: DashboardCore) -> dict[str, str]:
    """Campaign id → name from the campaigns table (ids without a name are left out), cached
    with the page data."""

    def build() -> dict[str, str]:
        t = dash.ws.warehouse.tables()["campaigns"]
        frame = t.select("campaign_id", "name").execute()
        return {
            str(i): str(n)
            for i, n in zip(frame["campaign_id"], frame["name"], strict=True)
            if i is not None and isinstance(n, str) and n.strip()
        }

    return dash.cached(("campaign-names",), build)
