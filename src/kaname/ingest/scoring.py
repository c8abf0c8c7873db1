"""Rule-based lead scoring with decay and negative rules, the MQL threshold, and an optional
predictive score that is only offered when it beats the rules on held-out history.

The rules live in the workspace's `scoring.yaml` (defaults below when it is absent). A lead's
score = fit points (its attributes and its company's) + behaviour points (its touchpoints, each
decayed by half every `half_life_days`), rounded and clipped to 0–100. Everything is one Ibis
expression pushed down to the warehouse; only changed scores are written back.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from kaname.canonical.tables import LEADS, TABLES_BY_NAME, TOUCHPOINT_TYPES
from kaname.ingest.messages import message
from kaname.store.warehouse import Warehouse
from kaname.yamlmodel import load_yaml_model

SCORING_FILE = "scoring.yaml"
EPOCH = dt.datetime(2000, 1, 1)


class ScoringError(Exception):
    """scoring.yaml is invalid; the message names the line and field."""


class AttributeRule(BaseModel):
    """Points for a lead attribute (`field`: a leads column, or `account.<column>`)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    field: str
    points: float
    """Negative points make it a negative rule (free mail, students, competitors)."""
    equals: str | float | bool | None = None
    in_: list[str] | None = Field(None, alias="in")
    contains: str | None = None
    """Substring, case-insensitive (e.g. '@gmail.' on email)."""
    gte: float | None = None
    lt: float | None = None
    name: str = ""

    @field_validator("field")
    @classmethod
    def _known(cls, value: str) -> str:
        table, _, column = value.rpartition(".")
        spec = TABLES_BY_NAME["accounts"] if table == "account" else LEADS
        if table not in ("", "account") or column not in spec.column_names:
            raise ValueError(
                f"unknown field {value!r}: use a leads column or account.<accounts column>"
            )
        return value

    @model_validator(mode="after")
    def _one_test(self) -> AttributeRule:
        tests = [self.equals, self.in_, self.contains, self.gte, self.lt]
        if all(t is None for t in tests):
            raise ValueError("give a test: equals, in, contains, gte or lt")
        return self


class BehaviourRule(BaseModel):
    """Points for each touchpoint of a type (optionally of one channel), decayed with age."""

    model_config = ConfigDict(extra="forbid")
    type: str
    points: float
    channel: str | None = None
    name: str = ""

    @field_validator("type")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in TOUCHPOINT_TYPES:
            raise ValueError(f"unknown touchpoint type {value!r}: {', '.join(TOUCHPOINT_TYPES)}")
        return value


def _default_attributes() -> list[AttributeRule]:
    return [
        AttributeRule(field="segment", equals="enterprise", points=20, name="enterprise"),
        AttributeRule(field="segment", equals="mid_market", points=10, name="mid-market"),
        AttributeRule(field="channel", in_=["referral", "partner"], points=10, name="referred"),
        AttributeRule(
            field="email", contains="@gmail.", points=-15, name="free mail (negative rule)"
        ),
        AttributeRule(
            field="email", contains="@yahoo.", points=-15, name="free mail (negative rule)"
        ),
    ]


def _default_behaviour() -> list[BehaviourRule]:
    return [
        BehaviourRule(type="form_submit", points=10),
        BehaviourRule(type="download", points=8),
        BehaviourRule(type="webinar_registered", points=5),
        BehaviourRule(type="webinar_attended", points=15),
        BehaviourRule(type="webinar_completed", points=5),
        BehaviourRule(type="event_visit", points=12),
        BehaviourRule(type="email_click", points=3),
        BehaviourRule(type="email_open", points=1),
        BehaviourRule(type="visit", points=1),
        BehaviourRule(type="survey_response", points=5),
        BehaviourRule(type="appointment", points=20),
    ]


