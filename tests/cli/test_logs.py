"""What ``configure_logging`` lets through: Precedent's lines, not a library's line per request."""

from __future__ import annotations

import io
import logging
import sys
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.cli.logs import configure_logging

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def restored_logging() -> Iterator[None]:
    """Put the root handlers and the library levels back as they were (pytest's capture uses them)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    names = ("httpx", "httpcore", "sentence_transformers", "neo4j.session")
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
