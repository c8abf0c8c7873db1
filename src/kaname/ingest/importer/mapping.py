"""Column mappings: which file header fills which canonical column, suggested from English and
Japanese headers, confirmed by the user and saved as YAML for the next file of the same shape."""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel, Field

from kaname.canonical.tables import TABLES_BY_NAME, Table
from kaname.ingest.importer.crm_headers import OPPORTUNITY_WORDS
from kaname.ingest.messages import message
from kaname.store.dimensions import KEYS as DIMENSION_KEYS
from kaname.store.dimensions import DimensionError, check_name


class MappingError(Exception):
    """A mapping does not fit the table or the file; the message says what to change."""


class Mapping(BaseModel):
    """How one file shape maps onto one canonical table."""

    table: str
    """Canonical table the file loads into."""
    columns: dict[str, str | None] = Field(default_factory=dict)
    """File header → canonical column; null ignores the header."""
    values: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Per canonical column, the file's labels → vocabulary values (e.g. channel: {Google広告:
    paid_ads})."""

    dimensions: dict[str, str] = Field(default_factory=dict)
    """File header → dimension name (product, region …) for leads and opportunities: the
    column's values split and filter every KPI counted from these records (store/dimensions.py).
    """

    def mapped(self) -> dict[str, str]:
        """Canonical column → file header, for the headers that are mapped."""
        return {col: header for header, col in self.columns.items() if col}

    def check(self, headers: list[str] | None = None, language: str = "en") -> Table:
        """The table spec, once the mapping names real columns, maps each at most once and
        covers the key; with `headers`, every mapped header must be in the file."""
        spec = TABLES_BY_NAME.get(self.table)
        if spec is None:
            raise MappingError(
                message(
                    "unknown_table", language, table=self.table, tables=", ".join(TABLES_BY_NAME)
                )
            )
        allowed = [c for c in spec.column_names if c != "_loaded_at"]
        seen: dict[str, str] = {}
        for header, column in self.columns.items():
            if not column:
                continue
            if column not in allowed:
                raise MappingError(
                    message(
                        "mapping_unknown_column",
                        language,
                        column=column,
                        table=spec.name,
                        columns=", ".join(allowed),
                    )
                )
            if column in seen:
                raise MappingError(
                    message(
                        "mapping_twice", language, column=column, first=seen[column], second=header
                    )
                )
            seen[column] = header
            if headers is not None and header not in headers:
                raise MappingError(message("mapping_missing_header", language, header=header))
        if self.dimensions:
            self._check_dimensions(spec, headers, language)
        missing = [
            k
            for k in spec.key
            if k not in seen and not (spec.name == "spend" and k == "campaign_id")
        ]
        if missing:
            raise MappingError(
                message(
                    "mapping_missing_key", language, columns=", ".join(missing), table=spec.name
                )
            )
        required = [
            c.name
            for c in spec.columns
            if not c.nullable
            and c.name not in seen
            and c.name != "_loaded_at"
            and not (spec.name == "spend" and c.name == "campaign_id")
        ]
        if headers is not None and required:
            unmapped = [h for h in headers if not self.columns.get(h)]
            raise MappingError(
                message(
                    "mapping_missing_required",
                    language,
                    columns=", ".join(required),
                    table=spec.name,
                    headers=", ".join(unmapped) or "—",
                )
            )
        return spec

    def _check_dimensions(self, spec: Table, headers: list[str] | None, language: str) -> None:
        if spec.name not in DIMENSION_KEYS:
            raise MappingError(
                message(
                    "mapping_dimensions_table",
                    language,
                    table=spec.name,
                    tables=", ".join(DIMENSION_KEYS),
                )
            )
        for header, name in self.dimensions.items():
            try:
                check_name(name)
            except DimensionError as exc:
                raise MappingError(
                    message("mapping_dimension_name", language, name=name, header=header)
                ) from exc
            if headers is not None and header not in headers:
                raise MappingError(message("mapping_missing_header", language, header=header))


@dataclass
class Suggestion:
    """A suggested mapping with the reasoning the confirmation page shows."""

    mapping: Mapping
    headers: list[dict[str, Any]] = field(default_factory=list)
    """One entry per file header: header, column (or None), confidence 0–1, samples."""
    missing_required: list[str] = field(default_factory=list)
    """Required canonical columns no header maps to."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.mapping.table,
            "mapping": self.mapping.model_dump(),
            "headers": self.headers,
            "missing_required": self.missing_required,
            "columns": [
                {"name": c.name, "type": c.type, "required": not c.nullable, "doc": c.doc}
                for c in TABLES_BY_NAME[self.mapping.table].columns
                if c.name != "_loaded_at"
            ],
            "yaml": dump_mapping(self.mapping),
        }


