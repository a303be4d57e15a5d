"""Precedent's one error tree. Every layer raises these; ``api/errors.py`` maps them to HTTP.

PrecedentError
├── ConfigError                  settings missing or inconsistent
├── InvalidQuery                 a query's arguments are inconsistent (say which)
├── SchemaError                  a label or relationship type not in graph_schema/
├── EmbeddingError               the embedding model can't load or encode
├── SourceError                  talking to incident.io failed (status, if it answered)
│   ├── IncidentIoAuthError      401/403: bad key or missing scope (status, scope)
│   └── IncidentIoRateLimited    429 after retries (retry_after seconds)
├── ImportFileError              an export file is invalid (file, object, field)
├── InvalidJudgments             a judgments file is unreadable (file, line, what it should hold)
├── MappingError                 an incident.io object can't be mapped (record_id, reason)
├── WebhookRejected               a delivery is refused (401 unless a subclass says otherwise)
│   ├── BadSignature             missing or wrong signature (401)
│   ├── StaleTimestamp           timestamp more than the tolerance away from now (401)
│   ├── MalformedDelivery        signed, but not JSON or off-schema; or an id too long to store (400)
│   └── DeliveryTooLarge         body over the size limit (413)
├── WebhooksDisabled             no signing secret configured (503)
├── MetricsUnavailable           the workers' metric files are gone (503)
├── DeliveryNotRetryable         a rejected delivery can never succeed, so it is not retried (409)
├── SyncConflict                 a sync cannot start now: one runs, or no API key (409)
├── AuthError                    an API caller was refused
│   ├── Unauthenticated          no token, or an unknown, revoked or expired one (reason)
│   └── Forbidden                the token lacks a scope (scope)
└── StoreError
    ├── NotFound                 (kind, id)
    ├── StoreUnavailable         the database can't be reached
    │   └── StoreLocked          another process writes this embedded map (pid, command)
    ├── StoreCorrupt             the embedded store's files are damaged
    ├── StoreWriteFailed         a write could not be saved (a full disk); nothing was written
    └── ReadOnlyStore            a write on a store opened read-only
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "AuthError",
    "BadSignature",
    "ConfigError",
    "DeliveryNotRetryable",
    "DeliveryTooLarge",
    "EmbeddingError",
    "Forbidden",
    "ImportFileError",
    "InvalidJudgments",
    "InvalidQuery",
    "IncidentIoAuthError",
    "IncidentIoRateLimited",
    "MalformedDelivery",
    "MappingError",
    "MetricsUnavailable",
    "NotFound",
    "PrecedentError",
    "ReadOnlyStore",
    "SchemaError",
    "SourceError",
    "StaleTimestamp",
    "StoreCorrupt",
    "StoreError",
    "StoreLocked",
    "StoreUnavailable",
    "StoreWriteFailed",
    "SyncConflict",
    "Unauthenticated",
    "WebhookRejected",
    "WebhooksDisabled",
]


class PrecedentError(Exception):
    """Base of every error Precedent raises on purpose."""


class ConfigError(PrecedentError):
    """Settings are missing or inconsistent."""


class InvalidQuery(PrecedentError):
    """A query's arguments are missing or inconsistent; the message says which and how to fix it.

    ``field`` names the one argument at fault, when one is (the API lists it in ``errors``, as it
    lists a parameter its own validation refused).
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field

    @classmethod
    def unknown_cursor(cls) -> InvalidQuery:
        """A ``cursor`` that no page of this list gave out (every list words it alike)."""
        return cls(
            "cursor is not one this API issued; pass the previous page's next_cursor unchanged, "
            "or leave it out for the first page",
            field="cursor",
        )

    @classmethod
    def cursor_of_another_query(cls) -> InvalidQuery:
        """A ``cursor`` another query's page gave out: its key would cut this list anywhere."""
        return cls(
            "cursor belongs to another query (other filters, order or visibility than this "
            "request's): leave cursor out to start again from the first page, then pass each "
            "page's next_cursor with the same query",
            field="cursor",
        )

    @classmethod
    def limit_out_of_range(cls, limit: object, most: int) -> InvalidQuery:
        """A ``limit`` that is not a whole number from 1 to ``most``: the one wording of every route,
        command and tool (each had its own, from "Expected `int` >= 1" to "must be between")."""
        return cls.number_out_of_range("limit", limit, 1, most)

    @classmethod
    def number_out_of_range(cls, name: str, value: object, least: int, most: int) -> InvalidQuery:
        """A parameter ``name`` that is not a whole number from ``least`` to ``most`` (a word such as
        "ten" as much as 0): ``limit``'s wording, for every whole-number parameter."""
        return cls(
            f"{name} must be a whole number from {least} to {most}, not {value}: send one in that range, "
            f"or leave {name} out for the default",
            field=name,
        )

    @classmethod
    def hours_out_of_range(cls, name: str, value: object, most: int) -> InvalidQuery:
        """A window ``name`` that is not a number of hours above 0 and at most ``most`` (a word as
        much as 0): one wording for a window's hours on every route, command and tool."""
        return cls(
            f"{name} must be a number of hours above 0 and at most {most}, not {value}: send one in "
            f"that range, or leave {name} out for the default",
            field=name,
        )

    @classmethod
    def decimal_out_of_range(cls, name: str, value: object, above: float, most: float) -> InvalidQuery:
        """A parameter ``name`` that is not a number above ``above`` and at most ``most`` (a word as
        much as one out of range): a fraction's wording, as ``hours_out_of_range`` is a window's."""
        return cls(
            f"{name} must be a number above {above:g} and at most {most:g}, not {value}: send one in "
            f"that range, or leave {name} out for the default",
            field=name,
        )

    @classmethod
    def no_time_zone(cls, name: str, value: object) -> InvalidQuery:
        """A time ``name`` that is not a time with a zone (a naive ``datetime``, a string): the map's
        times all have one, and comparing them with it was a ``TypeError`` traceback in a notebook."""
        given = f"{value!r}" if not isinstance(value, datetime) else value.isoformat()
        return cls(
            f"{name} needs a time with a time zone, e.g. 2026-03-01T10:00:00Z (in Python, "
            f"datetime(2026, 3, 1, 10, tzinfo=UTC)), not {given}",
            field=name,
        )

    @classmethod
    def depth_out_of_range(cls, depth: int, most: int) -> InvalidQuery:
        """A neighbourhood ``depth`` outside 0 to ``most`` hops (the CLI, the API and MCP word it alike)."""
        return cls(
            f"depth must be from 0 to {most} hops, not {depth}; to look further, walk again from a "
            "node at the edge of the first walk",
            field="depth",
        )


