"""The seam to the investigation layer: build one for an incident, close it when the incident ends.

The worker takes both as injected callables so it never depends on how investigations are built;
``precedent.investigation.build_investigation`` is the real builder, tests pass a recorder.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

from precedent.investigation import build_investigation, channel_view, save
from precedent.model import OWNER_VIEWER
from precedent.retrieval import IncidentQuery

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.investigation import Collaborators, Investigation
    from precedent.model import Node, Visibility
    from precedent.store import GraphStore

__all__ = [
    "InvestigationBuilder",
    "InvestigationCloser",
    "InvestigationPublisher",
    "MapInvestigationBuilder",
    "StoreInvestigationCloser",
    "newest_investigation",
    "no_investigation",
]

log = logging.getLogger("precedent.webhooks")


class InvestigationBuilder(Protocol):
    """Builds (or rebuilds) the investigation of an incident already in the map."""

    async def __call__(self, incident_id: str) -> str | None:
        """Return the investigation's id, or ``None`` when none was built."""


class InvestigationPublisher(Protocol):
    """Tells people about a stored investigation (``precedent.notify.SlackNotifier``).

    Called after the investigation is stored, before its delivery is done: ``will_publish``
    records durably that it is to be published (so a process that stops before publishing has
    ended leaves it to the next), then ``investigation_built`` must return at once and never
    raise, so that publishing cannot delay or fail the investigation or the delivery.
    """

    async def will_publish(self, investigation: Investigation) -> None:
        """Record that ``investigation`` is to be published; raises ``StoreError`` if it cannot."""

    def investigation_built(self, investigation: Investigation) -> None:
        """Publish ``investigation`` (in the background)."""


class InvestigationCloser(Protocol):
    """Marks the investigation of an incident that ended as closed."""

    async def __call__(self, incident_id: str) -> bool:
        """Return whether an investigation was there to close."""


async def newest_investigation(store: GraphStore, incident_id: str) -> Node | None:
    """The newest investigation of ``incident_id`` in the map, whoever built it, or ``None``."""
    linked = await store.linked_recent(
        [incident_id],
        label="Investigation",
        edge_type="INVESTIGATES",
        per_anchor=1,
        visibilities=("public", "private"),
    )
    return linked[incident_id][0] if linked[incident_id] else None


async def no_investigation(incident_id: str) -> str | None:
    """A builder for deployments without the investigation layer: builds nothing."""
    log.info("no investigation builder is installed; incident %s is mapped only", incident_id)
    return None


class StoreInvestigationCloser:
    """Closes an investigation by setting ``status = "closed"`` on its node in the map.

    Args:
        store: The map.
        clock: The current time, recorded as ``closed_at``.
    """

    def __init__(self, store: GraphStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock

    async def __call__(self, incident_id: str) -> bool:
        """See ``InvestigationCloser``."""
        node = await newest_investigation(self._store, incident_id)
        if node is None:
            return False
        if node.properties.get("status") == "closed":
            return True
        closed = {**node.properties, "status": "closed", "closed_at": self._clock().isoformat()}
        await self._store.upsert_nodes([dataclasses.replace(node, properties=closed)])
        return True


class MapInvestigationBuilder:
    """Builds an incident's investigation from the map and stores it (the worker's real builder).

    It answers as the map's owner: the investigation of a public incident still cites only public
    ones (the viewer rule), and a private incident's is readable only by viewers who may see it.
    What is published to the incident's channel is as its members may see it (``CHANNEL_VIEWER``).

    Args:
        collaborators: The store, finder and catalog of the runtime.
        publisher: Told about each investigation once it is stored (Slack), or ``None``.
    """

    def __init__(self, collaborators: Collaborators, publisher: InvestigationPublisher | None = None) -> None:
        self._collaborators = collaborators
        self._publisher = publisher

    async def __call__(self, incident_id: str) -> str | None:
        """See ``InvestigationBuilder``."""
        investigation = await build_investigation(
            IncidentQuery(incident_id), self._collaborators, OWNER_VIEWER
        )
        stored = await save(self._collaborators.store, investigation, trigger="webhook")
        log.info(
            "investigation built incident=%s investigation=%s build_ms=%.0f",
            incident_id,
            investigation.id,
            investigation.build_ms,
        )
        if self._publisher is not None:
            shown = await self._for_channel(investigation, stored)
            await self._publisher.will_publish(shown)
            self._publisher.investigation_built(shown)
        return investigation.id

    async def _for_channel(self, investigation: Investigation, stored: Visibility) -> Investigation:
        """``investigation`` as its incident's channel may be shown it.

        A public incident's cites only public incidents, unless one was made private while it
        was built (``save`` stored it private then). A private incident's channel is for the
        people invited to that incident, who may not see the other private incidents it cites.
        Either is built again as its channel may see it, at the same moment (``channel_view``).
        """
        incident_id = investigation.incident.id
        if stored == "public" or incident_id is None:
            return investigation
        return await channel_view(self._collaborators, incident_id, investigation.built_at)
