"""`kaname --help` grouped by the loop (Start, Design, Connect, Compute, See, Act, Admin) and in
the workspace's language.

The root group (`LoopGroup`) places every command in one panel of `PANELS`, lists the panels in
loop order, hides the `<bool>` type of flags (they take no value) and, when the workspace (the
`--workspace/-w` given, else `$KANAME_WORKSPACE`, else the current folder) is in Japanese,
shows the panel titles, the command summaries and the common messages in Japanese. Outside a
workspace the CLI speaks English.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer.rich_utils
import yaml
from typer.core import TyperGroup, TyperOption

# Panel of each command, in loop order; a command missing here fails tests/cli/test_help.py.
PANELS: dict[str, tuple[str, ...]] = {
    "Start": ("init", "demo", "samples", "version"),
    "Design": ("plan", "catalog", "benchmarks"),
    "Connect": (
        "import",
        "mapping",
        "quarantine",
        "connect",
        "sync",
        "sources",
        "quality",
        "score",
    ),
    "Compute": ("refresh", "attribution", "cohorts", "rfm", "ltv", "forecast", "abtest"),
    "See": ("kpis", "serve", "report"),
    "Act": ("alerts", "actions", "review"),
    "Admin": ("users", "runs", "warehouse", "bench"),
}
PANEL_OF = {name: panel for panel, names in PANELS.items() for name in names}
ORDER = {name: i for i, name in enumerate(PANEL_OF)}

JA: dict[str, str] = {
    # panels and typer's own titles
    "Start": "はじめる",
    "Design": "設計（Design）",
    "Connect": "接続（Connect）",
    "Compute": "計算（Compute）",
    "See": "見る（See）",
    "Act": "行動（Act）",
    "Admin": "管理",
    "Options": "オプション",
    "Arguments": "引数",
    "Commands": "コマンド",
    # the app and the command summaries (the first line of `kaname --help`)
    "kaname": "Kaname（要）: B2B マーケティング KPI 管理 — 設計・接続・計算・見る・行動。",
    "init": "ワークスペース（kaname.yaml・ウェアハウス・アプリ DB）を作成します。",
    "demo": "デモ会社を作り、スターター計画を適用して KPI を表示します。",
    "samples": "取り込みを試すサンプル CSV（リード・商談・広告費）を書き出します。",
    "version": "Kaname のバージョンを表示します。",
    "plan": "計画: KGI と KPI の目標。",
    "catalog": "KPI カタログ: 一覧・追加・削除。",
    "benchmarks": "lint とボトルネック判定のベンチマーク範囲（benchmarks.yaml）。",
    "import": "CSV・Excel を正規テーブルに取り込みます（キーで upsert）。",
    "mapping": "ファイル取り込みの列マッピング: 提案・保存・一覧。",
    "quarantine": "取り込みの隔離レポート: 行・列・値・理由。",
    "connect": "データソースの認証情報を暗号化して保存し、接続を確認します。",
    "sync": "データソースを同期し（増分・再開可能）、正規テーブルへ対応付けます。",
    "sources": "データソースと最後の同期（状態・行数・エラー）。",
    "quality": "データ品質の指摘と、明示的な重複の統合。",
    "score": "リードスコア（scoring.yaml）と MQL しきい値を適用します。",
    "refresh": "KPI の値を実体化します（増分: 新しいデータが触れた期間だけ）。",
    "attribution": "マルチタッチアトリビューション（成果と売上をチャネルへ配分）。",
    "cohorts": "コホート表: 作成月別のリード、開始月別の顧客。",
    "rfm": "顧客（受注）の RFM スコアとセグメント、日付間の移動。",
    "ltv": "顧客生涯価値: シードの式、LTV:CAC、sBG 継続率の当てはめ。",
    "forecast": "ETS / Holt-Winters による KPI の予測と予測区間。",
    "abtest": "A/B 計算: 有意性、対照を上回るベイズ確率、必要サンプル数。",
    "kpis": "期間の KPI の実績・目標・達成率・ペース予測・状態。",
    "serve": "Web ダッシュボードを起動します（要ログイン、初回に管理者を作成）。",
    "report": "期間の KPI レポート（要点・変化・未達の理由・アクション）。",
    "alerts": "アラート: kaname.yaml のルールを確認、一覧、確認済み、解決。",
    "actions": "PDCA アクション: 試したことと学んだことのチームの記録。",
    "review": "KGI に照らした四半期の KPI レビュー。",
    "users": "Web ダッシュボードのローカルアカウント。",
    "runs": "更新・取り込み・同期の実行履歴（中断された実行を含む）。",
    "warehouse": "ウェアハウス: テーブルを別のエンジン（PostgreSQL・Spark など）へコピーします。",
    "bench": "ベンチマーク（速度とメモリ、基準との比較）。",
    # common messages
    "Error:": "エラー:",
    "Show this message and exit.": "このヘルプを表示して終了します。",
    "Workspace folder (default: $KANAME_WORKSPACE or .)": (
        "ワークスペースのフォルダー（既定: $KANAME_WORKSPACE または .）"
    ),
    "Print JSON instead of a table.": "表の代わりに JSON を出力します。",
    "Nothing changed since the last refresh.": "前回の更新から変わったデータはありません。",
    "The dashboard: `kaname serve` in the workspace folder.": (
        "ダッシュボードはワークスペースのフォルダーで `kaname serve`。"
    ),
    "The running server (`kaname serve`) did not take the command: {error}": (
        "起動中のサーバー（`kaname serve`）がコマンドを受け付けませんでした: {error}"
    ),
    # run statuses (kaname sync, sources --history, runs)
    "ok": "成功",
    "running": "実行中",
    "failed": "失敗",
    "interrupted": "中断",
    "busy": "実行中のため見送り",
    "Sync run {runs} did not finish; this sync went on from where it stopped.": (
        "同期 {runs} は最後まで終わっていませんでした。この同期がその続きから取り込みました。"
    ),
    "resumed by run {run}": "同期 {run} が続きを取り込みました",
    "--dimension takes dimension=value, e.g. channel=webinar": (
        "--dimension は ディメンション=値 の形です（例: channel=webinar）"
    ),
    "--set {item}: write name=value": "--set {item}: 名前=値 の形で書いてください",
}

_language = "en"


def language() -> str:
    """The language of this run: the workspace's, or English outside a workspace."""
    return _language


