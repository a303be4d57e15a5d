"""Snapshot formats: an older analyzer's postings are rebuilt on open, unknown formats are refused."""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreCorrupt
from precedent.model import Node
from precedent.store.embedded import EmbeddedStore
from precedent.store.embedded.snapshot import write_snapshot
from precedent.store.embedded.state import GraphState

if TYPE_CHECKING:
    from pathlib import Path

_VERSION = struct.Struct("<I")  # the format field, right after the 8-byte magic


def _old_snapshot(directory: Path, version: int) -> None:
    """A snapshot whose text postings do not match its nodes, as an older analyzer's would not."""
    state = GraphState()
    node = Node("inc-1", "Incident", text="Deploys failing: connections timed out, restarted pods")
    state.nodes[node.id] = node
    state.label_counts[node.label] += 1
    directory.mkdir()
    path = directory / "snapshot"
    write_snapshot(path, state, 1)
    with path.open("r+b") as file:
        file.seek(8)
        file.write(_VERSION.pack(version))


async def test_format_1_snapshot_is_reindexed_with_the_current_analyzer(tmp_path: Path) -> None:
    _old_snapshot(tmp_path / "graph", version=1)
    store = EmbeddedStore(tmp_path / "graph")
    await store.open()
    try:
        hits = await store.text_search("restart failed connection", k=5)
        assert [hit.node_id for hit in hits] == ["inc-1"]
    finally:
        await store.close()


async def test_unknown_format_is_refused_with_what_to_do(tmp_path: Path) -> None:
    _old_snapshot(tmp_path / "graph", version=99)
    store = EmbeddedStore(tmp_path / "graph")
    with pytest.raises(StoreCorrupt, match=r"snapshot format 99.*reads formats 1, 2.*rebuild"):
        await store.open()
