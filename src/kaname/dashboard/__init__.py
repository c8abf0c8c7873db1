"""Dashboard services: one call per page, returning plain data that the web app renders as HTML
and as JSON (the page's `/api/` twin). No web code here."""

from kaname.dashboard.filters import FilterError, Filters
from kaname.dashboard.service import Dashboard

__all__ = ["Dashboard", "FilterError", "Filters"]
