"""`kaname plan ...`: plans from KGI to KPI targets (new, solve, what-if, lint, explain, gap,
apply, schema)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

import typer

from kaname.canonical.channels import normalise_channel
from kaname.cli.common import (
    USER_ERRORS,
    JsonOpt,
    WorkspaceOpt,
    fail,
    kpi_namer,
    open_workspace,
)
from kaname.cli.render import (
    console,
    print_json,
    render_solution,
    status_cell,
)
from kaname.cli.words import word
from kaname.formatting import period_name

plan_app = typer.Typer(help="Plans: the KGI and KPI targets.", no_args_is_help=True)


@plan_app.command("apply")
def plan_apply(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    effective_from: Annotated[
        str | None, typer.Option(help="Date the targets take effect (default today).")
    ] = None,
    resolve: Annotated[
        bool,
        typer.Option(
            "--resolve",
            help="Targets from the planner: replace targets that differ from the solution of "
            "the assumptions (hand edits included) with the solution.",
        ),
    ] = False,
    keep_targets: Annotated[
        bool,
        typer.Option(
            "--keep-targets",
            help="Targets from the planner: apply the file's targets as hand edits.",
        ),
    ] = False,
) -> None:
    """Validate a plan and store its targets as a new plan version (a plan from the planner is
    re-solved first: its targets and its assumptions are one source)."""
    ws = open_workspace(workspace)
    if resolve and keep_targets:
        raise fail(ValueError("choose --resolve or --keep-targets, not both"))
    edits: Literal["ask", "resolve", "keep"] = (
        "resolve" if resolve else ("keep" if keep_targets else "ask")
    )
    try:
        day = dt.date.fromisoformat(effective_from) if effective_from else None
        version, count = ws.apply_plan(file, day, edits=edits)
    except (*USER_ERRORS, ValueError) as exc:  # ValueError: typed values that do not parse
        raise fail(exc) from exc
    plan = ws.load_plan(file)
    lang = ws.config.language
    source = (
        "solved from the assumptions"
        if plan.targets_from == "planner"
        else "as written (hand-edited targets)"
    )
    console.print(
        word(
            "Applied {plan} as version {version}: {count} targets, {source}.",
            lang,
            plan=version.plan_name,
            version=version.version,
            count=count,
            source=word(source, lang),
        )
    )


def _parse_sets(values: list[str]) -> dict[str, float]:
    from kaname.formatting import parse_number

    out = {}
    for item in values:
        name, sep, raw = item.partition("=")
        try:
            if not sep:
                raise ValueError
            out[name.strip()] = parse_number(raw)  # 0.3, 30% or 1,000 as people type them
        except ValueError:
            raise fail(
                ValueError(f"--set takes name=number, e.g. win_rate=0.3, not {item!r}")
            ) from None
    return out


@plan_app.command("solve")
def plan_solve(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reverse-calculate the KGI: volumes per stage, channel and month, and unit costs."""
    import dataclasses

    from kaname.design.funnel import FunnelError

    ws = open_workspace(workspace)
    try:
        solution = ws.solve_plan(file)
    except (*USER_ERRORS, FunnelError) as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(dataclasses.asdict(solution))
        return
    catalog, lang = ws.catalog, ws.config.language

    def names(kpi: str) -> str:
        return catalog.get(kpi).name(lang) if kpi in catalog else kpi

    render_solution(solution, ws.config.currency, lang, names)


