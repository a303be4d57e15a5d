"""A process killed with SIGKILL right after acknowledging, or mid-investigation: after a restart the
delivery is processed, and only what the killed attempt left undone is done again."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import httpx
import pytest
from neo4j import GraphDatabase

from tests.webhooks.payloads import INCIDENT_ID, body, incident_event
from tests.webhooks.processes import free_port, kill, start, stop
from tests.webhooks.signing import signed_headers

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.neo4j_server import Neo4jServer


@pytest.fixture(params=["embedded", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def map_flags(request: pytest.FixtureRequest) -> tuple[str, ...]:
    """``serve_process`` flags: the map and inbox in the data directory, or in the test Neo4j."""
    if request.param == "embedded":
        return ()
    server: Neo4jServer = request.getfixturevalue("neo4j")
    assert not server.password, "serve_process connects to Neo4j without authentication"
    with GraphDatabase.driver(server.uri, auth=None) as driver:
        driver.execute_query("MATCH (n) DETACH DELETE n")
    return ("--neo4j", server.uri)


@pytest.mark.slow
def test_an_acknowledged_delivery_survives_sigkill_and_is_processed_after_restart(
    tmp_path: Path, map_flags: tuple[str, ...]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    payload = body(incident_event())
    first = start(tmp_path, port, "--no-worker", *map_flags)
    try:
        response = httpx.post(
            f"{base}/v1/webhooks/incident-io", content=payload, headers=signed_headers(payload, "msg_1")
        )
        assert response.status_code == 200
    finally:
        kill(first)  # right after the acknowledgement: nothing else had a chance to run
    second = start(tmp_path, port, *map_flags)
    token = {"Authorization": f"Bearer {(tmp_path / 'token').read_text()}"}
    try:
        deadline = time.monotonic() + 180  # generous: a first Neo4j write on a loaded machine is slow
        state = None
        while time.monotonic() < deadline:
            [delivery] = httpx.get(f"{base}/v1/webhooks/deliveries", headers=token).json()["items"]
            state = delivery["state"]
            if state == "done":
                break
            time.sleep(0.1)
        assert state == "done"
        again = httpx.post(
            f"{base}/v1/webhooks/incident-io", content=payload, headers=signed_headers(payload, "msg_1")
        )
        assert again.json()["status"] == "duplicate"
        investigation = httpx.get(f"{base}/v1/nodes/inv:{INCIDENT_ID}", headers=token)
        assert investigation.status_code == 200
        assert investigation.json()["properties"]["incident_id"] == INCIDENT_ID
    finally:
        stop(second)


def _deliveries(base: str, token: dict[str, str]) -> list[dict[str, object]]:
    answer = httpx.get(f"{base}/v1/webhooks/deliveries", headers=token)
    items: list[dict[str, object]] = answer.json()["items"]
    return items


@pytest.mark.slow
def test_a_delivery_killed_mid_investigation_is_redone_once_after_restart(
    tmp_path: Path, map_flags: tuple[str, ...]
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    payload = body(incident_event())
    builds = tmp_path / "builds.log"
    # A short lease: the killed worker's claim must run out before the next one takes it.
    first = start(tmp_path, port, "--hold-build", "--lease-seconds", "2", *map_flags)
    try:
        response = httpx.post(
            f"{base}/v1/webhooks/incident-io", content=payload, headers=signed_headers(payload, "msg_1")
        )
        assert response.status_code == 200
        deadline = time.monotonic() + 180
        while not (builds.exists() and builds.read_text()):  # its investigation is written
            assert time.monotonic() < deadline, "the build never started"
            time.sleep(0.05)
    finally:
        kill(first)  # mid-investigation: the build is stored, the delivery not yet done
    second = start(tmp_path, port, "--lease-seconds", "2", *map_flags)
    token = {"Authorization": f"Bearer {(tmp_path / 'token').read_text()}"}
    try:
        deadline = time.monotonic() + 180
        [delivery] = _deliveries(base, token)
        while delivery["state"] != "done":
            assert time.monotonic() < deadline, f"not redone: {delivery}"
            time.sleep(0.1)
            [delivery] = _deliveries(base, token)
        assert delivery["attempts"] == 2
        again = httpx.post(
            f"{base}/v1/webhooks/incident-io", content=payload, headers=signed_headers(payload, "msg_1")
        )
        assert again.json()["status"] == "duplicate"
        # The killed build and the one redone, no more.
        assert builds.read_text().split() == [INCIDENT_ID, INCIDENT_ID]
    finally:
        stop(second)
