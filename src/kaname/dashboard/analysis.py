"""Analyse pages (issue 6): attribution side by side, attributed channel returns, cohort matrices,
RFM segments and movement, lifetime value and KPI forecast bands.

Each function takes the dashboard, calls `ws.analytics` once or a few times through the
dashboard's cache and returns plain JSON-safe dicts (the web pages render them, the `/api/` twins
return them as they are). Numbers that depend on an attribution model carry the model's name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from kaname.analytics import cohorts as cohort_maths
from kaname.analytics.forecast import ForecastError
from kaname.analytics.service import DEFAULT_COMPARE, model_label
from kaname.dashboard.channel_rows import is_empty, without_spend
from kaname.dashboard.core import clean, records
from kaname.dashboard.filters import FilterError, Filters
from kaname.metrics.calendar import Grain, Period

if TYPE_CHECKING:
    from kaname.dashboard.core import DashboardCore

MODELS = (
    "first_touch",
    "last_touch",
    "lead_creation",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "j_shaped",
    "inverse_j",
    "markov",
    "markov_2",
    "markov_3",
    "shapley",
)
LEVELS = ("lead", "account")
CONVERSIONS = ("deal", "opportunity")
LEAD_STAGES = ("mql", "sql", "opportunity", "deal")
FORECAST_GRAINS = ("month", "quarter")


def check_model(model: str) -> str:
    if model not in MODELS:
        raise FilterError(f"model {model!r} is not one of {', '.join(MODELS)}")
    return model


def _choice(value: str, allowed: Sequence[str], what: str) -> str:
    if value not in allowed:
        raise FilterError(f"{what} must be one of {', '.join(allowed)}")
    return value


def _period(dash: DashboardCore, label: str, grain: str = "month") -> Period | None:
    """A period from the URL; empty means all time (attribution) or the service's default."""
    label = (label or "").strip()
    return dash.ws.period(label, Grain(grain)) if label else None


# ---------------------------------------------------------------------- attribution
def attribution(
    dash: DashboardCore,
    models: Sequence[str] = DEFAULT_COMPARE,
    level: str = "lead",
    period: str = "",
    conversion: str = "deal",
) -> dict[str, Any]:
    """Models side by side: credit per model × channel (conversions, value, share), totals."""
    chosen = tuple(dict.fromkeys(check_model(m) for m in models)) or DEFAULT_COMPARE
    _choice(level, LEVELS, "level")
    _choice(conversion, CONVERSIONS, "conversion")

    def build() -> dict[str, Any]:
        span = _period(dash, period)
        a = dash.ws.analytics
        frame = a.compare_attribution(chosen, level, span, conversion=conversion)  # type: ignore[arg-type]
        conversions = float(frame.attrs["conversions"])
        value = float(frame.attrs["value"])
        channels = (
            frame.groupby("channel")["conversions"].sum().sort_values(ascending=False).index
            if len(frame)
            else []
        )
        credit: dict[str, dict[str, dict[str, Any]]] = {}
        for row in records(frame):
            credit.setdefault(row["model"], {})[row["channel"]] = {
                "conversions": row["conversions"],
                "value": row["value"],
                "share": row["share"],
            }
        return {
            "level": level,
            "conversion": conversion,
            "period": span.label if span else "all",
            "models": [{"model": m, "label": model_label(m)} for m in chosen],
            "channels": [str(c) for c in channels],
            "journeys": int(frame.attrs["journeys"]),
            "conversions": conversions,
            "value": value,
            "credit": credit,
            "rows": records(frame),
        }

    key = ("analysis.attribution", chosen, level, period, conversion)
    return dash.cached(key, build, warehouse_only=True)


