"""Header words of opportunity (deal) exports, English and Japanese: Salesforce opportunity
reports, HubSpot deals, Zoho CRM deals, Pipedrive deals ("Deal - Title": the "Deal - " prefix is
dropped before matching), kintone 案件管理 apps and Japanese SFA tools' CSVs.

Compared after `mapping.normalise()` (NFKC, lower case, no spaces or punctuation)."""

from __future__ import annotations

OPPORTUNITY_WORDS: dict[str, tuple[str, ...]] = {
    "opportunity_id": (
        "id", "record id", "opportunity id", "deal id", "商談id", "案件id", "案件番号",
        "商談番号", "レコードid", "レコード番号", "取引id",
    ),
    "account_id": (
        "company", "company name", "account", "account name", "organization", "organisation",
        "organization name", "associated company", "associated company primary", "会社名",
        "企業名", "取引先", "取引先名", "顧客", "顧客名", "顧客企業名", "会社", "組織",
    ),
    "name": (
        "opportunity name", "deal name", "title", "deal title", "subject", "商談名", "案件名",
        "取引名", "件名",
    ),
    "type": (
        "opportunity type", "deal type", "business type", "商談種別", "案件種別", "取引タイプ",
        "案件区分", "新規既存", "新規既存区分", "区分",
    ),
    "owner": (
        "opportunity owner", "deal owner", "owner name", "sales agent", "salesperson",
        "sales person", "assigned to", "商談所有者", "取引担当者", "担当者名", "営業担当者名",
        "営業", "主担当",
    ),
    "stage": (
        "deal stage", "opportunity stage", "sales stage", "pipeline stage", "取引ステージ",
        "商談ステータス", "案件ステータス", "ステータス", "進捗", "進捗状況", "商談フェーズ",
        "案件フェーズ",
    ),
    "is_won": (
        "won", "is won", "closed won", "is closed won", "status", "deal status", "won lost",
        "受注", "成約", "受注フラグ", "成立", "受注可否", "勝敗", "受注失注",
    ),
    "amount": (
        "close value", "value", "deal value", "deal amount", "opportunity amount", "amount jpy",
        "受注金額", "商談金額", "案件金額", "見込金額", "見積金額", "受注予定金額", "契約金額",
        "売上金額", "予定金額", "金額税抜",
    ),
    "sourced_by": ("sourced by", "ソース元", "創出元"),
    "created_at": (
        "created", "create date", "created date", "created time", "created on", "deal created",
        "engage date", "案件化日", "商談作成日", "作成日", "作成日時", "商談開始日", "商談日",
        "案件発生日", "登録日", "登録日時",
    ),
    "closed_at": (
        "close date", "closed date", "closed", "closing date", "deal closed on", "closed on",
        "won date", "受注日", "クローズ日", "完了日", "成約日", "完了予定日", "受注予定日",
        "契約日", "受注失注日",
    ),
}  # fmt: skip
