"""The service page: owners, on-call, dependencies both ways, incidents over time, recent changes."""

from __future__ import annotations

from datetime import UTC, datetime

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from precedent.browse import service_hotspots
from precedent.investigation import SERVICE_CHANGES_WINDOW, LiveOnCallSource, service_snapshot
from precedent.model import Viewer
from precedent.retrieval import Catalog
from precedent.store import GraphStore
from precedent.web.chart import BAR, GAP, weekly_bars
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["SERVICE_PAGES"]

CHART_WEEKS = 26


# ``path``, not ``str``: the server decodes a link's %2F before routing, so a name holding "/"
# ("payments/api") arrives as two segments; a ``path`` parameter takes them all (with a leading "/").
@get("/services/{service:path}", name="web:service")
async def service_page(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
    live_on_call: NamedDependency[LiveOnCallSource | None],
) -> Template:
    """A service by id, name, external id or alias."""
    service = service.removeprefix("/")
    now = datetime.now(UTC)
    snapshot = await service_snapshot(
        store, catalog, service, viewer=viewer, at=now, window=SERVICE_CHANGES_WINDOW, live=live_on_call
    )
    weekly = await service_hotspots(store, viewer, snapshot.context.id, weeks=CHART_WEEKS, now=now)
    return page(
        "service.html",
        session,
        title=f"Service {snapshot.context.name}",
        svc=snapshot.context,
        changes=snapshot.changes,
        window_days=SERVICE_CHANGES_WINDOW.days,
        changes_before_now=True,
        bars=weekly_bars(weekly.weeks),
        bar_width=BAR,
        chart_width=CHART_WEEKS * (BAR + GAP),
        chart_total=weekly.total,
        chart_weeks=CHART_WEEKS,
    )


SERVICE_PAGES = [service_page]
