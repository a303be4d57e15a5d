"""Owns the async driver: sessions on one database, managed writes, retried reads, error mapping.

This is the seam where driver exceptions become Precedent's: ``ServiceUnavailable`` and
``SessionExpired`` (and refused credentials) are ``StoreUnavailable``; every other driver or server
error is ``StoreError``. Both keep the driver's exception as ``__cause__``.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol, TypeVar
from urllib.parse import urlsplit

from neo4j import READ_ACCESS, WRITE_ACCESS, AsyncGraphDatabase
from neo4j.exceptions import (
    AuthError,
    ConfigurationError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)

from precedent.errors import StoreError, StoreUnavailable
from precedent.store.read_retry import read_retry_seconds

if TYPE_CHECKING:
    from typing import LiteralString

    from neo4j import AsyncBookmarkManager, AsyncDriver, AsyncResult, AsyncSession, Record

    from precedent.store.neo4j.queries import Collected

__all__ = [
    "DEFAULT_MAX_CONCURRENCY",
    "Connection",
    "Runner",
    "Work",
    "check_reachable",
    "fetch",
    "fetch_rows",
    "run",
]

T = TypeVar("T")
_DATABASE_NOT_FOUND = "Neo.ClientError.Database.DatabaseNotFound"
_SCHEMES = frozenset({"bolt", "bolt+s", "bolt+ssc", "neo4j", "neo4j+s", "neo4j+ssc"})

# How long a read is retried on transient failures (a cluster electing a leader, a restart), as
# the driver retries a managed transaction (its max_transaction_retry_time default). A request
# narrows it with ``read_retry_window`` (see precedent.store.read_retry).
_READ_RETRY_SECONDS = 30.0
_FIRST_RETRY_DELAY = 0.2


class Runner(Protocol):
    """Where work runs its statements: a managed write transaction, or a read session (``Connection``)."""

    async def run(
        self, query: LiteralString, parameters: dict[str, Any] | None = None, **kwargs: Any
    ) -> AsyncResult: ...


Work = Callable[[Runner], Awaitable[T]]


async def fetch(tx: Runner, query: str, params: Mapping[str, object]) -> list[Record]:
    """Run ``query`` in ``tx`` and return every record (results must be consumed inside the work)."""
    # The driver types queries as LiteralString; ours are str built in queries.py from constants
    # and schema-whitelisted names, with every value passed as a parameter.
    result = await tx.run(query, dict(params))
    return [record async for record in result]


async def fetch_rows(tx: Runner, collected: Collected, params: Mapping[str, object]) -> list[dict[str, Any]]:
    """Run a ``queries.collected`` read in ``tx`` and return its rows, in order, keyed by column."""
    records = await fetch(tx, collected.query, params)
    return [dict(zip(collected.columns, row, strict=True)) for row in records[0]["rows"]]


async def run(tx: Runner, query: str, params: Mapping[str, object]) -> None:
    """Run a write ``query`` in ``tx`` and wait for it to finish."""
    result = await tx.run(query, dict(params))
    await result.consume()


DEFAULT_MAX_CONCURRENCY = 8
"""Transactions one process runs at once; more wait their turn (see ``Connection``)."""


class Connection:
    """One driver, one database, a shared bookmark manager for read-your-writes across sessions.

    At most ``max_concurrency`` transactions run at once; the others wait, first come first
    served, before taking a session. A Neo4j server answers a few transactions at a time about
    as fast as many, but under many it slows down for all of them at once: 50 HTTP clients each
    running a similar-incident request (a few concurrent reads each) against a 2-core server
    with a 1 GiB heap took 31 s per request and timed out, where queueing keeps each read short.

    Args:
        uri: The server's URI.
        auth: ``(user, password)``, or None when the server has authentication off.
        database: The database every session uses.
        max_concurrency: Transactions run at once by this process.
        read_retry_seconds: How long a read is retried on transient failures, unless the caller
            set a window of its own with ``read_retry_window``.

    Raises:
        ValueError: if ``max_concurrency`` < 1.
    """

    def __init__(
        self,
        uri: str,
        auth: tuple[str, str] | None,
        database: str,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        read_retry_seconds: float = _READ_RETRY_SECONDS,
    ) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        self._uri = uri
        self._shown = _without_userinfo(uri)
        self._auth = auth
        self._database = database
        self._driver: AsyncDriver | None = None
        self._bookmarks: AsyncBookmarkManager | None = None
        self._turns = asyncio.Semaphore(max_concurrency)
        self._read_retry_seconds = read_retry_seconds

    async def open(self) -> None:
        """Create the driver and check the server answers.

        Raises:
            StoreUnavailable: if the server cannot be reached or refuses the credentials.
        """
        if self._driver is not None:
            return
        scheme = self._uri.partition("://")[0]
        if scheme not in _SCHEMES:
            # The driver would also take http(s):// (its Query API preview), which this store
            # was neither written nor tested for.
            schemes = ", ".join(f"{name}://" for name in sorted(_SCHEMES))
            raise StoreUnavailable(
                f"Neo4j URI {self._shown!r} must start with one of {schemes} "
                "(neo4j:// routes across a cluster; bolt:// talks to one server)"
            )
        if "@" in urlsplit(self._uri).netloc:
            # The driver refuses it too, quoting the URI, password included, into the error.
            raise StoreUnavailable(
                f"Neo4j URI {self._shown!r} holds a user name or password: the driver takes neither "
                "from the URI. Remove them from PRECEDENT_NEO4J_URI and set PRECEDENT_NEO4J_USER "
                "and PRECEDENT_NEO4J_PASSWORD instead."
            )
        with self._errors("connecting"):
            try:
                driver = AsyncGraphDatabase.driver(
                    self._uri,
                    auth=self._auth,
                    # Notifications (e.g. "index already exists" on idempotent migrations) are
                    # not errors; asking the server not to send them keeps logs and warnings clean.
                    notifications_min_severity="OFF",
                )
                try:
                    await driver.verify_connectivity()
                except BaseException:
                    await driver.close()
                    raise
            except ValueError as exc:  # the driver's answer to a malformed host or port
                raise StoreUnavailable(f"cannot use Neo4j URI {self._shown!r}: {exc}") from exc
        self._driver = driver
        # Sessions are short-lived (one per call), so bookmarks must be shared for a read after a
        # write to see it on a cluster; on a single server this costs nothing.
        self._bookmarks = AsyncGraphDatabase.bookmark_manager()

    async def close(self) -> None:
        """Close the driver. Idempotent."""
        driver, self._driver = self._driver, None
        if driver is not None:
            with self._errors("closing"):
                await driver.close()

    async def read(self, work: Work[T], action: str) -> T:
        """Run ``work``'s statements as auto-commit reads in one session, retried on transient failures.

        Not ``execute_read``: a managed transaction adds a BEGIN and a COMMIT to every read and
        costs this process about twice the CPU of one auto-commit statement (3.3 against 1.6 ms
        a read, measured), and a similar-incident query makes eight reads. A read changes
        nothing, so running the whole of ``work`` again after a transient failure is safe; each
        statement sees what was committed when it ran, as in a read-committed transaction.

        Retries stop after ``read_retry_window``'s window if the caller set one (a request),
        else after this connection's ``read_retry_seconds``.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + read_retry_seconds(self._read_retry_seconds)
        delay = _FIRST_RETRY_DELAY
        async with self._turns:
            while True:
                try:
                    async with self._session(action, access_mode=READ_ACCESS) as session:
                        return await work(session)
                except (Neo4jError, DriverError) as exc:
                    if not exc.is_retryable() or loop.time() + delay > deadline:
                        with self._errors(action):
                            raise
                # Jitter keeps readers that failed together from retrying together.
                await asyncio.sleep(delay * random.uniform(0.8, 1.2))  # noqa: S311 - not cryptographic
                delay *= 2

    async def write(self, work: Work[T], action: str) -> T:
        """Run ``work`` in a managed write transaction (retried on transient failures)."""
        async with self._turns, self._session(action) as session:
            with self._errors(action):
                return await session.execute_write(work)

    async def query(self, query: str, params: Mapping[str, object], action: str) -> list[Record]:
        """Run one read ``query`` and return its records."""

        async def work(tx: Runner) -> list[Record]:
            return await fetch(tx, query, params)

        return await self.read(work, action)

    async def execute(self, query: str, params: Mapping[str, object], action: str) -> None:
        """Run one write ``query`` in its own transaction."""

        async def work(tx: Runner) -> None:
            await run(tx, query, params)

        await self.write(work, action)

    @contextlib.asynccontextmanager
    async def _session(self, action: str, access_mode: str = WRITE_ACCESS) -> AsyncIterator[AsyncSession]:
        # A read session routes its statements to a reader on a cluster, as execute_read does.
        if self._driver is None or self._bookmarks is None:
            raise StoreError(f"Neo4jStore is not open while {action}; call `await store.open()` first")
        with self._errors(action):
            session = self._driver.session(
                database=self._database, bookmark_manager=self._bookmarks, default_access_mode=access_mode
            )
        try:
            yield session
        finally:
            with self._errors(action):
                await session.close()

    @contextlib.contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        try:
            yield
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailable(
                f"Neo4j at {self._shown} is unreachable while {action}: {exc}. Check the server is running, "
                "the URI (bolt:// or neo4j://, host and port) and the network."
            ) from exc
        except AuthError as exc:
            raise StoreUnavailable(
                f"Neo4j at {self._shown} refused the credentials while {action}: {exc}. "
                "Check the user and password."
            ) from exc
        except ConfigurationError as exc:
            raise StoreUnavailable(f"cannot configure the Neo4j driver for {self._shown}: {exc}") from exc
        except Neo4jError as exc:
            if exc.code == _DATABASE_NOT_FOUND:
                raise StoreUnavailable(
                    f"Neo4j at {self._shown} has no database {self._database!r} (while {action}). Set "
                    "PRECEDENT_NEO4J_DATABASE to one it has ('neo4j' unless you created another; "
                    "SHOW DATABASES lists them)."
                ) from exc
            raise StoreError(f"Neo4j failed while {action}: {exc}") from exc
        except DriverError as exc:
            raise StoreError(f"Neo4j failed while {action}: {exc}") from exc


def _without_userinfo(uri: str) -> str:
    """``uri`` as errors may show it: a user and password written into it are left out."""
    parts = urlsplit(uri)
    if "@" not in parts.netloc:
        return uri
    return parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()


async def check_reachable(uri: str, auth: tuple[str, str] | None, database: str) -> None:
    """Connect, read one value from ``database``, disconnect: what any process of the map needs.

    Raises:
        StoreUnavailable: if the server cannot be reached, refuses the credentials or has no
            such database (each message says what to check).
    """
    from precedent.store.neo4j import queries  # queries names this module's types for checking only

    connection = Connection(uri, auth, database, read_retry_seconds=0)
    await connection.open()
    try:
        await connection.query(queries.GET_META, {"key": "schema_version"}, "checking the database")
    finally:
        await connection.close()
