"""A corpus of opportunity exports as CRM and SFA tools write them, each from deals whose won
count, revenue and win rate are known.

Salesforce (en, ja), HubSpot (en .xlsx, ja), Zoho, Pipedrive, a Kaggle-style CRM dataset, kintone
(.xlsx), a Japanese SFA tool (Shift_JIS, 万円 and 令和 dates), a sheet with only a won flag and
one with stage labels of its own. Each export names the `values:` it needs beyond the suggested
mapping (only stage or won labels)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

OUTCOMES = ("won", "lost", "open")


@dataclass(frozen=True)
class Deal:
    id: str
    account: str
    owner: str
    product: str
    new_business: bool
    outcome: str
    """won, lost or open."""
    open_stage: int
    """0–3: how far an open deal (or the deal before it closed) got."""
    amount: int
    created: dt.date
    closed: dt.date
    """When it was won or lost; the expected close date of an open deal."""


def make_deals(seed: int, n: int = 16) -> list[Deal]:
    rng = random.Random(seed)
    accounts = ["アルファ", "ベータ商事", "Gamma Inc.", "デルタ工業", "Epsilon", "ゼータ"]
    owners = ["佐藤", "Suzuki", "高橋", "Tanaka"]
    deals = []
    for i in range(n):
        outcome = OUTCOMES[i % 3]
        if outcome == "open":
            closed = dt.date(2026, 7, 1) + dt.timedelta(days=rng.randrange(92))
        else:
            closed = dt.date(2026, 6, 1) + dt.timedelta(days=rng.randrange(150))
        deals.append(
            Deal(
                id=f"{seed:03d}{i:04d}",
                account=rng.choice(accounts),
                owner=rng.choice(owners),
                product=rng.choice(["Cloud", "Suite", "サポート"]),
                new_business=rng.random() > 0.25,
                outcome=outcome,
                open_stage=rng.randrange(4),
                amount=rng.randrange(30, 900) * 10_000,
                created=closed - dt.timedelta(days=rng.randrange(5, 90)),
                closed=closed,
            )
        )
    return deals


@dataclass
class Export:
    """One tool's export: its headers, how it writes a deal, its stage labels."""

    name: str
    language: str
    encoding: str
    """utf-8, utf-8-sig, cp932 or xlsx."""
    headers: list[str]
    row: Callable[[Deal, Callable[[Deal], str]], list[Any]]
    stages: tuple[str, str, str, str, str, str]
    """Four open stages, then won and lost."""
    has_type: bool = False
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    @property
    def seed(self) -> int:
        """Each export writes its own deals."""
        return zlib.crc32(self.name.encode()) % 1000

    def stage(self, deal: Deal) -> str:
        if deal.outcome == "won":
            return self.stages[4]
        if deal.outcome == "lost":
            return self.stages[5]
        return self.stages[deal.open_stage]

    def write(self, folder: Path) -> Path:
        rows = [self.row(d, self.stage) for d in make_deals(self.seed)]
        if self.encoding == "xlsx":
            from openpyxl import Workbook

            book = Workbook()
            sheet = book.active
            sheet.append(self.headers)
            for row in rows:
                sheet.append(row)
            path = folder / f"{self.name}.xlsx"
            book.save(path)
            return path
        out = io.StringIO()
        csv.writer(out, lineterminator="\r\n").writerows([self.headers, *rows])
        path = folder / f"{self.name}.csv"
        path.write_bytes(out.getvalue().encode(self.encoding))
        return path

    def expected(self, start: dt.date, end: dt.date) -> dict[str, float | None]:
        """Won new-business deals, their revenue and the win rate of deals closed in [start,
        end); without a type column every deal is new business."""
        closed = [
            d
            for d in make_deals(self.seed)
            if d.outcome != "open"
            and start <= d.closed < end
            and (d.new_business or not self.has_type)
        ]
        won = [d for d in closed if d.outcome == "won"]
        return {
            "deals": float(len(won)),
            "revenue": float(sum(d.amount for d in won)),
            "win_rate": len(won) / len(closed) if closed else None,
        }


