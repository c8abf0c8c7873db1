"""The declarative base every app-DB table is defined on (appdb.py and the feature models)."""

from contextlib import AbstractContextManager
from typing import Protocol

from sqlalchemy.orm import DeclarativeBase, Session


class Base(DeclarativeBase):
    pass


class Sessions(Protocol):
    """What the small store modules need of the app DB (`AppDB`): a session in a transaction."""

    def session(self) -> AbstractContextManager[Session]: ...
