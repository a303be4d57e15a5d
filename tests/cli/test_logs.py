"""What ``configure_logging`` lets through: Precedent's lines, not a library's line per request."""

from __future__ import annotations

import io
import json
import logging
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.cli.logs import configure_logging
from precedent.errors import StoreUnavailable
from precedent.store import until_up
from precedent.store.neo4j import check_reachable

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root handlers and the library levels back as they were (pytest's capture uses them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("httpx", "httpcore", "sentence_transformers", "neo4j.session", "neo4j.pool")
    levels = {name: logging.getLogger(name).level for name in names}
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, saved in levels.items():
        logging.getLogger(name).setLevel(saved)


async def _one_request() -> None:
    transport = httpx.MockTransport(lambda request: httpx.Response(200, json={}))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.incident.io") as client:
        await client.get("/v2/incidents", params={"page_size": 250})


@pytest.mark.usefixtures("restored_logging")
async def test_httpx_request_lines_are_left_out_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("INFO", "text")
    logging.getLogger("precedent.test").info("synced 3 incidents")
    await _one_request()
    err = capsys.readouterr().err
    assert "synced 3 incidents" in err
    assert "HTTP Request" not in err
    assert "page_size" not in err


@pytest.mark.usefixtures("restored_logging")
async def test_httpx_request_lines_are_kept_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", "text")
    await _one_request()
    assert "HTTP Request: GET https://api.incident.io/v2/incidents" in capsys.readouterr().err


@pytest.mark.usefixtures("restored_logging")
def test_the_neo4j_drivers_retry_warnings_are_left_out_at_info_and_kept_at_debug(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # While Neo4j was down, each failed attempt came with the driver's own retry warnings; the
    # worker's one line per attempt says what failed and when it is tried again.
    retrying = "Transaction failed and will be retried in 1.1s (ServiceUnavailable)"
    configure_logging("INFO", "text")
    logging.getLogger("neo4j.session").warning(retrying)
    logging.getLogger("neo4j.session").error("a driver error")
    err = capsys.readouterr().err
    assert retrying not in err
    assert "a driver error" in err
    configure_logging("DEBUG", "text")
    logging.getLogger("neo4j.session").warning(retrying)
    assert retrying in capsys.readouterr().err


def _lines(err: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


@pytest.mark.usefixtures("restored_logging")
async def test_the_neo4j_drivers_routing_errors_are_left_out_at_info_beside_precedents_own_lines(
    capsys: pytest.CaptureFixture[str], refused_port: int
) -> None:
    # While Neo4j was down, every attempt (and every request) came with the driver's
    # "ERROR neo4j.pool Unable to retrieve routing information" beside Precedent's one WARNING
    # saying so: anyone alerting on ERROR lines was paged by the driver's, several times a request.
    uri = f"neo4j://127.0.0.1:{refused_port}"  # routing, as a cluster's
    configure_logging("INFO", "json")
    with pytest.raises(StoreUnavailable, match="Unable to retrieve routing information"):
        # One attempt, one wait, one more: a refused port answers within the second.
        await until_up(lambda: check_reachable(uri, None, "neo4j"), 1, interval=1)
    said = _lines(capsys.readouterr().err)
    errors = [(line["logger"], line["message"]) for line in said if line["level"] == "ERROR"]
    assert len(errors) == 1, errors  # Precedent's own, once it stops waiting
    assert errors[0][0] == "precedent.store"
    assert str(errors[0][1]).startswith("the store did not come up in 1 s")
    waits = [line for line in said if line["logger"] == "precedent.store" and line["level"] == "WARNING"]
    assert waits, said
    assert all(f"Neo4j at {uri} is unreachable" in str(line["message"]) for line in waits), waits
    configure_logging("DEBUG", "json")  # at DEBUG, everything is wanted
    with pytest.raises(StoreUnavailable):
        await check_reachable(uri, None, "neo4j")
    kept = [(line["logger"], line["level"]) for line in _lines(capsys.readouterr().err)]
    assert ("neo4j.pool", "ERROR") in kept


@pytest.mark.model
@pytest.mark.usefixtures("restored_logging")
async def test_the_models_loading_line_is_left_out_at_info(capsys: pytest.CaptureFixture[str]) -> None:
    # `precedent evaluate` printed "Loading SentenceTransformer model from ..." amid its tables.
    from precedent.embedding import SentenceTransformerEmbedder

    configure_logging("INFO", "text")
    await SentenceTransformerEmbedder().load()
    err = capsys.readouterr().err
    assert "sentence_transformers" not in err
    assert "Loading SentenceTransformer" not in err


@pytest.mark.usefixtures("restored_logging")
def test_lines_go_to_stderr_as_it_is_when_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    # The handler kept the stderr it was made with: once that was replaced and closed (main run
    # again in one process, output captured), every record was a "Logging error" traceback.
    first, second = io.StringIO(), io.StringIO()
    monkeypatch.setattr(sys, "stderr", first)
    configure_logging("INFO", "text")
    first.close()
    monkeypatch.setattr(sys, "stderr", second)

    logging.getLogger("precedent.test").info("webhook worker started")

    said = second.getvalue()
    assert "Logging error" not in said
    assert said.endswith("webhook worker started\n"), said
