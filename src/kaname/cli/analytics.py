"""Analyse commands: attribution, cohorts, rfm, ltv, forecast (thin: parse, call ws.analytics,
render)."""

import math
from typing import Annotated, Any, Literal, Optional

import pandas as pd
import typer
from rich.table import Table

from kaname.cli.common import typed_number
from kaname.cli.render import console, print_json, to_jsonable


def _fmt(value: Any, digits: int = 2) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "—"
        return f"{value:,.{digits}f}"
    return str(value)


def _table(frame: pd.DataFrame, title: str, digits: int = 2) -> Table:
    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column), justify="left" if frame[column].dtype == object else "right")
    for row in frame.itertuples(index=False):
        table.add_row(*(_fmt(v, digits) for v in row))
    return table


MONEY_COLUMNS = {"value", "revenue", "attributed_revenue", "spend", "cac"}
RATIO_COLUMNS = {"share", "roas", "romi"}


def model_name(model: str, language: str, order: int = 1) -> str:
    """An attribution model's name in `language` (the web's Babel catalog holds the Japanese)."""
    from kaname.analytics.attribution import MODEL_NAMES
    from kaname.web.i18n import translator

    _ = translator(language)
    if model.startswith("markov_") and model[7:].isdigit():
        model, order = "markov", int(model[7:])
    if model == "markov":
        return _("Markov chain (order {order})", order=order)
    return _(MODEL_NAMES.get(model, model))


def attribution_table(
    frame: pd.DataFrame,
    title: str,
    currency: str,
    language: str,
    money: set[str] = MONEY_COLUMNS,
    order: int = 1,
) -> Table:
    """Attribution by channel: channels by name, money in 万/億 in Japanese (never
    71,181,471.14), shares as percentages; names wrap, numbers never wrap or get cut."""
    from kaname.cli.render import NAME, NUMBER, dimension_value
    from kaname.cli.words import word
    from kaname.formatting import format_money

    table = Table(title=title, title_justify="left")
    columns = [str(c) for c in frame.columns]
    for column in columns:
        if column == "channel":
            table.add_column(word("channel", language), **NAME)
        elif column == "model":
            table.add_column(word("model", language), **NAME)
        elif column in money and column not in MONEY_COLUMNS:
            table.add_column(model_name(column, language, order), **NUMBER)
        else:
            table.add_column(word(column.replace("attributed_", ""), language), **NUMBER)

    def cell(column: str, value: Any) -> str:
        if value is None or (isinstance(value, float) and math.isnan(value)):
            return "—"
        if column == "channel":
            return dimension_value("channel", value, language)
        if column == "model":
            return model_name(str(value), language, order)
        if column in money:
            return format_money(float(value), currency, language)
        if column in RATIO_COLUMNS:
            return f"{float(value):.0%}" if column == "share" else f"{float(value):,.2f}"
        return _fmt(value, 1)

    for row in frame.itertuples(index=False):
        table.add_row(*(cell(c, v) for c, v in zip(columns, row, strict=True)))
    return table


