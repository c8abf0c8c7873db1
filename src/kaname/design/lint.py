"""Plan lint: SMART checks per KPI and the seeds' rules for a KPI set, in Japanese and English.

Pure: the workspace supplies facts from the warehouse (which KPIs have data, their history).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

from kaname.design.plan import Plan
from kaname.metrics.catalog import Catalog

Severity = Literal["error", "warning", "info"]
STRETCH = 1.5
"""A target more than 50% above the best period so far is flagged as hard to achieve."""


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str
    kpi: str
    message_en: str
    message_ja: str
    hint_en: str
    hint_ja: str

    def message(self, language: str) -> str:
        return self.message_ja if language == "ja" else self.message_en

    def hint(self, language: str) -> str:
        return self.hint_ja if language == "ja" else self.hint_en

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Facts:
    """What the warehouse says about each KPI of the plan."""

    has_data: Mapping[str, bool] = field(default_factory=dict)
    best: Mapping[str, float] = field(default_factory=dict)
    """Best value of the KPI in any period of the plan's grain so far."""
    history: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    """Actual value per KPI and period label (for growth against the same period a year ago)."""


def lint(plan: Plan, catalog: Catalog, facts: Facts) -> list[Finding]:
    out: list[Finding] = []
    reachable = {kpi for _, kpi in plan.walk()} if plan.tree else set()
    in_ksf = {k for ksf in plan.ksfs for k in ksf.kpis}
    for item in plan.kpis:
        kpi = catalog.get(item.kpi)
        if kpi.definition_en.strip() in ("", kpi.formula.strip()):
            out.append(
                Finding(
                    "warning",
                    "SMART-S",
                    item.kpi,
                    f"{item.kpi} has no definition beyond its formula",
                    f"{item.kpi} の定義が計算式しかありません",
                    "describe what it measures and why in the catalog",
                    "何を測るのか、なぜ重要かをカタログに書いてください",
                )
            )
        if not facts.has_data.get(item.kpi, False):
            # Information, not an error: a new workspace plans before its data arrives.
            out.append(
                Finding(
                    "info",
                    "SMART-M",
                    item.kpi,
                    f"{item.kpi} has no data yet: it is measured once its source is imported",
                    f"{item.kpi} のデータはまだありません。元データを取り込むと測定されます",
                    "import or connect the source it reads (kaname import / connect)",
                    "元データを取り込むか連携してください（kaname import / connect）",
                )
            )
        if not item.targets:
            out.append(
                Finding(
                    "error",
                    "SMART-T",
                    item.kpi,
                    f"{item.kpi} has no target period",
                    f"{item.kpi} に期限（目標期間）がありません",
                    'add targets per period, e.g. targets: {"2026-04": 120}',
                    '期間ごとの目標を設定してください（例: targets: {"2026-04": 120}）',
                )
            )
        out += _achievable(
            item.kpi, item.targets, kpi.direction, kpi.benchmark, facts, kpi.kind == "quantity"
        )
        if item.kpi != plan.kgi.kpi and item.kpi not in reachable and item.kpi not in in_ksf:
            out.append(
                Finding(
                    "warning",
                    "SMART-R",
                    item.kpi,
                    f"{item.kpi} has no path to the KGI {plan.kgi.kpi}",
                    f"{item.kpi} から KGI（{plan.kgi.kpi}）へのつながりがありません",
                    "place it in the tree or under a KSF, or drop it",
                    "KPIツリーかKSFに位置づけるか、KPIから外してください",
                )
            )
        if not item.owner:
            out.append(
                Finding(
                    "warning",
                    "owner",
                    item.kpi,
                    f"{item.kpi} has no owner",
                    f"{item.kpi} の責任者が決まっていません",
                    "name the person accountable for it (owner:)",
                    "責任者（owner:）を設定してください",
                )
            )
    out += _counts(plan)
    out += _balance(plan, catalog)
    order = {"error": 0, "warning": 1, "info": 2}
    return sorted(out, key=lambda f: (order[f.severity], f.rule, f.kpi))


