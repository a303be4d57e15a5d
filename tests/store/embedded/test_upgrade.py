"""The embedded store's upgrade of an older map: readers beside the writer, and done once.

``tests/store/test_upgrade.py`` checks the upgrade itself on both stores; here, what only the
embedded store has: read-only readers, which never write and so never upgrade, and the snapshot
format that records the upgrade.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.model import PUBLIC_VIEWER, Node
from precedent.responses import NeighbourhoodResponse, NodeResponse
from precedent.retrieval import Catalog, NeighbourhoodQuery, find_neighbourhood
from precedent.store.embedded import EmbeddedStore
from tests.store.contract_graph import DIMENSIONS
from tests.store.old_map import LEGACY, mark_snapshot_format, old_embedded_map, snapshot_format

if TYPE_CHECKING:
    from pathlib import Path


async def _merged_into(store: EmbeddedStore, node_id: str) -> list[str]:
    return [e.target for e, _ in await store.neighbours(node_id) if e.type == "MERGED_INTO"]


async def test_a_reader_of_a_map_no_writer_upgraded_never_shows_the_id(tmp_path: Path) -> None:
    await old_embedded_map(tmp_path / "graph")
    reader = EmbeddedStore(tmp_path / "graph", read_only=True)
    await reader.open()
    try:
        [update] = await reader.get_nodes(["upd-1"])
        assert update.properties[LEGACY] == "inc-2"  # a reader writes nothing: still the old map
        query = NeighbourhoodQuery(incident="inc-1", depth=2, max_nodes=500)
        public = await find_neighbourhood(reader, Catalog(reader), query, PUBLIC_VIEWER)
        assert "upd-1" in {n.id for n in public.nodes}
        shown = NeighbourhoodResponse.from_subgraph(public).model_dump_json()
        shown += NodeResponse.from_node(update).model_dump_json()
        assert "inc-2" not in shown
    finally:
        await reader.close()


async def test_a_reader_beside_the_writer_follows_its_upgrade(tmp_path: Path) -> None:
    await old_embedded_map(tmp_path / "graph")
    reader = EmbeddedStore(tmp_path / "graph", read_only=True)
    await reader.open()
    writer = EmbeddedStore(tmp_path / "graph", dimensions=DIMENSIONS)
    try:
        assert await _merged_into(reader, "upd-1") == []
        await writer.open()
        await reader.refresh()
        [update] = await reader.get_nodes(["upd-1"])
        assert LEGACY not in update.properties
        assert await _merged_into(reader, "upd-1") == ["inc-2"]
    finally:
        await writer.close()
        await reader.close()


async def test_the_upgrade_is_recorded_in_the_snapshot_format(tmp_path: Path) -> None:
    path = tmp_path / "graph"
    await old_embedded_map(path)
    assert snapshot_format(path) == 2
    writer = EmbeddedStore(path, dimensions=DIMENSIONS)
    await writer.open()
    await writer.close()
    assert snapshot_format(path) == 3


async def test_an_old_map_with_nothing_to_convert_is_recorded_as_upgraded_too(tmp_path: Path) -> None:
    # Else every writer's open would look through its updates again.
    path = tmp_path / "graph"
    writer = EmbeddedStore(path, dimensions=DIMENSIONS)
    await writer.open()
    await writer.upsert_nodes([Node("upd-1", "IncidentUpdate", {"message": "Fixed"})])
    await writer.close()
    mark_snapshot_format(path, 2)
    writer = EmbeddedStore(path, dimensions=DIMENSIONS)
    await writer.open()
    await writer.close()
    assert snapshot_format(path) == 3
