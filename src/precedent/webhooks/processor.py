"""What each delivery does to the map: one handler per event type, each returning an outcome line.

- ``public_incident.incident_created_v2``: write the incident, build its investigation (again
  only when something it reads changed, or on a retry: the failed attempt may have written it).
- ``public_incident.incident_updated_v2``: write it; build again when something material changed.
- ``public_incident.incident_status_updated_v2``: write it and record the transition; when it is
  over, close its investigation (the incident stays in the map, so later incidents find it).
- ``private_incident.incident_created_v2`` / ``…updated_v2``: only an id arrives; with an API key
  that can see private incidents, fetch and treat it like the public event, else say why not
  (and make private what the map still held of it as public).

With an API key the incident is re-fetched from incident.io first (the payload may be stale or out
of order); if that fails for a public incident, the payload is used and the outcome says so.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.mapping.records import as_mapping, opt_str
from precedent.sources.incidentio.webhooks import parse_event

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from precedent.ingest.mapping import Raw
    from precedent.store import Delivery
    from precedent.webhooks.fetch import IncidentFetcher
    from precedent.webhooks.incidents import IncidentChange, IncidentWriter
    from precedent.webhooks.investigations import InvestigationBuilder, InvestigationCloser

__all__ = [
    "CREATED",
    "HANDLED_EVENTS",
    "PRIVATE_EVENTS",
    "STATUS_UPDATED",
    "UPDATED",
    "DeliveryProcessor",
    "incident_id_of",
]

log = logging.getLogger("precedent.webhooks")

CREATED = "public_incident.incident_created_v2"
UPDATED = "public_incident.incident_updated_v2"
STATUS_UPDATED = "public_incident.incident_status_updated_v2"
PRIVATE_EVENTS = frozenset({"private_incident.incident_created_v2", "private_incident.incident_updated_v2"})
HANDLED_EVENTS = frozenset({CREATED, UPDATED, STATUS_UPDATED, *PRIVATE_EVENTS})
"""Event types the worker acts on; others are recorded and ignored."""


async def _no_pause() -> None:
    return None


def incident_id_of(event_type: str, resource: Raw) -> str | None:
    """The incident a handled event is about, if its payload names one."""
    if event_type == STATUS_UPDATED:
        return opt_str(as_mapping(resource.get("incident")) or {}, "id")
    return opt_str(resource, "id") if event_type in HANDLED_EVENTS else None


class DeliveryProcessor:
    """Turns one delivery into changes to the map and investigations.

    Args:
        writer: Writes incidents into the map.
        build: Builds an incident's investigation.
        close: Closes an incident's investigation.
        fetcher: Re-reads incidents from incident.io; ``None`` without an API key.
        pause: Awaited between steps (writing the incident, building, closing), so that a
            receiver on the same loop answers first (``AckPriority.turn``).
    """

    def __init__(
        self,
        writer: IncidentWriter,
        build: InvestigationBuilder,
        close: InvestigationCloser,
        fetcher: IncidentFetcher | None = None,
        *,
        pause: Callable[[], Awaitable[None]] = _no_pause,
    ) -> None:
        self._writer = writer
        self._build = build
        self._close = close
        self._fetcher = fetcher
        self._pause = pause

    async def process(self, delivery: Delivery) -> str:
        """Do what the delivery asks; return a line saying what was done (or why nothing was).

        Raises:
            PrecedentError: on a failure worth retrying (the store, incident.io, the builder).
        """
        event = parse_event(delivery.body.encode("utf-8"))
        resource = event.resource
        # An earlier attempt may have written the incident and failed (or died) before its build:
        # this one then finds nothing changed, yet the investigation is of the state before. A
        # retry by hand counts its attempts from 0 again, but keeps the last error and outcome.
        retried = delivery.attempts > 1 or delivery.error is not None or delivery.outcome is not None
        if event.event_type in PRIVATE_EVENTS:
            return await self._private(event.event_type, str(resource.get("id")), retried)
        if event.event_type == STATUS_UPDATED:
            incident = as_mapping(resource.get("incident")) or {}
            old = opt_str(as_mapping(resource.get("previous_status")) or {}, "name")
            new = opt_str(as_mapping(resource.get("new_status")) or {}, "name")
            outcome = await self._incident(event.event_type, incident, retried)
            return f"status {old} -> {new}; {outcome}"
        if event.event_type in HANDLED_EVENTS:
            return await self._incident(event.event_type, resource, retried)
        return f"{event.event_type} is not acted on"

    async def _incident(self, event_type: str, payload: Raw, retried: bool) -> str:
        incident_id = str(payload.get("id"))
        raw, updates, note = payload, None, ""
        if self._fetcher is not None:
            try:
                raw, updates = await self._fetcher.incident(incident_id)
                note = "re-fetched from incident.io; "
            except SourceError as exc:
                note = f"incident.io re-fetch failed ({exc}), used the payload; "
            await self._pause()
        started = time.perf_counter()
        change = await self._writer.write(raw, updates)
        written = time.perf_counter()
        outcome = await self._follow_up(event_type, change, retried)
        # Where the time between acknowledgement and a ready investigation goes (write: mapping,
        # embedding and the store's writes; then the build and save, or the close).
        log.info(
            "incident %s processed: write_ms=%.0f follow_up_ms=%.0f",
            incident_id,
            1000 * (written - started),
            1000 * (time.perf_counter() - written),
        )
        return note + outcome

    async def _follow_up(self, event_type: str, change: IncidentChange, retried: bool) -> str:
        incident_id = change.incident_id
        if change.kind == "excluded":
            return f"incident {incident_id} is a test or tutorial incident; not mapped"
        if change.kind == "stale":
            return f"incident {incident_id}: the map already has a newer state; nothing changed"
        parts = [f"incident {incident_id} {change.kind} (status {change.status})"]
        # A declared incident gets its investigation even if a sync mapped it first; declared or
        # updated again with nothing the investigation reads changed, the one it has stands,
        # unless an earlier attempt of this delivery may have written a change and not built it.
        rebuild = change.material or (retried and not change.closed)
        if rebuild or (event_type == CREATED and not change.investigated):
            await self._pause()
            built = await self._build(incident_id)
            parts.append(f"investigation {built} built" if built else "no investigation built")
        elif change.investigated and not change.closed:
            log.info("incident %s: nothing its investigation reads changed; not rebuilt", incident_id)
            parts.append("nothing the investigation reads changed; not rebuilt")
        if change.closed:
            await self._pause()
            closed = await self._close(incident_id)
            parts.append("investigation closed" if closed else "no investigation to close")
        return "; ".join(parts)

    async def _private(self, event_type: str, incident_id: str, retried: bool) -> str:
        if self._fetcher is None:
            return (
                f"private incident {incident_id}: only its id was sent; set PRECEDENT_INCIDENTIO_API_KEY "
                "to a key that can view private incidents to map it" + await self._hidden(incident_id)
            )
        try:
            raw, updates = await self._fetcher.incident(incident_id)
        except SourceError as exc:
            # A key that may not see private incidents is refused one (403), or told there is
            # none (404). Anything else, a refused key (401, revoked or rotated) or an outage,
            # is tried again (and parked dead, to retry by hand, if it stays so).
            if exc.status not in (403, 404):
                raise
            return (
                f"private incident {incident_id}: the API key cannot view it ({exc}); nothing more done"
                + await self._hidden(incident_id)
            )
        await self._pause()
        change = await self._writer.write(raw, updates)
        created = CREATED if event_type.endswith("incident_created_v2") else UPDATED
        return "re-fetched from incident.io; " + await self._follow_up(created, change, retried)

    async def _hidden(self, incident_id: str) -> str:
        # The event alone says the incident is private now (incident.io made it so).
        if await self._writer.hide(incident_id):
            return "; the map held it as public: it, its parts and what cites it are private now"
        return ""
