"""The declarative base every app-DB table is defined on (appdb.py and the feature models)."""

from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass
