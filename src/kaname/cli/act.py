"""CLI of the Act stage: `kaname alerts`, `kaname report`, `kaname catalog export`,
`kaname actions`, `kaname abtest`, `kaname review`. Thin: parse, call `ws.act`, render."""

import datetime as dt
import getpass
import math
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import typer
from rich.table import Table

from kaname.cli.common import kpi_namer, typed_number
from kaname.cli.loop import tr
from kaname.cli.render import console, dimension_value, print_json
from kaname.cli.words import word
from kaname.formatting import period_name


def _print_json(data: Any) -> None:
    """JSON with dates and datetimes as ISO strings, NaN as null."""
    import json

    def clean(value: Any) -> Any:
        if isinstance(value, float) and not math.isfinite(value):
            return None
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [clean(v) for v in value]
        if isinstance(value, dt.date | dt.datetime):
            return value.isoformat()
        return value

    print_json(json.loads(json.dumps(clean(data), default=str)))


def _decision(decision: str, lang: str) -> str:
    """A review's keep / change / retire in `lang` (変化 is a change in a value, not this)."""
    return word(f"suggest {decision}", lang) if lang == "ja" else decision


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{option} must be a date like 2026-10-01, not {value!r}") from exc


def register(
    app: typer.Typer,
    catalog_app: typer.Typer,
    workspace_opt: Any,
    json_opt: Any,
    open_ws: Any,
    fail: Any,
    user_errors: tuple[type[BaseException], ...],
) -> None:
    """Add the Act commands to the `kaname` app (options shared with cli/main.py)."""
    from kaname.act.actions import ActionError
    from kaname.act.alerts import AlertError
    from kaname.act.effect import EffectError
    from kaname.act.review import ReviewError
    from kaname.act.rules import RuleError

    errors: tuple[type[BaseException], ...] = (
        *user_errors,
        AlertError,
        ActionError,
        EffectError,
        ReviewError,
        RuleError,
        ValueError,
    )
    alerts_app = typer.Typer(
        help="Alerts: check the rules of kaname.yaml, list, acknowledge, resolve.",
        no_args_is_help=True,
    )
    actions_app = typer.Typer(
        help="PDCA actions: the team's log of what it tried and learnt.", no_args_is_help=True
    )
    review_app = typer.Typer(help="Quarterly KPI review against the KGI.", no_args_is_help=False)
    app.add_typer(alerts_app, name="alerts")
    app.add_typer(actions_app, name="actions")
    app.add_typer(review_app, name="review")
    ByOpt = Annotated[str, typer.Option("--by", help="Who does it (default: your login).")]

    # ------------------------------------------------------------------ alerts
    @alerts_app.command("check")
    def alerts_check(
        workspace: workspace_opt = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Evaluate only: store and send nothing.")
        ] = False,
        rule: Annotated[
            list[str] | None, typer.Option("--rule", help="Only this rule id (repeatable).")
        ] = None,
        as_json: json_opt = False,
    ) -> None:
        """Evaluate every alert rule; store new alerts and notify their channels."""
        ws = open_ws(workspace)
        try:
            result = ws.act.check_alerts(dry_run=dry_run, rules=rule)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(result)
            return
        lang = ws.config.language
        for c in result["candidates"]:
            severity = word(c["severity"], lang)
            console.print(f"[bold]{severity}[/] {c['title'][lang]} — {c['message'][lang]}")
        if dry_run:
            dry = "Dry run: {n} alerts would fire; nothing stored or sent."
            console.print(f"[dim]{word(dry, lang, n=len(result['candidates']))}[/]")
        else:
            failed = [d for d in result["deliveries"] if d["status"] != "sent"]
            console.print(
                word(
                    "{new} new, {open} still open, {cooling} in cooldown, {resolved} resolved; "
                    "{sent} notifications sent, {failed} failed.",
                    lang,
                    new=len(result["new"]),
                    open=len(result["repeated"]),
                    cooling=len(result["suppressed"]),
                    resolved=len(result["resolved"]),
                    sent=len(result["deliveries"]) - len(failed),
                    failed=len(failed),
                )
            )
            for d in failed:
                said = word(
                    "Delivery to {channel} failed after {n} attempts:",
                    lang,
                    channel=d["channel"],
                    n=d["attempts"],
                )
                console.print(f"[red]{said}[/] {d['last_error']}")
        for e in result["errors"]:
            console.print(f"[red]{word('Rule {rule}:', lang, rule=e['rule'])}[/] {e['error']}")
        if result["errors"]:
            raise typer.Exit(1)

    @alerts_app.command("list")
    def alerts_list(
        workspace: workspace_opt = None,
        status: Annotated[
            str | None, typer.Option(help="live, open, acknowledged or resolved.")
        ] = None,
        kpi: Annotated[Optional[str], typer.Option(help="Only alerts on this KPI.")] = None,  # noqa: UP045
        as_json: json_opt = False,
    ) -> None:
        """The alert history, newest first."""
        ws = open_ws(workspace)
        try:
            rows = ws.act.alerts(status, kpi)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(rows)
            return
        lang = ws.config.language
        headers = ("id", "status", "severity", "period", "alert", "who")
        table = Table(*(word(h, lang) for h in headers))
        for a in rows:
            who = a["resolved_by"] or a["acknowledged_by"]
            table.add_row(
                str(a["id"]),
                word(a["status"], lang),
                word(a["severity"], lang),
                a["period"],
                a["title"],
                who,
            )
        console.print(table)

    def _state(
        alert_id: int, state: str, by: str, note: str, workspace: Any, as_json: bool
    ) -> None:
        ws = open_ws(workspace)
        try:
            if state == "ack":
                row = ws.act.acknowledge_alert(alert_id, by or _user(), note)
            else:
                row = ws.act.resolve_alert(alert_id, by or _user(), note)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            console.print(
                word(
                    "Alert {id} {status} by {who}.",
                    ws.config.language,
                    id=alert_id,
                    status=word(row["status"], ws.config.language),
                    who=row["resolved_by"] or row["acknowledged_by"],
                )
            )

    @alerts_app.command("ack")
    def alerts_ack(
        alert_id: int,
        by: ByOpt = "",
        note: Annotated[str, typer.Option(help="A note for the history.")] = "",
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Acknowledge an alert (someone is on it)."""
        _state(alert_id, "ack", by, note, workspace, as_json)

    @alerts_app.command("resolve")
    def alerts_resolve(
        alert_id: int,
        by: ByOpt = "",
        note: Annotated[str, typer.Option(help="What was done.")] = "",
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Resolve an alert."""
        _state(alert_id, "resolve", by, note, workspace, as_json)

    # ------------------------------------------------------------------ reports
    @app.command("report")
    def report(
        out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
        period: Annotated[
            str | None,
            typer.Option(help="Period label, e.g. 2026-10 or FY2026-Q2 (default: current month)."),
        ] = None,
        fmt: Annotated[
            Literal["html", "pdf", "xlsx"], typer.Option("--format", "-f", help="File format.")
        ] = "html",
        language: Annotated[
            Optional[Literal["ja", "en"]],  # noqa: UP045
            typer.Option(help="Language (default: the workspace's)."),
        ] = None,
        workspace: workspace_opt = None,
    ) -> None:
        """Write the KPI report for a period: headline, changes, off-track KPIs and why, actions."""
        ws = open_ws(workspace)
        try:
            content = ws.act.report(period, fmt, language)
        except errors as exc:
            raise fail(exc) from exc
        out.write_bytes(content)
        _wrote(ws, out, content)

    def _wrote(ws: Any, out: Path, content: bytes) -> None:
        said = word("Wrote {out} ({n} bytes).", ws.config.language, out=out, n=f"{len(content):,}")
        console.print(said)

    @catalog_app.command("export")
    def catalog_export(
        out: Annotated[Path, typer.Option("--out", "-o", help="File to write.")],
        fmt: Annotated[
            Literal["pdf", "xlsx", "html"], typer.Option("--format", "-f", help="File format.")
        ] = "pdf",
        language: Annotated[Optional[Literal["ja", "en"]], typer.Option(help="Language.")] = None,  # noqa: UP045
        workspace: workspace_opt = None,
    ) -> None:
        """Export the KPI definitions document (every KPI, formula and definition)."""
        ws = open_ws(workspace)
        try:
            content = ws.act.catalog_document(fmt, language)
        except errors as exc:
            raise fail(exc) from exc
        out.write_bytes(content)
        _wrote(ws, out, content)

    # ------------------------------------------------------------------ actions
    def _print_action(ws: Any, a: dict[str, Any]) -> None:
        lang = ws.config.language
        name = kpi_namer(ws)
        status = word(f"action {a['status']}", lang) if lang == "ja" else a["status"]
        decision = f" → {word(a['decision'], lang)}" if a["decision"] else ""
        console.print(f"[bold]#{a['id']} {a['title']}[/] ({status}{decision})")
        dim = ""
        if a["dimension"]:
            value = dimension_value(a["dimension"], a["dimension_value"], lang)
            dim = f" ({word(a['dimension'], lang)} = {value})"
        sep = "、" if lang == "ja" else ", "
        console.print(
            "  "
            + word(
                "KPIs: {kpis}{dim}; {start} – {end}; owner {owner}",
                lang,
                kpis=sep.join(name(k) for k in a["kpis"]),
                dim=dim,
                start=a["start_date"],
                end=a["end_date"] or word("open-ended", lang),
                owner=a["owner"] or "—",
            )
        )
        if a["expected_lift"] is not None:
            lift = f"{a['expected_lift']:+.0%}"
            console.print("  " + word("Expected lift: {lift}", lang, lift=lift))
        if a["hypothesis"]:
            console.print("  " + word("Hypothesis: {said}", lang, said=a["hypothesis"]))
        if a["learnings"]:
            console.print("  " + word("Learnings: {said}", lang, said=a["learnings"]))

    def _dimension(value: str | None) -> tuple[str, str]:
        if not value:
            return "", ""
        if "=" not in value:
            raise typer.BadParameter(tr("--dimension takes dimension=value, e.g. channel=webinar"))
        dim, _, val = value.partition("=")
        return dim.strip(), val.strip()

    DimOpt = Annotated[
        str | None, typer.Option("--dimension", help="dimension=value, e.g. channel=webinar.")
    ]

    @actions_app.command("add")
    def actions_add(
        title: Annotated[str, typer.Argument(help="What the team will do.")],
        kpi: Annotated[list[str], typer.Option("--kpi", "-k", help="Linked KPI (repeatable).")],
        start: Annotated[str, typer.Option(help="Start date (YYYY-MM-DD).")],
        end: Annotated[Optional[str], typer.Option(help="End date.")] = None,  # noqa: UP045
        hypothesis: Annotated[str, typer.Option(help="Why it should move the KPIs.")] = "",
        dimension: DimOpt = None,
        owner: Annotated[str, typer.Option(help="Who runs it.")] = "",
        expected_lift: Annotated[
            float | None,
            typer.Option(
                help="Expected relative lift: 10% or 0.1 = +10%.",
                parser=typed_number,
                metavar="NUMBER",
            ),
        ] = None,
        status: Annotated[
            Literal["plan", "do", "check", "act"], typer.Option(help="plan, do, check or act.")
        ] = "plan",
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Log a new PDCA action."""
        ws = open_ws(workspace)
        dim, val = _dimension(dimension)
        try:
            row = ws.act.add_action(
                {
                    "title": title,
                    "kpis": kpi,
                    "start_date": _date(start, "--start"),
                    "end_date": _date(end, "--end"),
                    "hypothesis": hypothesis,
                    "dimension": dim,
                    "dimension_value": val,
                    "owner": owner,
                    "expected_lift": expected_lift,
                    "status": status,
                },
                by=_user(),
            )
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            _print_action(ws, row)

    def _list(ws: Any, rows: list[dict[str, Any]], as_json: bool) -> None:
        if as_json:
            _print_json(rows)
            return
        lang = ws.config.language
        headers = ("id", "title", "status", "decision", "kpis", "start", "end", "owner")
        table = Table(*(word(h, lang) for h in headers))
        for a in rows:
            table.add_row(
                str(a["id"]),
                a["title"],
                word(f"action {a['status']}", lang) if lang == "ja" else a["status"],
                word(a["decision"], lang) if a["decision"] else a["decision"],
                ("、" if lang == "ja" else ", ").join(map(kpi_namer(ws), a["kpis"])),
                str(a["start_date"]),
                str(a["end_date"] or ""),
                a["owner"],
            )
        console.print(table)

    @actions_app.command("list")
    def actions_list(
        status: Annotated[Optional[str], typer.Option(help="plan, do, check or act.")] = None,  # noqa: UP045
        kpi: Annotated[Optional[str], typer.Option(help="Only actions on this KPI.")] = None,  # noqa: UP045
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """List actions, newest first."""
        ws = open_ws(workspace)
        try:
            rows = ws.act.actions(status=status, kpi=kpi)
        except errors as exc:
            raise fail(exc) from exc
        _list(ws, rows, as_json)

    @actions_app.command("search")
    def actions_search(
        query: Annotated[
            str, typer.Argument(help="Words to find in titles, hypotheses, learnings.")
        ],
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Search past actions (the knowledge base)."""
        ws = open_ws(workspace)
        _list(ws, ws.act.actions(query=query), as_json)

    @actions_app.command("show")
    def actions_show(
        action_id: int, workspace: workspace_opt = None, as_json: json_opt = False
    ) -> None:
        """Show one action."""
        ws = open_ws(workspace)
        try:
            row = ws.act.action(action_id)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            _print_action(ws, row)

    @actions_app.command("update")
    def actions_update(
        action_id: int,
        title: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
        status: Annotated[Optional[str], typer.Option(help="plan, do, check or act.")] = None,  # noqa: UP045
        end: Annotated[Optional[str], typer.Option(help="End date.")] = None,  # noqa: UP045
        owner: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
        hypothesis: Annotated[Optional[str], typer.Option()] = None,  # noqa: UP045
        expected_lift: Annotated[
            Optional[float],  # noqa: UP045
            typer.Option(parser=typed_number, metavar="NUMBER"),
        ] = None,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Change an action's fields (e.g. move it to `check`)."""
        ws = open_ws(workspace)
        changes = {
            k: v
            for k, v in {
                "title": title,
                "status": status,
                "end_date": _date(end, "--end"),
                "owner": owner,
                "hypothesis": hypothesis,
                "expected_lift": expected_lift,
            }.items()
            if v is not None
        }
        try:
            row = ws.act.update_action(action_id, changes)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            _print_action(ws, row)

    @actions_app.command("decide")
    def actions_decide(
        action_id: int,
        decision: Annotated[str, typer.Argument(help="standardise, expand, modify or stop.")],
        learnings: Annotated[str, typer.Option(help="What the team learnt.")] = "",
        by: ByOpt = "",
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Record the review decision and learnings of an action."""
        ws = open_ws(workspace)
        try:
            row = ws.act.decide_action(action_id, decision, learnings, by or _user())
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            _print_action(ws, row)

    @actions_app.command("effect")
    def actions_effect(
        action_id: int,
        kpi: Annotated[
            str | None, typer.Option(help="One of the action's KPIs (default: all).")
        ] = None,
        grain: Annotated[
            Literal["day", "week", "month"], typer.Option(help="day, week or month.")
        ] = "week",
        compare_to: Annotated[
            str | None,
            typer.Option(
                help="Difference-in-differences against this value of the action's dimension."
            ),
        ] = None,
        level: Annotated[
            float,
            typer.Option(
                help="Confidence level: 95% or 0.95.", parser=typed_number, metavar="NUMBER"
            ),
        ] = 0.95,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Measure an action's effect on its KPIs, with a confidence interval."""
        ws = open_ws(workspace)
        try:
            result = ws.act.measure_action(action_id, kpi, grain, compare_to, level)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(result)
            return
        lang = ws.config.language
        name = kpi_namer(ws)
        _print_action(ws, result["action"])
        for r in result["results"]:
            if "error" in r:
                console.print(f"[yellow]{name(r['kpi'])}:[/] {r['error']}")
                continue
            style = "green" if r["significant"] else "yellow"
            how = word(
                "{method}, by {grain}",
                lang,
                method=word(r["method"], lang),
                grain=word(r["grain"], lang),
            )
            console.print(f"[bold {style}]{name(r['kpi'])} ({how}):[/] {r['verdict_' + lang]}")
            for note in r["notes"]:
                console.print(f"  [dim]{note}[/]")

    # ------------------------------------------------------------------ A/B
    @app.command("abtest")
    def abtest(
        a_conversions: Annotated[
            int, typer.Option("--a-conversions", help="Conversions of A (control).")
        ],
        a_visitors: Annotated[int, typer.Option("--a-visitors", help="Visitors of A.")],
        b_conversions: Annotated[int, typer.Option("--b-conversions", help="Conversions of B.")],
        b_visitors: Annotated[int, typer.Option("--b-visitors", help="Visitors of B.")],
        level: Annotated[
            float,
            typer.Option(
                help="Confidence level: 95% or 0.95.", parser=typed_number, metavar="NUMBER"
            ),
        ] = 0.95,
        power: Annotated[
            float,
            typer.Option(
                help="Power for the sample size: 80% or 0.8.", parser=typed_number, metavar="NUMBER"
            ),
        ] = 0.8,
        mde: Annotated[
            float | None,
            typer.Option(help="Smallest relative lift worth detecting (default: the observed)."),
        ] = None,
        daily_visitors: Annotated[
            float | None, typer.Option(help="Visitors per day across both arms.")
        ] = None,
        language: Annotated[Literal["ja", "en"], typer.Option(help="Language.")] = "en",
        as_json: json_opt = False,
    ) -> None:
        """A/B calculator: significance, Bayesian probability to beat control, sample size."""
        from kaname.act.effect import ab_test

        try:
            result = ab_test(
                a_conversions,
                a_visitors,
                b_conversions,
                b_visitors,
                level,
                power,
                mde,
                daily_visitors,
            )
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(result.model_dump())
            return
        console.print(result.verdict_ja if language == "ja" else result.verdict_en)

    # ------------------------------------------------------------------ review
    @review_app.callback(invoke_without_command=True)
    def review_show(
        ctx: typer.Context,
        plan: Annotated[
            str | None, typer.Option(help="Plan name (default: the latest applied).")
        ] = None,
        period: Annotated[
            str | None,
            typer.Option(help="Quarter, e.g. FY2026-Q2 (default: the last complete one)."),
        ] = None,
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """How each KPI of the plan tracked and whether it still moves the KGI."""
        if ctx.invoked_subcommand:
            return
        ws = open_ws(workspace)
        try:
            result = ws.act.review(plan, period)
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(result)
            return
        lang = ws.config.language
        name = kpi_namer(ws)
        period = period_name(result["period"], lang, ws.config.fiscal_year_start_month)
        headers = ("KPI", "status", "months on track", "r vs KGI", "lead", "lint", "suggest", "why")
        table = Table(
            *(word(h, lang) for h in headers),
            title=word(
                "{plan} v{version} — {period}",
                lang,
                plan=result["plan"],
                version=result["version"],
                period=period,
            ),
        )
        for r in result["rows"]:
            corr = r["correlation"]
            lag = word("{n} mo", lang, n=r["lag_months"]) if r["lag_months"] else ""
            table.add_row(
                name(r["kpi"]),
                word(str(r["status"]).replace("_", " "), lang),
                f"{r['months_on_track']}/{r['months']}",
                f"{corr:+.2f}" if isinstance(corr, float) and math.isfinite(corr) else "—",
                lag,
                str(len(r["findings"])),
                _decision(r["suggestion"], lang),
                r["reason"][lang],
            )
        console.print(table)
        console.print(f"[dim]{word(result['note'], lang)}[/]")

    @review_app.command("decide")
    def review_decide(
        kpi: Annotated[str, typer.Argument(help="KPI id.")],
        decision: Annotated[str, typer.Argument(help="keep, change or retire.")],
        plan: Annotated[
            str | None, typer.Option(help="Plan name (default: the latest applied).")
        ] = None,
        note: Annotated[str, typer.Option(help="Why, and what changes in the next version.")] = "",
        by: ByOpt = "",
        workspace: workspace_opt = None,
        as_json: json_opt = False,
    ) -> None:
        """Record a review decision on a KPI for the plan's next version."""
        ws = open_ws(workspace)
        try:
            name = plan or ws.act.review()["plan"]
            row = ws.act.record_review_decision(name, kpi, decision, note, by or _user())
        except errors as exc:
            raise fail(exc) from exc
        if as_json:
            _print_json(row)
        else:
            lang = ws.config.language
            plan_version = word(
                "{plan} v{version} — {period}",
                lang,
                plan=row["plan"],
                version=row["plan_version"],
                period=period_name(row["period"], lang, ws.config.fiscal_year_start_month),
            )
            console.print(f"{plan_version}: {kpi_namer(ws)(kpi)} → {_decision(decision, lang)}.")
