"""Routers: one module per area; each page route has its JSON twin under /api/."""
