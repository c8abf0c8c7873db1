"""The words of CLI tables in the workspace's language (column headers, statuses, titles).

`kaname --help` and common messages use `loop.tr` (the run's language, detected before a
workspace opens); tables are printed after the workspace is open and take its language
explicitly, so a table never mixes English headers with Japanese rows."""

from __future__ import annotations

JA: dict[str, str] = {
    # KPI tables
    "actual": "実績",
    "target": "目標",
    "achievement": "達成率",
    "projection": "着地見込み",
    "status": "状態",
    "on track": "順調",
    "at risk": "注意",
    "off track": "未達",
    "no target": "目標なし",
    "no data": "データなし",
    "period view": "期間ビュー",
    "cohort view: leads created in the period": "コホートビュー（期間中に獲得したリード）",
    "as of {date}": "{date} 時点",
    # dimensions
    "channel": "チャネル",
    "campaign": "キャンペーン",
    "segment": "セグメント",
    "owner": "担当",
    "stage": "ステージ",
    # catalog
    "name": "名前",
    "formula": "計算式",
    "unit": "単位",
    "better": "良い方向",
    "phase": "フェーズ",
    "lead/lag": "先行/遅行",
    "dimensions": "ディメンション",
    "higher": "高いほど良い",
    "lower": "低いほど良い",
    "leading": "先行",
    "lagging": "遅行",
    "{n} KPIs": "KPI {n} 件",
    "{n} KPIs ({hidden} hidden at this width; --wide shows them)": (
        "KPI {n} 件（この幅では {hidden} を省略。--wide ですべて表示）"
    ),
    # units
    "count": "件数",
    "currency": "金額",
    "ratio": "率",
    "days": "日数",
    "minutes": "分",
    "months": "月数",
    "multiple": "倍率",
    "score": "スコア",
    "points": "点",
    # what-if
    "plan": "計画",
    "what-if": "もしも",
    "change": "変化",
    "What if {changes}": "もしも {changes} なら",
    # runs and sources
    "kind": "種類",
    "run": "実行",
    "what": "対象",
    "started": "開始",
    "rows": "行数",
    "note": "メモ",
    "refresh": "更新",
    "import": "取り込み",
    "ok": "成功",
    "failed": "失敗",
    "running": "実行中",
    "interrupted": "中断",
    "source": "データソース",
    "mode": "モード",
    "error": "エラー",
    "connected": "接続",
    "last sync": "最後の同期",
    "raw rows": "元データ行数",
    "yes": "あり",
    "no": "なし",
    "full": "全件",
    "incremental": "増分",
    "jobs": "ジョブ",
    "sync": "同期",
    "resumed by run {run}": "同期 {run} が続きを取り込みました",
    # attribution
    "model": "モデル",
    "conversions": "成果数",
    "revenue": "売上",
    "share": "構成比",
    "value": "配分された売上",
    "deals": "受注数",
    "spend": "費用",
    "cac": "CAC",
    "roas": "ROAS",
    "romi": "ROMI",
}


def word(text: str, language: str, **values: object) -> str:
    """`text` in `language` (English is the key), with str.format placeholders filled."""
    out = JA.get(text, text) if language == "ja" else text
    return out.format(**values) if values else out