class ScoringConfig(BaseModel):
    """The workspace's lead-scoring rules (scoring.yaml)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    """Kaname computes leads.score (a file's or source's own score column is then ignored);
    false keeps the source's score and sets no MQLs."""
    mql_threshold: float = Field(50, gt=0, le=100)
    """A lead whose score reaches this becomes an MQL, when its source gave no lifecycle stage."""
    half_life_days: float = Field(60, gt=0)
    """Behaviour points halve every this many days."""
    mql_from_score: Literal["no_stage", "open", "never"] = "no_stage"
    """Which leads the threshold may make MQLs: those with no status and no stage dates
    (no_stage), also status 'open' ones (open), or none (never)."""
    attributes: list[AttributeRule] = Field(default_factory=_default_attributes)
    behaviour: list[BehaviourRule] = Field(default_factory=_default_behaviour)


def load_scoring(root: Path) -> ScoringConfig:
    path = root / SCORING_FILE
    if not path.exists():
        return ScoringConfig()
    return load_yaml_model(path.read_text(encoding="utf-8"), ScoringConfig, str(path), ScoringError)


@dataclass(frozen=True)
class ScoreResult:
    scored: int
    changed: int
    new_mqls: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _attribute_test(rule: AttributeRule, value: ir.Value) -> ir.BooleanValue:
    if rule.contains is not None:
        return value.cast("string").lower().contains(rule.contains.lower())
    if rule.in_ is not None:
        return value.cast("string").isin(rule.in_)
    if rule.gte is not None or rule.lt is not None:
        num = value.cast("float64")
        test = ibis.literal(True)
        if rule.gte is not None:
            test = test & (num >= rule.gte)
        if rule.lt is not None:
            test = test & (num < rule.lt)
        return test
    if isinstance(rule.equals, bool):
        return value == rule.equals
    if isinstance(rule.equals, int | float):
        return value.cast("float64") == float(rule.equals)
    return value.cast("string") == str(rule.equals)


def _eligible(leads: ir.Table, config: ScoringConfig) -> ir.BooleanValue:
    """Leads the MQL threshold may qualify: their source gave no lifecycle stage."""
    if config.mql_from_score == "never":
        return ibis.literal(False)
    no_dates = leads.mql_at.isnull() & leads.sql_at.isnull() & leads.disqualified_at.isnull()
    if config.mql_from_score == "open":
        return no_dates & (leads.status.isnull() | (leads.status == "open"))
    return no_dates & leads.status.isnull()


def fit_points(leads: ir.Table, accounts: ir.Table, config: ScoringConfig) -> ir.Table:
    """lead_id, created_at, `fit` (the attribute points of each lead) and `eligible`."""
    account_fields = {r.field.split(".", 1)[1] for r in config.attributes if "." in r.field}
    base = leads
    if account_fields:
        acc = accounts.select(
            _acc_id=accounts.account_id, **{f"_acc_{c}": accounts[c] for c in account_fields}
        )
        base = leads.left_join(acc, leads.account_id == acc._acc_id)
    total: Any = ibis.literal(0.0)
    for rule in config.attributes:
        field = rule.field.split(".", 1)
        column = base[f"_acc_{field[1]}"] if len(field) == 2 else base[rule.field]
        test = _attribute_test(rule, column).fill_null(False)
        total = total + ibis.ifelse(test, rule.points, 0.0)
    return base.select("lead_id", "created_at", fit=total, eligible=_eligible(base, config))


def behaviour_points(tp: ir.Table, config: ScoringConfig) -> ir.Table:
    """Touchpoints that score, with their undecayed points `p` and `days` since 2000-01-01."""
    rules = config.behaviour
    types = [r.type for r in rules] or ["-"]
    cases = []
    for rule in rules:
        test = tp.type == rule.type
        if rule.channel:
            test = test & (tp.channel == rule.channel)
        cases.append((test, float(rule.points)))
    points = ibis.cases(*cases, else_=0.0) if cases else ibis.literal(0.0)
    scored = tp.filter(tp.lead_id.notnull() & tp.type.isin(types))
    return scored.select("lead_id", "occurred_at", p=points, days=_days(scored.occurred_at))


def _days(stamp: Any) -> Any:
    offset = (EPOCH - dt.datetime(1970, 1, 1)).total_seconds()
    return (stamp.epoch_seconds() - offset) / 86400.0


