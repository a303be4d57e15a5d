"""A map as an older Precedent wrote it: an update's merge kept as the ``merged_into_incident_id`` property.

Written through the store as the old mapping did, then marked as the older version's (embedded:
snapshot format 2; Neo4j: schema version 4, before ``0005_merged_into_edges``), so the next writer
to open it upgrades it.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from precedent.model import Edge, Node
from precedent.store.embedded import EmbeddedStore
from precedent.store.neo4j import Neo4jStore
from tests.store.contract_graph import DIMENSIONS, EMBEDDINGS, at

if TYPE_CHECKING:
    from pathlib import Path

    from tests.support.neo4j_server import Neo4jServer

__all__ = [
    "LEGACY",
    "OLD_MAP_EDGES",
    "OLD_MAP_NODES",
    "mark_snapshot_format",
    "old_embedded_map",
    "old_neo4j_map",
    "snapshot_format",
]

LEGACY = "merged_into_incident_id"

# inc-1 (public) was merged into inc-2 (private); upd-2 names an incident the map does not hold.
OLD_MAP_NODES = (
    Node("inc-1", "Incident", {"reference": "INC-1"}, at(1), "public", "Checkout down", EMBEDDINGS["inc-1"]),
    Node("inc-2", "Incident", {"reference": "INC-2"}, at(2), "private", "Card leak", EMBEDDINGS["inc-2"]),
    Node(
        "upd-1",
        "IncidentUpdate",
        {"incident_id": "inc-1", "message": "Merged", LEGACY: "inc-2"},
        at(1, hour=1),
        "public",
        "Merged",
        EMBEDDINGS["upd-1"],
    ),
    Node("upd-2", "IncidentUpdate", {"incident_id": "inc-1", LEGACY: "inc-gone"}, at(1, hour=2), "public"),
)
OLD_MAP_EDGES = (Edge("inc-1", "HAS_UPDATE", "upd-1"), Edge("inc-1", "HAS_UPDATE", "upd-2"))

_SNAPSHOT_FORMAT = struct.Struct("<I")  # right after the 8-byte magic


async def old_embedded_map(path: Path) -> None:
    """Write the old map in the directory ``path`` (closed)."""
    store = EmbeddedStore(path, dimensions=DIMENSIONS)
    await store.open()
    await store.upsert_nodes(OLD_MAP_NODES)
    await store.upsert_edges(OLD_MAP_EDGES)
    await store.close()
    mark_snapshot_format(path, 2)


def mark_snapshot_format(path: Path, version: int) -> None:
    """Say the snapshot in the directory ``path`` has format ``version``.

    Formats 2 and 3 share the layout, and the checksums cover the body, not the header.
    """
    with (path / "snapshot").open("r+b") as file:
        file.seek(8)
        file.write(_SNAPSHOT_FORMAT.pack(version))


def snapshot_format(path: Path) -> int:
    """The format the snapshot in the directory ``path`` says it has."""
    with (path / "snapshot").open("rb") as file:
        file.seek(8)
        (version,) = _SNAPSHOT_FORMAT.unpack(file.read(_SNAPSHOT_FORMAT.size))
    return int(version)


async def old_neo4j_map(server: Neo4jServer) -> None:
    """Write the old map in the server's database (emptied first; the store is closed)."""
    await server.empty()
    store = Neo4jStore(server.uri, auth=server.auth, database="neo4j", dimensions=DIMENSIONS)
    await store.open()
    try:
        await store.upsert_nodes(OLD_MAP_NODES)
        await store.upsert_edges(OLD_MAP_EDGES)
        await store.set_meta("schema_version", "4")  # before 0005_merged_into_edges
    finally:
        await store.close()
