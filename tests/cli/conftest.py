"""A small map for the CLI's tests: the commands read it as they read yours."""

from __future__ import annotations

import gc
import socket
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.store.embedded import EmbeddedStore
from tests.retrieval.small_org import build

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

DIMENSIONS = 384


@pytest.fixture(autouse=True)
def unfrozen_collector() -> Iterator[None]:
    """A command served in this process (``demo``) froze the collector's view of the whole test
    process once started (cli/collector.py): unfreeze it, so later tests' garbage is collected."""
    yield
    gc.unfreeze()


@pytest.fixture
async def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A small map (INC-10, INC-20...) with the hashing embedder: these commands need no model."""
    data = tmp_path / "data"
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(data))
    store = EmbeddedStore(data / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await build(store, HashEmbedder(dimensions=DIMENSIONS))
    finally:
        await store.close()
    return data


@pytest.fixture
def occupied_data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """``PRECEDENT_DATA_DIR`` naming a file, which it returns.

    As root the tests cannot make a directory read-only; a file where the directory should be
    fails the same way (an OSError on the first write), as a read-only mount does.
    """
    occupied = tmp_path / "occupied"
    occupied.write_text("not a directory")
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(occupied))
    return occupied


@pytest.fixture
def unreachable_neo4j(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Settings for a Neo4j map on a loopback port nothing listens on; returns its URI."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        uri = f"bolt://127.0.0.1:{sock.getsockname()[1]}"
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("PRECEDENT_STORE", "neo4j")
    monkeypatch.setenv("PRECEDENT_NEO4J_URI", uri)
    monkeypatch.setenv("PRECEDENT_NEO4J_START_WAIT_SECONDS", "0")  # fail at once, as before the wait
    return uri