class SchemaError(PrecedentError):
    """A label, relationship type or property is not allowed by ``graph_schema/``.

    ``field`` names the argument that gave it (``label``, ``rel``), as ``InvalidQuery``'s does.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class EmbeddingError(PrecedentError):
    """The embedding model cannot be loaded or used."""


class SourceError(PrecedentError):
    """A call to incident.io failed; ``status`` is the HTTP status it answered, if it answered."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class IncidentIoAuthError(SourceError):
    """incident.io refused the API key (401) or the key lacks a scope (403).

    ``status`` is the HTTP status; ``scope`` names the missing RBAC scope on a 403 when the
    endpoint's scope is known (for example ``"schedules.view"``), so callers can skip one
    resource and carry on.
    """

    def __init__(self, message: str, *, status: int | None = None, scope: str | None = None) -> None:
        super().__init__(message, status=status)
        self.scope = scope


class IncidentIoRateLimited(SourceError):
    """incident.io kept answering 429 after our retries."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ImportFileError(PrecedentError):
    """An export file is invalid; the message names the file, the object and the field."""


class InvalidJudgments(PrecedentError):
    """A judgments file (``tune``/``evaluate --judgments``) cannot be read; the message names the line."""


class MappingError(PrecedentError):
    """An incident.io object cannot be mapped onto the graph."""

    def __init__(self, record_id: str, reason: str) -> None:
        super().__init__(f"cannot map {record_id}: {reason}")
        self.record_id = record_id
        self.reason = reason


class WebhookRejected(PrecedentError):
    """A webhook delivery was refused and must not be acknowledged."""


class BadSignature(WebhookRejected):
    """The webhook signature does not match the signing secret."""


class StaleTimestamp(WebhookRejected):
    """The webhook timestamp is outside the accepted window (replay protection)."""


class MalformedDelivery(WebhookRejected):
    """A correctly signed delivery whose body is not JSON or does not match its event's schema,
    or any delivery whose ``webhook-id`` header is too long to store (refused before its signature).

    ``event_type`` is the body's when it names one (an off-schema event), else empty, so the
    recorded rejection says which event incident.io sent.
    """

    def __init__(self, message: str, *, event_type: str = "") -> None:
        super().__init__(message)
        self.event_type = event_type


class DeliveryTooLarge(WebhookRejected):
    """A delivery body over the size limit."""


class WebhooksDisabled(PrecedentError):
    """Webhook deliveries cannot be accepted because no signing secret is configured."""


class MetricsUnavailable(PrecedentError):
    """``serve --workers``'s metric files cannot be read: their directory was removed while it ran."""

    def __init__(self) -> None:
        # One reason, said alike by /metrics and by the supervisor that cannot replace a worker.
        super().__init__(
            "the worker processes' metric files are gone: their directory (PRECEDENT_METRICS_DIR, or "
            "the temporary one `precedent serve` logged at start) was removed while serve ran, e.g. "
            "by a temporary-file cleaner. Restart `precedent serve` (counts start again), with "
            "PRECEDENT_METRICS_DIR set to a directory nothing cleans"
        )


