"""Data-quality checks over the canonical tables, and explicit merges of duplicates.

Checks are Ibis expressions pushed down to the warehouse (DuckDB or PostgreSQL); only small
results (group examples, amounts of opportunities, daily spend, company names) come back to
Python. Each finding has an id, a severity, a count, examples and a fix in Japanese and English.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from typing import Any

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from kaname.canonical.channels import CHANNEL_IDS
from kaname.canonical.tables import TABLES, TABLES_BY_NAME
from kaname.clock import utcnow
from kaname.ingest.messages import both, message
from kaname.store.upsert import delete_keys, repoint
from kaname.store.warehouse import Warehouse

SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}
EXAMPLES = 5

# Legal-form words a company name carries in one source and not in another.
_LEGAL_FORMS = re.compile(
    r"株式会社|有限会社|合同会社|合資会社|合名会社|一般社団法人|一般財団法人|\(株\)|\(有\)|\(同\)"
    r"|\b(?:incorporated|inc|corporation|corp|company|co|ltd|limited|llc|k\.?k|gk|plc|gmbh)\b\.?",
    re.IGNORECASE,
)
_PUNCT = re.compile(r"[\s,.'’\-・()\[\]&/]+")


@dataclass
class QualityFinding:
    id: str
    severity: str
    """error, warning or info."""
    table: str
    count: int
    title: dict[str, str]
    fix: dict[str, str]
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "severity": self.severity,
            "table": self.table,
            "count": self.count,
            "title": self.title,
            "fix": self.fix,
            "examples": self.examples,
        }


def normalise_company(name: str) -> str:
    """Compare form of a company name: NFKC (full/half width), legal forms such as 株式会社,
    (株), Inc. and Co., Ltd. removed, lower case, no spaces or punctuation."""
    import unicodedata

    text = unicodedata.normalize("NFKC", name)
    text = _LEGAL_FORMS.sub(" ", text)
    return _PUNCT.sub("", text).lower()


def normalise_emails(values: pa.Array) -> pa.Array:
    return pc.utf8_lower(pc.utf8_trim_whitespace(pc.utf8_normalize(values, "NFKC")))


def _jsonable(value: Any) -> Any:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _jsonable(v) for k, v in rec.items()} for rec in frame.to_dict(orient="records")]


def check_quality(wh: Warehouse, today: dt.date, stale_days: int = 7) -> list[QualityFinding]:
    t = wh.tables()
    findings: list[QualityFinding] = []
    counts = {name: int(table.count().execute()) for name, table in t.items()}
    findings += _duplicate_emails(t)
    findings += _duplicate_companies(t)
    findings += _missing(t, counts)
    findings += _stage_order(t)
    findings += _deal_outcomes(t)
    findings += _orphans(t)
    findings += _channels(t)
    findings += _outliers(t, today)
    findings += _staleness(t, counts, stale_days)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], -f.count, f.id))
    return findings


def _duplicate_emails(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    leads = t["leads"]
    present = leads.filter(leads.email.notnull() & (leads.email.strip() != ""))
    groups = (
        present.group_by(email=present.email.strip().lower())
        .agg(
            leads=present.count(),
            first_id=present.lead_id.min(),
            last_id=present.lead_id.max(),
            lead_ids=present.lead_id.group_concat(", "),
        )
        .filter(lambda g: g.leads > 1)
    )
    extra = groups.agg(n=(groups.leads - 1).sum()).execute()["n"].iloc[0]
    extra = int(extra) if extra == extra and extra is not None else 0
    if not extra:
        return []
    sample = groups.order_by([ibis.desc("leads"), "email"]).limit(EXAMPLES).execute()
    return [
        QualityFinding(
            "duplicate_lead_emails",
            "warning",
            "leads",
            extra,
            both("q_duplicate_emails"),
            both("q_duplicate_emails_fix"),
            _records(sample),
        )
    ]


MERGE_REASONS = {
    "duplicate_lead_emails": "q_duplicate_emails",
    "duplicate_companies": "q_duplicate_companies",
}
"""The findings whose duplicates can be merged, and the message that names each (a merge
logged with a finding's id as its reason shows that title)."""


def finding_title(finding_id: str, language: str) -> str:
    key = MERGE_REASONS.get(finding_id)
    return both(key)[language if language in ("ja", "en") else "en"] if key else finding_id


def _duplicate_companies(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    accounts = t["accounts"].select("account_id", "name").execute()
    leads = t["leads"]
    # Leads imported with a company name as account_id (no accounts file): compare those too.
    loose = (
        leads.filter(leads.account_id.notnull())
        .select("account_id")
        .distinct()
        .anti_join(t["accounts"], "account_id")
        .execute()
    )
    loose["name"] = loose["account_id"]
    frame = pd.concat([accounts, loose], ignore_index=True)
    frame = frame[frame["name"].notna() & (frame["name"].astype(str).str.strip() != "")]
    if frame.empty:
        return []
    frame["key"] = [normalise_company(str(n)) for n in frame["name"]]
    frame = frame[frame["key"] != ""]
    sizes = frame.groupby("key")["account_id"].transform("nunique")
    dup = frame[sizes > 1]
    if dup.empty:
        return []
    groups = dup.groupby("key")
    extra = int(groups["account_id"].nunique().sub(1).sum())
    examples = [
        {
            "names": " / ".join(sorted(set(g["name"].astype(str)))),
            "account_ids": ", ".join(sorted(set(g["account_id"].astype(str)))),
        }
        for _, g in list(groups)[:EXAMPLES]
    ]
    return [
        QualityFinding(
            "duplicate_companies",
            "warning",
            "accounts",
            extra,
            both("q_duplicate_companies"),
            both("q_duplicate_companies_fix"),
            examples,
        )
    ]


RECOMMENDED = (("leads", "channel"), ("leads", "email"), ("opportunities", "account_id"))


def _missing(t: dict[str, ibis.Table], counts: dict[str, int]) -> list[QualityFinding]:
    out: list[QualityFinding] = []
    for spec in TABLES:
        if not counts[spec.name]:
            continue
        table = t[spec.name]
        required = [c.name for c in spec.columns if not c.nullable and c.name != "_loaded_at"]
        recommended = [c for tb, c in RECOMMENDED if tb == spec.name]
        checks = {c: table[c].isnull().sum() for c in required + recommended}
        if spec.name == "opportunities":
            checks["amount"] = (table.is_won.fill_null(False) & table.amount.isnull()).sum()
            recommended.append("amount")
        values = table.aggregate(**{f"n_{c}": e for c, e in checks.items()}).execute().iloc[0]
        for column in checks:
            n = int(values[f"n_{column}"] or 0)
            if not n:
                continue
            key = spec.key[0]
            sample = table.filter(table[column].isnull()).select(key).limit(EXAMPLES).execute()
            is_required = column in required
            out.append(
                QualityFinding(
                    f"missing_{spec.name}_{column}",
                    "error" if is_required else "warning",
                    spec.name,
                    n,
                    both(
                        "q_missing_required" if is_required else "q_missing_recommended",
                        table=spec.name,
                        column=column,
                    ),
                    both("q_missing_required_fix" if is_required else "q_missing_recommended_fix"),
                    _records(sample),
                )
            )
    return out


def _stage_order(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    leads = t["leads"]
    rules = {
        "mql_before_created": leads.mql_at < leads.created_at,
        "sql_before_mql": leads.sql_at < leads.mql_at,
        "sql_before_created": leads.sql_at < leads.created_at,
        "disqualified_before_created": leads.disqualified_at < leads.created_at,
    }
    any_bad = ibis.or_(*rules.values())
    row = (
        leads.aggregate(
            bad=any_bad.fill_null(False).sum(),
            skipped=(leads.sql_at.notnull() & leads.mql_at.isnull()).sum(),
            **{k: v.fill_null(False).sum() for k, v in rules.items()},
        )
        .execute()
        .iloc[0]
    )
    out: list[QualityFinding] = []
    cols = ["lead_id", "created_at", "mql_at", "sql_at", "disqualified_at"]
    bad = int(row["bad"] or 0)
    if bad:
        joiners = {"en": ", ", "ja": "、"}
        detail = {
            lang: joiner.join(
                message(f"q_rule_{k}", lang, n=f"{int(row[k] or 0):,}") for k in rules if row[k]
            )
            for lang, joiner in joiners.items()
        }
        sample = leads.filter(any_bad.fill_null(False)).select(cols).limit(EXAMPLES).execute()
        out.append(
            QualityFinding(
                "lead_stage_order",
                "warning",
                "leads",
                bad,
                {lang: message("q_stage_order", lang, detail=detail[lang]) for lang in detail},
                both("q_stage_order_fix"),
                _records(sample),
            )
        )
    skipped = int(row["skipped"] or 0)
    if skipped:
        sample = (
            leads.filter(leads.sql_at.notnull() & leads.mql_at.isnull())
            .select(cols)
            .limit(EXAMPLES)
            .execute()
        )
        out.append(
            QualityFinding(
                "lead_stage_skipped",
                "info",
                "leads",
                skipped,
                both("q_stage_skipped"),
                both("q_stage_skipped_fix"),
                _records(sample),
            )
        )
    opps = t["opportunities"]
    wrong = (opps.closed_at < opps.created_at).fill_null(False)
    n = int(opps.aggregate(n=wrong.sum()).execute()["n"].iloc[0] or 0)
    if n:
        sample = (
            opps.filter(wrong)
            .select("opportunity_id", "created_at", "closed_at")
            .limit(EXAMPLES)
            .execute()
        )
        out.append(
            QualityFinding(
                "opportunity_stage_order",
                "warning",
                "opportunities",
                n,
                both("q_opportunity_order"),
                both("q_stage_order_fix"),
                _records(sample),
            )
        )
    return out


def _deal_outcomes(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    """Opportunities whose stage says more than is_won (no deal counts them), and won or lost
    ones without a close date (no period counts them)."""
    opps = t["opportunities"]
    closed = opps.stage.isin(("closed_won", "closed_lost"))
    checks = (
        (
            "opportunities_stage_without_is_won",
            opps.stage.notnull()
            & (opps.is_won.isnull() | ((opps.stage == "closed_won") != opps.is_won)),
            "q_stage_without_is_won",
        ),
        ("opportunities_closed_without_date", closed & opps.closed_at.isnull(), "q_closed_undated"),
    )
    out: list[QualityFinding] = []
    for ident, wrong, key in checks:
        found = opps.filter(wrong.fill_null(False))
        n = int(found.count().execute())
        if n:
            sample = found.select("opportunity_id", "stage", "is_won", "closed_at")
            out.append(
                QualityFinding(
                    ident,
                    "warning",
                    "opportunities",
                    n,
                    both(key),
                    both(f"{key}_fix"),
                    _records(sample.limit(EXAMPLES).execute()),
                )
            )
    return out


def _orphans(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    opps, accounts = t["opportunities"], t["accounts"]
    orphan = opps.filter(opps.account_id.notnull()).anti_join(accounts, "account_id")
    n = int(orphan.count().execute())
    if not n:
        return []
    sample = orphan.select("opportunity_id", "account_id", "name").limit(EXAMPLES).execute()
    return [
        QualityFinding(
            "opportunities_without_account",
            "warning",
            "opportunities",
            n,
            both("q_orphan_opportunities"),
            both("q_orphan_opportunities_fix"),
            _records(sample),
        )
    ]


def _channels(t: dict[str, ibis.Table]) -> list[QualityFinding]:
    out: list[QualityFinding] = []
    spend = t["spend"]
    unknown = spend.channel.isnull() | ~spend.channel.isin(CHANNEL_IDS)
    n = int(spend.aggregate(n=unknown.sum()).execute()["n"].iloc[0] or 0)
    if n:
        sample = spend.filter(unknown).select("date", "channel", "campaign_id", "cost")
        out.append(
            QualityFinding(
                "spend_without_channel",
                "error",
                "spend",
                n,
                both("q_spend_channel"),
                both("q_spend_channel_fix"),
                _records(sample.limit(EXAMPLES).execute()),
            )
        )
    leads = t["leads"]
    bad = leads.channel.notnull() & ~leads.channel.isin(CHANNEL_IDS)
    n = int(leads.aggregate(n=bad.sum()).execute()["n"].iloc[0] or 0)
    if n:
        sample = leads.filter(bad).group_by("channel").agg(leads=ibis._.count())
        out.append(
            QualityFinding(
                "lead_unknown_channel",
                "warning",
                "leads",
                n,
                both("q_lead_channel"),
                both("q_spend_channel_fix"),
                _records(sample.order_by(ibis.desc("leads")).limit(EXAMPLES).execute()),
            )
        )
    return out


def _upper_fence(values: np.ndarray) -> float | None:
    """Q3 + 3 × IQR on a log scale (amounts are skewed), back in yen."""
    positive = values[values > 0]
    if len(positive) < 20:
        return None
    logs = np.log10(positive)
    q1, q3 = np.percentile(logs, [25, 75])
    return float(10 ** (q3 + 3 * max(q3 - q1, 0.1)))


def _outliers(t: dict[str, ibis.Table], today: dt.date) -> list[QualityFinding]:
    out: list[QualityFinding] = []
    opps = t["opportunities"]
    amounts = opps.filter(opps.amount.notnull()).select("opportunity_id", "amount").execute()
    fence = _upper_fence(amounts["amount"].to_numpy(dtype=float))
    if len(amounts):
        wrong = (amounts["amount"] <= 0) | (
            amounts["amount"] > fence if fence is not None else False
        )
        if wrong.any():
            limit = f"{fence:,.0f}" if fence is not None else "—"
            out.append(
                QualityFinding(
                    "opportunity_amount_outliers",
                    "warning",
                    "opportunities",
                    int(wrong.sum()),
                    both("q_outlier_amount", limit=limit),
                    both("q_outlier_amount_fix"),
                    _records(amounts[wrong].head(EXAMPLES)),
                )
            )
    spend = t["spend"]
    daily = spend.group_by(["date", "channel"]).agg(cost=spend.cost.sum()).execute()
    if len(daily):
        flags = np.zeros(len(daily), dtype=bool)
        daily["limit"] = np.nan
        for _, idx in daily.groupby("channel").groups.items():
            rows = daily.index.get_indexer(idx)
            values = daily["cost"].to_numpy(dtype=float)[rows]
            fence = _upper_fence(values)
            flags[rows] = (values < 0) | (values > fence if fence is not None else False)
            if fence is not None:
                daily.loc[idx, "limit"] = round(fence)
        if flags.any():
            out.append(
                QualityFinding(
                    "spend_outliers",
                    "warning",
                    "spend",
                    int(flags.sum()),
                    both("q_outlier_cost"),
                    both("q_outlier_amount_fix"),
                    _records(daily[flags].head(EXAMPLES)),
                )
            )
    horizon = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    for name, column in (
        ("leads", "created_at"),
        ("opportunities", "created_at"),
        ("touchpoints", "occurred_at"),
    ):
        table = t[name]
        future = table[column] >= horizon
        n = int(table.aggregate(n=future.fill_null(False).sum()).execute()["n"].iloc[0] or 0)
        if n:
            key = TABLES_BY_NAME[name].key[0]
            sample = table.filter(future).select(key, column).limit(EXAMPLES).execute()
            out.append(
                QualityFinding(
                    f"future_{name}_{column}",
                    "warning",
                    name,
                    n,
                    both("q_future_dates", table=name),
                    both("q_future_dates_fix"),
                    _records(sample),
                )
            )
    return out


def _staleness(
    t: dict[str, ibis.Table], counts: dict[str, int], stale_days: int
) -> list[QualityFinding]:
    out: list[QualityFinding] = []
    now = utcnow()
    for spec in TABLES:
        if not counts[spec.name]:
            out.append(
                QualityFinding(
                    f"empty_{spec.name}",
                    "info",
                    spec.name,
                    0,
                    both("q_empty_table", table=spec.name),
                    both("q_empty_table_fix", table=spec.name),
                )
            )
            continue
        last = t[spec.name]._loaded_at.max().execute()
        if last is None or last != last:
            continue
        age = (now - pd.Timestamp(last).to_pydatetime()).days
        if age >= stale_days:
            out.append(
                QualityFinding(
                    f"stale_{spec.name}",
                    "warning",
                    spec.name,
                    age,
                    both("q_stale_source", table=spec.name, days=age),
                    both("q_stale_source_fix"),
                    [{"last_loaded_at": _jsonable(pd.Timestamp(last).to_pydatetime())}],
                )
            )
    return out


# ---------------------------------------------------------------------- merges
REFERENCES: dict[str, tuple[tuple[str, str], ...]] = {
    "leads": (("touchpoints", "lead_id"), ("opportunities", "lead_id")),
    "accounts": (
        ("leads", "account_id"),
        ("touchpoints", "account_id"),
        ("opportunities", "account_id"),
        ("subscriptions", "account_id"),
        ("nps_responses", "account_id"),
    ),
}
_EARLIEST = {"created_at", "mql_at", "sql_at"}


def merge_rows(
    wh: Warehouse, table: str, keep: str, others: list[str], language: str = "en"
) -> dict[str, Any]:
    """Merge rows `others` into `keep`: empty fields of `keep` filled from the others (the
    earliest lifecycle dates and the highest score win), references re-pointed, others deleted.
    Returns the rows before the merge (snapshot) and the re-pointed counts."""
    if table not in REFERENCES:
        raise ValueError(message("merge_tables", language))
    spec = TABLES_BY_NAME[table]
    key = spec.key[0]
    others = [o for o in dict.fromkeys(others) if o != keep]
    t = wh.table(table)
    rows = t.filter(t[key].isin([keep, *others])).execute()
    found = set(rows[key].astype(str))
    for wanted in [keep, *others]:
        if wanted not in found:
            raise ValueError(message("merge_not_found", language, table=table, key=wanted))
    snapshot = _records(rows)
    kept = rows[rows[key] == keep].iloc[0].copy()
    rest = rows[rows[key] != keep]
    for col in spec.column_names:
        if col in (key, "_loaded_at"):
            continue
        values = rest[col].dropna()
        if col in _EARLIEST:
            candidates = pd.concat([pd.Series([kept[col]]).dropna(), values])
            kept[col] = candidates.min() if len(candidates) else kept[col]
        elif col == "score" and len(values):
            kept[col] = max(values.max(), kept[col]) if pd.notna(kept[col]) else values.max()
        elif pd.isna(kept[col]) and len(values):
            kept[col] = values.iloc[0]
    if table == "leads" and pd.notna(kept.get("sql_at")):
        kept["status"] = "sql" if pd.isna(kept.get("disqualified_at")) else kept["status"]
    columns = [c for c in spec.column_names if c != "_loaded_at"]
    frame = pd.DataFrame([kept[columns].to_dict()])
    from kaname.store.warehouse import conform  # the canonical Arrow types

    arrow = conform(spec, frame).select(columns)
    wh.upsert(table, arrow)
    repointed: dict[str, int] = {}
    for ref_table, column in REFERENCES[table]:
        repointed[f"{ref_table}.{column}"] = repoint(wh, ref_table, column, others, keep)
    delete_keys(wh, table, key, others)
    return {"snapshot": snapshot, "repointed": repointed}
