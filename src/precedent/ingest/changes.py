"""Changes to production recorded through Precedent (a CI step, ``POST /v1/changes``, the CLI).

A change becomes a ``ChangeEvent`` node linked ``CHANGED -> Service``, the same shape as the
deployments mapped from incident.io's catalog, so investigations use both alike. A change to a
service the map does not know yet is kept with the service's name and listed under one meta key;
``link_pending_changes`` (called at the end of every import and sync) links it once the service
appears.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, get_args

from precedent.errors import InvalidQuery
from precedent.model import Edge, Node, Property, clean_properties
from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from collections.abc import Callable

    from precedent.store.base import GraphStore

__all__ = [
    "CHANGE_KINDS",
    "PENDING_KEY",
    "SERVICE_KEYS",
    "SUMMARY_MAX_CHARS",
    "FUTURE_TOLERANCE",
    "ChangeKind",
    "ChangeRecord",
    "ChangeRecorder",
    "RecordedChange",
    "change_id",
    "change_node",
    "change_text",
    "link_pending_changes",
    "pending_changes",
    "resolve_service",
]

ChangeKind = Literal["deploy", "config", "feature_flag", "infrastructure", "other"]
CHANGE_KINDS: tuple[ChangeKind, ...] = get_args(ChangeKind)

SERVICE_KEYS = ("name", "external_id", "aliases")
"""The properties besides its id that name a service."""

SUMMARY_MAX_CHARS = 65_536
"""The longest summary kept: a whole commit message fits (the documented CI step sends one); more is
no summary but a pasted log, refused so a client cuts it rather than the map storing it unread."""

FUTURE_TOLERANCE = timedelta(days=1)
"""How far past the recorder's clock a change may start: a CI runner's clock may run ahead of it.
Further is a mistyped year or time zone, and such a change would head its service's list for years."""

PENDING_KEY = "changes:pending"
"""Meta key holding ``[{"id": change id, "service": name}]`` for changes whose service is unknown."""


@dataclass(frozen=True)
class ChangeRecord:
    """A change as a client describes it.

    Attributes:
        service: The changed service, by id, name, external id or alias.
        kind: What sort of change.
        started_at: When it started going out (timezone-aware).
        id: The client's id for it; recording the same id again replaces it (idempotent).

    Raises:
        InvalidQuery: naming the field at fault: a blank service, an unknown kind, a summary too
            long, a time without a zone, a finish before the start.
    """

    service: str
    kind: ChangeKind
    started_at: datetime
    finished_at: datetime | None = None
    version: str | None = None
    summary: str | None = None
    author: str | None = None
    url: str | None = None
    commit_sha: str | None = None
    repository: str | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)
    id: str | None = None

    def __post_init__(self) -> None:
        if not self.service.strip():
            # Named, so the API lists it in `errors`: a CI variable left unset sends "" or spaces.
            raise InvalidQuery(
                f"service is blank ({self.service!r}): send the changed service's name or id as the map "
                'knows it, e.g. "service": "payments-api" (GET /v1/services lists them)',
                field="service",
            )
        # Each refusal names its field, which the API lists in `errors` (as it lists a field of
        # the wrong type): a summary too long or a finish before the start came with `detail` alone.
        if self.kind not in CHANGE_KINDS:
            raise InvalidQuery(
                f"kind must be one of {', '.join(CHANGE_KINDS)}, not {self.kind!r}", field="kind"
            )
        if self.summary is not None and len(self.summary) > SUMMARY_MAX_CHARS:
            raise InvalidQuery(
                f"summary is {len(self.summary):,} characters, more than the {SUMMARY_MAX_CHARS:,} kept: "
                "send the commit message's first lines, and link the rest with url",
                field="summary",
            )
        for name in ("started_at", "finished_at"):
            value = getattr(self, name)
            if value is not None and value.tzinfo is None:
                raise InvalidQuery(f"{name} must include a timezone (e.g. 2024-05-01T12:00:00Z)", field=name)
        # A change that "finished" before it started is a swapped or mistyped time; kept, it would
        # show in an investigation with an end before its start and no way to tell which is wrong.
        if self.finished_at is not None and self.finished_at < self.started_at:
            raise InvalidQuery(
                f"finished_at ({self.finished_at.isoformat()}) is before started_at "
                f"({self.started_at.isoformat()}): swap them, or leave finished_at out",
                field="finished_at",
            )


@dataclass(frozen=True)
class RecordedChange:
    """What recording did.

    Attributes:
        id: The change's node id (``change:<client id>`` or a content hash).
        service_id: The service it is linked to, or ``None`` while the map does not know it.
        created: False when the same id was recorded before (it was replaced).
    """

    id: str
    service_id: str | None
    service_name: str
    created: bool

    @property
    def linked(self) -> bool:
        """Whether the change is linked to a service in the map already."""
        return self.service_id is not None


def change_id(record: ChangeRecord) -> str:
    """The node id: from the client's id when given, else from what identifies the change."""
    if record.id:
        return f"change:{record.id}"
    parts = [record.service, record.kind, record.started_at.isoformat(), record.version or ""]
    parts.append(record.commit_sha or "")
    return "change:" + hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def change_text(kind: str, service: str, version: str | None, summary: str | None) -> str:
    """The text kept and indexed for a change (what a responder would search for)."""
    head = f"{kind.replace('_', ' ')} of {service}" + (f" {version}" if version else "")
    return f"{head}: {summary}" if summary else head