def register(
    app: typer.Typer,
    workspace_opt: Any,
    json_opt: Any,
    open_ws: Any,
    fail: Any,
    user_errors: tuple[type[BaseException], ...],
) -> None:
    """Add the analyse commands to the `kaname` app (options shared with cli/main.py)."""
    from kaname.analytics.attribution import AttributionError
    from kaname.analytics.clv import ClvError
    from kaname.analytics.cohorts import CohortError, matrix
    from kaname.analytics.forecast import ForecastError
    from kaname.analytics.rfm import RfmError
    from kaname.metrics.journeys import JourneyError

    errors: tuple[type[BaseException], ...] = (
        *user_errors,
        AttributionError,
        ClvError,
        CohortError,
        ForecastError,
        RfmError,
        JourneyError,
    )
    errors_or_value: tuple[type[BaseException], ...] = (*errors, ValueError)

    @app.command()
    def attribution(
        model: Annotated[
            list[str],
            typer.Option(
                "--model",
                "-m",
                help="first_touch, last_touch, lead_creation, linear, "
                "time_decay, u_shaped, w_shaped, full_path, j_shaped, inverse_j, custom, "
                "markov, shapley; repeat to compare side by side.",
            ),
        ] = ["linear"],  # noqa: B006 - typer reads the default list
        level: Annotated[
            Literal["lead", "account"], typer.Option(help="lead or account (buying group).")
        ] = "lead",
        period: Annotated[
            Optional[str],  # noqa: UP045 - typer needs Optional at runtime on 3.11
            typer.Option(help="Journeys that ended in this period (default: all)."),
        ] = None,
        conversion: Annotated[
            Literal["deal", "opportunity"], typer.Option(help="deal or opportunity.")
        ] = "deal",
        order: Annotated[int, typer.Option(help="Markov chain order (1-4).")] = 1,
        half_life: Annotated[float, typer.Option(help="Time-decay half-life in days.")] = 7.0,
        weight: Annotated[
            list[str],
            typer.Option(
                help="Custom model position weight, e.g. first=0.5 (first, last, lead, "
                "opportunity, close); repeat."
            ),
        ] = [],  # noqa: B006
        returns: Annotated[
            bool, typer.Option("--returns", help="Add spend, CAC, ROAS and ROMI per channel.")
        ] = False,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Multi-touch attribution of conversions and revenue to channels."""
        ws = open_ws(workspace)
        try:
            weights = {k: float(v) for k, v in (w.split("=", 1) for w in weight)}
            p = ws.period(period) if period else None
            if returns:
                frames = [ws.analytics.channel_returns(m, p, level, order=order) for m in model]
                frame = pd.concat(frames, ignore_index=True)
            elif len(model) > 1:
                frame = ws.analytics.compare_attribution(
                    model, level, p, conversion=conversion, order=order, half_life_days=half_life
                )
            else:
                frame = ws.analytics.attribution(
                    model[0],
                    level,
                    p,
                    conversion=conversion,
                    order=order,
                    half_life_days=half_life,
                    weights=weights or None,
                ).assign(model=model[0])
        except errors_or_value as exc:
            raise fail(exc) from exc
        if as_json:
            print_json(to_jsonable(frame))
            return
        lang, currency = ws.config.language, ws.config.currency
        names = ("、" if lang == "ja" else ", ").join(model_name(m, lang, order) for m in model)
        if lang == "ja":
            scope = "アカウント単位" if level == "account" else "リード単位"
            title = f"アトリビューション — {names} — {scope}、{period or '全期間'}"
        else:
            title = f"Attribution — {names} — {level} level, {period or 'all periods'}"
        if len(model) > 1 and not returns:
            wide = frame.pivot(index="channel", columns="model", values="value")[list(model)]
            wide = wide.reset_index().sort_values(model[0], ascending=False)
            suffix = "（配分された売上）" if lang == "ja" else " (attributed revenue)"
            console.print(
                attribution_table(
                    wide, title + suffix, currency, lang, MONEY_COLUMNS | set(model), order
                )
            )
        else:
            if len(model) == 1:
                frame = frame.drop(columns=["model"])  # the title names the one model
            console.print(attribution_table(frame, title, currency, lang, order=order))

    @app.command()
    def cohorts(
        kind: Annotated[
            Literal["leads", "customers"], typer.Argument(help="leads or customers.")
        ] = "leads",
        stage: Annotated[
            Literal["mql", "sql", "opportunity", "deal"],
            typer.Option(help="Lead stage: mql, sql, opportunity, deal."),
        ] = "sql",
        measure: Annotated[
            Literal["logo_retention", "revenue_retention"],
            typer.Option(help="Customers: logo_retention or revenue_retention."),
        ] = "logo_retention",
        months: Annotated[int, typer.Option(help="Months followed after the cohort month.")] = 12,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Cohort matrices: leads by creation month, customers by start month."""
        ws = open_ws(workspace)
        try:
            if kind == "leads":
                frame = ws.analytics.lead_cohorts(months)
                grid = matrix(frame, "rate", stage)
                title = f"Lead cohorts: share reaching {stage} within N months"
            elif kind == "customers":
                frame = ws.analytics.customer_cohorts(months)
                grid = matrix(frame, measure)
                title = f"Customer cohorts: {measure}"
            else:
                raise CohortError("cohorts are 'leads' or 'customers'")
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            print_json(to_jsonable(frame))
            return
        shown = (grid * 100).round(1)
        shown.columns = [str(c) for c in shown.columns]
        console.print(_table(shown.reset_index(), title + " (%)", 1))

    @app.command()
    def rfm(
        q: Annotated[int, typer.Option(help="Score levels (quintiles by default).")] = 5,
        by: Annotated[
            Literal["segment", "rfm_segment"], typer.Option(help="segment (seeds) or rfm_segment.")
        ] = "segment",
        since: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(help="Also show movement between segments since this day (YYYY-MM-DD)."),
        ] = None,
        customers: Annotated[bool, typer.Option(help="List every customer's scores.")] = False,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """RFM scores and segments of customers (won deals), with movement between dates."""
        import datetime as dt

        ws = open_ws(workspace)
        try:
            frame = (
                ws.analytics.rfm(q=q).reset_index()
                if customers
                else (ws.analytics.rfm_segments(q=q, by=by))
            )
            moves = (
                ws.analytics.rfm_movement(dt.date.fromisoformat(since), q=q, by=by)
                if since
                else None
            )
        except errors_or_value as exc:
            raise fail(exc) from exc
        if as_json:
            out: Any = to_jsonable(frame)
            if moves is not None:
                out = {"segments": out, "movement": to_jsonable(moves)}
            print_json(out)
            return
        console.print(_table(frame, "RFM customers" if customers else f"RFM segments ({by})"))
        if moves is not None:
            console.print(_table(moves, f"Segment movement since {since}"))

    @app.command()
    def ltv(
        period: Annotated[
            Optional[str],  # noqa: UP045
            typer.Option(help="Period for ARPA, churn and CAC (default: last quarter)."),
        ] = None,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Customer lifetime value: the seeds' formula, LTV:CAC and the sBG retention fit."""
        ws = open_ws(workspace)
        try:
            result = ws.analytics.ltv(ws.period(period) if period else None)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            print_json(result)
            return
        for key in (
            "period",
            "arpa",
            "gross_margin",
            "monthly_churn",
            "lifetime_months",
            "ltv",
            "cac",
            "ltv_cac",
        ):
            console.print(f"{key:>18}: {_fmt(result[key], 3)}")
        sbg = result.get("sbg")
        if sbg:
            console.print(
                f"{'sBG retention':>18}: alpha {sbg['alpha']:.3f}, beta {sbg['beta']:.3f} over "
                f"{sbg['customers']} customers ({sbg['churned']} churned); expected lifetime "
                f"{_fmt(sbg['expected_lifetime_months'], 1)} months "
                f"({_fmt(sbg['expected_lifetime_months_within_horizon'], 1)} within "
                f"{sbg['horizon_months']})"
            )

    @app.command()
    def forecast(
        kpi: Annotated[str, typer.Argument(help="KPI id, e.g. leads or revenue.")],
        horizon: Annotated[int, typer.Option(help="Periods ahead.")] = 6,
        grain: Annotated[
            Literal["week", "month", "quarter"], typer.Option(help="week, month or quarter.")
        ] = "month",
        level: Annotated[
            float,
            typer.Option(
                help="Prediction interval coverage: 80% or 0.8.",
                parser=typed_number,
                metavar="NUMBER",
            ),
        ] = 0.8,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Forecast a KPI with ETS / Holt-Winters and a prediction interval."""
        ws = open_ws(workspace)
        try:
            result = ws.analytics.forecast(kpi, horizon, grain, level)
        except errors_or_value as exc:
            raise fail(exc) from exc
        if as_json:
            print_json(
                {
                    "kpi": kpi,
                    "model": result.model,
                    "level": result.level,
                    "rows": to_jsonable(result.frame),
                }
            )
            return
        frame = result.frame.drop(columns=["period_start"])
        console.print(_table(frame, f"{kpi}: {result.model}, {result.level:.0%} interval"))