def score_expression(
    wh: Warehouse, config: ScoringConfig, today: dt.date, only: str | None = None
) -> ir.Table:
    """lead_id, score (0–100) and crossed_at (when the running score first reached the MQL
    threshold, for leads the threshold may qualify) — one expression for the warehouse. With
    `only` (a table of `lead_id`s), just those leads."""
    leads, tp, accounts = wh.table("leads"), wh.table("touchpoints"), wh.table("accounts")
    if only is not None:
        ids = wh.con.table(only).select("lead_id")
        leads = leads.semi_join(ids, leads.lead_id == ids.lead_id)
        tp = tp.semi_join(ids, tp.lead_id == ids.lead_id)
    end = dt.datetime.combine(today + dt.timedelta(days=1), dt.time())
    lam = math.log(2) / config.half_life_days
    end_days = (end - EPOCH).total_seconds() / 86400
    fit = fit_points(leads, accounts, config)
    scored = behaviour_points(tp.filter(tp.occurred_at < end), config)
    decayed = scored.group_by("lead_id").agg(
        behaviour=(scored.p * (-(lam * (end_days - scored.days))).exp()).sum()
    )
    joined = fit.left_join(decayed, fit.lead_id == decayed.lead_id).select(
        fit.lead_id, fit.fit, behaviour=decayed.behaviour.fill_null(0.0)
    )
    score = (joined.fit + joined.behaviour).round().clip(0, 100).cast("int32")
    current = joined.select("lead_id", score=score)
    # Running score at each touchpoint k of an eligible lead:
    #   fit + e^(-λ d_k) · Σ_{j≤k} p_j e^(λ d_j),
    # with d in days since the lead's creation so the exponent stays small.
    candidates = fit.filter(fit.eligible)
    tl = scored.join(candidates, scored.lead_id == candidates.lead_id).select(
        scored.lead_id,
        scored.occurred_at,
        scored.p,
        candidates.fit,
        rel=ibis.greatest(scored.days - _days(candidates.created_at), 0.0),
    )
    window = ibis.window(group_by=tl.lead_id, order_by=tl.occurred_at, preceding=None, following=0)
    growth = ibis.least(lam * tl.rel, 700.0)
    grown = (tl.p * growth.exp()).sum().over(window)
    steps = tl.select("lead_id", "occurred_at", running=tl.fit + grown * (-growth).exp())
    crossed = (
        steps.filter(steps.running >= config.mql_threshold)
        .group_by("lead_id")
        .agg(crossed_at=steps.occurred_at.min())
    )
    by_fit = candidates.filter(candidates.fit >= config.mql_threshold).select(
        fit_lead=candidates.lead_id, fit_crossed=candidates.created_at
    )
    out = current.left_join(crossed, current.lead_id == crossed.lead_id).select(
        current.lead_id, current.score, crossed.crossed_at
    )
    out = out.left_join(by_fit, out.lead_id == by_fit.fit_lead).select(
        out.lead_id, out.score, crossed_at=ibis.coalesce(by_fit.fit_crossed, out.crossed_at)
    )
    return out


def _new_scores(wh: Warehouse, config: ScoringConfig, today: dt.date, only: str | None) -> Any:
    leads = wh.table("leads")
    expr = score_expression(wh, config, today, only)
    return expr.join(leads, expr.lead_id == leads.lead_id).select(
        lead_id=leads.lead_id,
        score=expr.score,
        mql_at=ibis.coalesce(leads.mql_at, expr.crossed_at),
        status=ibis.ifelse(leads.mql_at.isnull() & expr.crossed_at.notnull(), "mql", leads.status),
        _new=(leads.mql_at.isnull() & expr.crossed_at.notnull()),
    )


def _write_scores(wh: Warehouse, config: ScoringConfig, arrow: pa.Table) -> ScoreResult:
    new_mqls = int(np.count_nonzero(np.asarray(arrow.column("_new").fill_null(False))))
    arrow = arrow.drop_columns(["_new"])
    arrow = arrow.set_column(
        arrow.column_names.index("mql_at"),
        "mql_at",
        arrow.column("mql_at").cast("timestamp[us]"),
    )
    counts = wh.upsert("leads", arrow)
    return ScoreResult(arrow.num_rows, counts.updated, new_mqls, config.mql_threshold)


