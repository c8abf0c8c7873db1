"""Opportunities as CRM and SFA tools export them: the stage words of Salesforce, HubSpot, Zoho,
Pipedrive, kintone and Japanese SFA tools, and the fields derived from them.

A stage says whether a deal is open, won or lost; `is_won` and the closed state follow from it
unless the file says otherwise. A column mapped to `is_won` may hold yes/no values or a status
(Pipedrive's open/won/lost). `type` defaults to new business, as CRMs default it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kaname.canonical.tables import OPPORTUNITY_STAGES
from kaname.ingest.importer.numbers import FALSE_WORDS, TRUE_WORDS
from kaname.ingest.messages import message

WON, LOST = "closed_won", "closed_lost"
OPEN = "open"
"""The outcome of an `is_won` cell that names neither a win nor a loss (Pipedrive's status)."""

_STAGE_WORDS: dict[str, tuple[str, ...]] = {
    WON: (
        "won", "closed won", "closedwon", "win", "受注", "受注済", "受注済み", "成約", "成約済み",
        "契約", "契約済", "契約済み", "契約締結", "受注確定", "成立", "deal won",
    ),
    LOST: (
        "lost", "closed lost", "closedlost", "closed lost to competition", "lose", "失注",
        "失注済み", "見送り", "見送", "不成立", "辞退", "中止", "破談", "不採用", "他社決定",
        "deal lost", "dead", "abandoned",
    ),
    "qualification": (
        "prospecting", "prospect", "qualify", "qualification", "lead in", "appointment scheduled",
        "appointmentscheduled", "qualified to buy", "qualifiedtobuy", "contact made", "new",
        "アポ獲得", "アポイント", "初回訪問", "初回商談", "見込み", "リード", "新規商談", "案件化",
        "評価", "アポイント設定済み", "アポ設定済み", "購入見込みあり",
    ),
    "discovery": (
        "discovery", "needs analysis", "value proposition", "id decision makers",
        "identify decision makers", "perception analysis", "presentation scheduled",
        "presentationscheduled", "demo", "demo scheduled", "engaging", "engaged", "in progress",
        "ヒアリング", "課題確認", "要件定義", "商談中", "検討中", "デモ", "打ち合わせ", "調査中",
        "ニーズ分析", "価値提案", "意思決定者の特定", "認識分析", "プレゼン予定",
    ),
    "proposal": (
        "proposal", "proposal price quote", "proposal made", "proposal sent", "quote", "quoted",
        "decision maker bought in", "decisionmakerboughtin", "提案", "提案中", "提案済み",
        "見積", "見積提出", "見積提示", "見積中", "見積もり提出", "提案/見積",
        "意思決定者の賛同",
    ),
    "negotiation": (
        "negotiation", "negotiation review", "negotiations started", "contract sent",
        "contractsent", "commit", "closing", "交渉", "交渉中", "条件交渉", "稟議", "稟議中",
        "契約手続き", "契約手続き中", "クロージング", "最終交渉", "契約書送付", "内示",
        "交渉/レビュー", "契約書送付済み",
    ),
}  # fmt: skip
_OPEN_STATUS = ("open", "オープン", "進行中", "対応中")
_SEP = re.compile(r"[\s_\-・/()（）\[\]【】.:：%]+")


def word_key(value: str) -> str:
    """Compare form of a label: NFKC, lower case, no spaces or punctuation."""
    return _SEP.sub("", unicodedata.normalize("NFKC", value).lower())


STAGE_ALIASES: dict[str, str] = {
    word_key(w): stage for stage, words in _STAGE_WORDS.items() for w in words
}
"""Built-in stage labels (compare form) → canonical stage."""
STAGE_ALIASES.update({word_key(s): s for s in (*OPPORTUNITY_STAGES, WON, LOST)})

_OUTCOMES: dict[str, str] = {
    **{word_key(w): "true" for w in TRUE_WORDS},
    **{word_key(w): "false" for w in FALSE_WORDS},
    **{word_key(w): OPEN for w in _OPEN_STATUS},
    **STAGE_ALIASES,
}


def stage_lookup(user: dict[str, str]) -> Callable[[str], str | None]:
    """A stage label → canonical stage: the mapping's `values:` first (their targets may be
    labels too: 契約: won), then the built-in words."""
    mine = {word_key(k): v for k, v in user.items()}

    def lookup(value: str) -> str | None:
        target = user.get(value) or mine.get(word_key(value))
        if target is not None:
            return STAGE_ALIASES.get(word_key(target))
        return STAGE_ALIASES.get(word_key(value))

    return lookup


def outcome_lookup(user: dict[str, str]) -> Callable[[str], str | None]:
    """A yes/no (or status) cell → 'true', 'false', 'open' or a stage ('closed_won',
    'proposal', …); the mapping's `values:` first (済: yes, 受注: true, Lost: false)."""
    mine = {word_key(k): v for k, v in user.items()}

    def lookup(value: str) -> str | None:
        target = user.get(value) or mine.get(word_key(value))
        return _OUTCOMES.get(word_key(target if target is not None else value))

    return lookup


def outcome_booleans(outcomes: pa.Array) -> pa.Array:
    """The boolean of an outcome column: won or yes is True; lost, open or no is False."""
    yes = pc.is_in(outcomes, pa.array(["true", WON]))
    return pc.if_else(pc.is_valid(outcomes), yes, pa.scalar(None, pa.bool_()))


@dataclass
class Derived:
    """Which rows had a field derived (per record, True when it was)."""

    masks: dict[str, np.ndarray] = field(default_factory=dict)

    def count(self, name: str, keep: np.ndarray) -> int:
        mask = self.masks.get(name)
        return 0 if mask is None else int(np.count_nonzero(mask[keep]))


_CLOSED = pa.array([WON, LOST])
_OPEN_STAGES = pa.array(OPPORTUNITY_STAGES)


def _mask(arr: pa.Array) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False), dtype=bool)


