"""Webhook verification and parsing: the Svix test vector, the library's edges, every rejection."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from precedent.errors import BadSignature, ConfigError, MalformedDelivery, StaleTimestamp
from precedent.sources.incidentio.webhooks import WebhookVerifier, parse_event, parse_secrets
from tests.webhooks.signing import EXAMPLES, OTHER_SECRET, SECRET, example, signed_headers

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
VECTOR = json.loads((EXAMPLES / "svix-signature-test-vector.json").read_text())


def verifier(*secrets: str, now: datetime = NOW) -> WebhookVerifier:
    return WebhookVerifier(secrets or (SECRET,), clock=lambda: now)


def test_the_svix_test_vector_verifies_at_its_own_time() -> None:
    at = datetime.fromtimestamp(int(VECTOR["headers"]["webhook-timestamp"]), tz=UTC)
    signed = verifier(VECTOR["secret"], now=at).verify(VECTOR["raw_body"].encode(), VECTOR["headers"])
    assert signed.id == "msg_p5jXN8AQM9LWM0D4loKWxJek"
    assert signed.timestamp == at


def test_the_svix_test_vector_is_stale_today() -> None:
    # Proves the injected clock is the one the library consults (its private timestamp check).
    with pytest.raises(StaleTimestamp):
        verifier(VECTOR["secret"]).verify(VECTOR["raw_body"].encode(), VECTOR["headers"])


def test_a_signed_example_verifies_and_parses() -> None:
    body = json.dumps(example("public_incident.incident_created_v2")).encode()
    signed = verifier().verify(body, signed_headers(body, "msg_1", at=NOW))
    event = parse_event(body)
    assert signed.id == "msg_1"
    assert event.event_type == "public_incident.incident_created_v2"
    assert event.known
    assert event.resource["id"] == "01FDAG4SAP5TYPT98WGR2N7W91"


def test_svix_header_spellings_are_accepted() -> None:
    body = b'{"event_type": "x"}'
    headers = signed_headers(body, "msg_2", at=NOW, prefix="svix")
    assert verifier().verify(body, {k.upper(): v for k, v in headers.items()}).id == "msg_2"


def test_any_of_several_signatures_and_any_of_several_secrets_may_match() -> None:
    body = b'{"event_type": "x"}'
    good = signed_headers(body, "msg_3", at=NOW)["webhook-signature"]
    other = signed_headers(body, "msg_3", secret=OTHER_SECRET, at=NOW)["webhook-signature"]
    headers = signed_headers(body, "msg_3", at=NOW)
    # A malformed entry first: the library alone would raise ValueError before reaching the good one.
    headers["webhook-signature"] = f"v1,not-base64! v1a,xyz v2,abc= {other} {good}"
    assert verifier().verify(body, headers).id == "msg_3"
    only_other = {**headers, "webhook-signature": other}
    assert verifier(*parse_secrets(f" {SECRET} , {OTHER_SECRET} ")).verify(body, only_other).id == "msg_3"
    # The operator reads this in incident.io's delivery log: it says which setting to check.
    with pytest.raises(BadSignature, match=r"set PRECEDENT_INCIDENTIO_WEBHOOK_SECRET to this endpoint's"):
        verifier().verify(body, only_other)


@pytest.mark.parametrize("skew", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
def test_timestamps_beyond_five_minutes_either_way_are_stale(skew: timedelta) -> None:
    body = b'{"event_type": "x"}'
    with pytest.raises(StaleTimestamp):
        verifier().verify(body, signed_headers(body, "msg_4", at=NOW + skew))


@pytest.mark.parametrize("skew", [timedelta(minutes=-4, seconds=-59), timedelta(minutes=4, seconds=59)])
def test_timestamps_within_five_minutes_pass(skew: timedelta) -> None:
    body = b'{"event_type": "x"}'
    assert verifier().verify(body, signed_headers(body, "msg_5", at=NOW + skew)).id == "msg_5"


@pytest.mark.parametrize(
    "change",
    [
        {"webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
        {"webhook-signature": "v1,abc"},
        {"webhook-signature": "v1,YWJj,ZGVm"},
        {"webhook-signature": ""},
        {"webhook-signature": "garbage"},
        {"webhook-id": "msg_other"},
        {"webhook-timestamp": "nan"},
        {"webhook-timestamp": "1e400"},
        {"webhook-timestamp": "soon"},
    ],
)
def test_bad_headers_are_bad_signatures(change: dict[str, str]) -> None:
    body = b'{"event_type": "x"}'
    headers = {**signed_headers(body, "msg_6", at=NOW), **change}
    with pytest.raises(BadSignature):
        verifier().verify(body, headers)


def test_an_id_too_long_to_store_is_malformed_whatever_its_signature() -> None:
    body = b'{"event_type": "x"}'
    signed = signed_headers(body, "x" * 257, at=NOW)
    for headers in (signed, {**signed, "webhook-signature": "v1,abc"}):
        with pytest.raises(MalformedDelivery, match="the webhook-id header is 257 characters"):
            verifier().verify(body, headers)


def test_missing_headers_a_tampered_body_and_non_utf8_are_bad_signatures() -> None:
    body = b'{"event_type": "x"}'
    headers = signed_headers(body, "msg_7", at=NOW)
    for name in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        with pytest.raises(BadSignature):
            verifier().verify(body, {k: v for k, v in headers.items() if k != name})
    with pytest.raises(BadSignature):
        verifier().verify(body + b" ", headers)
    with pytest.raises(BadSignature):
        verifier().verify(b"\xff\xfe", headers)


def test_wrong_secrets_are_configuration_errors() -> None:
    with pytest.raises(ConfigError, match="PRECEDENT_INCIDENTIO_WEBHOOK_SECRET"):
        WebhookVerifier(())
    with pytest.raises(ConfigError, match="secret #2"):
        WebhookVerifier((SECRET, "whsec_!!!notbase64"))


@pytest.mark.parametrize(
    "pasted",
    [
        VECTOR["secret"] + '"',  # a quote copied with it
        "whsec_MfKQ9r8GKYqr TwjUPD8ILPZIo2LaLaSw",  # a space from a wrapped line
        "whsec_MfKQ9r8GKYqrTwjUPD8I",  # cut short
        "notasecret",
    ],
)
def test_a_mangled_secret_is_refused_at_start_not_with_every_delivery(pasted: str) -> None:
    # The library drops what is not base64 and pads the rest, so each of these made some key,
    # and then every delivery got 401 with nothing saying the setting was wrong.
    with pytest.raises(ConfigError, match="secret #1 is not a valid whsec_ secret"):
        WebhookVerifier([pasted])


def test_secrets_as_incident_io_gives_them_are_accepted_with_or_without_the_prefix() -> None:
    WebhookVerifier([VECTOR["secret"], SECRET, OTHER_SECRET, VECTOR["secret"].removeprefix("whsec_")])


@pytest.mark.parametrize(
    "body",
    [b"not json", b"[1, 2]", b'{"no": "type"}', b'{"event_type": 3}', b"[" * 100_000, b'{"event_type": ""}'],
)
def test_malformed_bodies_are_refused(body: bytes) -> None:
    with pytest.raises(MalformedDelivery):
        parse_event(body)


def test_a_known_event_not_matching_its_schema_is_refused() -> None:
    document = example("public_incident.incident_created_v2")
    incident = dict(document["public_incident.incident_created_v2"])  # type: ignore[call-overload]
    del incident["name"]
    incident["created_at"] = "yesterday"
    document["public_incident.incident_created_v2"] = incident
    with pytest.raises(MalformedDelivery, match="name") as raised:
        parse_event(json.dumps(document).encode())
    assert "created_at" in str(raised.value)


def test_unknown_event_types_and_enum_values_are_accepted() -> None:
    event = parse_event(b'{"event_type": "status_page_incident.update_shared_v1", "x": 1}')
    assert (event.event_type, event.known, dict(event.resource)) == (
        "status_page_incident.update_shared_v1",
        False,
        {},
    )
    document = example("public_incident.incident_created_v2")
    document["public_incident.incident_created_v2"]["mode"] = "brand_new_mode"  # type: ignore[index]
    assert parse_event(json.dumps(document).encode()).known


def test_a_svix_envelope_is_unwrapped() -> None:
    inner = example("private_incident.incident_created_v2")
    event = parse_event(json.dumps({"data": inner, "type": "x"}).encode())
    assert event.resource == {"id": inner["private_incident.incident_created_v2"]["id"]}  # type: ignore[index]


@pytest.mark.parametrize("path", sorted((EXAMPLES / "spec-webhooks").glob("*.json")), ids=lambda p: p.stem)
def test_every_spec_example_parses(path: object) -> None:
    from pathlib import Path

    assert isinstance(path, Path)
    event = parse_event(path.read_bytes())
    assert event.known
    assert event.event_type == path.stem
