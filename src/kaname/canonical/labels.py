"""The canonical columns as users call them, in English and Japanese.

The import mapping (web and CLI), quarantine reports and data-quality examples name a column by
these labels; the column's id (`created_at`) stays what mapping files and the API use. A column
whose meaning depends on its table (`name` is a company's name in accounts and a campaign's in
campaigns) has a per-table label that wins over the general one.
"""

from __future__ import annotations

COLUMNS: dict[str, tuple[str, str]] = {
    "_loaded_at": ("loaded at", "取り込み日時"),
    "account_id": ("account id", "取引先ID"),
    "lead_id": ("lead id", "リードID"),
    "touchpoint_id": ("touchpoint id", "タッチポイントID"),
    "campaign_id": ("campaign", "キャンペーン"),
    "opportunity_id": ("opportunity id", "商談ID"),
    "subscription_id": ("subscription id", "契約ID"),
    "response_id": ("response id", "回答ID"),
    "name": ("name", "名前"),
    "industry": ("industry", "業種"),
    "employees": ("employees", "従業員数"),
    "prefecture": ("prefecture / region", "都道府県・地域"),
    "owner": ("owner", "担当者"),
    "source_channel": ("source channel", "流入チャネル"),
    "created_at": ("created date", "作成日"),
    "email": ("e-mail", "メールアドレス"),
    "channel": ("channel", "チャネル"),
    "segment": ("segment", "セグメント"),
    "score": ("score", "スコア"),
    "status": ("status", "ステータス"),
    "mql_at": ("MQL date", "MQL化日"),
    "sql_at": ("SQL date", "SQL化日"),
    "disqualified_at": ("disqualified date", "失格日"),
    "occurred_at": ("date and time", "発生日時"),
    "type": ("type", "種別"),
    "outcome": ("outcome", "結果"),
    "start_date": ("start date", "開始日"),
    "end_date": ("end date", "終了日"),
    "budget": ("budget", "予算"),
    "date": ("date", "日付"),
    "cost": ("cost", "費用"),
    "impressions": ("impressions", "表示回数"),
    "clicks": ("clicks", "クリック数"),
    "sessions": ("sessions", "セッション数"),
    "users": ("users", "ユーザー数"),
    "new_users": ("new users", "新規ユーザー数"),
    "pageviews": ("page views", "ページビュー数"),
    "stage": ("stage", "ステージ"),
    "amount": ("amount", "金額"),
    "closed_at": ("close date", "完了日"),
    "is_won": ("won", "受注"),
    "sourced_by": ("sourced by", "創出元"),
    "entered_at": ("entered", "開始日時"),
    "exited_at": ("left", "終了日時"),
    "product": ("product", "商品"),
    "mrr": ("MRR", "MRR（月額）"),
    "change": ("change", "変更の種類"),
    "end_reason": ("end reason", "終了理由"),
    "responded_at": ("answered at", "回答日時"),
}

EXAMPLE_KEYS: dict[str, tuple[str, str]] = {
    "n": ("rows", "件数"),
    "count": ("count", "件数"),
    "records": ("records", "件数"),
    "nunique": ("distinct values", "種類数"),
    "key": ("key", "キー"),
    "limit": ("limit", "上限"),
    "table": ("table", "テーブル"),
    "column": ("column", "列"),
    "field": ("field", "項目"),
    "names": ("names", "名前"),
    "account_ids": ("account ids", "取引先ID"),
    "last_loaded_at": ("last loaded", "最終取り込み日時"),
}
"""Keys of data-quality examples that are not canonical columns."""

BY_TABLE: dict[tuple[str, str], tuple[str, str]] = {
    ("accounts", "name"): ("company name", "会社名"),
    ("accounts", "created_at"): ("created date", "登録日"),
    ("campaigns", "name"): ("campaign name", "キャンペーン名"),
    ("campaigns", "type"): ("campaign type", "キャンペーン種別"),
    ("opportunities", "name"): ("opportunity name", "商談名"),
    ("opportunities", "type"): ("deal type", "商談種別"),
    ("opportunities", "amount"): ("amount", "商談金額"),
    ("opportunities", "created_at"): ("opened date", "商談作成日"),
    ("leads", "created_at"): ("created date", "リード獲得日"),
    ("leads", "status"): ("lead status", "リードステータス"),
    ("touchpoints", "type"): ("touchpoint type", "接点の種類"),
    ("nps_responses", "score"): ("score (0–10)", "スコア（0〜10）"),
    ("leads", "score"): ("lead score", "リードスコア"),
}


def column_label(table: str, column: str, language: str) -> str:
    """`column` of `table` as users call it in `language` (the id when it has no label)."""
    pair = BY_TABLE.get((table, column)) or COLUMNS.get(column) or EXAMPLE_KEYS.get(column)
    if pair is None:
        return column
    return pair[1] if language == "ja" else pair[0]


def column_labels(table: str, language: str) -> dict[str, str]:
    """Every labelled column of `table` → its label in `language`."""
    from kaname.canonical.tables import TABLES_BY_NAME

    found = TABLES_BY_NAME.get(table)
    names = found.column_names if found is not None else tuple(COLUMNS)
    return {name: column_label(table, name, language) for name in names}
