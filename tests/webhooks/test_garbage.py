"""Property: no request to the webhook endpoint, however broken, gets a 5xx or crashes the app.

Random headers (right and wrong names, random values), random bodies in random encodings, and
correctly signed random bodies at random clock skews. With a working inbox the only answers are
200, 400, 401 and 413; a 5xx would mean an error escaped the receiver. Run with each inbox: SQLite
(the embedded store's) and Neo4j.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar.testing import TestClient

from precedent.api.app import create_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.sources.incidentio.webhooks import WebhookVerifier
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from precedent.store.neo4j import Neo4jInbox
from tests.support.webhook_services import receiver_only
from tests.webhooks.payloads import incident_event
from tests.webhooks.signing import SECRET, signed_headers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from litestar import Litestar

    from precedent.store import Inbox
    from tests.support.neo4j_server import Neo4jServer

URL = "/v1/webhooks/incident-io"
HEADER_NAMES = st.sampled_from(
    [
        "webhook-id",
        "webhook-timestamp",
        "webhook-signature",
        "svix-id",
        "svix-timestamp",
        "svix-signature",
        "Webhook-Signature",
        "content-type",
        "x-anything",
    ]
)
HEADER_VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=80),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.lists(
        st.sampled_from(
            ["v1,", "v1,YWJj", "v2,x", "v1,====", ",", " ", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="]
        ),
        max_size=5,
    ).map("".join),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
ENCODINGS = st.sampled_from(["utf-8", "utf-16", "utf-32", "latin-1", "cp1252"])


def _encoded(document: object, encoding: str) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode(encoding, errors="replace")


BODIES = st.one_of(
    st.binary(max_size=512),
    st.builds(_encoded, JSONISH, ENCODINGS),
    st.builds(
        _encoded,
        st.fixed_dictionaries(
            {"event_type": st.sampled_from(["public_incident.incident_created_v2", "x", ""])}
        ),
        ENCODINGS,
    ),
    st.just(json.dumps(incident_event()).encode()),
)


def _inbox(request: pytest.FixtureRequest, data_dir: Path) -> Inbox:
    if request.param == "sqlite":
        return SqliteInbox(data_dir / "webhooks.sqlite")
    server: Neo4jServer = request.getfixturevalue("neo4j")
    auth = (server.user, server.password) if server.user and server.password else None
    return Neo4jInbox(server.uri, auth=auth, database="neo4j")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def client(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TestClient[Litestar]]:
    data_dir = tmp_path_factory.mktemp("garbage")
    embedder = HashEmbedder(dimensions=384)
    store = EmbeddedStore(data_dir / "graph", dimensions=384)  # never opened: the worker does not run
    service = receiver_only(_inbox(request, data_dir), store, embedder, WebhookVerifier([SECRET]))
    settings_ = Settings(data_dir=data_dir, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings_, store=store, embedder=embedder, webhooks=service)
    with TestClient(app) as test_client:
        yield test_client


GARBAGE = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@GARBAGE
@given(headers=st.dictionaries(HEADER_NAMES, HEADER_VALUES, max_size=6), payload=BODIES)
def test_random_headers_and_bodies_never_give_a_5xx(
    client: TestClient[Litestar], headers: dict[str, str], payload: bytes
) -> None:
    response = client.post(URL, content=payload, headers=headers)
    assert response.status_code in {400, 401, 413}, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


@GARBAGE
@given(
    payload=BODIES,
    delivery_id=st.text(
        alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=40
    ),
    skew=st.integers(min_value=-600, max_value=600),
    prefix=st.sampled_from(["webhook", "svix"]),
)
def test_signed_random_bodies_are_answered_200_400_or_401(
    client: TestClient[Litestar], payload: bytes, delivery_id: str, skew: int, prefix: str
) -> None:
    try:
        payload.decode("utf-8")
    except UnicodeDecodeError:
        signable = False
    else:
        signable = True
    at = datetime.now(UTC) + timedelta(seconds=skew)
    headers = (
        signed_headers(payload, delivery_id, at=at, prefix=prefix)
        if signable
        else {"webhook-id": delivery_id}
    )
    response = client.post(URL, content=payload, headers=headers)
    assert response.status_code in {200, 400, 401}, response.text
    if response.status_code == 200:
        assert response.json()["status"] in {"accepted", "duplicate", "ignored"}
    if signable and abs(skew) < 290 and response.status_code == 401:
        pytest.fail(f"a correctly signed, fresh delivery was refused: {response.text}")
