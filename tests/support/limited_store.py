"""A process whose files may not grow past a size, as on a full disk, for the disk-full tests.

Usage: ``python -m tests.support.limited_store DIR LIMIT_BYTES BATCHES``. It opens the embedded
store in ``DIR`` (HNSW on), writes ``BATCHES`` batches without a limit, then limits every file it
writes to ``LIMIT_BYTES`` (writes past it fail with EFBIG, as ENOSPC would) and closes the store.
With 0 batches the limit applies from the start, to the open too. Exit status 0: close returned.
"""

from __future__ import annotations

import asyncio
import resource
import sys
from pathlib import Path

import numpy as np

from precedent.store.embedded import EmbeddedStore
from tests.support.embedded_writer import DIMENSIONS, batch_nodes


def _limit(size: int) -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))


async def main(path: Path, limit: int, batches: int) -> None:
    if not batches:
        _limit(limit)
    store = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=False)
    await store.open()
    rng = np.random.default_rng(0)
    for batch in range(batches):
        await store.upsert_nodes(batch_nodes(batch, rng))
    if batches:
        _limit(limit)
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])))
