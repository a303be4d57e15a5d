"""``precedent sync``: mirror an incident.io organisation into the store, incrementally.

Reference data (severities, statuses, types, custom fields, users, the catalog, teams,
schedules) is read in full every time; it is small, and a full read is how removed catalog
entries are noticed.
Incidents are read in full the first time, then by ``updated_at[gte]`` from the last checkpoint
minus an overlap window; their updates, follow-ups, actions, post-mortems and relationships are
re-read for every incident in that window, because ``updated_at`` does not always move when they
change; an incremental sync also reads the whole follow-up and post-mortem lists, for the
follow-ups completed and post-mortems edited on incidents outside that window. A resource's
checkpoint advances only after its data is durably written, so a sync killed half-way redoes at
most that resource, and idempotent upserts leave no duplicates.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.changes import link_pending_changes
from precedent.ingest.dataset import Dataset
from precedent.ingest.fetch import ScopeGaps, fetch_objects, gather_limited, objects_of
from precedent.ingest.incident_parts import IncidentParts
from precedent.ingest.mapping import (
    DEFAULT_MODES,
    MappingContext,
    Raw,
    map_schedule,
    mark_removed,
)
from precedent.ingest.mapping.catalog import ENTRY_LABELS
from precedent.ingest.progress import NULL_PROGRESS, LoadStats, Progress
from precedent.ingest.unlisted import (
    COMPARED_KEY,
    comparison_due,
    held_public,
    hide_unlisted,
    unreadable_warning,
)
from precedent.ingest.visibility import (
    forget_unmessaged,
    hide_parts_of_incidents_made_private,
    make_incident_private,
)
from precedent.metrics import SYNC_IN_PROGRESS, SYNC_LAST_SUCCESS, SYNC_RECORDS
from precedent.sources.incidentio import ENDPOINTS, filter_params

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from precedent.ingest.mapping import MappedRecord
    from precedent.ingest.pipeline import Loader
    from precedent.model import Visibility
    from precedent.sources.incidentio import IncidentIoClient, QueryParams
    from precedent.store import GraphStore

__all__ = ["CHECKPOINT_KEY", "SyncOptions", "SyncReport", "Syncer"]

CHECKPOINT_KEY = "sync:{resource}:checkpoint"

_REFERENCE = ("severities", "incident_statuses", "incident_types", "custom_fields", "users")
"""Reference lists read whole on every sync, before the catalog (endpoint names)."""


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SyncOptions:
    """How a sync runs.

    Attributes:
        full: Ignore the incidents checkpoint and read everything.
        overlap: How far before the checkpoint incremental reads start.
        modes: Incident modes to sync (test and tutorial are left out by default).
        schedule_window: Who is on call is read for ``[now, now + window]``.
        concurrency: Per-incident requests in flight at once.
        page_size: Incidents per page (incident.io allows 250).
        compare_every: The least time between two incremental syncs that read the whole incident
            list to find incidents no longer shown (``ingest.unlisted``); zero: every sync.
        now: The clock (injected in tests).
    """

    full: bool = False
    overlap: timedelta = timedelta(days=1)
    modes: frozenset[str] = DEFAULT_MODES
    schedule_window: timedelta = timedelta(hours=1)
    concurrency: int = 8
    page_size: int = 250
    compare_every: timedelta = timedelta(0)
    now: Callable[[], datetime] = _utc_now


@dataclass
class SyncReport:
    """What a sync did, for the summary table."""

    resources: dict[str, LoadStats] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    incremental: bool = False
    calls: int = 0
    retries: int = 0
    elapsed_seconds: float = 0.0


class Syncer:
    """Runs one sync of incident.io into a store.

    Args:
        client: An open incident.io client.
        store: The store (for checkpoints and removed-entry detection).
        loader: Writes records; one loader per sync.
        options: Sync behaviour.
        progress: Progress sink.
    """

    def __init__(
        self,
        client: IncidentIoClient,
        store: GraphStore,
        loader: Loader,
        options: SyncOptions | None = None,
        progress: Progress = NULL_PROGRESS,
    ) -> None:
        self._client = client
        self._store = store
        self._loader = loader
        self._options = options or SyncOptions()
        self._progress = progress
        self._gaps = ScopeGaps()
        self._ctx = MappingContext(modes=self._options.modes)
        self._report = SyncReport()
        self._listed: set[str] = set()

    async def run(self) -> SyncReport:
        """Sync everything; return the report (warnings include skipped resources).

        Raises:
            IncidentIoAuthError: if the key is refused outright (401).
            SourceError: if incident.io fails beyond retries; checkpoints stay where they were.
        """
        started = time.monotonic()
        self._ctx.tokens = await self._loader.token_counter()
        SYNC_IN_PROGRESS.inc()
        try:
            await self._reference_data()
            # Changes recorded before their service was in the catalog get linked now that it may be.
            await link_pending_changes(self._store)
            await self._schedules()
            await self._incidents()
        finally:
            SYNC_IN_PROGRESS.dec()
        SYNC_LAST_SUCCESS.set(time.time())
        if warning := self._gaps.warning():
            self._report.warnings.append(warning)
            self._progress.warn(warning)
        stats = self._client.stats
        self._report.calls, self._report.retries = stats.calls, stats.retries
        self._report.elapsed_seconds = time.monotonic() - started
        return self._report

    def _loaded(self, resource: str, stats: LoadStats) -> None:
        self._report.resources.setdefault(resource, LoadStats()).merge(stats)
        SYNC_RECORDS.labels(resource).inc(sum(stats.total(o) for o in ("created", "updated", "unchanged")))

    async def _load(self, resource: str, records: list[MappedRecord] | AsyncIterator[MappedRecord]) -> None:
        self._progress.start(resource, len(records) if isinstance(records, list) else None)
        self._loaded(resource, await self._loader.load(records, resource))
        self._progress.finish(resource)
        await self._store.set_meta(CHECKPOINT_KEY.format(resource=resource), self._options.now().isoformat())

    async def _reference_data(self) -> None:
        data = Dataset()
        guard, client = self._gaps.guard, self._client
        for name in _REFERENCE:
            endpoint = ENDPOINTS[name]
            data.objects[name] = await guard(endpoint, fetch_objects(client, endpoint), [])
        types_endpoint, entries_endpoint = ENDPOINTS["catalog_types"], ENDPOINTS["catalog_entries"]
        types = await guard(types_endpoint, fetch_objects(client, types_endpoint), None)
        complete_catalog = types is not None
        for catalog_type in types or []:
            params = entries_endpoint.of_parent(str(catalog_type.get("id")))
            entries = await guard(entries_endpoint, fetch_objects(client, entries_endpoint, params), None)
            complete_catalog = complete_catalog and entries is not None
            data.objects["catalog_entries"].extend(entries or [])
        data.objects["catalog_types"] = types or []
        data.objects["teams"] = await guard(ENDPOINTS["teams"], fetch_objects(client, ENDPOINTS["teams"]), [])
        data.context(self._ctx)
        mapped = await asyncio.to_thread(data.map, self._ctx)
        for resource in ("severities", "incident_statuses", "incident_types", "users", "catalog_types"):
            await self._load(resource, mapped[resource])
        removed = await self._removed_entries(data) if complete_catalog else []
        await self._load("catalog_entries", mapped["catalog_entries"] + removed)
        await self._load("teams", mapped["teams"])

    async def _removed_entries(self, data: Dataset) -> list[MappedRecord]:
        """Catalog nodes in the store whose entry is gone from incident.io: kept, marked removed."""
        present = {str(e.get("id")) for e in data.objects["catalog_entries"]}
        removed: list[MappedRecord] = []
        async for node in self._store.scan_nodes(ENTRY_LABELS):
            from_catalog = "catalog_type_id" in node.properties
            if from_catalog and node.id not in present and node.properties.get("removed") is not True:
                removed.append(mark_removed(node))
        return removed

    async def _schedules(self) -> None:
        endpoint = ENDPOINTS["schedules"]
        schedules = await self._gaps.guard(endpoint, fetch_objects(self._client, endpoint), None)
        if schedules is None:
            return
        await self._drop_deleted_schedules({str(s.get("id")) for s in schedules})
        if not schedules:
            return
        start = self._options.now()
        end = start + self._options.schedule_window

        async def entries(schedule: Raw) -> list[Raw]:
            final: list[Raw] = []
            async for page in self._client.iter_schedule_entries(str(schedule.get("id")), start, end):
                groups = page.get(ENDPOINTS["schedule_entries"].key)
                if isinstance(groups, dict):
                    final.extend(e for e in groups.get("final") or [] if isinstance(e, dict))
            return final

        works = [functools.partial(entries, s) for s in schedules]
        shifts = await self._gaps.guard(
            ENDPOINTS["schedule_entries"], gather_limited(works, self._options.concurrency), None
        )
        records = [
            map_schedule(s, self._ctx, shifts[i] if shifts is not None else None)
            for i, s in enumerate(schedules)
        ]
        await self._load("schedules", records)

    async def _drop_deleted_schedules(self, listed: set[str]) -> None:
        """Delete the schedules in the map that incident.io no longer lists (deleted there).

        Kept, a deleted schedule went on naming who was on call on it, and its owning team's
        people in an investigation said it had nobody on call. No incident cites a schedule, so
        unlike a catalog entry it is not kept marked removed.
        """
        gone = [
            node.id
            async for node in self._store.scan_nodes(("Schedule",))
            if node.id not in listed and "catalog_type_id" not in node.properties
        ]
        if gone:
            await self._store.delete_nodes(gone)
            self._loaded("schedules", LoadStats(nodes_deleted=len(gone)))

    async def _incidents(self) -> None:
        key = CHECKPOINT_KEY.format(resource="incidents")
        checkpoint = None if self._options.full else await self._store.get_meta(key)
        started = self._options.now()
        params = filter_params("mode", "one_of", sorted(self._options.modes))
        params.update({"sort_by": "created_at_oldest_first"})
        every_mode = dict(params)
        self._report.incremental = checkpoint is not None
        if checkpoint is not None:
            since = datetime.fromisoformat(checkpoint) - self._options.overlap
            params.update(filter_params("updated_at", "gte", since.date()))
        parts = IncidentParts(
            self._client,
            self._gaps,
            self._ctx,
            per_incident=checkpoint is not None,
            concurrency=self._options.concurrency,
        )
        if checkpoint is None:
            await parts.prefetch()
        # A full listing is read whole anyway; an incremental sync reads it again when it is time.
        compare = checkpoint is None or await comparison_due(
            self._store, started, self._options.compare_every
        )
        # Before this sync writes any: those the listing leaves out are compared (``ingest.unlisted``).
        held = await held_public(self._store, self._options.modes) if compare else set()
        self._progress.start("incidents")
        self._loaded("incidents", await self._loader.load(self._incident_records(params, parts), "incidents"))
        if checkpoint is not None:
            # Completing a follow-up or editing a post-mortem leaves the incident's updated_at be.
            late = await parts.changed_elsewhere(self._store, self._listed, since)
            if late:
                self._loaded("incidents", await self._loader.load(late, "incidents"))
        self._progress.finish("incidents")
        # Everything read since ``started`` is durable now: only then may the checkpoint move
        # (a sync failing on the late parts reads them again from the same window).
        await self._store.set_meta(key, started.isoformat())
        if compare:
            await self._unlisted(every_mode if checkpoint is not None else None, held, started, parts)
        # The incidents made private are written private now: unmessaged ones leave the list.
        await forget_unmessaged(self._store)

    async def _unlisted(
        self, every_incident: QueryParams | None, held: set[str], started: datetime, parts: IncidentParts
    ) -> None:
        """Hide the incidents that left the listing (``ingest.unlisted``).

        Args:
            every_incident: The parameters of a listing of every incident synced, to read it
                whole when this sync's listing was not (an incremental one); ``None`` when it was.
            held: The incidents the map held as public before this sync wrote any.
            started: When this sync started, recorded as the comparison's time once it is done.
            parts: Reads the parts of an incident the whole listing shows made public again.
        """
        try:
            listed = self._listed
            if every_incident is not None:
                listed = await self._every_incident(every_incident, parts)
            unlisted = await hide_unlisted(
                self._client, self._store, listed, held=held, concurrency=self._options.concurrency
            )
        except SourceError as exc:
            # The incidents are loaded and the checkpoint moved: this check alone waits for the next sync.
            self._warn(
                f"could not check for incidents no longer shown to the API key ({exc}); the next sync "
                "checks again"
            )
            return
        if unlisted.hidden:
            self._warn(unreadable_warning(unlisted.hidden))
        if unlisted.held_back:
            self._warn(unlisted.held_back)
        else:
            await self._store.set_meta(COMPARED_KEY, started.isoformat())

    async def _every_incident(self, params: QueryParams, parts: IncidentParts) -> set[str]:
        """The ids of the whole listing, hiding on the way those it shows private the map holds public.

        An incremental sync maps only the incidents updated since its checkpoint: one made private
        without its ``updated_at`` moving would otherwise stay public although the listing says so.
        One made public again the same way (or hidden by a sync whose key could not read it) is
        mapped again, with its parts: it stayed hidden from every ``read`` token for good.
        """
        endpoint = ENDPOINTS["incidents"]
        pages = self._client.paginate(endpoint.path, params=params, page_size=self._options.page_size)
        listed: set[str] = set()
        async for page in pages:
            incidents = objects_of(page, endpoint.key)
            listed.update(str(i.get("id")) for i in incidents)
            private = [str(i.get("id")) for i in incidents if i.get("visibility") != "public"]
            held_public = [n.id for n in await self._store.get_nodes(private) if n.visibility == "public"]
            for incident_id in held_public:
                await make_incident_private(self._store, incident_id)
            public = {str(i.get("id")): i for i in incidents if i.get("visibility") == "public"}
            unread = [i for i in public if i not in self._listed]
            held_private = [n.id for n in await self._store.get_nodes(unread) if n.visibility != "public"]
            if held_private:
                self._ctx.incident_visibility.update(dict.fromkeys(held_private, "public"))
                records = await parts.records([public[i] for i in held_private])
                self._loaded("incidents", await self._loader.load(records, "incidents"))
        return listed

    def _warn(self, warning: str) -> None:
        self._report.warnings.append(warning)
        self._progress.warn(warning)

    async def _incident_records(
        self, params: QueryParams, parts: IncidentParts
    ) -> AsyncIterator[MappedRecord]:
        endpoint = ENDPOINTS["incidents"]
        pages = self._client.paginate(endpoint.path, params=params, page_size=self._options.page_size)
        async for page in pages:
            incidents = objects_of(page, endpoint.key)
            visibilities: dict[str, Visibility] = {
                str(incident.get("id")): "public" if incident.get("visibility") == "public" else "private"
                for incident in incidents
            }
            self._ctx.incident_visibility.update(visibilities)
            self._listed.update(visibilities)
            await hide_parts_of_incidents_made_private(self._store, visibilities)
            for record in await parts.records(incidents):
                yield record