# Header words per canonical column, English and Japanese (compared after normalise()).
_COMMON: dict[str, tuple[str, ...]] = {
    "account_id": ("account id", "company id", "取引先id", "企業id", "会社id", "アカウントid"),
    "lead_id": ("lead id", "contact id", "person id", "リードid", "コンタクトid", "顧客id"),
    "campaign_id": ("campaign id", "campaign", "キャンペーンid", "キャンペーン", "施策id"),
    "opportunity_id": ("opportunity id", "deal id", "商談id", "案件id"),
    "email": ("email", "e-mail", "email address", "mail", "メールアドレス", "メール", "eメール"),
    "channel": (
        "channel",
        "source",
        "lead source",
        "original source",
        "流入経路",
        "流入元",
        "チャネル",
        "チャネル名",
        "リードソース",
        "獲得経路",
        "経路",
    ),
    "segment": ("segment", "size", "company size", "セグメント", "企業規模", "規模"),
    "owner": (
        "owner",
        "lead owner",
        "account owner",
        "deal owner",
        "sales rep",
        "担当者",
        "担当",
        "営業担当",
        "営業担当者",
        "所有者",
        "担当営業",
    ),
    "industry": ("industry", "業種", "業界"),
    "employees": ("employees", "number of employees", "従業員数", "社員数", "従業員"),
    "prefecture": ("prefecture", "state", "region", "都道府県", "所在地", "地域"),
    "status": (
        "status",
        "lead status",
        "lifecycle stage",
        "ステータス",
        "状態",
        "リードステータス",
    ),
    "score": ("score", "lead score", "スコア", "リードスコア"),
    "name": ("name", "名前", "名称"),
    "type": ("type", "種別", "種類", "タイプ"),
    "amount": ("amount", "deal amount", "金額", "受注金額", "商談金額", "見込金額", "売上"),
    "stage": ("stage", "deal stage", "phase", "フェーズ", "ステージ", "商談フェーズ"),
    "date": ("date", "day", "日付", "日", "年月日"),
    "cost": ("cost", "spend", "amount spent", "費用", "広告費", "コスト", "ご利用額", "金額"),
    "budget": ("budget", "予算"),
    "start_date": ("start date", "start", "開始日", "契約開始日"),
    "end_date": ("end date", "end", "終了日", "契約終了日", "解約日"),
}

