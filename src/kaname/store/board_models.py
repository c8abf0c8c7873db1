"""App-DB tables of boards: a user's own composition of KPI cards and charts, who it is shared
with, and the board a user lands on."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kaname.clock import utcnow
from kaname.store import web_models as _web_models  # noqa: F401  (users, for the key)
from kaname.store.base import Base


class Board(Base):
    """A board: its name, owner, board-wide filters and tiles (JSON, validated by
    `kaname.dashboard.boards`), and the roles and departments it is shared with."""

    __tablename__ = "boards"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    owner: Mapped[str] = mapped_column(String(100), index=True)
    """The user name of who made it; only they (and admins) change it."""
    spec: Mapped[str] = mapped_column(Text)
    """{"filters": {...}, "tiles": [...]} as JSON."""
    shared_roles: Mapped[str] = mapped_column(String(100), default="")
    """Comma-separated roles (viewer, editor, admin) whose users see the board."""
    shared_departments: Mapped[str] = mapped_column(String(300), default="")
    """Comma-separated departments whose users see the board."""
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class LandingBoard(Base):
    """The board a user opens after signing in and at "/" (none: their department's page)."""

    __tablename__ = "landing_boards"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    board_id: Mapped[int] = mapped_column(ForeignKey("boards.id", ondelete="CASCADE"), index=True)
