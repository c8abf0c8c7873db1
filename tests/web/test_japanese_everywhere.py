"""Japanese mode shows no English and no internal ids: every page and HTML partial the menu
reaches, walked as the admin of the demo workspace, with its visible text checked word by word."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

from fastapi.testclient import TestClient
from ja_text import leaks, visible_text

# Pages that are not the app's own text: the API docs (Swagger UI) and file downloads.
_NOT_PAGES = ("/api", "/static", "/logout", "/reports/", "/export", "/download")
_LINK = re.compile(r'(?:href|hx-get)="([^"#]+)"')


def _shape(path: str) -> str:
    """/kpi/leads and /kpi/mqls have one shape; /alerts and /alerts/3 have two."""
    parts = path.strip("/").split("/")
    return "/".join(parts[:1] + ["*" for _ in parts[1:]])


def crawl(client: TestClient, start: str = "/", limit: int = 400) -> dict[str, str]:
    """url → HTML of every page and partial reachable by links and hx-get from `start`."""
    seen: dict[str, str] = {}
    shapes: set[str] = set()
    todo = [start]
    while todo and len(seen) < limit:
        url = todo.pop(0)
        if url in seen:
            continue
        r = client.get(url)
        if r.status_code != 200 or "text/html" not in r.headers.get("content-type", ""):
            seen[url] = ""
            continue
        seen[url] = r.text
        for href in _LINK.findall(r.text):
            href = href.replace("&amp;", "&")
            if "{{" in href:
                continue
            target = urljoin(url, href)
            parts = urlsplit(target)
            if parts.netloc and parts.netloc != "testserver":
                continue
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path.startswith(_NOT_PAGES) or path in seen or path in todo:
                continue
            shape = _shape(parts.path)
            if shape in shapes:
                continue  # one page of each shape: /kpi/leads stands for /kpi/<id>
            shapes.add(shape)
            todo.append(path)
    return seen


def test_japanese_pages_show_no_english(clients: dict[str, TestClient]) -> None:
    client = clients["admin"]
    pages = crawl(client)
    assert len(pages) > 20, sorted(pages)
    found: dict[str, set[str]] = {}
    for url, html in pages.items():
        words = leaks(visible_text(html), {"English"})
        if words:
            found[url] = words
    report = "\n".join(f"{u}: {sorted(w)}" for u, w in sorted(found.items()))
    print("PAGES", sorted(pages))
    assert not found, f"English or internal ids on Japanese pages:\n{report}"