class DeliveryNotRetryable(PrecedentError):
    """A delivery was rejected as malformed: its body can never pass validation, so retrying it is refused."""

    def __init__(self, delivery_id: str, reason: str | None) -> None:
        super().__init__(
            f"webhook delivery {delivery_id!r} was rejected as malformed: {reason or 'no reason recorded'}; "
            "retrying cannot help, send a corrected event from incident.io"
        )
        self.delivery_id = delivery_id


class SyncConflict(PrecedentError):
    """A sync cannot start now: one runs on the map (in any process), or no incident.io API key is set."""


class AuthError(PrecedentError):
    """An API caller was refused; the message never contains the token."""


_ECHOED = 100
"""How much of a caller's id an error echoes: a 5,000-character id came back whole in its 404."""


def _cut(text: str, limit: int = _ECHOED) -> str:
    """``text`` as an error echoes it: whole up to ``limit`` characters, else cut with its length."""
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


_UNAUTHENTICATED_WHY = {
    "revoked": "this API token was revoked",
    "expired": "this API token has expired",
    "malformed": "the Authorization header does not hold a Precedent token (prec_...)",
    "unknown": "this API token is not one this map issued (cut short when copied, or made for another map)",
}


class Unauthenticated(AuthError):
    """The request carried no bearer token, or one that is unknown, revoked or expired.

    ``reason`` is one of ``missing``, ``malformed``, ``unknown``, ``revoked``, ``expired`` (for
    the failed-attempts metric). The message names a revoked or expired token as such: only the
    holder of its secret can hear that, so it reveals nothing to a prober, and it tells the owner
    of a client that stopped working what to do. An unknown token is said to be unknown, which any
    guess hears too: the generic "send a token" pointed a caller who did send one the wrong way.
    """

    def __init__(self, reason: str, *, scheme: str | None = None) -> None:
        """``scheme``: the one a malformed header used instead of Bearer (``Token prec_...``),
        which was told it held no Precedent token though it did."""
        why = _UNAUTHENTICATED_WHY.get(reason, "a valid API token is required")
        if scheme:
            why = f"the Authorization header uses the {_cut(scheme, 20)!r} scheme; Precedent takes Bearer"
        if reason in ("revoked", "expired"):
            # The client did send a token: telling it to send one would point the wrong way.
            todo = "issue a new one with 'precedent token create' and put it in this client"
        elif reason == "unknown":
            todo = (
                "check it was copied whole, or issue one with 'precedent token create' "
                "and put it in this client"
            )
        else:
            todo = (
                "send 'Authorization: Bearer <token>' (create one with 'precedent token create --scope read')"
            )
        super().__init__(f"{why}: {todo}")
        self.reason = reason


class Forbidden(AuthError):
    """The token is valid but lacks the scope the route requires."""

    def __init__(self, scope: str, *, needs: tuple[str, ...] = ()) -> None:
        """Name the missing ``scope``; ``needs``: every scope the route needs, when it is several."""
        needs = needs or (scope,)
        also = f" (it needs {' and '.join(repr(s) for s in needs)})" if len(needs) > 1 else ""
        flags = " ".join(f"--scope {s}" for s in needs)
        super().__init__(
            f"this route needs the {scope!r} scope{also}; "
            f"create a token with 'precedent token create {flags}'"
        )
        self.scope = scope


