"""A change recorded before its service was imported is linked by the import that brings the service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.ingest.changes import ChangeRecord, ChangeRecorder
from precedent.model import GraphFilter
from precedent.store.embedded import EmbeddedStore
from tests.ingest.org import write_export

if TYPE_CHECKING:
    from pathlib import Path


async def test_import_links_a_change_recorded_before_its_service(tmp_path: Path) -> None:
    embedder = HashEmbedder(dimensions=384)
    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    try:
        recorded = await ChangeRecorder(store).record(
            ChangeRecord("payments-api", "deploy", datetime(2024, 1, 1, tzinfo=UTC), version="2.0")
        )
        assert not recorded.linked
        await import_export(write_export(tmp_path / "export"), Loader(store, embedder))
        links = await store.neighbours(recorded.id, GraphFilter(rel_types=("CHANGED",)))
        assert [n.id for _, n in links] == ["svc-payments"]
    finally:
        await store.close()
