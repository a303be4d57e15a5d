"""A process that writes batches to an embedded store forever, for the crash (SIGKILL) test.

Usage: ``python -m tests.support.embedded_writer DIR FIRST_BATCH``. Batch ``b`` upserts
``NODES_PER_BATCH`` nodes ``b<b>-<i>`` with embeddings, then edges chaining them, then sets meta
``last_batch``; only after all three return does it print ``b`` (an acknowledged batch). A tiny
compaction threshold makes compactions happen often, so a kill also lands inside them.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from precedent.model import Edge, Node
from precedent.store.embedded import EmbeddedStore

NODES_PER_BATCH = 40
DIMENSIONS = 384


def batch_nodes(batch: int, rng: np.random.Generator) -> list[Node]:
    """The nodes of one batch, with random unit embeddings."""
    vectors = rng.standard_normal((NODES_PER_BATCH, DIMENSIONS)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    return [
        Node(
            f"b{batch}-{i}",
            "Incident",
            {"batch": batch, "position": i},
            occurred_at=datetime(2024, 1, 1, tzinfo=UTC),
            text=f"batch {batch} incident {i} payments latency",
            embedding=vectors[i],
        )
        for i in range(NODES_PER_BATCH)
    ]


def batch_edges(batch: int) -> list[Edge]:
    """Edges chaining a batch's nodes."""
    return [Edge(f"b{batch}-{i}", "RELATED_TO", f"b{batch}-{i + 1}") for i in range(NODES_PER_BATCH - 1)]


async def main(path: Path, first: int) -> None:
    store = EmbeddedStore(path, dimensions=DIMENSIONS, compact_after_bytes=512 * 1024)
    await store.open()
    rng = np.random.default_rng(first)
    batch = first
    while True:
        await store.upsert_nodes(batch_nodes(batch, rng))
        await store.upsert_edges(batch_edges(batch))
        await store.set_meta("last_batch", str(batch))
        print(batch, flush=True)
        batch += 1


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2])))