_BY_TABLE: dict[str, dict[str, tuple[str, ...]]] = {
    "accounts": {
        "account_id": ("id", "record id"),
        "name": ("company", "company name", "account name", "会社名", "企業名", "取引先名", "社名"),
        "source_channel": ("source", "lead source", "流入経路", "チャネル", "獲得経路"),
        "created_at": ("created", "create date", "created date", "作成日", "登録日", "作成日時"),
    },
    "leads": {
        "lead_id": ("id", "record id"),
        "account_id": ("company", "company name", "会社名", "企業名", "取引先名", "社名"),
        "created_at": (
            "created",
            "create date",
            "created date",
            "作成日",
            "登録日",
            "獲得日",
            "リード獲得日",
            "作成日時",
            "登録日時",
        ),
        "mql_at": (
            "mql date",
            "became mql date",
            "became a marketing qualified lead date",
            "mql日",
            "mql化日",
            "mql日付",
        ),
        "sql_at": (
            "sql date",
            "became sql date",
            "became a sales qualified lead date",
            "sql日",
            "sql化日",
            "商談化日",
            "商談化日時",
        ),
        "disqualified_at": ("disqualified date", "失格日", "不適格日", "対象外日", "除外日"),
        "score": ("score", "hubspot score", "スコア"),
    },
    "touchpoints": {
        "touchpoint_id": ("id", "activity id", "event id", "活動id", "行動id", "イベントid"),
        "occurred_at": (
            "occurred at",
            "timestamp",
            "activity date",
            "日時",
            "発生日時",
            "活動日時",
        ),
        "type": ("type", "activity type", "event type", "活動種別", "行動", "種別"),
        "duration_seconds": ("duration", "duration seconds", "通話時間", "視聴時間", "秒数"),
        "outcome": ("outcome", "result", "結果"),
    },
    "campaigns": {
        "campaign_id": ("id",),
        "name": ("campaign name", "キャンペーン名", "施策名"),
        "type": ("campaign type", "施策種別"),
    },
    "spend": {
        "impressions": (
            "impressions",
            "impr",
            "imp",
            "表示回数",
            "インプレッション",
            "インプレッション数",
        ),
        "clicks": ("clicks", "クリック数", "クリック"),
    },
    "web_traffic": {
        "sessions": ("sessions", "セッション数", "セッション"),
        "users": ("users", "active users", "total users", "ユーザー数", "ユーザー"),
        "new_users": ("new users", "新規ユーザー数", "新規ユーザー"),
        "pageviews": ("pageviews", "views", "page views", "ページビュー数", "ページビュー", "pv"),
    },
    "opportunities": OPPORTUNITY_WORDS,
    "opportunity_stages": {
        "entered_at": ("entered at", "entered", "開始日時", "移行日", "移行日時"),
        "exited_at": ("exited at", "exited", "終了日時"),
    },
    "subscriptions": {
        "subscription_id": ("id", "contract id", "契約id", "サブスクリプションid"),
        "product": ("product", "plan", "製品", "プラン", "商品"),
        "mrr": ("mrr", "monthly amount", "月額", "月額料金", "月額費用"),
        "change": ("change", "reason", "区分", "契約区分"),
        "end_reason": ("end reason", "churn reason", "解約理由"),
    },
    "nps_responses": {
        "response_id": ("id", "回答id"),
        "responded_at": ("responded at", "date", "回答日", "回答日時"),
        "score": ("score", "nps", "推奨度", "スコア"),
    },
}

_EXPORT_PREFIX = re.compile(r"^\s*(deal|opportunity)\s+-\s+", re.IGNORECASE)
"""Pipedrive's export prefixes each header with its object: "Deal - Title"."""
_LEGAL_PUNCT = re.compile(r"[\s_\-・/()（）\[\]【】:：.]+")


def normalise(header: str) -> str:
    """Compare form of a header: NFKC (full-width → half-width), lower case, no spaces,
    underscores, hyphens or brackets."""
    return _LEGAL_PUNCT.sub("", unicodedata.normalize("NFKC", header).lower())


def _words(table: Table) -> dict[str, set[str]]:
    words: dict[str, set[str]] = {}
    extra = _BY_TABLE.get(table.name, {})
    for col in table.columns:
        if col.name == "_loaded_at":
            continue
        found = {normalise(col.name)}
        found |= {normalise(w) for w in _COMMON.get(col.name, ())}
        found |= {normalise(w) for w in extra.get(col.name, ())}
        words[col.name] = found
    return words


