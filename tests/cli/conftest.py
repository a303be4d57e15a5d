"""A small map for the CLI's tests: the commands read it as they read yours."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.store.embedded import EmbeddedStore
from tests.retrieval.small_org import build

if TYPE_CHECKING:
    from pathlib import Path

DIMENSIONS = 384


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
