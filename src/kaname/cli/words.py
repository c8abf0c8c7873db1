"""The words of CLI tables in the workspace's language (column headers, statuses, titles).

`kaname --help` and common messages use `loop.tr` (the run's language, detected before a
workspace opens); tables are printed after the workspace is open and take its language
explicitly, so a table never mixes English headers with Japanese rows."""

from __future__ import annotations

from kaname.metrics.catalog import CATALOG_WORDS_JA

JA: dict[str, str] = {
    **CATALOG_WORDS_JA,  # KPI types, directions and units: one list with the definitions document
    # kaname serve --workers (cli/workers.py)
    "Kaname dashboard on {url} with {n} workers (Ctrl+C stops it)": (
        "Kaname ダッシュボードを {url} で {n} プロセスで公開しています（Ctrl+C で停止）"
    ),
    "--workers {n} needs a server warehouse, but this workspace's warehouse is the "
    "embedded DuckDB file {path}: only one process may write it. Serve with one worker, "
    "or move the warehouse to PostgreSQL first (docs/deploy.md).": (
        "--workers {n} にはサーバー型のウェアハウスが必要ですが、このワークスペースの"
        "ウェアハウスは組み込みの DuckDB ファイル {path} で、書き込めるのは 1 プロセスだけです。"
        "1 プロセスで起動するか、先にウェアハウスを PostgreSQL へ移してください"
        "（docs/deploy.md）。"
    ),
    "--workers {n} needs the app DB on PostgreSQL, but this workspace's app DB is the "
    "SQLite file {path}: every sign-in and page write of every worker would lock that "
    "one file. Serve with one worker, or set app_db_url to PostgreSQL (docs/deploy.md).": (
        "--workers {n} にはアプリ DB が PostgreSQL である必要がありますが、このワークスペースの"
        "アプリ DB は SQLite ファイル {path} で、各プロセスのログインやページの書き込みの"
        "たびにこの 1 つのファイルがロックされます。1 プロセスで起動するか、app_db_url を "
        "PostgreSQL にしてください（docs/deploy.md）。"
    ),
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
    "{n} KPIs": "KPI {n} 件",
    "{n} KPIs ({hidden} hidden at this width; --wide shows them)": (
        "KPI {n} 件（この幅では {hidden} を省略。--wide ですべて表示）"
    ),
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
    # init and samples (`kaname init` speaks the language of the workspace it creates)
    "Created workspace {root} (warehouse: {backend}).": (
        "ワークスペース {root} を作成しました（ウェアハウス: {backend}）。"
    ),
    "Next: load data with `kaname samples` or `kaname import`, then `kaname kpis`.": (
        "次は `kaname samples` か `kaname import` でデータを取り込み、`kaname kpis` で確認します。"
    ),
    "written": "書き出しました",
    "kept (--force overwrites)": "既存のまま（--force で上書き）",
    "Try `kaname import {table} {name} --dry-run`.": (
        "`kaname import {table} {name} --dry-run` で試せます。"
    ),
    "{path}: {state}. {try}": "{path}: {state}。{try}",
    # import
    "cp932": "Shift_JIS",
    "shift_jis": "Shift_JIS",
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8",
    "Importing {name}": "{name} を取り込み中",
    "done": "完了",
    "Imported {file} into {table} ({encoding}){run}.": (
        "{file} を{table}に取り込みました（{encoding}）{run}。"
    ),
    "Would import {file} into {table} ({encoding}).": (
        "{file} を{table}に取り込めます（{encoding}、試行のみで何も書き込んでいません）。"
    ),
    ", run {run}": "、実行 {run}",
    "rows read": "読み込んだ行",
    "inserted": "追加",
    "updated": "更新",
    "unchanged": "変更なし",
    "quarantined": "隔離",
    "blank rows skipped": "空行（スキップ）",
    "Quarantined ({n} cells)": "隔離したセル（{n} 件）",
    "row": "行",
    "column": "列",
    "reason": "理由",
    "cell value": "値",
    "… {n} more; the full report is in {report}.": "… ほか {n} 件。全件のレポートは {report}。",
    "… {n} more; the full report is `kaname quarantine {run}`.": (
        "… ほか {n} 件。全件のレポートは `kaname quarantine {run}` で見られます。"
    ),
    "Lead scores updated: {changed} changed, {mqls} new MQLs.": (
        "リードスコアを更新しました: 変化 {changed} 件、新しい MQL {mqls} 件。"
    ),
    "The counts do not reconcile; please report this.": (
        "件数が一致しません。不具合として報告してください。"
    ),
    "Wrote {n} lines to {out}.": "{out} に {n} 行を書き出しました。",
    "Import run {run}: quarantined cells": "取り込み {run}: 隔離したセル",
    # mapping
    "header": "見出し",
    "confidence": "確からしさ",
    "samples": "値の例",
    " (saved mapping {name})": "（保存したマッピング {name}）",
    "— ignored": "— 取り込まない",
    "Required columns without a header:": "見出しが対応していない必須項目:",
    "Wrote {out}; edit it, then `kaname import {table} FILE --mapping {out}`.": (
        "{out} を書き出しました。編集してから `kaname import {table} FILE --mapping {out}` で"
        "取り込みます。"
    ),
    "Saved as {name}: files with these headers will use it.": (
        "{name} として保存しました。同じ見出しのファイルはこのマッピングで取り込みます。"
    ),
    "No saved mappings yet: `kaname mapping suggest TABLE FILE --save NAME`.": (
        "保存したマッピングはまだありません: `kaname mapping suggest TABLE FILE --save NAME`。"
    ),
    # merge and score
    "none": "なし",
    "Merged {others} into {keep} (merge {merge}); references re-pointed: {moved}.": (
        "{others} を {keep} に統合しました（統合 {merge}）。付け替えた参照: {moved}。"
    ),
    "No merges yet.": "統合の記録はまだありません。",
    "Scored {scored} leads: {changed} changed, {mqls} new MQLs at threshold {threshold}.": (
        "リード {scored} 件をスコアリングしました: 変化 {changed} 件、"
        "しきい値 {threshold} で新しい MQL {mqls} 件。"
    ),
    "holdout: {n} leads; AUC model {auc} ({model}), rules {rules}; Brier {brier}": (
        "検証用: リード {n} 件。AUC はモデル {auc}（{model}）、ルール {rules}。Brier {brier}"
    ),
    # connect
    "Connected {title}; credentials stored encrypted.": (
        "{title} に接続しました。認証情報は暗号化して保存しています。"
    ),
    "Next: `kaname sync {source}`.": "次は `kaname sync {source}` で同期します。",
    # demo
    "Workspace: {root}. Try `kaname kpis -w {dir}` or `kaname kpis -w {dir} --dimension "
    "channel`. Sample files to import: leads.csv, opportunities.csv, spend.csv.": (
        "ワークスペース: {root}。`kaname kpis -w {dir}` や `kaname kpis -w {dir} --dimension "
        "channel` で KPI を確認できます。取り込み用のサンプル: leads.csv、opportunities.csv、"
        "spend.csv。"
    ),
    "Dashboard login: user {user}, one-time password {password} (you choose your own "
    "at first login).": (
        "ダッシュボードのログイン: ユーザー {user}、一回限りのパスワード {password}"
        "（初回ログイン時にご自分のパスワードを決めます）。"
    ),
    # refresh (the progress labels are grain × dimension × view)
    "Refreshing KPIs": "KPI を更新中",
    "Generating demo company": "デモ会社を作成中",
    "Syncing": "同期中",
    "day": "日",
    "week": "週",
    "month": "月",
    "quarter": "四半期",
    "half": "半期",
    "year": "年度",
    "total": "合計",
    "period": "期間",
    "cohort": "コホート",
    "Full refresh: {rows} KPI values.": "全期間を更新しました: KPI の値 {rows} 件。",
    "Incremental refresh: {rows} KPI values.": "増分で更新しました: KPI の値 {rows} 件。",
    "Incremental refresh from {date}: {rows} KPI values.": (
        "{date} 以降を増分で更新しました: KPI の値 {rows} 件。"
    ),
    "Full refresh from {date}: {rows} KPI values.": (
        "{date} 以降を全件更新しました: KPI の値 {rows} 件。"
    ),
    "Refresh run {runs} did not finish (interrupted or failed); this refresh did its work again.": (
        "更新 {runs} は最後まで終わっていませんでした（中断または失敗）。この更新でやり直しました。"
    ),
    "Nothing changed since the last refresh.": "前回の更新から変わったデータはありません。",
    # sync
    "No source is connected; run `kaname connect SOURCE`.": (
        "接続したデータソースがありません。`kaname connect SOURCE` で接続してください。"
    ),
    "{source}: {status} ({mode}) {rows} raw records": (
        "{source}: {status}（{mode}）元データ {rows} 件"
    ),
    ", {n} left out of the canonical tables": "、正規テーブルに入れなかった行 {n} 件",
    ", {n} report rows no longer reported, removed": ("、レポートから消えた行 {n} 件を削除"),
    # alerts and actions
    "critical": "重大",
    "open": "未対応",
    "acknowledged": "対応中",
    "resolved": "解決済み",
    "alert": "アラート",
    "who": "担当者",
    "title": "タイトル",
    "decision": "判断",
    "kpis": "KPI",
    "start": "開始日",
    "end": "終了日",
    "action plan": "計画",
    "action do": "実行",
    "action check": "評価",
    "action act": "改善",
    "standardise": "標準化",
    "expand": "拡大",
    "modify": "修正",
    "stop": "中止",
    "Delivery to {channel} failed after {n} attempts:": (
        "{channel} への通知は {n} 回試して失敗しました:"
    ),
    "Rule {rule}:": "ルール {rule}:",
    "Alert {id} {status} by {who}.": "アラート {id} を{status}にしました（{who}）。",
    "Wrote {out} ({n} bytes).": "{out} を書き出しました（{n} バイト）。",
    "KPIs: {kpis}{dim}; {start} – {end}; owner {owner}": (
        "KPI: {kpis}{dim}、{start} 〜 {end}、担当 {owner}"
    ),
    "open-ended": "終了日未定",
    "Expected lift: {lift}": "期待する改善: {lift}",
    "Hypothesis: {said}": "仮説: {said}",
    "Learnings: {said}": "学び: {said}",
    "{method}, by {grain}": "{method}、{grain}単位",
    "before_after": "前後比較",
    "diff_in_diff": "差分の差分",
    "months on track": "順調だった月",
    "r vs KGI": "KGI との相関",
    "lead": "先行期間",
    "lint": "指摘",
    "suggest": "提案",
    "why": "理由",
    "{n} mo": "{n} か月",
    "{plan} v{version} — {period}": "{plan} 第{version}版 — {period}",
    "suggest keep": "継続",
    "suggest change": "見直し",
    "suggest retire": "廃止",
    "correlation: the KPI's monthly values (shifted by the lag) against the KGI's "
    "over the warehouse's history, with a significance test (p, Bonferroni over the lags); "
    "a correlation is evidence, not proof, of influence": (
        "相関: KPI の月次の値（先行期間だけずらしたもの）と KGI の月次の値を、蓄積した全期間で"
        "比べています（有意性検定つき、先行期間の数でボンフェローニ補正）。相関は影響の"
        "手がかりであって、証明ではありません。"
    ),
    "Dry run: {n} alerts would fire; nothing stored or sent.": (
        "試行: アラート {n} 件が発火します（保存も送信もしていません）。"
    ),
    "{new} new, {open} still open, {cooling} in cooldown, {resolved} resolved; "
    "{sent} notifications sent, {failed} failed.": (
        "新規 {new} 件、継続中 {open} 件、クールダウン中 {cooling} 件、解決 {resolved} 件。"
        "通知の送信 {sent} 件、失敗 {failed} 件。"
    ),
    # quality
    "Data quality": "データ品質",
    "No data-quality findings.": "データ品質の指摘はありません。",
    "severity": "重要度",
    "finding": "指摘",
    "fix": "対処",
    "warning": "警告",
    "info": "情報",
    "e.g.": "例:",
    # plan new / apply / lint
    "Rates: ": "転換率: ",
    " (benchmark)": "（ベンチマーク）",
    "Per year: ": "年間: ",
    "target CPA": "目標 CPA",
    "target CAC": "目標 CAC",
    "cost/MQL": "MQL 単価",
    "Wrote {path}: KGI {kgi} {target} in {period}, {n} KPIs.": (
        "{path} を書き出しました: KGI {kgi} {target}（{period}）、KPI {n} 件。"
    ),
    " Saved as version {version}.": "第{version}版として保存しました。",
    " Next: `kaname plan lint {path}`, then `kaname plan apply {path}`.": (
        "次は `kaname plan lint {path}`、続けて `kaname plan apply {path}`。"
    ),
    "solved from the assumptions": "前提から逆算した目標",
    "as written (hand-edited targets)": "ファイルのとおり（手で編集した目標）",
    "Applied {plan} as version {version}: {count} targets, {source}.": (
        "{plan} を第{version}版として適用しました: 目標 {count} 件、{source}。"
    ),
    "rule": "ルール",
    # plan solve
    "Required volumes for {stage} = {target}": "{stage} {target} に必要な件数",
    "By month (seasonality: {seasonality}; lead times {source}: {lead_times})": (
        "月別（季節性: {seasonality}、リードタイム（{source}）: {lead_times}）"
    ),
    "even": "均等",
    "history": "過去の実績",
    "measured": "実測",
    "assumed": "想定",
    "opportunity_to_deal": "商談→受注",
    "sql_to_opportunity": "SQL→商談",
    "mql_to_sql": "MQL→SQL",
    "lead_to_mql": "リード→MQL",
    "target_cpa": "目標 CPA",
    "target_cac": "目標 CAC",
    "cost_per_mql": "MQL 単価",
    "cac_payback_months": "CAC 回収期間",
    "ltv_cac": "LTV:CAC",
    "{name}: {n} findings, {errors} errors": "{name}: 指摘 {n} 件、エラー {errors} 件",
    "{name}: no findings": "{name}: 指摘はありません",
    # plan gap
    "{kgi} {period}: {gap} short": "{kgi} {period}: 計画比 {gap}（不足）",
    "{kgi} {period}: {gap} ahead": "{kgi} {period}: 計画比 {gap}（超過）",
    "plan {plan}, actual {actual}": "計画 {plan}、実績 {actual}",
    "Top bottleneck: bringing {rate} from {actual} to the {benchmark} benchmark adds {gain}.": (
        "最大のボトルネック: {rate}を {actual} からベンチマークの {benchmark} に上げると {gain}。"
    ),
    "Every rate meets its benchmark; +10% on {rate} adds {gain}.": (
        "どの転換率もベンチマークを満たしています。{rate}を 10% 上げると {gain}。"
    ),
    "planned KGI is the applied target for the period, without lead-time shifts; actual rates "
    "are stage ratios in the period view (each stage's count ÷ the count of the stage before "
    "it, in the same period)": (
        "計画の KGI は適用中の計画のこの期間の目標です（リードタイムのずれは考慮していません）。"
        "実績の転換率は期間ビューの段階比（同じ期間の各段階の件数 ÷ 一つ前の段階の件数）です。"
    ),
    "planned volumes are the period's seasonal share of the plan, without lead-time shifts; "
    "actual rates are stage ratios in the period view (each stage's count ÷ the count of the "
    "stage before it, in the same period)": (
        "計画の件数は計画を季節性でこの期間に割り振った値です（リードタイムのずれは考慮して"
        "いません）。実績の転換率は期間ビューの段階比（同じ期間の各段階の件数 ÷ 一つ前の段階の"
        "件数）です。"
    ),
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
    # warehouse copy
    "Copying tables": "テーブルをコピー中",
    "Copied to {url}": "{url} へのコピー",
    "table": "テーブル",
    "rows here": "コピー元の行数",
    "rows there": "コピー先の行数",
    "check": "照合",
    "differs": "不一致",
    "Cannot copy to {url}: {error}": "{url} にコピーできません: {error}",
    "Row counts differ for: {tables}": "行数が一致しないテーブル: {tables}",
    "kaname.yaml now uses {url}. Run `kaname refresh --full` there to check it.": (
        "kaname.yaml の warehouse_url を {url} に切り替えました。"
        "`kaname refresh --full` で確認してください。"
    ),
}


def word(text: str, language: str, **values: object) -> str:
    """`text` in `language` (English is the key), with str.format placeholders filled."""
    out = JA.get(text, text) if language == "ja" else text
    return out.format(**values) if values else out