def tr(text: str) -> str:
    """`text` in the language of this run (English when there is no translation)."""
    return JA.get(text, text) if _language == "ja" else text


def detect_language(args: Sequence[str]) -> str:
    """The `language:` of the workspace this command line runs in, without opening it."""
    root: str | None = None
    for i, arg in enumerate(args):
        if arg in ("--workspace", "-w") and i + 1 < len(args):
            root = args[i + 1]
        elif arg.startswith("--workspace="):
            root = arg.split("=", 1)[1]
    path = Path(root or os.environ.get("KANAME_WORKSPACE") or ".") / "kaname.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return "en"
    found = data.get("language", "ja") if isinstance(data, dict) else "en"
    return "ja" if found == "ja" else "en"


def _localise(obj: Any, key: str | None = None) -> None:
    """Set `obj.help` to the run's language, from the English text kept on the first call."""
    english = obj.__dict__.setdefault("_help_en", obj.help)
    wanted = key or english
    obj.help = JA[wanted] if _language == "ja" and wanted in JA else english


def _plain_flags(command: Any) -> None:
    """Flags take no value: show no `<bool>` type beside them (the help option included)."""
    params = list(command.params)
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        params.append(help_option)
    for param in params:
        if isinstance(param, TyperOption) and param.is_flag and not param.count:
            param.metavar = ""
        _localise(param)
    for sub in getattr(command, "commands", {}).values():
        _plain_flags(sub)


class LoopGroup(TyperGroup):
    """The `kaname` group: commands in loop panels and order, in the workspace's language."""

    beside_server: Callable[[list[str]], int | None] | None = None
    """Set by cli/remote.py: runs the command line in the server that holds its workspace and
    returns its exit code, or None when the command is to run in this process."""

    def main(self, args: Sequence[str] | None = None, *rest: Any, **kwargs: Any) -> Any:
        global _language
        import sys

        _language = detect_language(sys.argv[1:] if args is None else list(args))
        for title in ("OPTIONS", "ARGUMENTS", "COMMANDS"):
            setattr(typer.rich_utils, f"{title}_PANEL_TITLE", tr(title.capitalize()))
        for name, command in self.commands.items():
            setattr(command, "rich_help_panel", tr(PANEL_OF.get(name, "Admin")))  # noqa: B010
            command.short_help = None
            _localise(command, name)
        _localise(self, "kaname")
        _plain_flags(self)
        if kwargs.get("standalone_mode", True) and self.beside_server is not None:
            code = self.beside_server(sys.argv[1:] if args is None else list(args))
            if code is not None:  # a running server ran the command
                sys.exit(code)
        return super().main(args, *rest, **kwargs)

    def list_commands(self, ctx: Any) -> list[str]:
        return sorted(super().list_commands(ctx), key=lambda name: ORDER.get(name, len(ORDER)))
