"""The service page: owners, on-call, dependencies both ways, incidents over time, recent changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Template

from precedent.investigation import service_snapshot
from precedent.model import Viewer
from precedent.retrieval import Catalog
from precedent.store import GraphStore
from precedent.web.chart import monthly_bars
from precedent.web.reads import incident_times
from precedent.web.rendering import page
from precedent.web.session import PageSession

__all__ = ["SERVICE_PAGES"]

CHANGES_WINDOW = timedelta(days=7)
CHART_MONTHS = 12


@get("/services/{service:str}", name="web:service")
async def service_page(
    service: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    session: NamedDependency[PageSession],
) -> Template:
    """A service by id, name, external id or alias."""
    now = datetime.now(UTC)
    snapshot = await service_snapshot(store, catalog, service, viewer=viewer, at=now, window=CHANGES_WINDOW)
    times = await incident_times(store, snapshot.context.id, viewer, since=now - timedelta(days=366))
    return page(
        "service.html",
        session,
        title=f"Service {snapshot.context.name}",
        svc=snapshot.context,
        changes=snapshot.changes,
        window_days=CHANGES_WINDOW.days,
        bars=monthly_bars(times, now, CHART_MONTHS),
        year_total=sum(1 for t in times if t >= now - timedelta(days=365)),
    )


SERVICE_PAGES = [service_page]
