"""The seam to the investigation layer: build one for an incident, close it when the incident ends.

The worker takes both as injected callables so it never depends on how investigations are built;
``precedent.investigation.build_investigation`` is the real builder, tests pass a recorder.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.store import GraphStore

__all__ = [
    "InvestigationBuilder",
    "InvestigationCloser",
    "StoreInvestigationCloser",
    "investigation_id",
    "no_investigation",
]

log = logging.getLogger("precedent.webhooks")


def investigation_id(incident_id: str) -> str:
    """The id of an incident's investigation node (``graph_schema``: ``'inv:<incident id>'``)."""
    return f"inv:{incident_id}"


class InvestigationBuilder(Protocol):
    """Builds (or rebuilds) the investigation of an incident already in the map."""

    async def __call__(self, incident_id: str) -> str | None:
        """Return the investigation's id, or ``None`` when none was built."""


class InvestigationCloser(Protocol):
    """Marks the investigation of an incident that ended as closed."""

    async def __call__(self, incident_id: str) -> bool:
        """Return whether an investigation was there to close."""


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
        found = await self._store.get_nodes([investigation_id(incident_id)])
        if not found:
            return False
        node = found[0]
        if node.properties.get("status") == "closed":
            return True
        closed = {**node.properties, "status": "closed", "closed_at": self._clock().isoformat()}
        await self._store.upsert_nodes([dataclasses.replace(node, properties=closed)])
        return True
