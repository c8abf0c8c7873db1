"""How alert messages name a KPI, a value and a dimension value, in both languages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext


def kpi_name(ws: WorkspaceContext, kpi: str) -> dict[str, str]:
    k = ws.catalog.get(kpi)
    return {"en": k.name_en, "ja": k.name_ja}


def format_kpi(ws: WorkspaceContext, kpi: str, value: float, language: str) -> str:
    from kaname.formatting import format_value

    return format_value(value, ws.catalog.get(kpi).unit, ws.config.currency, language)


def where_text(rule: Any, value: str) -> dict[str, str]:
    dim_value = rule.dimension_value or value
    if not dim_value:
        return {"en": "", "ja": ""}
    return {"en": f" ({rule.dimension} = {dim_value})", "ja": f"({rule.dimension}={dim_value})"}