def channel_returns(
    dash: DashboardCore, model: str, period: Period | None, level: str = "lead"
) -> dict[str, Any]:
    """Attributed deals and revenue per channel with spend, CAC, ROAS and ROMI under one model."""
    check_model(model)
    _choice(level, LEVELS, "level")

    def build() -> dict[str, Any]:
        frame = dash.ws.analytics.channel_returns(model, period, level)  # type: ignore[arg-type]
        return {
            "model": model,
            "model_label": model_label(model),
            "level": level,
            "period": period.label if period else "all",
            "rows": records(frame.drop(columns=["model"], errors="ignore")),
        }

    key = ("analysis.returns", model, period.label if period else "", level)
    return dash.cached(key, build, warehouse_only=True)


# ---------------------------------------------------------------------- cohorts
def _matrix(frame: pd.DataFrame, value: str, stage: str | None = None) -> dict[str, Any]:
    if frame.empty:
        return {"rows": [], "cols": [], "z": []}
    m = cohort_maths.matrix(frame, value, stage)
    return {
        "rows": [str(r) for r in m.index],
        "cols": [int(c) for c in m.columns],
        "z": [clean(list(row)) for row in m.to_numpy()],
    }


def cohorts(dash: DashboardCore, months: int = 12, customer_months: int = 24) -> dict[str, Any]:
    """Lead cohorts (conversion to each stage after N months) and customer cohorts (logo and
    revenue retention) as cohort × months-since matrices."""
    months = max(1, min(int(months), 36))
    customer_months = max(1, min(int(customer_months), 60))

    def build() -> dict[str, Any]:
        a = dash.ws.analytics
        leads = a.lead_cohorts(months)
        customers = a.customer_cohorts(customer_months)
        lead_sizes = leads.groupby("cohort")["leads"].max().to_dict() if not leads.empty else {}
        customer_sizes = (
            customers.groupby("cohort")["customers"].max().to_dict() if not customers.empty else {}
        )
        return {
            "as_of": dash.ws.today(),
            "months": months,
            "customer_months": customer_months,
            "lead": {
                "cohort_sizes": clean({str(k): v for k, v in lead_sizes.items()}),
                "stages": {s: _matrix(leads, "rate", s) for s in LEAD_STAGES},
            },
            "customer": {
                "cohort_sizes": clean({str(k): v for k, v in customer_sizes.items()}),
                "logo_retention": _matrix(customers, "logo_retention"),
                "revenue_retention": _matrix(customers, "revenue_retention"),
            },
        }

    key = ("analysis.cohorts", months, customer_months)
    data: dict[str, Any] = clean(dash.cached(key, build, warehouse_only=True))
    return data


# ---------------------------------------------------------------------- customers
def customers(
    dash: DashboardCore,
    before: dt.date | None = None,
    q: int = 5,
    by: str = "segment",
    period: str = "",
) -> dict[str, Any]:
    """RFM segments (sizes and KPIs) today, movement since `before` (default six months ago),
    the seeds' LTV with LTV:CAC for a period (default the last complete quarter) and the sBG
    retention fit with its survival curve."""
    _choice(by, ("segment", "rfm_segment"), "by")
    if not 2 <= q <= 10:
        raise FilterError("q (RFM score bins) must be between 2 and 10")
    today = dash.ws.today()
    since = before or (pd.Timestamp(today) - pd.DateOffset(months=6)).date()

    def build() -> dict[str, Any]:
        a = dash.ws.analytics
        segments = a.rfm_segments(today, q, by)
        movement = a.rfm_movement(since, today, q, by)
        span = _period(dash, period, "quarter")
        ltv = a.ltv(span)
        return clean(
            {
                "as_of": today,
                "before": since,
                "q": q,
                "by": by,
                "segments": records(segments),
                "customers": int(segments["customers"].sum()) if len(segments) else 0,
                "movement": records(movement),
                "ltv": ltv,
            }
        )

    return dash.cached(("analysis.customers", since, q, by, period), build, warehouse_only=True)


