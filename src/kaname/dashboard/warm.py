"""Warm pages: build the heavy pages' data right after the data changed, so the first person to
open a page after a refresh finds it in the cache (issue 16 §8).

The server starts a `Warmer` (web/app.py, `kaname serve`); every `Dashboard.invalidate()` (a
refresh, sync, import, merge, plan save, action, setting, or a change another process made)
wakes it. After a short quiet spell it builds, one page at a time under the warehouse lock, the
data of the pages people open first with their default filters: executive, the department
pages, funnel, channels, tactics, tree, trends, attribution, cohorts, customers, plans and
quality, in the workspace's language first. A change during the round starts it again. Values
that depend on the warehouse data alone (attribution, cohorts, customers, forecasts) survive
app-DB writes (DashboardCore.cached), so the round after an action only redoes the KPI pages.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from kaname.dashboard.filters import Filters
from kaname.store.web_models import DEPARTMENTS, User

if TYPE_CHECKING:
    from kaname.dashboard.service import Dashboard

log = logging.getLogger("kaname.warm")

WARM_DELAY = 0.5
"""Seconds of quiet after a change before the round starts (writes come in bursts)."""
LANGUAGES = ("ja", "en")


def languages(dash: Dashboard) -> list[str]:
    """The workspace's language, then the languages users chose, then the other one."""
    first = [dash.ws.config.language]
    try:
        with dash.ws.appdb.session() as session:
            chosen = session.execute(select(User.language).where(User.active)).scalars().all()
    except Exception:  # an app DB without users yet (or older): the defaults
        chosen = []
    ordered = [*first, *sorted(c for c in chosen if c in LANGUAGES), *LANGUAGES]
    return list(dict.fromkeys(ordered))


def plan_kpis(dash: Dashboard) -> list[str]:
    """The KPIs of the active plan's company and department cards."""
    found = dash.plan()
    if found is None:
        return []
    kgi, org = dash.organisation_kpis()
    ids = [kgi, *org, *(k for ks in dash.department_kpis().values() for k in ks)]
    return [k for k in dict.fromkeys(ids) if k in dash.ws.catalog]


Extra = Callable[[str], list[tuple[str, Callable[[], Any]]]]
"""A language → more (name, build) steps for it: what the web layer caches beside the data
(the gauges), given by web/app.py."""


def pages(dash: Dashboard, extra: Extra | None = None) -> list[tuple[str, Callable[[], Any]]]:
    """(name, build) for each page the warmer builds, the most opened first."""
    from kaname.dashboard import analysis, connect
    from kaname.dashboard import plans as plan_service

    f = Filters()
    out: list[tuple[str, Callable[[], Any]]] = []

    def add(name: str, build: Callable[..., Any], *args: Any) -> None:
        out.append((name, partial(build, *args)))

    def plans(language: str) -> None:
        found = dash.plan()
        plan_service.cached_wizard_form(dash, language)
        if found is not None:
            plan_service.active_check(dash, found[0], found[1].id, language)

    spoken = languages(dash)
    first = spoken[0]
    add("header and filters", _header, dash)
    for i, lang in enumerate(spoken):
        add(f"executive:{lang}", dash.executive, f, lang)
        out.extend(extra(lang) if extra else [])
        for name in DEPARTMENTS:
            if name != "executive":
                add(f"department/{name}:{lang}", dash.department, name, f, lang)
        add(f"funnel:{lang}", dash.funnel, f, lang)
        add(f"channels:{lang}", dash.channels, f, lang, None)
        if i == 0:  # the analysis pages' data is the same in every language
            add("attribution", analysis.attribution, dash)
            add("customers", analysis.customers, dash)
            add("cohorts", analysis.cohorts, dash)
            add("quality", connect.quality, dash)
        add(f"plans:{lang}", plans, lang)
        add(f"tree:{lang}", dash.tree, f, lang)
        add(f"tactics:{lang}", dash.tactics, f, lang)
        add(f"trends:{lang}", dash.trends, "revenue", f, lang, 12)
    for kpi in plan_kpis(dash):  # the KPI pages the cards link to, last and in one language
        add(f"kpi/{kpi}:{first}", dash.kpi, kpi, f, first)
        add(f"kpi/{kpi}/trend:{first}", dash.trends, kpi, f, first, 12)
    return out


def _header(dash: Dashboard) -> None:
    """What every page's frame asks: is the warehouse empty, the filters' values."""
    dash.warehouse_empty()
    dash.options()
    dash.user_options()


def warm(
    dash: Dashboard, stop: Callable[[], bool] = lambda: False, extra: Extra | None = None
) -> dict[str, Any]:
    """Build every page of `pages()` now (cached ones cost nothing); stop early when `stop()`
    says so. A page that fails is logged and skipped: warming never breaks the server."""
    start = time.perf_counter()
    todo = pages(dash, extra)
    built: dict[str, float] = {}
    failed = []
    for name, build in todo:
        if stop():
            break
        began = time.perf_counter()
        try:
            build()
            built[name] = round(time.perf_counter() - began, 2)
        except Exception:  # e.g. an empty warehouse: the page shows its own message later
            log.warning("warming %s failed", name, exc_info=True)
            failed.append(name)
        time.sleep(0.005)  # let a waiting request take the warehouse lock between pages
    return {
        "pages": built,
        "failed": failed,
        "seconds": round(time.perf_counter() - start, 2),
        "complete": len(built) + len(failed) == len(todo),
    }


class Warmer:
    """A background thread that runs `warm()` after every change of the dashboard's data."""

    def __init__(
        self,
        dash: Dashboard,
        delay: float = WARM_DELAY,
        prepare: Callable[[], None] | None = None,
        extra: Extra | None = None,
    ) -> None:
        """`prepare` runs once in the thread before the first round: what the first request of
        a fresh process would pay for (templates, chart library; web/app.py)."""
        self.dash = dash
        self.delay = delay
        self.prepare = prepare
        self.extra = extra
        self.warming = False
        self.rounds = 0
        self.last: dict[str, Any] | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kaname-warm", daemon=True)
        dash.on_change.append(self.request)

    def start(self) -> None:
        """Start the thread and warm once (the server has just started)."""
        self.request()
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def request(self) -> None:
        """The data changed: warm again (the running round stops and starts over)."""
        self._wake.set()

    def status(self) -> dict[str, Any]:
        return {
            "warming": self.warming or self._wake.is_set(),
            "rounds": self.rounds,
            "last": self.last,
        }

    def _run(self) -> None:
        if self.prepare is not None:
            try:
                self.prepare()
            except Exception:
                log.warning("preparing the pages failed", exc_info=True)
        while not self._stop.is_set():
            self._wake.wait()
            if self._stop.is_set():
                return
            self.warming = True
            self._wake.clear()
            if self._stop.wait(self.delay) or self._wake.is_set():
                continue  # stopped, or more changes came: wait for them to settle
            try:
                result = warm(
                    self.dash,
                    stop=lambda: self._wake.is_set() or self._stop.is_set(),
                    extra=self.extra,
                )
            except Exception:  # never let the thread die
                log.exception("warming the pages failed")
                result = {"pages": {}, "failed": [], "seconds": 0.0, "complete": False}
            finally:
                self.warming = False
            self.rounds += 1
            version = self.dash.data_version()
            self.last = {
                **result,
                "version": {
                    "warehouse": version.warehouse,
                    "app": version.app,
                    "day": version.day.isoformat(),
                },
            }
            log.info("warmed %d pages in %.1f s", len(result["pages"]), result["seconds"])