def _slash(day: dt.date) -> str:
    return f"{day.year}/{day.month}/{day.day}"


def _us(day: dt.date) -> str:
    """12/31/2025: how Salesforce and HubSpot write dates in a US-English export."""
    return f"{day.month}/{day.day}/{day.year}"


def _reiwa(day: dt.date) -> str:
    return f"令和{day.year - 2018}年{day.month}月{day.day}日"


def _man(amount: int) -> str:
    return f"{amount // 10_000}万円"


def _closed_only(deal: Deal, text: str) -> str:
    return "" if deal.outcome == "open" else text


EXPORTS: tuple[Export, ...] = (
    Export(
        "salesforce_en", "en", "utf-8",
        ["Opportunity ID", "Opportunity Name", "Account Name", "Stage", "Amount",
         "Probability (%)", "Close Date", "Created Date", "Opportunity Owner", "Type"],
        lambda d, s: [f"006{d.id}", f"{d.account} {d.product}", d.account, s(d),
                      f"¥{d.amount:,}", {"won": 100, "lost": 0}.get(d.outcome, 40),
                      _us(d.closed), _us(d.created), d.owner,
                      "New Customer" if d.new_business else "Existing Customer - Upgrade"],
        ("Prospecting", "Needs Analysis", "Proposal/Price Quote", "Negotiation/Review",
         "Closed Won", "Closed Lost"),
        has_type=True,
    ),
    Export(
        "salesforce_ja", "ja", "cp932",
        ["商談 ID", "商談名", "取引先名", "フェーズ", "金額", "確度 (%)", "完了予定日", "作成日",
         "商談 所有者", "種別"],
        lambda d, s: [f"006{d.id}", f"{d.account} {d.product}", d.account, s(d),
                      f"{d.amount:,}", 50, _slash(d.closed), _slash(d.created), d.owner,
                      "新規顧客" if d.new_business else "既存顧客"],
        ("評価", "ニーズ分析", "提案/見積", "交渉/レビュー", "成立", "不成立"),
        has_type=True,
    ),
    Export(
        "hubspot_en", "en", "xlsx",
        ["Record ID", "Deal Name", "Deal Stage", "Amount", "Close Date", "Create Date",
         "Deal owner", "Pipeline", "Associated Company"],
        lambda d, s: [int(d.id) + 9_000_000, f"{d.account} - {d.product}", s(d), d.amount,
                      dt.datetime.combine(d.closed, dt.time(9)),
                      dt.datetime.combine(d.created, dt.time(14, 5)), d.owner,
                      "Sales Pipeline", d.account],
        ("Appointment Scheduled", "Presentation Scheduled", "Decision Maker Bought-In",
         "Contract Sent", "Closed Won", "Closed Lost"),
    ),
    Export(
        "hubspot_ja", "ja", "utf-8-sig",
        ["レコードID", "取引名", "取引ステージ", "金額", "クローズ日", "作成日", "取引担当者",
         "パイプライン", "関連付けられた会社"],
        lambda d, s: [d.id, f"{d.account}様 {d.product}", s(d), d.amount,
                      f"{d.closed.isoformat()} 10:00", f"{d.created.isoformat()} 09:30",
                      d.owner, "セールスパイプライン", d.account],
        ("アポイント設定済み", "プレゼン予定", "意思決定者の賛同", "契約書送付済み", "成約",
         "失注"),
    ),
    Export(
        "zoho_en", "en", "utf-8",
        ["Record Id", "Deal Owner", "Deal Name", "Amount", "Closing Date", "Account Name",
         "Stage", "Type", "Probability (%)", "Created Time"],
        lambda d, s: [f"zcrm_{d.id}", d.owner, d.product, d.amount, d.closed.isoformat(),
                      d.account, s(d), "New Business" if d.new_business else "Existing Business",
                      60, f"{d.created.isoformat()} 10:30:00"],
        ("Qualification", "Value Proposition", "Proposal/Price Quote", "Negotiation/Review",
         "Closed Won", "Closed Lost to Competition"),
        has_type=True,
    ),
    Export(
        "pipedrive_en", "en", "utf-8",
        ["Deal - ID", "Deal - Title", "Deal - Value", "Deal - Currency", "Deal - Organization",
         "Deal - Owner", "Deal - Stage", "Deal - Status", "Deal - Deal created",
         "Deal - Deal closed on", "Deal - Expected close date"],
        lambda d, s: [d.id, f"{d.account} deal", d.amount, "JPY", d.account, d.owner,
                      s(d), {"won": "Won", "lost": "Lost"}.get(d.outcome, "Open"),
                      f"{d.created.isoformat()} 11:00:00",
                      _closed_only(d, f"{d.closed.isoformat()} 17:00:00"),
                      d.closed.isoformat()],
        # Pipedrive keeps a closed deal in its last pipeline stage; the status says won or lost.
        ("Lead In", "Contact Made", "Proposal Made", "Negotiations Started",
         "Negotiations Started", "Proposal Made"),
    ),
    Export(
        "crm_dataset_en", "en", "utf-8",
        ["opportunity_id", "sales_agent", "product", "account", "deal_stage", "engage_date",
         "close_date", "close_value"],
        lambda d, s: [f"OPP{d.id}", d.owner, d.product, d.account, s(d),
                      d.created.isoformat(), _closed_only(d, d.closed.isoformat()),
                      "0" if d.outcome == "lost" else ("" if d.outcome == "open" else d.amount)],
        ("Prospecting", "Engaging", "Engaging", "Prospecting", "Won", "Lost"),
    ),
    Export(
        "kintone_ja", "ja", "xlsx",
        ["レコード番号", "案件名", "顧客名", "担当者", "ステータス", "受注金額", "商談開始日",
         "完了日", "商品"],
        lambda d, s: [int(d.id), f"{d.product}導入", d.account, d.owner, s(d), d.amount,
                      d.created, d.closed, d.product],
        ("アポ獲得", "ヒアリング", "提案中", "見積提出", "受注", "失注"),
    ),
    Export(
        "sfa_ja", "ja", "cp932",
        ["案件ID", "案件名", "取引先", "担当者", "商品", "商談開始日", "フェーズ", "受注金額",
         "受注予定日", "確度"],
        lambda d, s: [f"A-{d.id}", f"{d.product}提案", d.account, d.owner, d.product,
                      _slash(d.created), s(d), _man(d.amount),
                      _reiwa(d.closed) if int(d.id) % 2 else _slash(d.closed), "B"],
        ("初回訪問", "ヒアリング", "提案", "稟議中", "受注", "見送り"),
    ),
    Export(
        "won_flag_ja", "ja", "cp932",
        ["案件番号", "会社名", "金額", "作成日", "完了日", "受注フラグ"],
        lambda d, s: [d.id, d.account, d.amount, _slash(d.created),
                      _closed_only(d, _slash(d.closed)), s(d)],
        ("", "", "", "", "◎", "△"),
        values={"is_won": {"◎": "true", "△": "false"}},
    ),
    Export(
        "custom_stages_en", "en", "utf-8",
        ["Deal ID", "Name", "Account", "Deal stage", "Deal value", "Created at", "Closed date",
         "Owner"],
        lambda d, s: [d.id, d.product, d.account, s(d), d.amount, d.created.isoformat(),
                      d.closed.isoformat(), d.owner],
        ("New", "Demo Scheduled", "Proposal Sent", "Negotiation", "Signed",
         "Dead - No Budget"),
        values={"stage": {"Signed": "won", "Dead - No Budget": "lost"}},
    ),
)  # fmt: skip
