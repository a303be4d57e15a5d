"""The composition root: one ``Runtime`` owns a process's live view of the map.

``serve``, every CLI command and the notebook API open the map through a ``Runtime`` and
nothing else opens a store: it turns ``Settings`` into the store, the embedding model with its
cache, the catalog and the finder, opens them in order, and closes what it opened in reverse.
This is the only module (with ``config``) that knows which store backend was chosen.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Self, TypeVar

from precedent.embedding import (
    CachedEmbedder,
    LazyEmbedder,
    SentenceTransformerEmbedder,
    check_cache_writable,
)
from precedent.errors import ConfigError
from precedent.ingest import BackgroundSync, Loader, SyncBoard, Syncer, SyncOptions
from precedent.investigation import Collaborators, IncidentIoOnCall, channel_view
from precedent.notify import CitationEdits, SlackNotifier, slack_client
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.sources.incidentio import IncidentIoClient
from precedent.sources.incidentio.webhooks import WebhookVerifier, parse_secrets
from precedent.store import open_within, until_up
from precedent.webhooks import (
    AckPriority,
    DeliveryProcessor,
    IncidentFetcher,
    IncidentWriter,
    MapInvestigationBuilder,
    StoreInvestigationCloser,
    WebhookService,
    WorkerOptions,
)

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from types import TracebackType

    from precedent.config import Settings
    from precedent.embedding import Embedder
    from precedent.ingest import Progress, SyncReport
    from precedent.store import GraphStore, Inbox

__all__ = ["Runtime", "RuntimeOptions", "back_up", "check_before_model", "check_before_start", "load_model"]

log = logging.getLogger("precedent.runtime")

_NO_SYNC_KEY = (
    "no incident.io API key is configured: set PRECEDENT_INCIDENTIO_API_KEY to a read-only key "
    "from https://app.incident.io/settings/api-keys and restart `precedent serve` (or run `precedent sync`)"
)


@dataclass(frozen=True)
class RuntimeOptions:
    """What a command needs from the runtime.

    Attributes:
        model: Have the embedding model (counting or walking the graph does not need it). A
            writer loads it before opening the store, whose vectors must have its length; a
            reader opens the map with the length recorded in it and loads the model when a
            question first needs it, so a lookup that fails (an unknown incident) fails at once.
        read_only: Open the embedded map read-only, beside a process that writes it.
        webhooks: Build the webhook service (inbox, receiver, worker) and start it with the runtime.
        webhook_worker: Run the webhook worker in this process (``serve`` does; ``worker`` drives its own).
        webhook_receiver: This process serves the webhook receiver over HTTP (``serve``); the
            ``worker`` command serves no HTTP and only drains the inbox.
        service: A process that runs until stopped, which compose or systemd start beside
            Neo4j: ``serve`` (each of its workers) and ``worker``. Before the model loads it
            checks what would stop it (``check_before_start``: the embedding cache's directory
            among them, and Neo4j, waited for up to ``neo4j_start_wait_seconds`` when not up
            yet); a command someone typed fails at once instead.
        checked_before_model: The entry point made ``check_before_start``'s checks itself, so a
            service does not make them again (``serve`` in one process: its refusal is a
            command's error, said before uvicorn starts).
        waits_for_store: Wait for a Neo4j not up yet as a service does, without a service's other
            start-up checks: a client started with it rather than typed after it (the notebook's
            ``connect``, ``precedent mcp``, which an editor starts).
    """

    model: bool = True
    read_only: bool = False
    webhooks: bool = False
    webhook_worker: bool = True
    webhook_receiver: bool = True
    service: bool = False
    checked_before_model: bool = False
    waits_for_store: bool = False


class Runtime:
    """Owns the store, the embedder (with its cache), the catalog and the similar-incident finder.

    Use it as an async context manager: ``async with Runtime.from_settings(settings) as rt: ...``.
    Collaborators given to the constructor are used as they are and never closed (tests pass an
    opened store and a fake embedder); those the runtime builds from settings it opens and closes.

    Args:
        store: An opened store, or ``None`` to build one from ``settings``.
        embedder: The embedder matching ``store``'s vectors, or ``None`` to build the model.
        settings: Where to build missing collaborators from.
        options: What to open.
        webhooks: A webhook service to start and stop with the runtime (tests), instead of one
            built from ``settings`` when ``options.webhooks`` is set.
        model_loader: Loads the embedding model when it is needed, if ``embedder`` is not given
            (tests pass a fake); the sentence-transformers model named in ``settings`` by default.
    """

    def __init__(
        self,
        *,
        store: GraphStore | None = None,
        embedder: Embedder | None = None,
        settings: Settings | None = None,
        options: RuntimeOptions | None = None,
        webhooks: WebhookService | None = None,
        model_loader: Callable[[Settings], Awaitable[Embedder]] | None = None,
    ) -> None:
        if store is not None and embedder is None and (options is None or options.model):
            raise ConfigError(
                "a runtime given a store needs the embedder its vectors were made with: pass embedder=..."
            )
        if (store is None or embedder is None) and settings is None:
            raise ConfigError("a runtime needs settings to build the store or the model it was not given")
        self._given_store = store
        self._given_embedder = embedder
        self._model_loader = model_loader or load_model
        self._settings = settings
        self._options = options or RuntimeOptions()
        self._store: GraphStore | None = None
        self._embedder: Embedder | None = None
        self._model: LazyEmbedder | None = None
        self._cache: CachedEmbedder | None = None
        self._catalog: Catalog | None = None
        self._finder: SimilarIncidentFinder | None = None
        self._given_webhooks = webhooks
        self._webhooks: WebhookService | None = None
        self._incidentio: IncidentIoClient | None = None
        self._sync: BackgroundSync | None = None
        self._live_on_call: IncidentIoOnCall | None = None
        self._slack: SlackNotifier | None = None
        self._citation_edits: CitationEdits | None = None

    @classmethod
    def from_settings(
        cls, settings: Settings, *, model: bool = True, read_only: bool = False, waits_for_store: bool = False
    ) -> Runtime:
        """A runtime that builds everything from ``settings`` when entered (``RuntimeOptions``)."""
        options = RuntimeOptions(model=model, read_only=read_only, waits_for_store=waits_for_store)
        return cls(settings=settings, options=options)

    @property
    def store(self) -> GraphStore:
        """The opened store."""
        return _opened(self._store, "store")

    @property
    def embedder(self) -> Embedder:
        """The embedder (behind its content-hash cache when built from settings)."""
        return _opened(self._embedder, "embedder")

    @property
    def catalog(self) -> Catalog:
        """The one catalog of this process: ids from references and service names."""
        return _opened(self._catalog, "catalog")

    @property
    def investigation_collaborators(self) -> Collaborators:
        """What investigations are built from in this process: the store, finder and catalog,
        incident.io's live on-call answers when an API key is configured (one cache per process),
        and where the web pages are, so summaries link to them."""
        links = self._settings.links() if self._settings is not None else None
        return Collaborators(
            self.store, self.finder, self.catalog, live_on_call=self._live_on_call, links=links
        )

    @property
    def unstored_investigation_collaborators(self) -> Collaborators:
        """``investigation_collaborators`` for an investigation that will not be stored: its
        summary links to no page, as there will be none (``investigate --no-save``, a notebook
        beside ``serve``, the MCP tool building one on the spot)."""
        return replace(self.investigation_collaborators, links=None)

    @property
    def slack(self) -> SlackNotifier | None:
        """Where webhook-built investigations are posted, or ``None`` without a Slack bot token."""
        return self._slack

    @property
    def live_on_call(self) -> IncidentIoOnCall | None:
        """incident.io's live on-call answers (cached), or ``None`` without an API key."""
        return self._live_on_call

    @property
    def finder(self) -> SimilarIncidentFinder:
        """The one similar-incident finder of this process, sharing the catalog."""
        return _opened(self._finder, "finder")

    @property
    def sync(self) -> BackgroundSync:
        """The background sync this process runs on request (one at a time)."""
        return _opened(self._sync, "background sync")

    @property
    def webhooks(self) -> WebhookService:
        """The webhook inbox, receiver and worker (when the runtime was asked for them)."""
        return _opened(self._webhooks, "webhook service")

    async def open(self) -> Self:
        """Open what the runtime builds (prefer ``async with``; this is for notebooks).

        Raises:
            PrecedentError: if the store or the model cannot be opened; nothing is left open.
        """
        try:
            await self._open()
        except BaseException:
            await self.close()
            raise
        return self

    async def warm_up(self) -> None:
        """Load the embedding model now rather than at the first question that needs it.

        A no-op when the model is loaded, or was given, or the runtime has none.

        Raises:
            EmbeddingError: if the model cannot be loaded.
        """
        if self._model is not None:
            await self._model.load()

    async def close(self) -> None:
        """Close what the runtime opened, in reverse order. Idempotent."""
        await self._close()

    async def __aenter__(self) -> Self:
        return await self.open()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    async def _open(self) -> None:
        if self._given_store is None:  # before the model's load, which takes seconds
            settings = self._require_settings()
            if not self._options.service:
                _check_the_map(settings, read_only=self._options.read_only)
            elif not self._options.checked_before_model:
                await check_before_start(settings, read_only=self._options.read_only)
        embedder = self._given_embedder
        dimensions: int | None = embedder.dimensions if embedder is not None else None
        if embedder is None and self._options.model:
            settings = self._require_settings()
            loader = self._model_loader
            model = self._model = LazyEmbedder(settings.embedding_model, lambda: loader(settings))
            if not self._options.read_only:
                # A writer's store is created or checked with the model's vector length; a
                # reader's keeps the length recorded in the map, and the model waits for a question.
                await model.load()
                dimensions = model.dimensions
            # Text embedded once (by any earlier import, sync or query) is never embedded again.
            self._cache = CachedEmbedder(model, _cache_path(settings))
            embedder = self._cache
        self._embedder = embedder
        store = self._given_store
        if store is None:
            settings = self._require_settings()
            store = _build_store(settings, dimensions, read_only=self._options.read_only)
            self._store = store
            await open_within(store, self._store_wait(settings))
        self._store = store
        self._catalog = Catalog(store)
        if self._settings is not None:
            # No I/O here: the client connects on its first request.
            self._incidentio = _build_incidentio_client(self._settings)
            if self._incidentio is not None:
                self._live_on_call = IncidentIoOnCall(
                    self._incidentio,
                    timeout=self._settings.incidentio_live_timeout,
                    ttl=self._settings.incidentio_live_ttl,
                )
        if embedder is not None:
            self._finder = SimilarIncidentFinder(store, embedder, catalog=self._catalog)
        keyed = self._settings is not None and _has_api_key(self._settings)
        runnable = keyed and embedder is not None and not self._options.read_only
        self._sync = BackgroundSync(
            self._run_sync if runnable else None,
            # Every process reports the map's sync, even one that cannot start one itself.
            board=SyncBoard(store),
            unavailable=_NO_SYNC_KEY,
        )
        if self._given_webhooks is not None or self._options.webhooks:
            self._webhooks = self._given_webhooks or self._build_webhooks(store, embedder)
            await self._webhooks.start()
            if self._citation_edits is not None:
                self._citation_edits.start()
        log.debug("runtime open store=%s model=%s", type(store).__name__, embedder.name if embedder else None)

    def _build_webhooks(self, store: GraphStore, embedder: Embedder | None) -> WebhookService:
        settings = self._require_settings()
        if embedder is None:
            raise ConfigError("the webhook worker embeds incidents: open the runtime with model=True")
        self._slack = _build_slack(settings, self.investigation_collaborators)
        if self._slack is not None:
            # Messages naming an incident made private while no process with Slack ran
            # (`import`, `sync`) are edited at start; those this process hides, at once.
            self._citation_edits = CitationEdits(self._slack, self.investigation_collaborators)
        edits = self._citation_edits
        priority = AckPriority()
        processor = DeliveryProcessor(
            IncidentWriter(store, embedder, made_private=edits.wake if edits is not None else None),
            MapInvestigationBuilder(self.investigation_collaborators, self._slack),
            StoreInvestigationCloser(store),
            IncidentFetcher(self._incidentio) if self._incidentio is not None else None,
            pause=priority.turn,
        )
        return WebhookService(
            _build_inbox(settings),
            _build_verifier(settings),
            processor,
            WorkerOptions(retention=timedelta(days=settings.webhook_retention_days)),
            run_worker=self._options.webhook_worker,
            receives=self._options.webhook_receiver,
            priority=priority,
        )

    async def _run_sync(self, progress: Progress) -> SyncReport:
        """One sync of incident.io into the open store, with a client of its own."""
        settings = self._require_settings()
        client = _build_incidentio_client(settings)
        if client is None:  # the key was checked when the runtime opened
            raise ConfigError(_NO_SYNC_KEY)
        store, embedder = self.store, self.embedder
        options = SyncOptions(compare_every=timedelta(minutes=settings.incidentio_whole_list_minutes))
        async with client:
            syncer = Syncer(client, store, Loader(store, embedder, progress=progress), options, progress)
            report = await syncer.run()
        if self._citation_edits is not None:  # incidents it made private are named in Slack
            self._citation_edits.wake()
        return report

    async def _close(self) -> None:
        sync, self._sync = self._sync, None
        if sync is not None:
            await sync.stop()
        webhooks, self._webhooks = self._webhooks, None
        client, self._incidentio = self._incidentio, None
        live, self._live_on_call = self._live_on_call, None
        slack, self._slack = self._slack, None
        edits, self._citation_edits = self._citation_edits, None
        if webhooks is not None:
            await webhooks.stop()
        if edits is not None:
            await edits.aclose()
        if slack is not None:  # after the worker: no new message starts, those in flight may finish
            await slack.aclose()
        if live is not None:
            await live.aclose()
        if client is not None:
            await client.aclose()
        store, self._store = self._store, None
        self._finder = self._catalog = self._embedder = self._model = None
        try:
            if store is not None and self._given_store is None:
                await store.close()
        finally:
            cache, self._cache = self._cache, None
            if cache is not None:
                cache.close()

    def _store_wait(self, settings: Settings) -> float:
        """Seconds to wait for the store: a service's (or a client's started beside it) for a
        Neo4j not up yet, else none."""
        waits = (self._options.service or self._options.waits_for_store) and settings.store == "neo4j"
        return settings.neo4j_start_wait_seconds if waits else 0.0

    def _require_settings(self) -> Settings:
        if self._settings is None:  # the constructor refuses this; kept for the type checker
            raise ConfigError("a runtime needs settings to build what it was not given")
        return self._settings


async def load_model(settings: Settings) -> Embedder:
    """Load the sentence-transformers model ``settings`` name, offline.

    Raises:
        EmbeddingError: if the model cannot be loaded (the message says what to set).
    """
    model = SentenceTransformerEmbedder(settings.embedding_model, batch_size=settings.embedding_batch_size)
    await model.load()
    return model


T = TypeVar("T")


def _opened(value: T | None, what: str) -> T:
    if value is None:
        raise ConfigError(f"the runtime's {what} is not open: use the runtime as `async with runtime:` first")
    return value


def _require_a_map(settings: Settings) -> None:
    """Refuse to read an embedded map that is not there.

    A reader would otherwise see an empty map, and a mistyped or forgotten ``PRECEDENT_DATA_DIR``
    would read as "incident 'INC-123' not found" or as empty counts.

    Raises:
        ConfigError: if the store is embedded and ``settings.data_dir`` holds no map.
    """
    if settings.store == "embedded" and not (settings.data_dir / "graph").is_dir():
        raise ConfigError(
            f"there is no map in {settings.data_dir.resolve()}: point PRECEDENT_DATA_DIR at one "
            f"({_the_demos_map(settings)}), or build one there with `precedent sync` or `precedent import`"
        )


def _the_demos_map(settings: Settings) -> str:
    """Where the demo's map is, as a path that works from here.

    A notebook's kernel runs in notebooks/: told the demo's is ".precedent/demo", a user who set
    that (relative) path was told again that there is no map, in notebooks/.precedent/demo.
    """
    here = Path.cwd()
    demo = next(
        (
            d / ".precedent" / "demo"
            for d in (here, *here.parents)
            if (d / ".precedent" / "demo" / "graph").is_dir()
        ),
        None,
    )
    said = (
        f"the demo's is {demo}"
        if demo
        else "the demo's is .precedent/demo in the checkout, after ./scripts/demo"
    )
    if not settings.data_dir.is_absolute():
        said += f"; a relative path is read from the working directory, {here}: give an absolute one"
    return said


def back_up(settings: Settings, destination: Path) -> list[str]:
    """Copy the embedded map and webhook inbox of ``settings.data_dir`` to the new directory ``destination``.

    Safe while ``serve`` runs: the copy opens as the map stood at one write or another. The
    embedding cache and the HNSW index are left out (caches, rebuilt as needed).

    Returns:
        What was copied, as paths relative to ``destination``.

    Raises:
        ConfigError: if the store is Neo4j, there is no map, or ``destination`` exists.
        StoreUnavailable: if a file cannot be read or written.
        StoreCorrupt: if the map's log is damaged.
    """
    if settings.store != "embedded":
        raise ConfigError(
            "`precedent backup` copies the embedded store's data directory; a Neo4j map lives in "
            "the database: back it up with `neo4j-admin database dump` (or Aura's snapshots)"
        )
    _require_a_map(settings)
    if destination.exists():
        raise ConfigError(f"{destination} already exists: name a new directory for the backup")
    from precedent.store.embedded.backup import copy_map, copy_sqlite, staged

    # Written beside ``destination`` and renamed into place whole: a failure leaves nothing.
    with staged(destination) as staging:
        copy_map(settings.data_dir / "graph", staging / "graph")
        copied = ["graph"]
        inbox = settings.data_dir / "webhooks.sqlite"
        if inbox.exists():
            copy_sqlite(inbox, staging / inbox.name)
            copied.append(inbox.name)
    return copied


def _build_store(settings: Settings, dimensions: int | None, *, read_only: bool) -> GraphStore:
    """Return the configured store, not yet opened.

    Args:
        settings: The settings read at the entry point.
        dimensions: The embedder's vector size, or ``None`` to keep the one the store was created with.
        read_only: Open the embedded store as a reader beside its writer (Neo4j serves any number).
    """
    if settings.store == "neo4j":
        from precedent.store.neo4j import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri,
            auth=_neo4j_auth(settings),
            database=settings.neo4j_database,
            dimensions=dimensions,
            exact_search=settings.neo4j_exact_search,
            max_concurrency=settings.neo4j_max_concurrency,
        )
    from precedent.store.embedded import EmbeddedStore

    # A reader loads the writer's snapshot and log and follows it; it writes nothing.
    return EmbeddedStore(
        settings.data_dir / "graph",
        dimensions=dimensions,
        exact_search=settings.embedded_exact_search,
        read_only=read_only,
    )