def apply_scores(
    wh: Warehouse, config: ScoringConfig, today: dt.date, only: str | None = None
) -> ScoreResult:
    """Compute every lead's score (or those of the `lead_id`s in table `only`) and write back
    the ones that changed; eligible leads whose running score reached the threshold become MQLs
    at the moment it did."""
    return _write_scores(wh, config, _new_scores(wh, config, today, only).to_pyarrow())


class BatchScorer:
    """Scores batches of leads as a sync writes them (DuckDB): the scoring query is compiled
    once, over a name each batch's lead ids are registered under."""

    def __init__(self, wh: Warehouse, config: ScoringConfig, today: dt.date) -> None:
        self.wh, self.config = wh, config
        self.raw = wh.con.con
        self.name = f"_kaname_score_ids_{uuid.uuid4().hex[:12]}"
        self.raw.register(self.name, pa.table({"lead_id": pa.array([], pa.string())}))
        self.sql = str(wh.con.compile(_new_scores(wh, config, today, self.name)))

    def score(self, lead_ids: pa.Table) -> ScoreResult:
        self.raw.register(self.name, lead_ids.select(["lead_id"]))
        return _write_scores(self.wh, self.config, self.raw.execute(self.sql).to_arrow_table())

    def close(self) -> None:
        self.raw.unregister(self.name)


# ---------------------------------------------------------------------- predictive score
OUTCOME_DAYS = 90
"""A lead is labelled converted when it reached SQL within this many days of creation."""
FEATURE_DAYS = 14
"""Features (and the rule score it is compared with) use the lead's first days only."""
MAX_LEADS = 200_000
MIN_LEADS, MIN_POSITIVES = 200, 20
OFFER_MARGIN = 0.01
"""The model is offered when its holdout AUC beats the rules' by at least this much."""


def _history(wh: Warehouse, config: ScoringConfig, today: dt.date) -> pd.DataFrame:
    """One row per lead old enough to have an outcome: attributes, fit points, touchpoint
    counts by type in its first FEATURE_DAYS, the rule score on those days, and `converted`."""
    leads, tp = wh.table("leads"), wh.table("touchpoints")
    cutoff = dt.datetime.combine(today - dt.timedelta(days=OUTCOME_DAYS), dt.time())
    fit = fit_points(leads, wh.table("accounts"), config)
    points = fit.select(fid=fit.lead_id, fit=fit.fit)
    base = (
        leads.filter(leads.created_at < cutoff)
        .join(points, leads.lead_id == points.fid)
        .order_by(ibis.desc("created_at"))
        .limit(MAX_LEADS)
        .select(
            "lead_id",
            "created_at",
            "sql_at",
            "segment",
            "channel",
            "fit",
        )
    )
    horizon = base.created_at + ibis.interval(days=FEATURE_DAYS)
    early = tp.join(base, tp.lead_id == base.lead_id).filter(
        (tp.occurred_at >= base.created_at)
        & (tp.occurred_at < horizon)
        & (base.sql_at.isnull() | (tp.occurred_at < base.sql_at))
    )
    counts = early.group_by([early.lead_id, early.type]).agg(n=early.count()).to_pandas()
    frame = base.to_pandas()
    wide = counts.pivot_table(index="lead_id", columns="type", values="n", fill_value=0)
    frame = frame.join(wide, on="lead_id").fillna({c: 0 for c in wide.columns})
    limit = pd.to_timedelta(OUTCOME_DAYS, unit="D")
    frame["converted"] = (
        frame["sql_at"].notna() & ((frame["sql_at"] - frame["created_at"]) <= limit)
    ).astype(int)
    rules = frame["fit"].astype(float).copy()
    for rule in config.behaviour:
        if rule.type in frame.columns and rule.channel is None:
            rules += rule.points * frame[rule.type].astype(float)
    frame["rule_score"] = rules.clip(0, 100)
    frame["_types"] = [list(wide.columns)] * len(frame)
    return frame.sort_values("created_at").reset_index(drop=True)