def change_node(record: ChangeRecord, service_name: str) -> Node:
    """Map a recorded change onto a ``ChangeEvent`` node (a change carries no embedding)."""
    props: dict[str, Property | None] = {
        "kind": record.kind,
        "summary": record.summary,
        "version": record.version,
        "author": record.author,
        "service_name": service_name,
        "finished_at": record.finished_at.isoformat() if record.finished_at else None,
        "url": record.url,
        "commit_sha": record.commit_sha,
        "repository": record.repository,
        "labels": list(record.labels) or None,
        "source": "api",
    }
    return Node(
        change_id(record),
        "ChangeEvent",
        clean_properties(props),
        occurred_at=record.started_at,
        text=change_text(record.kind, service_name, record.version, record.summary),
    )


def _keys(node: Node) -> list[str]:
    values: list[object] = [node.properties.get("name"), node.properties.get("external_id")]
    aliases = node.properties.get("aliases")
    values += aliases if isinstance(aliases, list) else []
    return [str(v).strip().casefold() for v in values if v is not None and str(v).strip()]


async def resolve_service(store: GraphStore, key: str) -> Node | None:
    """Return the Service whose id, name, external id or alias is ``key``, or ``None``.

    The one service lookup of the recorded changes, the browse reads and their routes. It asks
    the store for the services with that name (never a scan of the map); the smallest id wins a
    clash, on both stores.
    """
    found = await store.get_nodes([key])
    if found and found[0].label == "Service":
        return found[0]
    named = await store.find_nodes("Service", key, fields=SERVICE_KEYS)
    return named[0] if named else None


async def _pending(store: GraphStore) -> list[dict[str, str]]:
    raw = await store.get_meta(PENDING_KEY)
    return list(json.loads(raw)) if raw else []


async def _update_pending(
    store: GraphStore, change: Callable[[list[dict[str, str]]], list[dict[str, str]]]
) -> None:
    """Rewrite the pending list as ``change`` makes it, by compare and set.

    Recorders of other requests, and other processes on a Neo4j map, update it too: a plain
    write of the list read before would drop what they added, and that change would never be
    linked to its service.
    """

    async def changed(raw: str | None) -> str:
        return json.dumps(change(list(json.loads(raw)) if raw else []), sort_keys=True)

    await update_meta(store, PENDING_KEY, changed)


class ChangeRecorder:
    """Records changes.

    The one path of ``POST /v1/changes`` and ``precedent changes record``, so a change is stored
    alike whichever recorded it. It stores no vector (``ChangeEvent`` is not an embedded label):
    no question reads one (investigations read changes by service and time; search covers
    incidents, their parts and services), and neither surface then loads the model to record.

    Args:
        store: The knowledge map.
        clock: The time now (a test passes a fixed one); changes starting more than
            ``FUTURE_TOLERANCE`` after it are refused.
    """

    def __init__(self, store: GraphStore, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._store = store
        self._clock = clock

    async def record(self, record: ChangeRecord) -> RecordedChange:
        """Write the change and link it to its service (or remember to, once the service appears).

        Returns:
            The change's id, its service when known, and whether it was new.

        Raises:
            InvalidQuery: naming ``started_at``, if it starts more than ``FUTURE_TOLERANCE`` from now.
        """
        now = self._clock()
        if record.started_at > now + FUTURE_TOLERANCE:
            raise InvalidQuery(
                f"started_at ({record.started_at.isoformat()}) is more than a day after now "
                f"({now.isoformat(timespec='seconds')}): record a change when it starts going out; "
                "check its year and time zone, or leave started_at out to mean now",
                field="started_at",
            )
        service = await resolve_service(self._store, record.service)
        name = str(service.properties.get("name", service.id)) if service else record.service.strip()
        node = change_node(record, name)
        created = not await self._store.get_nodes([node.id])
        await self._store.upsert_nodes([node])
        if service is not None:
            await self._store.upsert_edges([Edge(node.id, "CHANGED", service.id)])
        # Recorded again (the same id) for another service: only the latest one waits.
        entry = [] if service is not None else [{"id": node.id, "service": name}]
        await _update_pending(self._store, lambda pending: [p for p in pending if p["id"] != node.id] + entry)
        return RecordedChange(node.id, service.id if service else None, name, created)


async def link_pending_changes(store: GraphStore) -> int:
    """Link changes recorded before their service was in the map; return how many were linked."""
    pending = await _pending(store)
    if not pending:
        return 0
    index: dict[str, str] = {}
    async for node in store.scan_nodes(["Service"]):
        for key in _keys(node):
            index.setdefault(key, node.id)
    linked: list[dict[str, str]] = []
    edges: list[Edge] = []
    for entry in pending:
        service_id = index.get(entry["service"].strip().casefold())
        if service_id is not None:
            linked.append(entry)
            edges.append(Edge(entry["id"], "CHANGED", service_id))
    if edges:
        await store.upsert_edges(edges)
        # Only the entries linked here: one recorded meanwhile (or again, naming another service) waits on.
        await _update_pending(store, lambda now: [p for p in now if p not in linked])
    return len(edges)


async def pending_changes(store: GraphStore, service: str) -> list[Node]:
    """Changes recorded for ``service`` (a name the map does not know yet), newest first."""
    wanted = service.strip().casefold()
    ids = [p["id"] for p in await _pending(store) if p["service"].strip().casefold() == wanted]
    nodes = await store.get_nodes(ids)
    return sorted(
        nodes, key=lambda n: (n.occurred_at.timestamp() if n.occurred_at else 0.0, n.id), reverse=True
    )