def suggest_mapping(
    table_name: str,
    headers: list[str],
    samples: dict[str, list[str]] | None = None,
    language: str = "en",
) -> Suggestion:
    """Suggest which header fills which column: exact words first (table-specific before
    common), then close spellings (difflib ratio ≥ 0.85); each column is used once."""
    spec = TABLES_BY_NAME.get(table_name)
    if spec is None:
        raise MappingError(
            message("unknown_table", language, table=table_name, tables=", ".join(TABLES_BY_NAME))
        )
    words = _words(spec)
    specific = {c: {normalise(w) for w in ws} for c, ws in _BY_TABLE.get(spec.name, {}).items()}
    candidates: list[tuple[float, int, str, str]] = []
    for order, header in enumerate(headers):
        key = normalise(_EXPORT_PREFIX.sub("", header))
        for column, forms in words.items():
            if key == normalise(column):
                score = 1.0
            elif key in specific.get(column, set()):
                score = 0.98
            elif key in forms:
                score = 0.95
            else:
                ratio = max(difflib.SequenceMatcher(None, key, f).ratio() for f in forms)
                score = ratio * 0.9 if ratio >= 0.85 else 0.0
            if score:
                candidates.append((score, -order, header, column))
    chosen: dict[str, tuple[str, float]] = {}
    used: set[str] = set()
    for score, _, header, column in sorted(candidates, reverse=True):
        if header in chosen or column in used:
            continue
        chosen[header] = (column, score)
        used.add(column)
    dimensions = _dimension_headers(spec.name, [h for h in headers if h not in chosen])
    mapping = Mapping(
        table=spec.name,
        columns={h: chosen[h][0] if h in chosen else None for h in headers},
        dimensions=dimensions,
    )
    rows = [
        {
            "header": h,
            "column": chosen[h][0] if h in chosen else None,
            "confidence": round(chosen[h][1], 2) if h in chosen else 0.0,
            "samples": (samples or {}).get(h, [])[:3],
        }
        for h in headers
    ]
    missing = [
        c.name
        for c in spec.columns
        if not c.nullable and c.name != "_loaded_at" and c.name not in used
    ]
    return Suggestion(mapping, rows, missing)


DIMENSION_WORDS: dict[str, tuple[str, ...]] = {
    "product": (
        "product",
        "product name",
        "products",
        "item",
        "商品",
        "商品名",
        "製品",
        "製品名",
        "サービス",
        "サービス名",
        "プロダクト",
    ),
    "region": ("region", "area", "territory", "地域", "エリア", "地方", "都道府県", "拠点", "支店"),
    "industry": ("industry", "sector", "業種", "業界"),
}
"""Headers the suggestion makes a dimension of when no canonical column takes them."""


def _dimension_headers(table: str, headers: list[str]) -> dict[str, str]:
    if table not in DIMENSION_KEYS:
        return {}
    forms = {normalise(w): name for name, ws in DIMENSION_WORDS.items() for w in ws}
    out: dict[str, str] = {}
    for header in headers:
        name = forms.get(normalise(_EXPORT_PREFIX.sub("", header)))
        if name and name not in out.values():
            out[header] = name
    return out


def dump_mapping(mapping: Mapping) -> str:
    header = (
        f"# Kaname import mapping for table {mapping.table}: file header → canonical column\n"
        "# (null ignores a header). Use it with `kaname import TABLE FILE --mapping THIS.yaml`.\n"
    )
    data = mapping.model_dump()
    for optional in ("values", "dimensions"):
        if not data[optional]:
            del data[optional]
    return header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def load_mapping(text: str, source: str = "mapping", language: str = "en") -> Mapping:
    """A mapping from its YAML text; MappingError names `source` and what is wrong."""
    try:
        data = yaml.safe_load(text) or {}
        return Mapping.model_validate(data)
    except (yaml.YAMLError, ValueError) as exc:
        raise MappingError(message("mapping_invalid", language, source=source, error=exc)) from exc