@plan_app.command("whatif")
def plan_whatif(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    set_: Annotated[list[str], typer.Option("--set", help="rate=value, repeatable.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Change rates, hold the bottom of the funnel, and see the KGI that results."""
    from kaname.design.funnel import FunnelError

    ws = open_workspace(workspace)
    changes = _parse_sets(set_)
    try:
        solution, changed = ws.whatif_plan(file, changes)
    except (*USER_ERRORS, FunnelError) as exc:
        raise fail(exc) from exc
    rows: list[dict[str, Any]] = [
        {"stage": stage, "plan": solution.volumes[stage], "whatif": changed[stage]}
        for stage in solution.volumes
    ]
    if as_json:
        print_json({"changes": changes, "stages": rows})
        return
    from rich.table import Table

    from kaname.cli.render import NAME, NUMBER, stage_volume
    from kaname.cli.words import word

    lang, currency = ws.config.language, ws.config.currency
    catalog = ws.catalog

    def name(kpi: str) -> str:
        return catalog.get(kpi).name(lang) if kpi in catalog else kpi

    setting = ("、" if lang == "ja" else ", ").join(
        f"{name(k) if lang == 'ja' else k}={v:g}" for k, v in changes.items()
    )
    table = Table(title=word("What if {changes}", lang, changes=setting))
    table.add_column(word("stage", lang), **NAME)
    for header in ("plan", "what-if", "change"):
        table.add_column(word(header, lang), **NUMBER)
    for row in rows:
        delta = row["whatif"] / row["plan"] - 1 if row["plan"] else 0.0
        table.add_row(
            name(row["stage"]) if lang == "ja" else row["stage"],
            stage_volume(row["stage"], row["plan"], currency, lang),
            stage_volume(row["stage"], row["whatif"], currency, lang),
            f"{delta:+.1%}",
        )
    console.print(table)


def _parse_pairs(values: list[str], option: str, example: str) -> dict[str, float]:
    """name=number pairs; numbers as people type them (20%, 500万, 1,000)."""
    from kaname.formatting import NumberError, parse_number

    out = {}
    for item in values:
        for part in item.split(","):
            name, sep, raw = part.partition("=")
            if not sep or not name.strip():
                raise fail(ValueError(f"{option} takes name=number, e.g. {example}, not {item!r}"))
            try:
                out[name.strip()] = parse_number(raw)
            except NumberError as exc:
                raise fail(NumberError(f"{option} {exc.en}", f"{option} {exc.ja}")) from None
    return out


def _amount(raw: str | None, option: str) -> float | None:
    from kaname.formatting import NumberError, parse_number

    if raw is None:
        return None
    try:
        return parse_number(raw)
    except NumberError as exc:
        raise fail(NumberError(f"{option}: {exc.en}", f"{option}: {exc.ja}")) from None


@plan_app.command("new")
def plan_new(
    template: Annotated[
        str | None, typer.Option(help="b2b_saas, it_solutions, …; --list shows all.")
    ] = None,
    fiscal_year: Annotated[
        int | None, typer.Option("--fy", help="Fiscal year (default current).")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="File to write (default plans/NAME-fyYYYY.yaml).")
    ] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the templates.")] = False,
    kgi: Annotated[
        str | None, typer.Option(help="Revenue for the fiscal year, e.g. 1億 (four numbers).")
    ] = None,
    deal_size: Annotated[str | None, typer.Option(help="Average deal size, e.g. 500万.")] = None,
    rate: Annotated[
        list[str] | None,
        typer.Option(
            help="Stage rate NAME=VALUE, repeatable: sql (lead→商談), win (商談→受注), mql, "
            "opportunity, cvr; e.g. sql=20%. Unset rates take the seeds' benchmarks."
        ),
    ] = None,
    budget: Annotated[
        str | None, typer.Option(help="Marketing budget for the year, e.g. 2000万.")
    ] = None,
    mix: Annotated[
        list[str] | None,
        typer.Option(help="Channel share NAME=SHARE, repeatable, e.g. webinar=40%,paid_ads=60%."),
    ] = None,
    ltv: Annotated[str | None, typer.Option(help="Customer lifetime value, for LTV:CAC.")] = None,
    stages: Annotated[
        str | None,
        typer.Option(
            help="Stages used, comma-separated (default revenue,deals,sqls,leads plus the "
            "stages your rates name), e.g. revenue,deals,opportunities,sqls,mqls,leads."
        ),
    ] = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Also save it as a new plan version.")
    ] = False,
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a plan: from four numbers (--kgi, --deal-size, --rate, --budget) or a template,
    with monthly targets solved for this workspace."""
    from kaname.design.funnel import FunnelError
    from kaname.design.templates import template_names

    if list_:
        for name in template_names():
            console.print(name)
        return
    numbers = (kgi, deal_size, budget)
    ws = open_workspace(workspace)
    try:
        if any(v is not None for v in numbers) or rate or mix:
            if template:
                raise ValueError("give either the four numbers or --template, not both")
            path, plan, defaulted = _new_from_numbers(
                ws, kgi, deal_size, budget, rate or [], mix or [], ltv, stages, fiscal_year, out
            )
        else:
            path, plan = ws.new_plan(template or "b2b_saas", fiscal_year, out)
            defaulted = []
        version = ws.apply_plan(path, created_by="cli")[0] if apply else None
    except (*USER_ERRORS, FunnelError, ValueError) as exc:
        raise fail(exc) from exc
    if as_json:
        solution = ws.solve_plan(plan)
        print_json(
            {
                "path": str(path),
                "plan": plan.model_dump(mode="json"),
                "volumes": solution.volumes,
                "unit_costs": solution.unit_costs,
                "defaulted_rates": defaulted,
                "version": version.version if version else None,
            }
        )
        return
    if plan.targets_from == "planner" and plan.assumptions.stages:
        _print_quick(ws, plan, defaulted)
    lang = ws.config.language
    kgi_name, kgi_target = plan.kgi.kpi, f"{plan.kgi.target:,.0f}"
    if lang == "ja":  # 売上 1.00億円, as the Japanese reader writes money
        from kaname.formatting import format_value

        unit = ws.catalog.get(kgi_name).unit if kgi_name in ws.catalog else "count"
        kgi_target = format_value(plan.kgi.target, unit, ws.config.currency, lang)
        kgi_name = ws.catalog.get(kgi_name).name(lang) if kgi_name in ws.catalog else kgi_name
    wrote = word(
        "Wrote {path}: KGI {kgi} {target} in {period}, {n} KPIs.",
        lang,
        path=path,
        kgi=kgi_name,
        target=kgi_target,
        period=plan.kgi.period,
        n=len(plan.kpis),
    )
    if version:
        then = word(" Saved as version {version}.", lang, version=version.version)
    else:
        then = word(
            " Next: `kaname plan lint {path}`, then `kaname plan apply {path}`.", lang, path=path
        )
    console.print(wrote + then)


def _new_from_numbers(
    ws: Any,
    kgi: str | None,
    deal_size: str | None,
    budget: str | None,
    rate: list[str],
    mix: list[str],
    ltv: str | None,
    stages: str | None,
    fiscal_year: int | None,
    out: Path | None,
) -> tuple[Path, Any, list[str]]:
    from kaname.design.plan import PlanError, dump_plan
    from kaname.design.quickplan import QuickInputs, rate_name, resolved_rates

    missing = [
        flag
        for flag, value in (("--kgi", kgi), ("--deal-size", deal_size), ("--budget", budget))
        if value is None
    ]
    if missing:
        raise PlanError(f"a plan from four numbers needs {', '.join(missing)} too")
    rates = {rate_name(k): v for k, v in _parse_pairs(rate, "--rate", "sql=20%").items()}
    inputs = QuickInputs(
        kgi=_amount(kgi, "--kgi") or 0.0,
        deal_size=_amount(deal_size, "--deal-size") or 0.0,
        budget=_amount(budget, "--budget") or 0.0,
        rates=rates,
        stages=tuple(s.strip() for s in stages.split(",")) if stages else (),
        channel_mix={
            normalise_channel(k) or k: v
            for k, v in _parse_pairs(mix, "--mix", "webinar=40%").items()
        },
        ltv=_amount(ltv, "--ltv"),
    )
    _, _, defaulted = resolved_rates(inputs, ws.catalog)
    plan = ws.plan_from_numbers(inputs, fiscal_year)
    fy = plan.kgi.period[2:]
    path = out or ws.root / "plans" / f"{plan.name}.yaml"
    if path.exists():
        raise PlanError(f"{path} exists; pass --out to write elsewhere")
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        f"# A plan from four numbers for FY{fy}: its targets are the planner's solution "
        "(targets_from: planner).\n# Change an assumption, then `kaname plan apply --resolve`.\n"
    )
    path.write_text(header + dump_plan(plan), encoding="utf-8")
    return path, plan, defaulted


def _print_quick(ws: Any, plan: Any, defaulted: list[str]) -> None:
    from kaname.formatting import format_money, format_percent

    currency, language = ws.config.currency, ws.config.language
    solution = ws.solve_plan(plan)
    catalog = ws.catalog
    rates = plan.assumptions.used_rates()
    shown = [
        f"{catalog.get(n).name(language)} {format_percent(v)}"
        + (word(" (benchmark)", language) if n in defaulted else "")
        for n, v in rates.items()
        if n != "average_deal_size"
    ]
    comma = "、" if language == "ja" else ", "
    console.print(word("Rates: ", language) + comma.join(shown))
    console.print(
        word("Per year: ", language)
        + comma.join(
            f"{catalog.get(s).name(language)} {v:,.0f}"
            for s, v in solution.volumes.items()
            if s != "revenue"
        )
    )
    names = {"target_cpa": "target CPA", "target_cac": "target CAC", "cost_per_mql": "cost/MQL"}
    costs = [
        f"{word(names[k], language)} {format_money(v, currency, language)}"
        for k, v in solution.unit_costs.items()
        if k in names
    ]
    if "ltv_cac" in solution.unit_costs:
        costs.append(f"LTV:CAC {solution.unit_costs['ltv_cac']:.1f}")
    if costs:
        console.print(comma.join(costs))


@plan_app.command("schema")
def plan_schema() -> None:
    """Print the JSON Schema of plan files (also in docs/plan.schema.json), for editors."""
    from kaname.cli.docs_gen import render_plan_schema

    console.out(render_plan_schema(), highlight=False, end="")


@plan_app.command("lint")
def plan_lint(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Check a plan against SMART and the KPI-design rules; exit 1 when there are errors."""
    ws = open_workspace(workspace)
    try:
        findings = ws.lint_plan(file)
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    errors = sum(f.severity == "error" for f in findings)
    if as_json:
        print_json([f.as_dict() for f in findings])
    else:
        from rich.table import Table

        language = ws.config.language
        styles = {"error": "[red]{}[/]", "warning": "[yellow]{}[/]", "info": "{}"}
        table = Table(
            word("severity", language),
            word("rule", language),
            "KPI",
            word("finding", language),
            word("fix", language),
            title=word(
                "{name}: {n} findings, {errors} errors",
                language,
                name=file.name,
                n=len(findings),
                errors=errors,
            ),
        )
        from kaname.design.lint import finding_text

        catalog = ws.catalog

        def names(kpi: str) -> str:  # a Japanese table names the KPI rather than its id
            return catalog.get(kpi).name(language) if language == "ja" and kpi in catalog else kpi

        for f in findings:
            table.add_row(
                styles[f.severity].format(word(f.severity, language)),
                f.rule,
                names(f.kpi),
                finding_text(f.message(language), f.kpi, names),
                f.hint(language),
            )
        console.print(table if findings else word("{name}: no findings", language, name=file.name))
    if errors:
        raise typer.Exit(1)


@plan_app.command("explain")
def plan_explain(
    file: Annotated[Path, typer.Argument(help="Plan YAML file.")],
    workspace: WorkspaceOpt = None,
    period: Annotated[str | None, typer.Option(help="Period (default: current month).")] = None,
    as_json: JsonOpt = False,
) -> None:
    """The plan's KPI tree from the KGI down, with targets, actuals and status."""
    from kaname.formatting import format_percent, format_value

    ws = open_workspace(workspace)
    try:
        rows = ws.explain_plan(file, period)
    except USER_ERRORS as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(rows)
        return
    currency, language = ws.config.currency, ws.config.language
    name = kpi_namer(ws)
    period = period_name(rows[0]["period"], language, ws.config.fiscal_year_start_month)
    as_of = word("as of {date}", language, date=ws.today())
    console.print(f"[bold]{file.name}[/] — {period} ({as_of})")
    for row in rows:
        joint = {"product": "×", "ratio": "÷", "sum": "+", "formula": "ƒ"}.get(row["relation"], "")
        status = status_cell(row["status"], language)
        actual = format_value(row["actual"], row["unit"], currency, language)
        target = format_value(row["target"], row["unit"], currency, language)
        owner = f" [dim]{row['owner']}[/]" if row["owner"] else ""
        if language == "ja":  # names only: a Japanese line shows no KPI ids
            formula = f" [dim]（= {joint.join(map(name, row['children']))}）[/]" if joint else ""
        else:
            formula = (
                f" [dim]({row['kpi']}{' = ' + joint.join(row['children']) if joint else ''})[/]"
            )
        console.print(
            f"{'    ' * row['depth']}{'└─ ' if row['depth'] else ''}{name(row['kpi'])}{formula} "
            f"{actual} / {target} {format_percent(row['achievement'])} {status}{owner}"
        )


@plan_app.command("gap")
def plan_gap(
    file: Annotated[Path, typer.Argument(help="Plan YAML file with a KGI and assumptions.")],
    period: Annotated[str, typer.Option(help="Period inside the KGI period, e.g. 2026-10.")],
    workspace: WorkspaceOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Planned vs actual KGI for a period, the gap split exactly across the funnel's drivers."""
    from kaname.design.funnel import FunnelError
    from kaname.design.gap import GapError
    from kaname.formatting import format_money

    ws = open_workspace(workspace)
    try:
        gap = ws.plan_gap(file, period)
    except (*USER_ERRORS, FunnelError, GapError) as exc:
        raise fail(exc) from exc
    if as_json:
        print_json(gap)
        return
    currency, language = ws.config.currency, ws.config.language

    def amount(value: float) -> str:
        if gap["kgi"] == "revenue":
            sign = "+" if value >= 0 else "−"
            return sign + format_money(abs(value), currency, language)
        return f"{value:+,.1f}"

    total = float(gap["gap"])
    drivers = gap["drivers"]
    verdict = "short" if total < 0 else "ahead"
    comma = "、" if language == "ja" else ", "
    parts = comma.join(f"{amount(d['effect'])} {d['names'][language]}" for d in drivers)
    headline = word(
        "{kgi} {period}: {gap} " + verdict,
        language,
        kgi=kpi_namer(ws)(gap["kgi"]),
        period=period_name(gap["period"], language, ws.config.fiscal_year_start_month),
        gap=amount(total),
    )
    numbers = word(
        "plan {plan}, actual {actual}",
        language,
        plan=amount(float(gap["planned"]))[1:],
        actual=amount(float(gap["actual"]))[1:],
    )
    console.print(f"[bold]{headline}[/] ({numbers}): {parts}")
    top = gap["sensitivity"][0] if gap["sensitivity"] else None
    if top and top["gain_to_benchmark"]:
        console.print(
            word(
                "Top bottleneck: bringing {rate} from {actual} to the {benchmark} benchmark "
                "adds {gain}.",
                language,
                rate=top["names"][language],
                actual=f"{top['actual']:.1%}",
                benchmark=f"{top['benchmark']:.0%}",
                gain=amount(top["gain_to_benchmark"]),
            )
        )
    elif top:
        console.print(
            word(
                "Every rate meets its benchmark; +10% on {rate} adds {gain}.",
                language,
                rate=top["names"][language],
                gain=amount(top["gain_step"]),
            )
        )
    console.print(f"[dim]{word(gap['note'], language)}[/]")