def derive_opportunities(columns: dict[str, pa.Array], n: int) -> Derived:
    """Fill `is_won`, the stage and `type` from what the file says, in place; clear the close
    date of open deals (a CRM's close date of an open deal is the expected one).

    - an `is_won` cell naming a win or a loss sets the stage to closed won or lost;
    - an empty `is_won` follows the stage: True for closed won, False for any other stage;
    - an empty or missing `type` is new business."""
    derived = Derived()
    stage = columns.get("stage", pa.nulls(n, pa.string()))
    outcome = columns.get("is_won")
    if outcome is not None and outcome.type == pa.string():
        outcome = pc.if_else(pc.equal(outcome, "true"), pa.scalar(WON), outcome)
        open_stage = pc.and_(pc.is_in(outcome, _OPEN_STAGES), pc.is_null(stage))
        stage = pc.if_else(pc.or_(pc.is_in(outcome, _CLOSED), open_stage), outcome, stage)
        won = outcome_booleans(outcome)
        status_open = _mask(pc.is_in(outcome, pa.array([OPEN, *OPPORTUNITY_STAGES])))
    else:
        won = outcome if outcome is not None else pa.nulls(n, pa.bool_())
        status_open = np.zeros(n, dtype=bool)
    from_stage = pc.and_(pc.is_null(won), pc.is_valid(stage))
    derived.masks["is_won"] = _mask(from_stage)
    won = pc.if_else(from_stage, pc.equal(stage, WON), won)
    if "stage" in columns or outcome is not None:
        columns["stage"] = stage
        columns["is_won"] = won
    is_open = (_mask(pc.is_valid(stage)) | status_open) & ~_mask(pc.is_in(stage, _CLOSED))
    if "closed_at" in columns:
        dated = _mask(pc.is_valid(columns["closed_at"]))
        derived.masks["open_close_date"] = is_open & dated
        columns["closed_at"] = pc.if_else(
            pa.array(is_open), pa.scalar(None, columns["closed_at"].type), columns["closed_at"]
        )
        undated = ~_mask(pc.is_valid(columns["closed_at"]))
        derived.masks["closed_undated"] = undated & _mask(pc.is_in(stage, _CLOSED))
    else:
        derived.masks["closed_undated"] = _mask(pc.is_in(stage, _CLOSED))
    kind = columns.get("type", pa.nulls(n, pa.string()))
    derived.masks["type"] = ~_mask(pc.is_valid(kind))
    columns["type"] = pc.fill_null(kind, "new_business")
    return derived


def keep_known_types(known: pa.Table, table: pa.Table) -> tuple[pa.Table, int]:
    """Opportunities already loaded with a type other than new business keep it when the file
    has no type (`known`: opportunity_id, type). Returns the table and how many kept theirs."""
    if not known.num_rows or "opportunity_id" not in table.column_names:
        return table, 0
    at = pc.index_in(table.column("opportunity_id"), value_set=known.column("opportunity_id"))
    found = pc.take(known.column("type"), at)
    kept = int(pc.sum(pc.is_valid(found)).as_py() or 0)
    merged = pc.coalesce(found, table.column("type"))
    return table.set_column(table.column_names.index("type"), "type", merged), kept


def derived_notes(
    derived: Derived, table: pa.Table, keep: np.ndarray, language: str, kept_types: int = 0
) -> list[str]:
    """What the summary says about the loaded opportunities' derived fields."""
    notes: list[str] = []
    from_stage = derived.count("is_won", keep)
    if from_stage:
        stage = table.column("stage").combine_chunks()
        mask = pa.array(derived.masks["is_won"][keep])
        chosen = pc.filter(stage, mask)
        won = int(pc.sum(pc.equal(chosen, WON)).as_py() or 0)
        lost = int(pc.sum(pc.equal(chosen, LOST)).as_py() or 0)
        notes.append(
            message(
                "opp_won_from_stage",
                language,
                count=from_stage,
                won=won,
                lost=lost,
                open=from_stage - won - lost,
            )
        )
    for name, key in (
        ("open_close_date", "opp_open_close_date"),
        ("closed_undated", "opp_closed_undated"),
    ):
        count = derived.count(name, keep)
        if count:
            notes.append(message(key, language, count=count))
    defaulted = derived.count("type", keep) - kept_types
    if defaulted:
        notes.append(message("opp_type_default", language, count=defaulted))
    return notes