def check_before_model(settings: Settings, *, read_only: bool = False) -> None:
    """Find, in a second and without the model, what in the settings would stop a service starting.

    The start-up checks of every process that runs until stopped (``RuntimeOptions.service``),
    which the model's load, seconds to minutes, would otherwise come before; ``check_before_start``
    makes them, then Neo4j's.

    Args:
        settings: The settings read at the entry point.
        read_only: The process reads the embedded map beside its writer.

    Raises:
        ConfigError: if a webhook signing secret is malformed, the embedding cache in the data
            directory (written with either store) cannot be written, or a reader finds no map.
        StoreUnavailable: if the embedded map's directory cannot be written.
        StoreLocked: if another process writes the embedded map.
    """
    _build_verifier(settings)
    _check_the_map(settings, read_only=read_only)
    check_cache_writable(_cache_path(settings))


def _check_the_map(settings: Settings, *, read_only: bool) -> None:
    """A reader needs an embedded map there; a writer, one no other process writes (a second
    ``serve`` on one map is refused before the model loads)."""
    if read_only:
        _require_a_map(settings)
    elif settings.store == "embedded":
        from precedent.store.embedded import check_writable

        check_writable(settings.data_dir / "graph")


def _cache_path(settings: Settings) -> Path:
    """The embedding cache: in the data directory with either store (Neo4j keeps the map and inbox)."""
    return settings.data_dir / "embedding-cache.sqlite"


