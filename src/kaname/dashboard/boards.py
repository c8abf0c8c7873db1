"""Boards: a user's own page of KPI cards and charts (trend, funnel, bar by dimension, KPI tree,
gap table), saved in the app DB, shared with roles or departments, and a user's landing page.

A board holds its own filters (period, grain, channel …); each tile follows them or has its
own. Tile data comes from the same page builders as the dashboard pages (`Dashboard.trends`,
`.funnel`, `.tree`, `kpi_rows`, the KPI report), so a tile equals the page it comes from.

Who may do what (enforced here, whatever the route): editors and admins make boards; a board
is seen by its owner, by admins, and by users whose role or department it is shared with; only
its owner or an admin changes, shares or deletes it. Anyone who sees a board may make it their
landing page.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, select

from kaname.clock import utcnow
from kaname.dashboard.core import clean, records
from kaname.dashboard.filters import FilterError, Filters
from kaname.dashboard.pages import kpi_rows
from kaname.metrics.calendar import PeriodError
from kaname.store.board_models import Board, LandingBoard
from kaname.store.web_models import DEPARTMENTS, ROLES

if TYPE_CHECKING:
    from kaname.auth.accounts import Principal
    from kaname.dashboard.service import Dashboard

TILE_KINDS = ("cards", "trend", "funnel", "bars", "tree", "gap")
"""KPI cards, a KPI's trend, the funnel, a KPI by a dimension, the KPI tree, the gap table."""
FILTER_KEYS = ("period", "grain", "channel", "campaign", "segment", "view", "compare")
MAX_TILES = 24
MAX_CARDS = 8


class BoardError(ValueError):
    """A board that cannot be saved, said in both languages (`ja`)."""

    def __init__(self, en: str, ja: str) -> None:
        super().__init__(en)
        self.ja = ja

    def text(self, language: str) -> str:
        return self.ja if language == "ja" else str(self)


class BoardNotFound(LookupError):
    """No such board, or not one the caller may see (the same answer: 404)."""


class BoardForbidden(PermissionError):
    """The caller sees the board but may not change it."""


@dataclass(frozen=True)
class Tile:
    kind: str
    kpis: tuple[str, ...] = ()
    dimension: str = ""
    follow: bool = True
    """Follow the board's filters; otherwise `filters` are the tile's own."""
    filters: tuple[tuple[str, str], ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "kpis": list(self.kpis), "filters": dict(self.filters)}


