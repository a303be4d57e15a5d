"""incident.io webhook deliveries: verify the signature on the raw body, then parse the event.

incident.io sends webhooks through Svix, signed the Standard Webhooks way: headers ``webhook-id``,
``webhook-timestamp`` and ``webhook-signature`` (Svix's own ``svix-*`` spellings are accepted too),
HMAC-SHA256 over ``"{id}.{timestamp}.{body}"``. Verification is ``standardwebhooks``' own; this
module adds what a receiver needs around it:

- several secrets (comma separated in the setting) so one can be rotated without downtime;
- an injected clock for the 5-minute tolerance, both ways (the library reads the wall clock);
- the library's edges: a signature header with a malformed entry makes it raise ``ValueError`` or
  ``binascii.Error`` before it looks at the next entry, so malformed entries are dropped first and
  anything it still raises is a bad signature; a body that is not UTF-8 cannot be verified by it.

Parsing follows verification: JSON, the event type, and the event's schema from the spec
(``webhook_schemas``). An event type the spec does not know is accepted as it is, since incident.io
adds new ones without notice.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from standardwebhooks import Webhook, WebhookVerificationError

from precedent.errors import BadSignature, ConfigError, MalformedDelivery, StaleTimestamp
from precedent.sources.incidentio.decoding import decode_json
from precedent.sources.incidentio.webhook_schemas import known_event_types, schema_errors

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

__all__ = [
    "MAX_BODY_BYTES",
    "TOLERANCE",
    "SignedDelivery",
    "WebhookEvent",
    "WebhookVerifier",
    "claimed_id",
    "parse_event",
    "parse_secrets",
]

MAX_BODY_BYTES = 1024 * 1024
"""Largest delivery accepted (incident.io's payloads are a few kilobytes)."""
TOLERANCE = timedelta(minutes=5)
"""How far a delivery's timestamp may be from now, either way (Svix's own tolerance)."""

_HEADER_SETS = (
    ("webhook-id", "webhook-timestamp", "webhook-signature"),
    ("svix-id", "svix-timestamp", "svix-signature"),
)
_MAX_ID_LENGTH = 256
# A signing secret as Svix (incident.io) issues it: whsec_, then standard base64 of at least 24
# bytes (Standard Webhooks' lower bound; Svix's are 24), its padding optional as for the library.
_SECRET = re.compile(
    r"(?:whsec_)?((?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?)", re.ASCII
)
_MIN_SECRET_BYTES = 24
_SIGNATURE_ENTRY = re.compile(r"v1,(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?", re.ASCII)


def claimed_id(headers: Mapping[str, str]) -> str:
    """The delivery id a request claims, unverified, from the headers ``verify`` reads, cut to 64.

    For logs: found even when the signature fails, so an operator finds the delivery in incident.io.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    return next((lowered[names[0]] for names in _HEADER_SETS if lowered.get(names[0])), "")[:64]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class SignedDelivery:
    """The verified envelope of a delivery.

    Attributes:
        id: ``webhook-id``: the same on every retry of one message (the idempotency key).
        timestamp: ``webhook-timestamp``, when incident.io signed this attempt.
    """

    id: str
    timestamp: datetime


@dataclass(frozen=True)
class WebhookEvent:
    """A verified, parsed delivery.

    Attributes:
        event_type: For example ``public_incident.incident_created_v2``.
        resource: The object under the event-type key (empty for an unknown type without one).
        known: Whether the spec describes this event type (unknown ones are recorded and ignored).
    """

    event_type: str
    resource: Mapping[str, object]
    known: bool


class _ClockedWebhook(Webhook):
    """The library's verifier with an injected clock and tolerance.

    ``Webhook.verify`` checks the timestamp through its private ``__verify_timestamp`` (name-mangled
    to ``_Webhook__verify_timestamp``), reading the wall clock; this is the one override, so the
    Svix test vector can be checked at its own time. ``test_webhooks`` fails if the library stops
    calling it.
    """

    def __init__(self, secret: str, clock: Callable[[], datetime], tolerance: timedelta) -> None:
        super().__init__(secret)
        self._clock = clock
        self._tolerance = tolerance

    def _Webhook__verify_timestamp(self, timestamp_header: str) -> datetime:
        try:
            timestamp = datetime.fromtimestamp(float(timestamp_header), tz=UTC)
        except (ValueError, OverflowError, OSError) as exc:
            raise BadSignature(f"webhook-timestamp {timestamp_header[:40]!r} is not a Unix time") from exc
        now = self._clock()
        if abs(timestamp - now) > self._tolerance:
            raise StaleTimestamp(
                f"webhook-timestamp {timestamp.isoformat()} is more than {self._tolerance} from now "
                f"({now.isoformat()}); check the server clock if every delivery is refused"
            )
        return timestamp


def parse_secrets(value: str) -> tuple[str, ...]:
    """Split the ``PRECEDENT_INCIDENTIO_WEBHOOK_SECRET`` setting: one or more secrets, comma separated."""
    return tuple(part.strip() for part in value.split(",") if part.strip())


def _check_secret(secret: str) -> None:
    """Refuse a secret the library would still make a key of.

    It drops characters that are not base64 and pads the rest, so a secret pasted with a quote, a
    space or a line cut short became a wrong key, and every delivery a 401.

    Raises:
        ValueError: saying what is wrong with it.
    """
    matched = _SECRET.fullmatch(secret)
    if matched is None:
        raise ValueError("it holds characters that are not base64 after whsec_")
    if len(matched.group(1).rstrip("=")) * 3 // 4 < _MIN_SECRET_BYTES:
        raise ValueError(f"it is shorter than incident.io's ({_MIN_SECRET_BYTES} bytes, 32 characters)")


class WebhookVerifier:
    """Checks deliveries against one or more signing secrets.

    Args:
        secrets: ``whsec_…`` secrets from incident.io's webhook settings; any one may match.
        tolerance: How far the timestamp may be from ``clock()``, either way.
        clock: The current time (tests fix it).

    Raises:
        ConfigError: if no secret is given or one is not a valid ``whsec_`` base64 secret.
    """

    def __init__(
        self,
        secrets: Sequence[str],
        *,
        tolerance: timedelta = TOLERANCE,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        if not secrets:
            raise ConfigError("no webhook signing secret; set PRECEDENT_INCIDENTIO_WEBHOOK_SECRET")
        self._webhooks: list[_ClockedWebhook] = []
        for number, secret in enumerate(secrets, start=1):
            try:
                _check_secret(secret)
                self._webhooks.append(_ClockedWebhook(secret, clock, tolerance))
            except Exception as exc:  # ours, binascii.Error, or the library's empty-secret error
                raise ConfigError(
                    f"webhook signing secret #{number} is not a valid whsec_ secret ({exc}); copy it "
                    "again from incident.io's Settings > Webhooks > your endpoint > Signing secret"
                ) from exc

    def verify(self, body: bytes, headers: Mapping[str, str]) -> SignedDelivery:
        """Verify ``body`` (raw bytes, unparsed) against the signature headers.

        Args:
            body: The request body exactly as received.
            headers: Request headers; names are matched case-insensitively.

        Returns:
            The delivery id and the signed timestamp.

        Raises:
            BadSignature: if headers are missing or malformed, or no signature matches any secret.
            StaleTimestamp: if the timestamp is more than the tolerance away from now.
            MalformedDelivery: if the delivery id is too long to store (said before the signature
                is checked).
        """
        lowered = {k.lower(): v for k, v in headers.items()}
        names = next((n for n in _HEADER_SETS if all(lowered.get(h) for h in n)), None)
        if names is None:
            raise BadSignature("missing webhook-id, webhook-timestamp or webhook-signature header")
        delivery_id, timestamp, signature = (lowered[h] for h in names)
        if len(delivery_id) > _MAX_ID_LENGTH:
            # Before the signature: no secret makes such an id storable (Neo4j's index refuses a
            # key over ~8 KiB, which answered 503 and had it sent again), and a bad secret is not
            # what to check: 400 as for an id in the body too long to store, not 401.
            raise MalformedDelivery(
                f"the {names[0]} header is {len(delivery_id)} characters, longer than the "
                f"{_MAX_ID_LENGTH} a delivery id may have (incident.io's are msg_ and 27 characters); "
                "the delivery was not stored"
            )
        entries = [e for e in signature.split() if _SIGNATURE_ENTRY.fullmatch(e)]
        if not entries:
            raise BadSignature("webhook-signature has no well-formed v1 signature")
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadSignature("the body is not UTF-8, so its signature cannot be checked") from exc
        canonical = {
            "webhook-id": delivery_id,
            "webhook-timestamp": timestamp,
            "webhook-signature": " ".join(entries),
        }
        for webhook in self._webhooks:
            try:
                webhook.verify(text, canonical, json_parse=False)
            except (WebhookVerificationError, ValueError):  # ValueError covers binascii.Error
                continue
            return SignedDelivery(delivery_id, datetime.fromtimestamp(float(timestamp), tz=UTC))
        raise BadSignature(
            "no webhook signature matches the signing secret(s); if every delivery is refused, set "
            "PRECEDENT_INCIDENTIO_WEBHOOK_SECRET to this endpoint's signing secret in incident.io "
            "(Settings > Webhooks, whsec_...) and restart"
        )


def parse_event(body: bytes) -> WebhookEvent:
    """Decode a verified body and check it against its event's schema.

    A Svix envelope ``{"data": {...}}`` without a top-level ``event_type`` is unwrapped.

    Raises:
        MalformedDelivery: if the body is not a JSON object with a string ``event_type``, or does
            not match the schema of a known event type.
    """
    try:
        document = decode_json(body)
    except (ValueError, RecursionError) as exc:
        raise MalformedDelivery(f"the body is not JSON: {str(exc)[:200]}") from exc
    if isinstance(document, dict) and "event_type" not in document and isinstance(document.get("data"), dict):
        document = document["data"]
    if not isinstance(document, dict):
        raise MalformedDelivery("the body is not a JSON object")
    event_type = document.get("event_type")
    if not isinstance(event_type, str) or not event_type:
        raise MalformedDelivery("the body has no string event_type")
    known = event_type in known_event_types()
    if known:
        try:
            problems = schema_errors(event_type, document)
        except RecursionError as exc:
            raise MalformedDelivery("the body is nested too deeply", event_type=event_type) from exc
        if problems:
            message = f"{event_type} does not match its schema: " + "; ".join(problems)
            raise MalformedDelivery(message, event_type=event_type)
    resource = document.get(event_type)
    return WebhookEvent(event_type, resource if isinstance(resource, Mapping) else {}, known)