async def check_before_start(settings: Settings, *, read_only: bool = False) -> None:
    """``check_before_model``'s checks, then Neo4j's: what would stop a service, found before
    its model loads.

    A service (``serve`` in one process or several, each of its workers, ``worker``) would
    otherwise load the model, seconds to minutes, and only then learn that Neo4j's URI or
    password is wrong. Neo4j is waited for up to ``neo4j_start_wait_seconds``, so one started
    beside the service by compose or systemd is waited for rather than exited on.

    Raises:
        ConfigError: as ``check_before_model``.
        StoreUnavailable: as ``check_before_model``, or if Neo4j cannot be reached, refuses the
            credentials or lacks the database.
        StoreLocked: as ``check_before_model``.
    """
    check_before_model(settings, read_only=read_only)
    if settings.store == "neo4j":
        from precedent.store.neo4j import check_reachable

        uri, auth, database = settings.neo4j_uri, _neo4j_auth(settings), settings.neo4j_database
        await until_up(lambda: check_reachable(uri, auth, database), settings.neo4j_start_wait_seconds)


def _neo4j_auth(settings: Settings) -> tuple[str, str] | None:
    password = settings.neo4j_password.get_secret_value()
    return (settings.neo4j_user, password) if password else None


def _build_inbox(settings: Settings) -> Inbox:
    """Return the webhook inbox beside the configured store, not yet opened."""
    if settings.store == "neo4j":
        from precedent.store.neo4j import Neo4jInbox

        return Neo4jInbox(
            settings.neo4j_uri,
            auth=_neo4j_auth(settings),
            database=settings.neo4j_database,
        )
    from precedent.store.embedded import SqliteInbox

    # Only the process holding the map's writer lock works this inbox (the store opens first).
    return SqliteInbox(settings.data_dir / "webhooks.sqlite", sole_worker=True)