@dataclass(frozen=True)
class Spec:
    filters: tuple[tuple[str, str], ...] = ()
    tiles: tuple[Tile, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        return {"filters": dict(self.filters), "tiles": [t.as_dict() for t in self.tiles]}


def _filters_of(raw: Any, what: str, what_ja: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, Mapping):
        raise BoardError(
            f"{what}: filters must be an object", f"{what_ja}: 絞り込みの形式が不正です"
        )
    out = []
    for key, value in raw.items():
        if key not in FILTER_KEYS:
            raise BoardError(
                f"{what}: unknown filter {key!r} (one of {', '.join(FILTER_KEYS)})",
                f"{what_ja}: 使えない絞り込みです（{key}）",
            )
        text = str(value or "").strip()
        if text:
            out.append((key, text))
    return tuple(sorted(out))


def parse_spec(raw: Mapping[str, Any], dash: Dashboard) -> Spec:
    """A board's filters and tiles from JSON (the API body or the composer form), checked: known
    tile kinds, KPIs in the catalog, a dimension the KPI can be split by, readable periods."""
    filters = _filters_of(raw.get("filters"), "board", "ボード")
    check_filters(dash, filters, "board", "ボード")
    tiles_raw = raw.get("tiles") or []
    if not isinstance(tiles_raw, list) or not tiles_raw:
        raise BoardError("a board needs at least one tile", "タイルを1つ以上追加してください")
    if len(tiles_raw) > MAX_TILES:
        raise BoardError(
            f"a board holds at most {MAX_TILES} tiles", f"タイルは{MAX_TILES}個までです"
        )
    catalog = dash.ws.catalog
    tiles = []
    for number, item in enumerate(tiles_raw, 1):
        what, what_ja = f"tile {number}", f"タイル{number}"
        if not isinstance(item, Mapping):
            raise BoardError(f"{what}: not an object", f"{what_ja}: 形式が不正です")
        kind = str(item.get("kind") or "")
        if kind not in TILE_KINDS:
            raise BoardError(
                f"{what}: kind must be one of {', '.join(TILE_KINDS)}",
                f"{what_ja}: 種類を選んでください",
            )
        kpis = tuple(dict.fromkeys(str(k) for k in (item.get("kpis") or []) if str(k).strip()))
        unknown = [k for k in kpis if k not in catalog]
        if unknown:
            raise BoardError(
                f"{what}: unknown KPI {unknown[0]!r}", f"{what_ja}: カタログにないKPIです"
            )
        needs = {"cards": (1, MAX_CARDS), "trend": (1, 1), "bars": (1, 1)}.get(kind, (0, 0))
        if not needs[0] <= len(kpis) <= needs[1]:
            if kind == "cards":
                raise BoardError(
                    f"{what}: choose 1 to {MAX_CARDS} KPIs for the cards",
                    f"{what_ja}: カードのKPIを1〜{MAX_CARDS}個選んでください",
                )
            if needs[1]:
                raise BoardError(f"{what}: choose one KPI", f"{what_ja}: KPIを1つ選んでください")
            kpis = ()
        dimension = str(item.get("dimension") or "") if kind == "bars" else ""
        if kind == "bars":
            allowed = [d for d in dash.ws.engine().dimensions_of(kpis[0]) if d != "stage"]
            if dimension not in allowed:
                raise BoardError(
                    f"{what}: {kpis[0]} cannot be split by {dimension!r} "
                    f"(one of {', '.join(allowed)})",
                    f"{what_ja}: {catalog.get(kpis[0]).name('ja')}はこの切り口で分けられません",
                )
        follow = bool(item.get("follow", True))
        own = () if follow else _filters_of(item.get("filters"), what, what_ja)
        if not follow:
            check_filters(dash, own, what, what_ja)
        tiles.append(Tile(kind, kpis, dimension, follow, own))
    return Spec(filters, tuple(tiles))


def check_filters(
    dash: Dashboard, pairs: tuple[tuple[str, str], ...], what: str, what_ja: str
) -> Filters:
    """The filters of `pairs`, with the period resolved once to prove it can be read."""
    ws = dash.ws
    try:
        f = Filters.parse(dict(pairs))
        ws.period(f.period or None, f.grain)
    except PeriodError as exc:
        raise BoardError(
            f"{what}: {exc}",
            f"{what_ja}: 期間を読み取れません（{dict(pairs).get('period', '')}）。"
            "例: 2026年11月、2026年度 第2四半期、先月",
        ) from exc
    except FilterError as exc:
        raise BoardError(f"{what}: {exc}", f"{what_ja}: 絞り込みを読み取れません") from exc
    return f


def tile_filters(tile: Tile, board: Filters) -> Filters:
    """What a tile shows: the board's filters, or its own."""
    return board if tile.follow else Filters.parse(dict(tile.filters))


# ---------------------------------------------------------------------- who sees what
def _split(text: str) -> list[str]:
    return [p for p in text.split(",") if p]


def can_see(board: Board, user: Principal) -> bool:
    return (
        board.owner == user.username
        or user.role == "admin"
        or user.role in _split(board.shared_roles)
        or user.department in _split(board.shared_departments)
    )


def can_change(board: Board, user: Principal) -> bool:
    return user.can("editor") and (board.owner == user.username or user.role == "admin")


def summary(board: Board, user: Principal, landing: int | None = None) -> dict[str, Any]:
    spec = json.loads(board.spec)
    return clean(
        {
            "id": board.id,
            "name": board.name,
            "owner": board.owner,
            "shared_roles": _split(board.shared_roles),
            "shared_departments": _split(board.shared_departments),
            "tiles": len(spec.get("tiles", [])),
            "filters": spec.get("filters", {}),
            "spec": spec,
            "created_at": board.created_at,
            "updated_at": board.updated_at,
            "can_change": can_change(board, user),
            "landing": landing == board.id,
        }
    )


def _sharing(raw: Mapping[str, Any]) -> tuple[str, str]:
    roles = [str(r) for r in (raw.get("shared_roles") or [])]
    departments = [str(d) for d in (raw.get("shared_departments") or [])]
    bad = [r for r in roles if r not in ROLES] + [d for d in departments if d not in DEPARTMENTS]
    if bad:
        raise BoardError(f"cannot share with {bad[0]!r}", "共有先を読み取れません")
    return ",".join(dict.fromkeys(roles)), ",".join(dict.fromkeys(departments))


def _name(raw: Mapping[str, Any]) -> str:
    name = str(raw.get("name") or "").strip()
    if not name:
        raise BoardError("give the board a name", "ボード名を入力してください")
    if len(name) > 200:
        raise BoardError("a board name has at most 200 characters", "ボード名は200文字までです")
    return name


class Boards:
    """Board storage and rules over the app DB; every method takes the caller."""

    def __init__(self, dash: Dashboard) -> None:
        self.dash = dash
        self.db = dash.ws.appdb

    def _audit(self, user: Principal, action: str, board: Board, before: Any, after: Any) -> None:
        from kaname.auth.accounts import Accounts

        Accounts(self.db).audit(user.username, action, f"board:{board.id}", before, after)

    def landing_id(self, user: Principal) -> int | None:
        with self.db.session() as s:
            row = s.get(LandingBoard, user.id)
            if row is None:
                return None
            board = s.get(Board, row.board_id)
            return board.id if board is not None and can_see(board, user) else None

    def visible(self, user: Principal) -> list[dict[str, Any]]:
        landing = self.landing_id(user)
        with self.db.session() as s:
            rows = s.execute(select(Board).order_by(Board.name, Board.id)).scalars()
            return [summary(b, user, landing) for b in rows if can_see(b, user)]

    def get(self, board_id: int, user: Principal) -> dict[str, Any]:
        with self.db.session() as s:
            board = s.get(Board, board_id)
            if board is None or not can_see(board, user):
                raise BoardNotFound(board_id)
            return summary(board, user, self.landing_id(user))

    def create(self, raw: Mapping[str, Any], user: Principal) -> dict[str, Any]:
        if not user.can("editor"):
            raise BoardForbidden("editor")
        name = _name(raw)
        spec = parse_spec(raw, self.dash)
        roles, departments = _sharing(raw)
        with self.db.session() as s:
            board = Board(
                name=name,
                owner=user.username,
                spec=json.dumps(spec.as_dict(), ensure_ascii=False),
                shared_roles=roles,
                shared_departments=departments,
            )
            s.add(board)
            s.flush()
            out = summary(board, user)
        self._audit(user, "board.create", board, None, _audited(out))
        return out

    def update(self, board_id: int, raw: Mapping[str, Any], user: Principal) -> dict[str, Any]:
        name = _name(raw)
        spec = parse_spec(raw, self.dash)
        roles, departments = _sharing(raw)
        with self.db.session() as s:
            board = self._changeable(s, board_id, user)
            before = _audited(summary(board, user))
            board.name = name
            board.spec = json.dumps(spec.as_dict(), ensure_ascii=False)
            board.shared_roles, board.shared_departments = roles, departments
            board.updated_at = utcnow()
            out = summary(board, user, self.landing_id(user))
        self._audit(user, "board.update", board, before, _audited(out))
        return out

    def _respec(self, board_id: int, user: Principal, action: str, change: Any) -> dict[str, Any]:
        """Change a board's tiles only (`change` maps the saved spec to the new raw one), checked
        like a composer save and audited as `action`."""
        with self.db.session() as s:
            board = self._changeable(s, board_id, user)
            before = _audited(summary(board, user))
            spec = parse_spec(change(json.loads(board.spec)), self.dash)
            board.spec = json.dumps(spec.as_dict(), ensure_ascii=False)
            board.updated_at = utcnow()
            out = summary(board, user, self.landing_id(user))
        self._audit(user, action, board, before, _audited(out))
        return out

    def reorder(self, board_id: int, order: Any, user: Principal) -> dict[str, Any]:
        """Put a board's tiles in a new order: `order` lists every tile's number (1, 2 …, as
        the board shows them) once, in the order wanted."""

        def change(spec: dict[str, Any]) -> dict[str, Any]:
            tiles = spec.get("tiles", [])
            wanted = list(range(1, len(tiles) + 1))
            if (
                not isinstance(order, list)
                or not all(isinstance(n, int) and not isinstance(n, bool) for n in order)
                or sorted(order) != wanted
            ):
                raise BoardError(
                    f"order must list each tile number 1–{len(tiles)} once",
                    "並び順にはタイルの番号を1つずつすべて並べてください",
                )
            return {**spec, "tiles": [tiles[n - 1] for n in order]}

        return self._respec(board_id, user, "board.reorder", change)

    def move(self, board_id: int, number: int, step: int, user: Principal) -> dict[str, Any]:
        """Move tile `number` one place up (`step` -1) or down (+1); at either end it stays."""
        board = self.get(board_id, user)
        count = len(board["spec"].get("tiles", []))
        order = list(range(1, count + 1))
        if not 1 <= number <= count:
            raise BoardError(f"the board has no tile {number}", f"タイル{number}はありません")
        other = number + step
        if 1 <= other <= count:
            order[number - 1], order[other - 1] = order[other - 1], order[number - 1]
        return self.reorder(board_id, order, user)

    def add_tile(self, board_id: int, tile: Mapping[str, Any], user: Principal) -> dict[str, Any]:
        """Add a tile (a KPI's card or trend chosen on a page) at the end of a board."""

        def change(spec: dict[str, Any]) -> dict[str, Any]:
            return {**spec, "tiles": [*spec.get("tiles", []), dict(tile)]}

        return self._respec(board_id, user, "board.update", change)

    def delete(self, board_id: int, user: Principal) -> None:
        with self.db.session() as s:
            board = self._changeable(s, board_id, user)
            before = _audited(summary(board, user))
            s.execute(delete(LandingBoard).where(LandingBoard.board_id == board_id))
            s.delete(board)
        self._audit(user, "board.delete", board, before, None)

    def set_landing(self, board_id: int | None, user: Principal) -> None:
        """Make a board the caller's landing page (None: back to their department's page)."""
        with self.db.session() as s:
            if board_id is not None:
                board = s.get(Board, board_id)
                if board is None or not can_see(board, user):
                    raise BoardNotFound(board_id)
            row = s.get(LandingBoard, user.id)
            if board_id is None:
                if row is not None:
                    s.delete(row)
            elif row is None:
                s.add(LandingBoard(user_id=user.id, board_id=board_id))
            else:
                row.board_id = board_id

    def _changeable(self, s: Any, board_id: int, user: Principal) -> Board:
        board = s.get(Board, board_id)
        if board is None or not can_see(board, user):
            raise BoardNotFound(board_id)
        if not can_change(board, user):
            raise BoardForbidden("owner")
        return board


def _audited(out: Mapping[str, Any]) -> dict[str, Any]:
    keys = ("name", "shared_roles", "shared_departments", "spec")
    return {k: out[k] for k in keys}


# ---------------------------------------------------------------------- tile data
def tile_data(dash: Dashboard, tile: Tile, f: Filters, language: str) -> dict[str, Any]:
    """What one tile shows, from the page builders the dashboard pages use."""
    period = dash.period(f)
    out: dict[str, Any] = {"kind": tile.kind, "period": period.label, "filters": f.as_dict()}
    if tile.kind == "cards":
        out["kpis"] = kpi_rows(dash, list(tile.kpis), period, f, language)
    elif tile.kind == "trend":
        out["trend"] = dash.trends(tile.kpis[0], f, language, 12)
    elif tile.kind == "funnel":
        out["funnel"] = dash.funnel(f, language)
    elif tile.kind == "bars":
        kpi = dash.ws.catalog.get(tile.kpis[0])
        frame = dash.cached(
            ("board-bars", tile.kpis[0], tile.dimension, f, language),
            lambda: dash.report([tile.kpis[0]], period, f, language, dimension=tile.dimension),
        )
        rows = records(frame.sort_values("actual", ascending=False, na_position="last"))
        out["bars"] = {
            "kpi": kpi.id,
            "name": kpi.name(language),
            "unit": kpi.unit,
            "dimension": tile.dimension,
            "rows": [
                {"value": r.get("dimension_value"), "actual": r.get("actual")} for r in rows[:20]
            ],
        }
    elif tile.kind in ("tree", "gap"):
        out["tree"] = dash.tree(f, language)
    return clean(out)


def board_data(
    dash: Dashboard, board: Mapping[str, Any], overrides: Mapping[str, str], language: str
) -> dict[str, Any]:
    """The board's tiles with their data; `overrides` are the board filters from the URL (the
    board's own filter bar), over the saved ones. A tile that cannot be computed says why
    instead of breaking the board."""
    spec = board["spec"]
    saved = {k: v for k, v in spec.get("filters", {}).items() if k in FILTER_KEYS}
    asked = {k: v for k, v in overrides.items() if v}
    ws = dash.ws
    board_filters = Filters.parse(
        {**saved, **asked}, lambda text, grain: ws.period(text or None, grain)
    )
    tiles = []
    for number, raw in enumerate(spec.get("tiles", []), 1):
        tile = Tile(
            raw["kind"],
            tuple(raw.get("kpis", [])),
            raw.get("dimension", ""),
            bool(raw.get("follow", True)),
            tuple(sorted(raw.get("filters", {}).items())),
        )
        item: dict[str, Any] = {"number": number, **tile.as_dict()}
        try:
            f = tile_filters(tile, board_filters)
            item["data"] = tile_data(dash, tile, f, language)
            item["error"] = ""
        except Exception as exc:  # one tile must never break the board
            item["data"] = None
            item["error"] = str(exc)
        tiles.append(item)
    return {**board, "board_filters": board_filters.as_dict(), "tiles": tiles}