def evaluate_predictive(
    wh: Warehouse, config: ScoringConfig, today: dt.date, language: str = "en"
) -> dict[str, Any]:
    """Fit logistic regression and gradient boosting on older leads, pick the better on a
    validation slice, and compare it with the rules on the newest 30% (time split). Returns
    {offered, model, auc_model, auc_rules, brier, calibration [{predicted, observed, leads}],
    holdout, message}."""
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ScoringError(message("predictive_needs_sklearn", language)) from None
    from sklearn.calibration import calibration_curve
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import brier_score_loss, roc_auc_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    leads = wh.table("leads")
    cutoff = dt.datetime.combine(today - dt.timedelta(days=OUTCOME_DAYS), dt.time())
    old = int(leads.filter(leads.created_at < cutoff).count().execute())
    frame = _history(wh, config, today) if old >= MIN_LEADS else pd.DataFrame()
    n, positives = len(frame), int(frame["converted"].sum()) if len(frame) else 0
    if n < MIN_LEADS or positives < MIN_POSITIVES or positives == n:
        return {
            "offered": False,
            "model": None,
            "auc_model": None,
            "auc_rules": None,
            "brier": None,
            "calibration": [],
            "holdout": 0,
            "message": message("predictive_too_few", language, n=n, positives=positives),
        }
    types = list(frame["_types"].iloc[0])
    categorical = ["segment", "channel"]
    numeric = ["fit", *types]
    x = frame[categorical + numeric].copy()
    x[categorical] = x[categorical].astype(object).fillna("(none)").astype(str)
    x[numeric] = x[numeric].astype(float)
    y = frame["converted"].to_numpy()
    split = int(n * 0.7)
    inner = int(split * 0.8)
    encode = ColumnTransformer(
        [
            ("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
            ("num", StandardScaler(), numeric),
        ]
    )
    candidates = {
        "logistic_regression": lambda: make_pipeline(encode, LogisticRegression(max_iter=1000)),
        "gradient_boosting": lambda: make_pipeline(
            ColumnTransformer(
                [("cat", OneHotEncoder(handle_unknown="ignore"), categorical)],
                remainder="passthrough",
                sparse_threshold=0,
            ),
            HistGradientBoostingClassifier(max_iter=200, random_state=0),
        ),
    }
    best, best_auc = "logistic_regression", -1.0
    if len(set(y[inner:split])) == 2 and len(set(y[:inner])) == 2:
        for name, build in candidates.items():
            model = build().fit(x.iloc[:inner], y[:inner])
            auc = roc_auc_score(y[inner:split], model.predict_proba(x.iloc[inner:split])[:, 1])
            if auc > best_auc:
                best, best_auc = name, auc
    model = candidates[best]().fit(x.iloc[:split], y[:split])
    hold_y = y[split:]
    if len(set(hold_y)) < 2:
        return {
            "offered": False,
            "model": best,
            "auc_model": None,
            "auc_rules": None,
            "brier": None,
            "calibration": [],
            "holdout": len(hold_y),
            "message": message("predictive_too_few", language, n=n, positives=positives),
        }
    proba = model.predict_proba(x.iloc[split:])[:, 1]
    auc_model = float(roc_auc_score(hold_y, proba))
    auc_rules = float(roc_auc_score(hold_y, frame["rule_score"].to_numpy()[split:]))
    observed, predicted = calibration_curve(hold_y, proba, n_bins=10, strategy="quantile")
    bins = np.quantile(proba, np.linspace(0, 1, 11))
    sizes = np.histogram(proba, bins=np.unique(bins))[0]
    calibration = [
        {"predicted": float(p), "observed": float(o), "leads": int(s)}
        for p, o, s in zip(predicted, observed, list(sizes) + [0] * len(predicted), strict=False)
    ]
    offered = auc_model >= auc_rules + OFFER_MARGIN
    key = "predictive_offered" if offered else "predictive_not_offered"
    return {
        "offered": offered,
        "model": best,
        "auc_model": auc_model,
        "auc_rules": auc_rules,
        "brier": float(brier_score_loss(hold_y, proba)),
        "calibration": calibration,
        "holdout": len(hold_y),
        "trained_on": int(split),
        "converted_share": float(y.mean()),
        "message": message(key, language, model=auc_model, rules=auc_rules),
    }
