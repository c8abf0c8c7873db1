"""The analytics service: attribution, cohorts, RFM, lifetime value and forecasts over a
workspace's warehouse. `Workspace.analytics` returns one; the CLI and the web pages call it and
render what it returns (DataFrames and plain dicts).

The maths is in `kaname.analytics` (pure); this module reads the frames (metrics/journeys.py)
and applies the workspace's settings (fiscal year, gross margin, as-of date).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from kaname.analytics import attribution, clv, cohorts, rfm
from kaname.analytics.forecast import Forecast, forecast, non_negative, ratio_forecast
from kaname.metrics import customers, journey_paths, journeys
from kaname.metrics.calendar import Grain, Period, period_of
from kaname.metrics.engine import MetricQuery
from kaname.metrics.formula import BinOp, Ref
from kaname.metrics.measures import MEASURES

if TYPE_CHECKING:
    from kaname.context import WorkspaceContext

DEFAULT_COMPARE = (
    "first_touch",
    "last_touch",
    "linear",
    "time_decay",
    "u_shaped",
    "w_shaped",
    "full_path",
    "markov",
    "shapley",
)


def model_label(model: str, order: int = 1) -> str:
    """The name shown next to every number that depends on the attribution model."""
    if model.startswith("markov_") and model[7:].isdigit():
        model, order = "markov", int(model[7:])
    name = attribution.MODEL_NAMES.get(model, model)
    return f"{name} (order {order})" if model == "markov" else name


class AnalyticsService:
    """Analyse stage of one workspace (see docs/analytics.md for each call's columns)."""

    def __init__(self, workspace: WorkspaceContext) -> None:
        self.ws = workspace

    # ------------------------------------------------------------------ helpers
    def _tables(self) -> dict[str, Any]:
        return self.ws.warehouse.tables()

    def _bounds(self, period: Period | None) -> tuple[dt.date | None, dt.date | None]:
        return (period.start, period.end) if period is not None else (None, None)

    # ------------------------------------------------------------------ attribution
    def _journey_options(
        self,
        level: journeys.Level,
        period: Period | None,
        conversion: journeys.Conversion,
    ) -> journey_paths.JourneyOptions:
        start, end = self._bounds(period)
        return journey_paths.JourneyOptions(level, conversion, start, end, as_of=self.ws.today())

    def paths(
        self,
        level: journeys.Level = "lead",
        period: Period | None = None,
        conversion: journeys.Conversion = "deal",
    ) -> pd.DataFrame:
        """Journeys that ended in `period` (all when None), as of the workspace date: one row
        per journey with each touch's days before the outcome (an export; the models read
        `path_counts`, aggregated on the warehouse)."""
        start, end = self._bounds(period)
        return journeys.journeys(
            self._tables(), level, conversion, start, end, as_of=self.ws.today()
        )

    def path_counts(
        self,
        level: journeys.Level = "lead",
        period: Period | None = None,
        conversion: journeys.Conversion = "deal",
        *,
        milestones: bool = False,
    ) -> pd.DataFrame:
        """Distinct paths of the journeys that ended in `period` (× lead, opportunity and close
        touch with `milestones`): path, journeys, conversions, nulls, value. Built and counted
        on the warehouse; attrs carry the totals (journeys, conversions, value)."""
        opts = self._journey_options(level, period, conversion)
        frame = journey_paths.path_counts(self._tables(), opts, milestones)
        frame.attrs.update(journey_paths.totals(frame))
        return frame

    def _time_decay(
        self,
        level: journeys.Level,
        period: Period | None,
        conversion: journeys.Conversion,
        half_life_days: float,
    ) -> pd.DataFrame:
        attribution.check_half_life(half_life_days)
        opts = self._journey_options(level, period, conversion)
        sums = journey_paths.time_decay_credit(self._tables(), opts, half_life_days)
        return attribution.credit_frame(
            list(sums["channel"]), sums["conversions"].to_numpy(), sums["value"].to_numpy()
        )

    def attribution(
        self,
        model: str = "linear",
        level: journeys.Level = "lead",
        period: Period | None = None,
        *,
        conversion: journeys.Conversion = "deal",
        order: int = 1,
        half_life_days: float = 7.0,
        weights: Mapping[str, float] | None = None,
        worth: str = "conversions",
    ) -> pd.DataFrame:
        """Credit per channel: channel, conversions, value, share; attrs carry model, label,
        level, period, journeys and totals."""
        paths = self.path_counts(
            level, period, conversion, milestones=attribution.needs_milestones(model, weights)
        )
        if paths.empty or paths["conversions"].sum() == 0:
            credit = pd.DataFrame(columns=["channel", "conversions", "value", "share"])
        elif model == "time_decay":
            credit = self._time_decay(level, period, conversion, half_life_days)
        else:
            credit = attribution.attribute(
                paths,
                model,
                order=order,
                half_life_days=half_life_days,
                weights=weights,
                worth=worth,
            )
        credit.attrs.update(
            model=model,
            label=model_label(model, order),
            level=level,
            conversion=conversion,
            period=period.label if period else "all",
            **paths.attrs,
        )
        return credit

    def compare_attribution(
        self,
        models: Sequence[str] = DEFAULT_COMPARE,
        level: journeys.Level = "lead",
        period: Period | None = None,
        *,
        conversion: journeys.Conversion = "deal",
        order: int = 1,
        half_life_days: float = 7.0,
    ) -> pd.DataFrame:
        """Models side by side: model, label, channel, conversions, value, share (long); attrs
        carry level, period and the totals (journeys, conversions, value)."""
        milestones = any(attribution.needs_milestones(m) for m in models)
        paths = self.path_counts(level, period, conversion, milestones=milestones)
        frames = []
        if len(paths) and paths["conversions"].sum() > 0:
            touches = attribution.flatten_paths(paths, path_lists=False)
            for model in models:
                if model in ("markov",) or model.startswith("markov_"):
                    k = int(model[7:]) if model.startswith("markov_") else order
                    credit = attribution.markov(touches, k)
                elif model == "shapley":
                    credit = attribution.shapley(touches)
                elif model == "time_decay":
                    credit = self._time_decay(level, period, conversion, half_life_days)
                else:
                    credit = attribution.rule_based(touches, model, half_life_days=half_life_days)
                frames.append(
                    credit[["channel", "conversions", "value", "share"]].assign(
                        model=model, label=model_label(model, order)
                    )
                )
        columns = ["model", "label", "channel", "conversions", "value", "share"]
        out = (
            pd.concat(frames, ignore_index=True)[columns]
            if frames
            else pd.DataFrame(columns=columns)
        )
        out.attrs.update(level=level, period=period.label if period else "all", **paths.attrs)
        return out

    def channel_returns(
        self,
        model: str = "linear",
        period: Period | None = None,
        level: journeys.Level = "lead",
        *,
        order: int = 1,
    ) -> pd.DataFrame:
        """Attributed conversions and revenue per channel with spend, CAC, ROAS and ROMI under
        one model (named in `model_label` and attrs['label']). Deals won in the period."""
        credit = self.attribution(model, level, period, order=order)
        start, end = self._bounds(period)
        spend = journeys.spend_by_channel(self._tables(), start, end)
        frame = credit.set_index("channel")[["conversions", "value"]].rename(
            columns={"conversions": "attributed_deals", "value": "attributed_revenue"}
        )
        frame = frame.join(spend.rename("spend"), how="outer").fillna(0.0).astype("float64")
        with np.errstate(divide="ignore", invalid="ignore"):
            frame["cac"] = np.where(
                frame["attributed_deals"] > 0, frame["spend"] / frame["attributed_deals"], np.nan
            )
            frame["roas"] = np.where(
                frame["spend"] > 0, frame["attributed_revenue"] / frame["spend"], np.nan
            )
            frame["romi"] = np.where(
                frame["spend"] > 0,
                (frame["attributed_revenue"] - frame["spend"]) / frame["spend"],
                np.nan,
            )
        frame.index.name = "channel"
        out = frame.sort_values("attributed_revenue", ascending=False).reset_index()
        out["model"] = model
        out.attrs.update(credit.attrs)
        return out

    # ------------------------------------------------------------------ cohorts
    def lead_cohorts(self, months: int = 12, since: dt.date | None = None) -> pd.DataFrame:
        """Lead cohorts by creation month (long: cohort, stage, months_since, leads, reached,
        rate); `cohorts.matrix(frame, 'rate', 'sql')` gives one heatmap."""
        today = self.ws.today()
        sizes, reached = customers.lead_cohort_counts(self._tables(), today, since)
        return cohorts.lead_cohorts_from_counts(sizes, reached, pd.Timestamp(today), months=months)

    def customer_cohorts(self, months: int = 24) -> pd.DataFrame:
        """Customer cohorts by start month (long: cohort, months_since, customers, retained,
        logo_retention, mrr_start, mrr, revenue_retention)."""
        today = self.ws.today()
        sizes, active = customers.customer_cohort_counts(self._tables(), today, months)
        return cohorts.customer_cohorts_from_counts(sizes, active, today, months=months)

    # ------------------------------------------------------------------ RFM
    def rfm(self, as_of: dt.date | None = None, q: int = 5) -> pd.DataFrame:
        """RFM of customers over won deals (every type) up to `as_of`: one row per account."""
        day = as_of or self.ws.today()
        return rfm.score_customers(customers.rfm_customers(self._tables(), day), day, q=q)

    def rfm_segments(
        self, as_of: dt.date | None = None, q: int = 5, by: str = "segment"
    ) -> pd.DataFrame:
        """Segment sizes and KPIs (customers, share, averages, revenue share)."""
        return rfm.segment_summary(self.rfm(as_of, q), by)

    def rfm_movement(
        self, before: dt.date, after: dt.date | None = None, q: int = 5, by: str = "segment"
    ) -> pd.DataFrame:
        """Customers moving between segments from `before` to `after` (from, to, customers)."""
        return rfm.segment_movement(self.rfm(before, q), self.rfm(after, q), by)

    # ------------------------------------------------------------------ lifetime value
    def purchase_summary(
        self, as_of: dt.date | None = None, unit_days: float = 7.0
    ) -> pd.DataFrame:
        """The BG/NBD and Gamma-Gamma input per customer over won deals up to `as_of`:
        frequency (repeat purchase days), recency and T (in `unit_days`), monetary_value."""
        day = as_of or self.ws.today()
        days = customers.purchase_days(self._tables(), day)
        return clv.summary_from_days(days, pd.Timestamp(day), unit_days=unit_days)

    def ltv(self, period: Period | None = None) -> dict[str, Any]:
        """The seeds' LTV for a period (ARPA × gross margin × 1 ÷ monthly churn) with LTV:CAC,
        and the sBG retention fit over all customer cohorts (expected lifetime, survival)."""
        fy = self.ws.config.fiscal_year_start_month
        period = period or period_of(self.ws.today(), Grain.QUARTER, fy).previous()
        engine = self.ws.engine()
        kpis = ("arpa", "logo_churn_rate", "cac")
        frame = engine.compute(
            MetricQuery(kpis, period.grain, period.start, period.start, as_of=self.ws.today())
        )
        values = {str(k): float(v) for k, v in zip(frame["kpi"], frame["value"], strict=True)}
        months = max(1, round(period.days / 30.44))
        monthly_churn = values["logo_churn_rate"] / months if months else float("nan")
        margin = self.ws.config.gross_margin
        out: dict[str, Any] = {
            "period": period.label,
            "arpa": values["arpa"],
            "gross_margin": margin,
            "monthly_churn": monthly_churn,
            "cac": values["cac"],
            "lifetime_months": float("nan"),
            "ltv": float("nan"),
            "ltv_cac": float("nan"),
        }
        if monthly_churn and monthly_churn == monthly_churn and values["arpa"] == values["arpa"]:
            out["lifetime_months"] = clv.expected_lifetime_from_churn(monthly_churn)
            out["ltv"] = clv.simple_ltv(values["arpa"], margin, monthly_churn)
            out["ltv_cac"] = clv.ltv_cac(out["ltv"], values["cac"])
        out["sbg"] = self.retention_model()
        return out

    def retention_model(self, horizon: int = 36) -> dict[str, Any] | None:
        """sBG fit on customers' monthly lifetimes (censored when still active): alpha, beta,
        expected lifetime (months, within `horizon` when unbounded) and the survival curve."""
        by_account = customers.customer_lifetimes(self._tables())
        if by_account.empty:
            return None
        as_of = pd.Timestamp(self.ws.today())
        by_account = by_account[by_account["start"] <= as_of]
        ended = by_account["end"].notna() & (by_account["end"] <= as_of)
        stop = by_account["end"].where(ended, as_of)
        months = (stop - by_account["start"]).dt.days / 30.44
        periods = np.ceil(months.clip(lower=1e-9)).astype(int).clip(lower=1)
        if not ended.any():
            return None
        fit = clv.fit_sbg_lifetimes(periods.to_numpy(), ended.to_numpy())
        lifetime = fit.expected_lifetime()
        return {
            "alpha": fit.alpha,
            "beta": fit.beta,
            "customers": len(periods),
            "churned": int(ended.sum()),
            "expected_lifetime_months": lifetime,
            "expected_lifetime_months_within_horizon": fit.expected_lifetime(horizon),
            "horizon_months": horizon,
            "survival": [float(s) for s in fit.survival(np.arange(horizon + 1))],
        }

    # ------------------------------------------------------------------ forecasting
    def kpi_history(
        self, kpi: str, grain: Grain | str = Grain.MONTH, periods: int | None = None
    ) -> pd.Series:
        """A KPI's complete past periods (WorkspaceContext.kpi_history)."""
        return self.ws.kpi_history(kpi, grain, periods)

    def forecast(
        self,
        kpi: str,
        horizon: int = 6,
        grain: Grain | str = Grain.MONTH,
        level: float = 0.8,
    ) -> Forecast:
        """ETS forecast band of a KPI: frame period_start, forecast, lower, upper,
        fiscal_position, plus `period` labels; model name, level and AIC.

        A ratio of two measures (CAC = spend ÷ deals, a conversion rate…) is forecast from its
        components (`ratio_forecast`); any other KPI directly, its band clipped at 0 when its
        formula cannot go negative (no subtraction)."""
        grain = Grain(grain)
        fy = self.ws.config.fiscal_year_start_month
        history = self.kpi_history(kpi, grain)
        parts = ratio_parts(self.ws.catalog, kpi)
        if parts is not None and len(history):
            series = self._measure_history(kpi, parts, history.index, grain)
            numerator, denominator = (
                forecast(series[m], horizon, grain=grain.value, level=level, fy_start_month=fy)
                for m in parts
            )
            result = ratio_forecast(numerator, denominator, " ÷ ".join(parts))
        else:
            result = forecast(
                history.fillna(0.0),
                horizon,
                grain=grain.value,
                level=level,
                fy_start_month=fy,
                floor=0.0 if non_negative(self.ws.catalog, kpi) else None,
            )
        result.frame.insert(
            0,
            "period",
            [period_of(d.date(), grain, fy).label for d in result.frame["period_start"]],
        )
        return result

    def _measure_history(
        self, kpi: str, names: Sequence[str], index: pd.Index, grain: Grain
    ) -> pd.DataFrame:
        """The measures' values over the KPI history's periods (zeros where nothing happened)."""
        first, last = (pd.Timestamp(index[i]).date() for i in (0, -1))
        frame = self.ws.engine().measures(
            MetricQuery((kpi,), grain, first, last, as_of=self.ws.today()), names
        )
        frame.index = pd.to_datetime(frame["period_start"])
        return frame[list(names)].astype("float64").fillna(0.0)


def ratio_parts(catalog: Any, kpi: str) -> tuple[str, str] | None:
    """(numerator, denominator) when the KPI is one measure divided by another, else None."""
    tree = catalog.resolve(kpi).tree
    if (
        isinstance(tree, BinOp)
        and tree.op == "/"
        and isinstance(tree.left, Ref)
        and isinstance(tree.right, Ref)
        and tree.left.name in MEASURES
        and tree.right.name in MEASURES
    ):
        return tree.left.name, tree.right.name
    return None
