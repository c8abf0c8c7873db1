"""The web dashboard: FastAPI + Jinja2 + HTMX + Plotly (see docs/web.md)."""
