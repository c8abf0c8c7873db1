"""Every user-facing message of import, data quality, scoring and connectors, in English and
Japanese.

Kept in one table so the web release's Babel catalogs can extract them: the English text is the
message id, the Japanese text its translation.
"""

from __future__ import annotations

from typing import Any

MESSAGES: dict[str, tuple[str, str]] = {
    # ---------------------------------------------------------------- import: row reasons
    "required": ("required value is missing", "必須項目が空です"),
    "not_integer": ("not a whole number", "整数ではありません"),
    "out_of_range": ("outside the allowed range {low}–{high}", "許容範囲 {low}〜{high} の外です"),
    "not_amount": (
        "not an amount (examples: 1200000, ¥1,200,000, 120万円, 1.2億)",
        "金額として読めません（例: 1200000、¥1,200,000、120万円、1.2億）",
    ),
    "not_boolean": ("not yes/no (true, false, 1, 0, はい, いいえ)", "はい/いいえ として読めません"),
    "not_date": (
        "not a date (examples: 2025-04-01, 2025/4/1, 令和7年4月1日)",
        "日付として読めません（例: 2025-04-01、2025/4/1、令和7年4月1日）",
    ),
    "not_email": ("not an e-mail address", "メールアドレスの形式ではありません"),
    "unknown_value": (
        "unknown value; use one of {allowed} or map it under values: in the mapping",
        "未知の値です。{allowed} のいずれかを使うか、マッピングの values: で対応付けてください",
    ),
    "duplicate_key": (
        "same key as row {row}, which is loaded instead",
        "{row} 行目と同じキーです（{row} 行目を取り込みます）",
    ),
    "malformed_row": (
        "expected {expected} fields, found {found}",
        "列数が {expected} のはずが {found} です",
    ),
    "not_era_date": (
        "no such date in that era (令和 began on 2019-05-01, 平成 ran from 1989-01-08 to "
        "2019-04-30, 昭和 from 1926-12-25 to 1989-01-07)",
        "その元号にない日付です（令和は 2019-05-01 から、平成は 1989-01-08〜2019-04-30、"
        "昭和は 1926-12-25〜1989-01-07）",
    ),
    "other_currency": (
        "an amount in another currency than the workspace's ({currency}); convert it first",
        "ワークスペースの通貨（{currency}）以外の金額です。換算してから取り込んでください",
    ),
    "formula_no_value": (
        "a formula saved without its computed value; open the file in Excel and save it again",
        "計算結果が保存されていない数式です。Excel でファイルを開いて保存し直してください",
    ),
    # ---------------------------------------------------------------- import: file and mapping
    "unknown_table": (
        "unknown table {table!r}; tables: {tables}",
        "テーブル {table!r} はありません。テーブル: {tables}",
    ),
    "unsupported_file": (
        "{path}: only .csv, .tsv, .txt and .xlsx files can be imported",
        "{path}: 取り込めるのは .csv / .tsv / .txt / .xlsx です",
    ),
    "unknown_encoding": (
        "{path}: the file is not in UTF-8, UTF-16, Shift_JIS (CP932) or EUC-JP; save it as "
        "UTF-8 CSV",
        "{path}: UTF-8・UTF-16・Shift_JIS（CP932）・EUC-JP のいずれでもありません。UTF-8 の CSV "
        "で保存してください",
    ),
    "mixed_encoding": (
        "{path}: the file mixes encodings: it is UTF-8, but line {line} is not (Shift_JIS "
        "pasted in?); save the whole file as UTF-8 CSV",
        "{path}: 文字コードが混在しています。UTF-8 のファイルですが {line} 行目が UTF-8 では"
        "ありません（Shift_JIS の貼り付け？）。ファイル全体を UTF-8 の CSV で保存し直してください",
    ),
    "is_folder": (
        "{path} is a folder; give the CSV or Excel file inside it",
        "{path} はフォルダーです。その中の CSV または Excel ファイルを指定してください",
    ),
    "not_permitted": (
        "{path}: no permission to read the file",
        "{path}: ファイルを読む権限がありません",
    ),
    "unreadable_xlsx": (
        "{path}: not a readable Excel workbook ({error}); open it in Excel and save it again "
        "as .xlsx",
        "{path}: Excel ブックとして読めません（{error}）。Excel で開いて .xlsx で保存し直して"
        "ください",
    ),
    "unknown_sheet": (
        "{path}: no sheet {sheet!r}; sheets: {sheets}",
        "{path}: シート {sheet!r} はありません。シート: {sheets}",
    ),
    "disk_full": (
        "the disk is full: nothing was imported and the data already there is intact; free "
        "some space and import again",
        "ディスクがいっぱいです。何も取り込んでおらず、既存のデータはそのままです。空き容量を"
        "作ってから再度取り込んでください",
    ),
    "workspace_read_only": (
        "the workspace cannot be written (read-only): nothing was imported; --dry-run checks "
        "a file without writing",
        "ワークスペースに書き込めません（読み取り専用）。何も取り込んでいません。--dry-run なら"
        "書き込まずにファイルを確認できます",
    ),
    "empty_file": ("{path}: the file has no header row", "{path}: 見出し行がありません"),
    "mapping_unknown_column": (
        "mapping: {column!r} is not a column of {table}; columns: {columns}",
        "マッピング: {column!r} は {table} の列ではありません。列: {columns}",
    ),
    "mapping_twice": (
        "mapping: column {column!r} is mapped from both {first!r} and {second!r}",
        "マッピング: 列 {column!r} に {first!r} と {second!r} の両方が対応付けられています",
    ),
    "mapping_dimensions_table": (
        "mapping: dimensions can describe {tables} only, not {table}; remove `dimensions:`",
        "マッピング: dimensions（分析軸）を付けられるのは {tables} だけで、{table} には"
        "付けられません。`dimensions:` を外してください",
    ),
    "mapping_dimension_name": (
        "mapping: dimension {name!r} (header {header!r}) must be lower-case letters, digits and _, "
        "and not a built-in dimension (channel, campaign, segment, owner, stage)",
        "マッピング: 見出し {header!r} の分析軸名 {name!r} は半角英小文字・数字・_ で、組み込みの軸"
        "（channel、campaign、segment、owner、stage）以外にしてください",
    ),
    "dimension_values": (
        "{count:,} values of {names} kept as dimensions: split and filter KPIs by them "
        "(kaname kpis --dimension {first})",
        "{names} の値 {count:,} 件を分析軸として保存しました。KPI をこの軸で分けて見られます"
        "（kaname kpis --dimension {first}）",
    ),
    "mapping_missing_header": (
        "mapping: the file has no header {header!r}",
        "マッピング: ファイルに見出し {header!r} がありません",
    ),
    "mapping_missing_key": (
        "mapping: no header is mapped to the key column(s) {columns} of {table}",
        "マッピング: {table} のキー列 {columns} に対応する見出しがありません",
    ),
    "mapping_missing_required": (
        "no header is mapped to the required column(s) {columns} of {table}; map one of the "
        "file's unmapped headers ({headers}) to it in the mapping (kaname mapping suggest … "
        "--out m.yaml, then --mapping m.yaml), or on the upload page",
        "{table} の必須列 {columns} に対応する見出しがありません。ファイルの未対応の見出し"
        "（{headers}）のどれかをマッピングで対応付けてください（kaname mapping suggest … "
        "--out m.yaml で書き出して --mapping m.yaml、またはアップロード画面）",
    ),
    "mapping_wrong_table": (
        "the mapping {path}is for table {mapped!r}, not {table!r}",
        "マッピング {path}はテーブル {mapped!r} 用です（{table!r} ではありません）",
    ),
    "file_not_found": (
        "no file at {path}; check the path (relative paths start in the current folder)",
        "{path} にファイルがありません。パスを確認してください（相対パスは現在のフォルダーから）",
    ),
    "unreadable_csv": (
        "{path}: the file cannot be read as CSV ({error}); save it again as CSV from Excel or "
        "the source system",
        "{path}: CSV として読めません（{error}）。Excel または元のシステムから CSV で保存し直して"
        "ください",
    ),
    "mapping_invalid": (
        "{source}: not a valid mapping ({error}); it needs table: and columns: {{header: column}}",
        "{source}: マッピングとして読めません（{error}）。table: と columns: {{見出し: 列}} が"
        "必要です",
    ),
    "saved_mapping": ("saved mapping {name}", "保存済みマッピング {name}"),
    "server_owns_warehouse": (
        "the warehouse is in use by another process (probably `kaname serve`); "
        "import through the web app's upload page or stop the server",
        "ウェアハウスは別のプロセス（おそらく `kaname serve`）が使用中です。"
        "Web のアップロード画面から取り込むか、サーバーを停止してください",
    ),
    # ---------------------------------------------------------------- quality: titles
    "q_duplicate_emails": (
        "Duplicate leads with the same e-mail address",
        "同じメールアドレスのリードが重複しています",
    ),
    "q_duplicate_emails_fix": (
        "Merge each group into one lead: `kaname quality merge leads KEEP_ID OTHER_ID...`",
        "グループごとに 1 件へ統合してください: `kaname quality merge leads 残すID 統合するID...`",
    ),
    "q_duplicate_companies": (
        "Duplicate companies (same name once 株式会社/(株)/Inc. and width are ignored)",
        "同じ会社が重複しています（株式会社/(株)/Inc. や全角・半角の違いを除くと同名）",
    ),
    "q_duplicate_companies_fix": (
        "Merge each group into one account: `kaname quality merge accounts KEEP_ID OTHER_ID...`",
        "グループごとに 1 社へ統合してください: "
        "`kaname quality merge accounts 残すID 統合するID...`",
    ),
    "q_missing_required": (
        "`{table}.{column}`: required value missing",
        "`{table}.{column}`: 必須項目が空です",
    ),
    "q_missing_required_fix": (
        "Fill the column in the source system, then import or sync again",
        "元のシステムで項目を入力し、再度取り込み・同期してください",
    ),
    "q_missing_recommended": (
        "`{table}.{column}`: empty, so KPIs split by it lose these rows",
        "`{table}.{column}`: 空のため、この項目別の KPI から漏れます",
    ),
    "q_missing_recommended_fix": (
        "Fill it in the source, or map the source's field to it in the import mapping",
        "元のシステムで入力するか、取り込みマッピングで対応する項目を割り当ててください",
    ),
    "q_stage_order": (
        "Leads whose stage dates are out of order ({detail})",
        "ステージの日付の順序がおかしいリード（{detail}）",
    ),
    "q_rule_mql_before_created": ("MQL before created: {n}", "MQL 日が作成日より前: {n} 件"),
    "q_rule_sql_before_mql": ("SQL before MQL: {n}", "SQL 日が MQL 日より前: {n} 件"),
    "q_rule_sql_before_created": ("SQL before created: {n}", "SQL 日が作成日より前: {n} 件"),
    "q_rule_disqualified_before_created": (
        "disqualified before created: {n}",
        "失注・対象外の日が作成日より前: {n} 件",
    ),
    "q_stage_order_fix": (
        "Correct the dates in the source; the funnel counts each stage in the month of its date",
        "元のシステムで日付を直してください。ファネルは各ステージを日付の月で数えます",
    ),
    "q_stage_without_is_won": (
        "Opportunities whose stage is not reflected in is_won (empty, or won against the stage): "
        "they count in no deals won",
        "フェーズが is_won に反映されていない商談（is_won が空、またはフェーズと矛盾）: 受注数に"
        "数えられません",
    ),
    "q_stage_without_is_won_fix": (
        "Import the opportunities again: Kaname derives is_won from the stage (受注, Won, …; "
        "other labels under values: stage in the mapping)",
        "商談を取り込み直してください。is_won はフェーズ（受注、Won など。その他の表記はマッピング"
        "の values: stage）から求めます",
    ),
    "q_closed_undated": (
        "Won or lost opportunities without a close date: they count in no period",
        "完了日のない受注・失注の商談: どの期間にも数えられません",
    ),
    "q_closed_undated_fix": (
        "Map the file's close date column (受注日, 完了日, Close Date) and import again",
        "ファイルの完了日の列（受注日、完了日、Close Date）を対応付けて取り込み直してください",
    ),
    "q_stage_skipped": (
        "Leads that reached SQL without an MQL date",
        "MQL 日付のないまま SQL（商談化）になったリード",
    ),
    "q_stage_skipped_fix": (
        "Record the MQL date in the source (or let the lead score set it), or accept that "
        "these leads skip MQL in the MQL→SQL rate",
        "元のシステムで MQL 日付を記録する（またはスコアで設定する）か、"
        "MQL→SQL 率でこれらが MQL を経ないことを了承してください",
    ),
    "q_opportunity_order": (
        "Opportunities closed before they were created",
        "作成日より前にクローズしている商談",
    ),
    "q_orphan_opportunities": (
        "Opportunities without an account (or with an unknown one)",
        "取引先のない（または存在しない取引先の）商談",
    ),
    "q_orphan_opportunities_fix": (
        "Link each opportunity to its company in the SFA, or import the missing accounts",
        "SFA で商談を取引先に紐付けるか、欠けている取引先を取り込んでください",
    ),
    "q_spend_channel": (
        "Spend without a known channel",
        "チャネルが不明な費用",
    ),
    "q_spend_channel_fix": (
        "Set the channel (controlled vocabulary) or map the source's label under `values: channel`",
        "チャネル（統制語彙）を設定するか、マッピングの `values: channel` で対応付けてください",
    ),
    "q_lead_channel": (
        "Leads whose channel is not in the vocabulary",
        "チャネルが語彙にないリード",
    ),
    "q_outlier_amount": (
        "Opportunity amounts far outside the usual range (≤ 0 or above {limit})",
        "通常の範囲から大きく外れた商談金額（0 以下または {limit} 超）",
    ),
    "q_outlier_amount_fix": (
        "Check the amount and its unit (yen, thousands or ten thousands of yen) in the source",
        "元のシステムで金額と単位（円・千円・万円）を確認してください",
    ),
    "q_outlier_cost": (
        "Daily spend far outside its channel's usual range (below 0, or above the channel's "
        "limit given in each example)",
        "チャネルの通常範囲から大きく外れた日別費用（0 未満、または各例に示すチャネルの上限超）",
    ),
    "q_future_dates": (
        "{table}: dates in the future",
        "{table}: 未来の日付",
    ),
    "q_future_dates_fix": (
        "Check the date format of the source (day and month swapped?) and fix the rows",
        "元データの日付形式（日と月の入れ替わりなど）を確認して直してください",
    ),
    "q_stale_source": (
        "{table}: last loaded {days} days ago",
        "{table}: 最終取り込みから {days} 日経過",
    ),
    "q_stale_source_fix": (
        "Run the sync or import again (`kaname sync`, `kaname import`)",
        "同期または取り込みを再実行してください（`kaname sync`、`kaname import`）",
    ),
    "q_empty_table": (
        "{table}: no data loaded yet",
        "{table}: まだデータがありません",
    ),
    "q_empty_table_fix": (
        "Import a file (`kaname import {table} FILE`) or connect a source",
        "ファイルを取り込む（`kaname import {table} FILE`）か、データソースを接続してください",
    ),
    "merge_not_found": (
        "{table}: no row with key {key!r}",
        "{table}: キー {key!r} の行がありません",
    ),
    "merge_tables": (
        "only leads and accounts can be merged",
        "統合できるのは leads と accounts だけです",
    ),
    # ---------------------------------------------------------------- scoring
    "run_interrupted_load": (
        "interrupted while loading: the file went in whole or not at all; import it again to be "
        "sure (unchanged rows are left alone)",
        "取り込み中に中断されました。ファイルは全部取り込まれたか、まったく取り込まれていません。"
        "念のためもう一度取り込んでください（変わらない行はそのままです）",
    ),
    "run_interrupted_score": (
        "interrupted while scoring leads: the rows are loaded; the next import or `kaname score` "
        "scores them",
        "リードのスコア計算中に中断されました。行は取り込み済みで、次の取り込みか `kaname score` "
        "でスコアを計算します",
    ),
    "run_scored_later": ("Leads scored since.", "その後リードのスコアを計算しました。"),
    "runs_rescored": (
        "scored the leads of import run {runs}, which did not finish",
        "完了しなかった取り込み（実行 {runs}）のリードのスコアを計算しました",
    ),
    "opp_type_default": (
        "{count:,} opportunities without a type were loaded as new business (type = new_business)",
        "種別のない商談 {count:,} 件を新規（`type: new_business`）として取り込みました",
    ),
    "opp_won_from_stage": (
        "is_won was derived from the stage for {count:,} opportunities ({won:,} won, {lost:,} "
        "lost, {open:,} open)",
        "{count:,} 件の商談の is_won をフェーズから求めました（受注 {won:,}、失注 {lost:,}、"
        "進行中 {open:,}）",
    ),
    "opp_open_close_date": (
        "{count:,} open opportunities have a close date; it is the expected one, so it was not "
        "loaded as closed_at (they count as open)",
        "進行中の商談 {count:,} 件の完了日は予定日なので closed_at には入れていません"
        "（進行中として数えます）",
    ),
    "opp_closed_undated": (
        "{count:,} won or lost opportunities have no close date and count in no period; map "
        "the close date column",
        "受注・失注の商談 {count:,} 件に完了日がなく、どの期間にも数えられません。完了日の列を"
        "対応付けてください",
    ),
    "score_owned": (
        "column {header!r} was not imported: leads.score is computed by Kaname's lead scoring "
        "(set enabled: false in scoring.yaml to keep the source's score)",
        "列 {header!r} は取り込んでいません: leads.score は Kaname のリードスコアリングが計算します"
        "（元のスコアを使うには scoring.yaml で enabled: false）",
    ),
    "scoring_disabled": (
        "lead scoring is off (enabled: false in scoring.yaml)",
        "リードスコアリングは無効です（scoring.yaml で enabled: false）",
    ),
    "scoring_invalid": ("{path}: {error}", "{path}: {error}"),
    "predictive_too_few": (
        "not enough history for a predictive score: {n} leads with an outcome, {positives} "
        "converted (needs 200 and 20)",
        "予測スコアに必要な履歴が足りません: 結果のあるリード {n} 件、転換 {positives} 件"
        "（200 件と 20 件が必要）",
    ),
    "predictive_needs_sklearn": (
        "the predictive score needs scikit-learn: pip install 'kaname[predictive]'",
        "予測スコアには scikit-learn が必要です: pip install 'kaname[predictive]'",
    ),
    "predictive_offered": (
        "The predictive model beats the rules on the holdout (AUC {model:.3f} vs {rules:.3f})",
        "予測モデルはホールドアウトでルールを上回ります（AUC {model:.3f} 対 {rules:.3f}）",
    ),
    "predictive_not_offered": (
        "The rules are as good as the predictive model on the holdout "
        "(AUC {rules:.3f} vs {model:.3f}); keep the rules",
        "ホールドアウトではルールが予測モデルと同等以上です"
        "（AUC {rules:.3f} 対 {model:.3f}）。ルールを使い続けてください",
    ),
    # ---------------------------------------------------------------- connectors
    "c_unknown_source": (
        "unknown source {name!r}; sources: {sources}",
        "データソース {name!r} はありません。データソース: {sources}",
    ),
    "c_not_connected": (
        "{source} is not connected, so there is nothing to disconnect",
        "{source} は接続されていないため、切断するものはありません",
    ),
    "c_not_connected_run": (
        "{source} is not connected; run `kaname connect {source}`",
        "{source} は接続されていません。`kaname connect {source}` で接続してください",
    ),
    "c_syncing": (
        "{source} is syncing; disconnect it when the sync has ended",
        "{source} は同期中です。同期が終わってから接続を解除してください",
    ),
    "c_refused": (
        "{title}: could not connect; check the credentials and settings ({title} replied: {error})",
        "{title} に接続できませんでした。認証情報と設定を確認してください"
        "（{title} の応答: {error}）",
    ),
    "c_interrupted": (
        "{title}: interrupted ({error}); the data loaded before stays and the next sync "
        "continues from there",
        "{title}: 同期が中断されました（{error}）。それまでに取り込んだデータは残り、"
        "次の同期はその続きから再開します",
    ),
    "c_url_scheme": (
        "{title}: {field} must be an https URL (for plain http, add its host to url_allow_list "
        "in kaname.yaml)",
        "{title}: {field} は https の URL にしてください（http を使うには kaname.yaml の "
        "url_allow_list にホストを加えてください）",
    ),
    "c_url_internal": (
        "{title}: {field} points at a loopback, link-local or private address; to allow it, add "
        "its host to url_allow_list in kaname.yaml",
        "{title}: {field} はループバック・リンクローカル・プライベートアドレスを指しています。"
        "許可するには kaname.yaml の url_allow_list にホストを加えてください",
    ),
    "c_url_needs_secret": (
        "{title}: to change {field}, enter {secrets} again (a stored secret is only sent to the "
        "URL it was entered for)",
        "{title}: {field} を変更するには {secrets} をもう一度入力してください（保存済みの秘密情報は"
        "入力されたときの URL にだけ送られます）",
    ),
    "w_unknown_table": (
        "unknown table {table!r}: one of {tables}",
        "テーブル {table!r} はありません。次のいずれかです: {tables}",
    ),
    "w_upload_type": (
        "upload a CSV or Excel file ({suffixes})",
        "CSV または Excel ファイル（{suffixes}）をアップロードしてください",
    ),
    "w_choose_file": (
        "choose a CSV or Excel file to upload",
        "取り込む CSV または Excel ファイルを選んでください",
    ),
    "w_empty_upload": ("the uploaded file is empty", "アップロードしたファイルが空です"),
    "w_upload_expired": (
        "the upload has expired: upload the file again",
        "アップロードの有効期限が切れました。もう一度ファイルをアップロードしてください",
    ),
    "w_not_a_column": (
        "{column!r} is not a column of {table}; choose one of its columns or leave it empty",
        "{column!r} は {table} の列ではありません。列を選び直すか、空欄にしてください",
    ),
    "w_merge_tables": (
        "only leads and accounts can be merged",
        "統合できるのはリード（leads）と取引先企業（accounts）だけです",
    ),
    "w_merge_what": (
        "name the record to keep and at least one other to merge into it",
        "残すレコードと、そこへ統合するレコードを 1 件以上指定してください",
    ),
    "w_mapping_yaml": (
        "mapping: {error}",
        "マッピングの YAML を読めません: {error}",
    ),
    "w_mapping_shape": (
        "mapping: give {{table, columns: {{header: column}}}}",
        "マッピングは {{table, columns: {{見出し: 列}}}} の形で書いてください",
    ),
    "c_busy": (
        "another sync of {source} is running since {since}; this one did not start — run it "
        "again when that one has ended",
        "{source} は別の同期が {since} から実行中です。今回の同期は開始していません。その同期が"
        "終わってからもう一度実行してください",
    ),
    "c_busy_retry": (
        "another sync of {source} kept starting and ending while this one tried to start; run "
        "it again",
        "{source} の別の同期の開始と終了が続いたため、今回の同期を開始できませんでした。もう一度"
        "実行してください",
    ),
    "c_killed": (
        "{title}: the sync stopped before it ended (its process is gone); the data loaded "
        "before stays and the next sync continues from there",
        "{title}: 同期が途中で止まりました（実行していたプロセスがありません）。それまでに"
        "取り込んだデータは残り、次の同期はその続きから再開します",
    ),
    "c_mapping_failed": (
        "mapping into the canonical tables failed: {error}; the raw data is kept — fix the "
        "mapping (kaname sources, connectors/{source}.mapping.yaml) and sync again",
        "標準テーブルへのマッピングに失敗しました: {error}。取り込んだ元データは残っています。"
        "マッピング（connectors/{source}.mapping.yaml）を直して再度同期してください",
    ),
    "c_settings_invalid": (
        "{title} settings: {problems}",
        "{title} の設定に誤りがあります: {problems}",
    ),
    "c_setting": ("{field}: {problem}", "設定項目 {field}: {problem}"),
    "c_required": ("Field required", "必須です。値を入力してください"),
    "c_not_integer": (
        "Input should be a valid integer",
        "整数を入力してください",
    ),
    "c_not_number": ("Input should be a valid number", "数値を入力してください"),
    "c_not_boolean": (
        "Input should be a valid boolean (true or false)",
        "true か false を入力してください",
    ),
    "c_not_text": ("Input should be a valid string", "文字列を入力してください"),
    "c_unknown_setting": (
        "not a setting of this source; settings: {fields}",
        "このデータソースの設定項目ではありません。設定項目: {fields}",
    ),
    "c_not_date": (
        "not a date; write it as YYYY-MM-DD (e.g. 2024-04-01)",
        "日付として読めません。YYYY-MM-DD（例: 2024-04-01）の形式で入力してください",
    ),
    "c_google_credentials": (
        "give service_account_json (a service-account key file), or client_id, "
        "client_secret and refresh_token, or access_token",
        "service_account_json（サービスアカウントのキーファイル）、または client_id・"
        "client_secret・refresh_token の組、または access_token のいずれかを入力してください",
    ),
    "c_google_ads_account": (
        "give customer_id and developer_token, or export_path for CSV files",
        "customer_id と developer_token を入力するか、CSV ファイルを使う場合は export_path を"
        "入力してください",
    ),
    "c_meta_ads_account": (
        "give ad_account_id and access_token, or export_path for CSV files",
        "ad_account_id と access_token を入力するか、CSV ファイルを使う場合は export_path を"
        "入力してください",
    ),
}


def message(key: str, language: str = "en", /, **values: Any) -> str:
    """The message `key` in `language` ('ja' or 'en'), with `values` filled in."""
    en, ja = MESSAGES[key]
    text = ja if language == "ja" else en
    return text.format(**values) if values else text


def both(key: str, /, **values: Any) -> dict[str, str]:
    """The message in both languages, for findings the web shows in either."""
    return {"en": message(key, "en", **values), "ja": message(key, "ja", **values)}
