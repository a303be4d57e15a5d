"""Webhook routes: receive incident.io deliveries, list them, retry one.

``POST /v1/webhooks/incident-io`` reads the raw body (at most 1 MiB) and hands it to the
``Receiver``, which verifies and records it durably before this answers 200. Errors become
problem+json in ``api/errors.py``. The receiver needs no token (the signature is its check); the
two delivery routes need the ``admin`` scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, OpenAPIType, Operation, RequestBody, Schema
from litestar.params import FromPath

from precedent.api.auth import NO_TOKEN_NEEDED, scope_security
from precedent.api.errors import problem_responses
from precedent.api.requests import limit_parameter
from precedent.api.routes_incidents import Cursor
from precedent.browse import delivery_page
from precedent.browse.deliveries import MAX_DELIVERIES
from precedent.errors import DeliveryTooLarge
from precedent.metrics import WEBHOOK_ROUTE
from precedent.responses import DeliveryPageResponse, DeliveryResponse, ReceiptResponse
from precedent.sources.incidentio.webhooks import MAX_BODY_BYTES, TOLERANCE
from precedent.webhooks import WebhookService

__all__ = ["WEBHOOK_ROUTES"]

Limit = Annotated[int, limit_parameter(MAX_DELIVERIES, "page size")]


async def _read_body(request: Request[Any, Any, Any]) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise DeliveryTooLarge(f"the body is {declared} bytes; deliveries are limited to {MAX_BODY_BYTES}")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise DeliveryTooLarge(f"the body exceeds {MAX_BODY_BYTES} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


# This route takes no token: its 401 is a signature that did not verify, and said "no valid API
# token was given", sending whoever read it to look for a token incident.io never sends.
_SIGNATURE_REFUSED = (
    "the delivery's incident.io signature did not verify (missing, wrong, or timestamped more than "
    f"{TOLERANCE.seconds // 60} minutes from now); check that PRECEDENT_INCIDENTIO_WEBHOOK_SECRET is "
    "the endpoint's signing secret in incident.io and that this server's clock is right"
)

_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    title="IncidentIoWebhookEvent",
    description=(
        "One incident.io webhook event, as incident.io sends it: its `event_type`, and the resource "
        "under a key of the same name. Each event's full schema is in incident.io's API reference "
        "(https://api-docs.incident.io/tag/Webhooks); a known event that does not match it is refused "
        "(400), one incident.io added since is accepted as it is. Signed the Standard Webhooks way "
        "(`webhook-id`, `webhook-timestamp`, `webhook-signature` over the raw body): send the bytes "
        "exactly as signed."
    ),
    required=["event_type"],
    properties={
        "event_type": Schema(
            type=OpenAPIType.STRING,
            description="The event; its resource is under the key of this name.",
            examples=["public_incident.incident_created_v2"],
        )
    },
    additional_properties=True,
)


@dataclass
class _ReceiveOperation(Operation):
    """The receiver's operation, with the body it reads raw declared for clients.

    The handler reads the bytes itself (the signature is over them; a parsed body is not the
    same bytes), so litestar sees no body parameter and would declare none. Inline, as litestar
    rebuilds the document's component schemas from the handlers' types alone.
    """

    def __post_init__(self) -> None:
        self.request_body = RequestBody(
            content={"application/json": OpenAPIMediaType(schema=_EVENT)},
            description=f"An incident.io webhook event, at most {MAX_BODY_BYTES} bytes.",
            required=True,
        )


@post(
    WEBHOOK_ROUTE,
    operation_class=_ReceiveOperation,
    operation_id="receiveIncidentIoWebhook",
    summary="Receive an incident.io webhook",
    tags=["webhooks"],
    status_code=200,
    responses=problem_responses(400, 401, 413, 503, public=True, meaning={401: _SIGNATURE_REFUSED}),
    security=NO_TOKEN_NEEDED,
    # Its URL is whatever incident.io was given: a query string added there (a tag for a proxy)
    # must not refuse every delivery.
    opt={"any_query": True},
)
async def receive_incident_io(
    request: Request[Any, Any, Any], webhooks: NamedDependency[WebhookService]
) -> ReceiptResponse:
    """Receive one incident.io delivery (Standard Webhooks signature); 200 once it is durable.

    401: missing, wrong, stale or future signature (nothing is stored). 400: signed, but not JSON
    or not its event's schema (recorded as rejected). 503: no signing secret is configured, or the
    inbox cannot be written (incident.io retries).
    """
    body = await _read_body(request)
    return ReceiptResponse.from_receipt(await webhooks.receiver.receive(body, dict(request.headers)))


@get(
    "/v1/webhooks/deliveries",
    operation_id="listWebhookDeliveries",
    summary="List webhook deliveries",
    tags=["webhooks"],
    responses=problem_responses(400, 503),
    opt={"scope": "admin"},
    security=scope_security("admin"),
)
async def list_deliveries(
    webhooks: NamedDependency[WebhookService], limit: Limit = 50, cursor: Cursor = None
) -> DeliveryPageResponse:
    """Recent deliveries, newest received first, with their outcome, state and timings, a page at a time.

    Needs the `admin` scope. 400: a `cursor` that is not a `next_cursor` this API issued.
    """
    page = await delivery_page(webhooks.require_inbox(), limit=limit, cursor=cursor)
    return DeliveryPageResponse.from_page(page)


@post(
    "/v1/webhooks/deliveries/{delivery_id:str}/retry",
    operation_id="retryWebhookDelivery",
    summary="Retry a webhook delivery",
    tags=["webhooks"],
    status_code=200,
    responses=problem_responses(400, 404, 409, 503),
    opt={"scope": "admin"},
    security=scope_security("admin"),
)
async def retry_delivery(
    delivery_id: FromPath[str], webhooks: NamedDependency[WebhookService]
) -> DeliveryResponse:
    """Work on a finished, dead or ignored delivery again, now. Needs the `admin` scope.

    409: the delivery was rejected as malformed; its body can never pass, so incident.io must send
    a corrected event.
    """
    return DeliveryResponse.from_delivery(await webhooks.retry(delivery_id))


WEBHOOK_ROUTES = [receive_incident_io, list_deliveries, retry_delivery]