def _build_verifier(settings: Settings) -> WebhookVerifier | None:
    """The verifier for the configured signing secret(s), or ``None`` when there is none.

    Raises:
        ConfigError: if a configured secret is not a valid ``whsec_`` secret.
    """
    secret = settings.incidentio_webhook_secret
    secrets = parse_secrets(secret.get_secret_value()) if secret is not None else ()
    return WebhookVerifier(secrets) if secrets else None


def _has_api_key(settings: Settings) -> bool:
    key = settings.incidentio_api_key
    return key is not None and bool(key.get_secret_value().strip())


def _build_incidentio_client(settings: Settings) -> IncidentIoClient | None:
    """An incident.io client when an API key is configured (its owner closes it)."""
    if not _has_api_key(settings):
        return None
    key = settings.incidentio_api_key
    assert key is not None
    return IncidentIoClient.create(
        key.get_secret_value(),
        base_url=settings.incidentio_base_url,
        requests_per_minute=settings.incidentio_requests_per_minute,
    )


def _build_slack(settings: Settings, collaborators: Collaborators) -> SlackNotifier | None:
    """The Slack notifier when a bot token is configured (Slack is off otherwise); it redraws a
    message sent while an incident it names was made private as its channel may see it."""
    token = settings.slack_bot_token
    if token is None or not token.get_secret_value().strip():
        log.info("Slack is off: PRECEDENT_SLACK_BOT_TOKEN is not set")
        return None
    client = slack_client(token.get_secret_value(), base_url=settings.slack_api_url)
    views = functools.partial(channel_view, collaborators)
    return SlackNotifier(client, collaborators.store, settings.links(), views=views)
