"""Recent investigations as one viewer may see them: the listing (``GET /v1/investigations``) and
each incident's latest build (the home page).

A stored build hidden from the viewer whose incident they may see (it cites an incident made
private since) is shown in its place drawn again for them (``redraw.as_seen``), as it is by id:
skipping it put the build before it first, one that predates what the newest was built from.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, get_args

from precedent.cursors import decode_typed_cursor, encode_cursor
from precedent.errors import InvalidQuery
from precedent.investigation.persist import LABEL
from precedent.investigation.redraw import as_seen
from precedent.model import NodeListing, Visibility
from precedent.store.listing import list_every_node

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Callable

    from precedent.investigation.build import Collaborators
    from precedent.investigation.results import Investigation
    from precedent.model import Node, Viewer
    from precedent.store import GraphStore

__all__ = [
    "RECENT_MAX",
    "InvestigationPage",
    "LatestBuild",
    "latest_per_incident",
    "list_recent",
    "openable_count",
]

RECENT_MAX = 100
"""The largest page of recent investigations (``GET /v1/investigations?limit=``)."""

# An investigation id (``build.investigation_id``), which is the key a page's ``next_cursor`` holds.
_ID = re.compile(r"inv:\d{13}:.+")


@dataclass(frozen=True)
class InvestigationPage:
    """A page of investigations, newest first, and the cursor of the next page (``None`` at the end)."""

    items: tuple[Investigation, ...]
    next_cursor: str | None


# Builds read ahead of the listing, to look up at once the incidents of those hidden from the viewer.
_BATCH = 64
# Builds drawn again for one page at most: each is a whole investigation built (and perhaps a call
# to incident.io for who was on call), so a page past many hidden builds ends early instead, its
# cursor leading on to the rest.
REDRAWN_PER_PAGE = 8


async def _incidents_unseen(collaborators: Collaborators, viewer: Viewer, batch: list[Node]) -> set[str]:
    """The incidents of the builds hidden from ``viewer`` that they may not see either (one read)."""
    wanted = {
        str(n.properties["incident_id"])
        for n in batch
        if not viewer.can_see(n) and "incident_id" in n.properties
    }
    found = await collaborators.store.get_nodes(sorted(wanted)) if wanted else []
    return wanted - {n.id for n in found if viewer.can_see(n)}


async def _batches(store: GraphStore, keep: Callable[[Node], bool]) -> AsyncGenerator[list[Node], None]:
    """The stored builds ``keep`` takes, newest first, ``_BATCH`` at a time."""
    batch: list[Node] = []
    # Ids sort newest first (``build.investigation_id``), so the scan's id order is the listing's.
    async with contextlib.aclosing(store.scan_nodes([LABEL])) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            if keep(node):
                batch.append(node)
                if len(batch) == _BATCH:
                    yield batch
                    batch = []
    if batch:
        yield batch


async def _as_seen_newest_first(
    collaborators: Collaborators, viewer: Viewer, keep: Callable[[Node], bool]
) -> AsyncGenerator[Investigation | None, None]:
    """The stored builds ``keep`` takes, newest first, as ``viewer`` may see them (``as_seen``).

    A build of an incident hidden from the viewer costs nothing more than a share of one read per
    batch; one drawn again is drawn only when it is reached, so a listing that stops early draws
    no more than it shows. After ``REDRAWN_PER_PAGE`` builds drawn again, the next one to draw
    yields ``None`` and ends the listing: the page ends there.
    """
    redrawn = 0
    async with contextlib.aclosing(_batches(collaborators.store, keep)) as batches:
        async for batch in batches:
            unseen = await _incidents_unseen(collaborators, viewer, batch)
            for node in batch:
                hidden = not viewer.can_see(node)
                if hidden and str(node.properties.get("incident_id")) in unseen:
                    continue
                if hidden and redrawn == REDRAWN_PER_PAGE:
                    yield None
                    return
                shown = await as_seen(collaborators, node, viewer)
                if shown is not None:
                    redrawn += 1 if hidden else 0
                    yield shown


async def openable_count(collaborators: Collaborators, viewer: Viewer, *, seen: int) -> int:
    """How many stored builds ``viewer`` may open: those they may see, and those drawn again.

    The listing's count: a build hidden from them whose incident they may see is listed, drawn
    again, so the home page's count of only the builds they may see as stored was fewer than the
    list below it showed. Reads the hidden builds only (the store lists them by visibility), and
    only when there are any.

    Args:
        collaborators: The map.
        viewer: Who is asking.
        seen: How many builds they may see as stored (``GraphStore.stats`` with their visibilities).
    """
    store = collaborators.store
    if (await store.stats()).nodes_by_label.get(LABEL, 0) == seen:
        return seen
    # Scanning every stored build for the few hidden ones read them all whole, on every home page.
    hidden = tuple(v for v in get_args(Visibility) if v not in viewer.visibilities)
    builds = await list_every_node(store, NodeListing(LABEL, visibilities=hidden))  # all dated (built_at)
    redrawn = 0
    for at in range(0, len(builds), _BATCH):
        batch = builds[at : at + _BATCH]
        unseen = await _incidents_unseen(collaborators, viewer, batch)
        redrawn += sum(1 for node in batch if str(node.properties.get("incident_id")) not in unseen)
    return seen + redrawn


async def list_recent(
    collaborators: Collaborators, viewer: Viewer, *, cursor: str | None = None, limit: int = 20
) -> InvestigationPage:
    """Return investigations as the viewer may see them, newest first, ``limit`` at a time.

    Args:
        collaborators: The map and what draws a hidden build again.
        viewer: Who is asking.
        cursor: The ``next_cursor`` of the previous page, or ``None`` for the first.
        limit: Page size (1 to 100).

    Raises:
        InvalidQuery: if ``cursor`` is not a ``next_cursor`` this listing gave out to this viewer,
            or ``limit`` is not from 1 to ``RECENT_MAX``.
    """
    # What is drawn again, so what each page lists, is the viewer's.
    query = ("investigations", viewer.visibilities, viewer.cites_private)
    key = decode_typed_cursor(cursor, str, query=query)
    after = None if key is None else str(key[0])
    if after is not None and not _ID.fullmatch(after):
        # Any other string would compare with the ids and answer an empty or arbitrary page.
        raise InvalidQuery.unknown_cursor()
    if not 1 <= limit <= RECENT_MAX:
        raise InvalidQuery.limit_out_of_range(limit, RECENT_MAX)
    items: list[Investigation] = []
    more = False

    def newer_than_cursor(node: Node) -> bool:
        return after is None or node.id > after

    listing = _as_seen_newest_first(collaborators, viewer, newer_than_cursor)
    async with contextlib.aclosing(listing) as shown:
        async for investigation in shown:
            # ``None``: as many builds drawn again as one page takes; the next page goes on.
            if len(items) == limit or investigation is None:
                more = True
                break
            items.append(investigation)
    return InvestigationPage(tuple(items), encode_cursor((items[-1].id,), query=query) if more else None)


@dataclass(frozen=True)
class LatestBuild:
    """The latest investigation of an incident, and how many earlier builds of it the viewer may open."""

    investigation: Investigation
    earlier: int


async def latest_per_incident(
    collaborators: Collaborators, viewer: Viewer, *, limit: int = 8
) -> tuple[LatestBuild, ...]:
    """The latest investigation of each of the ``limit`` incidents investigated last, newest first.

    Every rebuild of one incident listed beside its latest read as so many incidents, the
    superseded ones first in line; a described incident's (no incident id) stands alone. An
    incident's newest build hidden from the viewer is drawn again for them, never passed over
    for an older one.
    """
    latest: list[Investigation] = []
    seen: set[str] = set()

    def newest_of_its_incident(node: Node) -> bool:
        # Its newest build is shown, drawn again, or, its incident hidden, none of its builds is.
        incident_id = node.properties.get("incident_id")
        if incident_id is None:
            return True
        if str(incident_id) in seen:
            return False
        seen.add(str(incident_id))
        return True

    async with contextlib.aclosing(
        _as_seen_newest_first(collaborators, viewer, newest_of_its_incident)
    ) as shown:
        async for investigation in shown:
            if investigation is None:  # as many drawn again as a page takes
                break
            latest.append(investigation)
            if len(latest) == limit:
                break
    shown_incidents = sorted({i.incident.id for i in latest if i.incident.id})
    # The viewer may see these incidents, so every build of one opens for them (drawn again if hidden).
    builds = await collaborators.store.linked_times(
        shown_incidents, label=LABEL, edge_type="INVESTIGATES", visibilities=("public", "private")
    )
    return tuple(
        LatestBuild(i, max(0, len(builds.get(i.incident.id, ())) - 1) if i.incident.id else 0) for i in latest
    )