def _year_ago(label: str) -> str:
    """The same month a year earlier for a YYYY-MM label (other labels unchanged)."""
    parts = label.split("-")
    if len(parts) == 2 and parts[0].isdigit():
        return f"{int(parts[0]) - 1:04d}-{parts[1]}"
    return label


def _range(benchmark: Any) -> str:
    if benchmark.low is None:
        return f"≤ {benchmark.high:g}"
    return f"{benchmark.low:g}–{benchmark.high:g}"


def _num(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _achievable(
    kpi: str,
    targets: Mapping[str, float],
    direction: str,
    benchmark: Any,
    facts: Facts,
    volume: bool,
) -> list[Finding]:
    out = []
    best = facts.best.get(kpi)
    if targets and best is not None and not math.isnan(best) and best > 0:
        peak = max(targets.values()) if direction == "higher" else min(targets.values())
        if (direction == "higher" and peak > best * STRETCH) or (
            direction == "lower" and peak < best / STRETCH
        ):
            out.append(
                Finding(
                    "warning",
                    "SMART-A",
                    kpi,
                    f"{kpi}: a target of {_num(peak)} is far beyond the best so far ({_num(best)})",
                    f"{kpi}: 目標 {_num(peak)} は過去最高（{_num(best)}）を大きく超えています",
                    "stage the target (baseline → growth) or fund the change that makes it "
                    "possible",
                    "段階的な目標（現状値→成長）にするか、達成に必要な施策・予算を用意してください",
                )
            )
    # Growth on the same periods last year, over the whole plan (single months are too noisy);
    # volumes only, since a rate's monthly history swings with small denominators.
    history = facts.history.get(kpi, {}) if volume else {}
    pairs = [(t, history[_year_ago(lb)]) for lb, t in targets.items() if _year_ago(lb) in history]
    planned, before = sum(t for t, _ in pairs), sum(b for _, b in pairs)
    if pairs and planned > 0 and before > 0:
        growth = planned / before - 1 if direction == "higher" else before / planned - 1
        if growth > STRETCH - 1:
            out.append(
                Finding(
                    "warning",
                    "SMART-A",
                    kpi,
                    f"{kpi}: the targets ask for {growth:.0%} more than the same periods a year "
                    f"earlier ({_num(planned)} against {_num(before)})",
                    f"{kpi}: 目標は前年同期比 {growth:.0%} の伸びを求めています"
                    f"（{_num(planned)} / {_num(before)}）",
                    "grow from the baseline in stages, or plan the actions that make the jump",
                    "現状値から段階的に伸ばすか、飛躍に必要な施策を計画してください",
                )
            )
    if benchmark is not None and targets:
        values = list(targets.values())
        if benchmark.high is not None and max(values) > benchmark.high * STRETCH:
            out.append(
                Finding(
                    "warning",
                    "SMART-A",
                    kpi,
                    f"{kpi}: a target of {max(values):.4g} is well above the benchmark "
                    f"{_range(benchmark)} ({benchmark.source})",
                    f"{kpi}: 目標 {max(values):.4g} は相場 {_range(benchmark)} を大きく上回ります",
                    "check the target against the benchmark",
                    "相場と照らして目標を見直してください",
                )
            )
    return out


def _counts(plan: Plan) -> list[Finding]:
    out = []
    org = [k for k in plan.kpis if k.level == "organisation"]
    if not 3 <= len(org) <= 5:
        out.append(
            Finding(
                "warning",
                "count-organisation",
                "",
                f"{len(org)} organisation-level KPIs; 3–5 keep focus",
                f"全社KPIが{len(org)}個です。3〜5個に絞ると焦点が定まります",
                "keep the 3–5 that drive the KGI most; move the rest to departments",
                "KGIへの影響が大きい3〜5個に絞り、残りは部門KPIにしてください",
            )
        )
    per_department = Counter(k.department for k in plan.kpis if k.level == "department")
    for department, count in sorted(per_department.items()):
        if 2 <= count <= 3:
            continue
        name = department or "(unnamed)"
        few = count < 2
        out.append(
            Finding(
                "warning",
                "count-department",
                "",
                f"department {name} has {count} KPIs; 2–3 are enough to act on",
                f"部門「{department or '未設定'}」のKPIが{count}個です。2〜3個が目安です",
                "add a KPI the department moves directly"
                if few
                else "keep the 2–3 the department can move directly",
                "部門が直接動かせるKPIを追加してください"
                if few
                else "部門が直接動かせる2〜3個に絞ってください",
            )
        )
    return out


def _balance(plan: Plan, catalog: Catalog) -> list[Finding]:
    kinds = Counter(catalog.get(k.kpi).type for k in plan.kpis)
    sizes = Counter(catalog.get(k.kpi).kind for k in plan.kpis)
    out = []
    if plan.kpis and (kinds["leading"] == 0 or kinds["lagging"] == 0):
        missing = "leading" if kinds["leading"] == 0 else "lagging"
        out.append(
            Finding(
                "warning",
                "balance-lead-lag",
                "",
                f"no {missing} KPI: pair outcomes with the activities that drive them",
                f"{'先行' if missing == 'leading' else '遅行'}指標がありません",
                "add a leading KPI (e.g. MQLs, appointment rate) next to each outcome",
                "成果指標と、それを動かす先行指標（例: MQL数、アポ率）を組み合わせてください",
            )
        )
    if plan.kpis and (sizes["quantity"] == 0 or sizes["quality"] == 0):
        missing = "quantity" if sizes["quantity"] == 0 else "quality"
        out.append(
            Finding(
                "warning",
                "balance-quantity-quality",
                "",
                f"no {missing} KPI: volume and conversion should both be watched",
                f"{'量' if missing == 'quantity' else '質'}のKPIがありません",
                "balance volume (leads, deals) with rates (MQL rate, win rate)",
                "量（リード数・受注数）と質（MQL化率・受注率）を両方見てください",
            )
        )
    return out


def ltv_cac_findings(ratio: float | None) -> list[Finding]:
    """The plan's LTV:CAC (its LTV assumption ÷ the target CAC the planner derives): below the
    3:1 guideline, or implausibly high, is a finding; within them, none."""
    from kaname.design.planner import LTV_CAC_IMPLAUSIBLE, LTV_CAC_TARGET

    if ratio is None or not math.isfinite(ratio):
        return []
    if ratio > LTV_CAC_IMPLAUSIBLE:
        return [
            Finding(
                "warning",
                "LTV-CAC",
                "ltv_cac",
                f"LTV:CAC of {ratio:.1f} is implausibly high (over {LTV_CAC_IMPLAUSIBLE:.0f}:1)",
                f"LTV:CAC が {ratio:.1f} と高すぎます（{LTV_CAC_IMPLAUSIBLE:.0f}:1 超）",
                "check the LTV assumption (a churn too low to measure stretches the lifetime to "
                "decades) and that CAC counts every sales and marketing cost",
                "LTVの前提（解約率が低すぎると顧客寿命が数十年になります）と、CACに営業・"
                "マーケティングの費用がすべて入っているかを確認してください",
            )
        ]
    if ratio < LTV_CAC_TARGET:
        return [
            Finding(
                "warning",
                "LTV-CAC",
                "ltv_cac",
                f"LTV:CAC of {ratio:.1f} is below the 3:1 guideline",
                f"LTV:CAC が {ratio:.1f} で、目安の 3:1 を下回っています",
                "lower the target CAC (budget ÷ deals) or raise LTV",
                "目標CAC（予算÷受注数）を下げるか、LTVを高めてください",
            )
        ]
    return []


def finding_text(message: str, kpi: str | None, names: Callable[[str], str]) -> str:
    """A lint message that starts with its KPI's id, starting with the KPI's name instead (the
    web and the CLI show 解約率（顧客数）: …, never logo_churn_rate: …)."""
    if kpi and message.startswith(kpi) and not message[len(kpi) : len(kpi) + 1].isalnum():
        return names(kpi) + message[len(kpi) :]
    return message