class StoreError(PrecedentError):
    """The graph store failed.

    Its message is for the operator: it may quote the database driver ("Neo4j failed while
    reading: {code: Neo.ClientError...}") or name the store's files. A client (an API caller, an
    MCP tool's caller) is told ``client_detail()``, which says what to do and nothing of the
    internals; the log has the message. Each subclass a client can act on says its own.
    """

    CLIENT_DETAIL = (
        "the map's store failed to answer this request; retry it, and if it fails again the operator "
        "should read the server log, where this request's x-request-id (or the time) names the cause"
    )

    def client_detail(self) -> str:
        """What a client (an API caller, a page's reader, an MCP tool's caller) may be told."""
        return self.CLIENT_DETAIL


class NotFound(StoreError):
    """A node the caller named does not exist.

    ``field`` names the argument that named it when it is a filter (``?service=nope``): the API
    lists it in ``errors``, as it lists an ``InvalidQuery``'s. ``None`` for what a path names.
    """

    def __init__(self, kind: str, id: str, *, hint: str | None = None, field: str | None = None) -> None:
        super().__init__(f"{kind} {_cut(id)!r} not found" + (f"; {hint}" if hint else ""))
        self.kind = kind
        self.id = id
        self.hint = hint
        self.field = field

    def client_detail(self) -> str:
        """The message itself: it names what the caller asked for, and nothing of the store."""
        return str(self)


class StoreUnavailable(StoreError):
    """The store cannot be reached or opened.

    Its message is for the operator (it may name the server's address and quote the driver).
    ``for_clients`` says it was written for a client too (the service is starting, say):
    otherwise a client is shown ``CLIENT_DETAIL`` (``client_detail``) and only the log has the message.
    """

    CLIENT_DETAIL = (
        "the map's store cannot be reached just now; retry in a few seconds (an HTTP answer's "
        "Retry-After says when). If it lasts, the operator should check the map's store (GET /ready) "
        "and the server log, where this request's x-request-id names the cause"
    )

    def __init__(self, message: str, *, for_clients: bool = False) -> None:
        super().__init__(message)
        self.for_clients = for_clients

    def client_detail(self) -> str:
        """What a client (an API caller, a page's reader, an MCP tool's caller) may be told."""
        return str(self) if self.for_clients else self.CLIENT_DETAIL


class StoreCorrupt(StoreError):
    """The embedded store's files are damaged beyond the last complete write."""


class StoreWriteFailed(StoreError):
    """A write could not be saved to disk (most often a full disk); nothing of it was written.

    ``reason`` is the system's word for it ("No space left on device"), without any path, for
    where the path must not show (an HTTP answer); the message names the file too.
    """

    ADVICE = (
        "nothing was written; free disk space on the server (or fix the directory's permissions) and retry"
    )

    def __init__(self, path: object, exc: OSError) -> None:
        self.reason = exc.strerror or type(exc).__name__
        super().__init__(f"cannot write to {path}: {self.reason}; {self.ADVICE}")

    def client_detail(self) -> str:
        """The reason and what to do, without the path (the message, for the log, has it)."""
        return f"the server could not save this write ({self.reason}); {self.ADVICE}"


class StoreLocked(StoreUnavailable):
    """Another process holds the embedded map open for writing.

    ``pid`` and ``command`` name that process when it recorded them (None otherwise);
    ``is_advised`` says the message already says what to do where it surfaced (``advised``).
    """

    def __init__(
        self, message: str, *, pid: int | None = None, command: str | None = None, advised: bool = False
    ) -> None:
        super().__init__(message)
        self.pid = pid
        self.command = command
        self.is_advised = advised

    def advised(self, advice: str) -> StoreLocked:
        """The same refusal with ``advice`` for where it surfaces (the store's own is for Python callers)."""
        return StoreLocked(f"{self}. {advice}", pid=self.pid, command=self.command, advised=True)


class ReadOnlyStore(StoreError):
    """A write was attempted on a store opened read-only; write through the process that owns the map."""