# ---------------------------------------------------------------------- forecasts
def forecast(
    dash: DashboardCore, kpi: str, horizon: int = 6, grain: str = "month", level: float = 0.8
) -> dict[str, Any]:
    """ETS forecast band of a KPI after its last complete period: period, mean, lower, upper."""
    formula = dash.ws.catalog.get(kpi).formula
    _choice(grain, FORECAST_GRAINS, "grain")
    horizon = max(1, min(int(horizon), 24))
    if not 0.5 <= level < 1:
        raise FilterError("level (interval coverage) must be between 0.5 and 0.99")

    def build() -> dict[str, Any]:
        try:
            result = dash.ws.analytics.forecast(kpi, horizon, grain, level)
        except ForecastError as exc:
            raise FilterError(f"{kpi} cannot be forecast: {exc}") from exc
        points = [
            {"period": r["period"], "mean": r["forecast"], "lower": r["lower"], "upper": r["upper"]}
            for r in records(result.frame)
        ]
        return clean(
            {
                "kpi": kpi,
                "grain": grain,
                "model": result.model,
                "level": result.level,
                "aic": result.aic,
                "points": points,
            }
        )

    # The KPI's formula is in the key: a custom KPI defined anew is forecast anew.
    key = ("analysis.forecast", kpi, formula, horizon, grain, level)
    return dash.cached(key, build, warehouse_only=True)


def trend_forecast(
    dash: DashboardCore, kpi: str, f: Filters, view: str, last: Period
) -> dict[str, Any]:
    """The forecast band the Trends page draws after the actuals (keys forecast,
    forecast_model, forecast_level), or nothing: only for monthly or quarterly company-wide
    period views that reach the current period, and never an error (a page must not break)."""
    if last.grain.value not in FORECAST_GRAINS or f.pairs() or view != "period":
        return {}
    try:
        band = forecast(dash, kpi, 6 if last.grain.value == "month" else 4, last.grain.value)
    except Exception:  # too little history, a KPI that cannot be forecast...
        return {}
    points = band["points"]
    current = dash.ws.period(None, last.grain)
    if not points or last.start < current.start:
        return {}
    return {"forecast": points, "forecast_model": band["model"], "forecast_level": band["level"]}


ATTRIBUTED = {
    "attributed_deals": ("deals", "attributed_deals"),
    "attributed_revenue": ("revenue", "attributed_revenue"),
    "attributed_cac": ("cac", "cac"),
    "attributed_roas": ("roas", "roas"),
    "attributed_romi": ("romi", "romi"),
}


def attributed_channels(
    dash: DashboardCore, data: dict[str, Any], model: str, period: Period
) -> None:
    """Add to the Channels page data the deals, revenue, CAC, ROAS and ROMI attributed by
    `model` (deals won in the period, lead level), replacing the source-channel outcome columns
    on screen; the JSON keeps both and names the model."""
    returns = channel_returns(dash, model, period)
    by_channel = {r["channel"]: r for r in returns["rows"]}
    rows = {r["channel"]: r for r in data["rows"]}
    for channel, found in by_channel.items():
        row = rows.get(channel)
        if row is None:
            row = {"channel": channel, "spend": found.get("spend")}
            data["rows"].append(row)
            rows[channel] = row
        for key, (_kpi, column) in ATTRIBUTED.items():
            row[key] = found.get(column)
    for row in data["rows"]:
        for key in ATTRIBUTED:
            row.setdefault(key, None)
        without_spend(row, ("attributed_cac", "attributed_romi"))
    data["rows"] = [r for r in data["rows"] if not is_empty(r)]
    data["rows"].sort(key=lambda r: r["channel"])
    replaced = ("deals", "revenue", "cac", "roas", "romi", "revenue_share")
    data["columns"] = [c for c in data["columns"] if c not in replaced] + list(ATTRIBUTED)
    for key, (kpi, _column) in ATTRIBUTED.items():
        data["names"][key] = data["names"][kpi]
        data["units"][key] = data["units"][kpi]
    data["units"]["attributed_deals"] = "credit"  # fractions of deals: 0.4, not 0
    data["model"] = model
    data["model_label"] = returns["model_label"]
    data["attribution"] = f"{returns['model_label']} attribution of deals won in the period"
