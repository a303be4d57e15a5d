"""A process that writes an embedded store on command, for the one-writer-many-readers tests.

Usage: ``python -m tests.support.embedded_driver DIR``. It opens the store for writing, prints
``ready``, then reads one command a line from stdin and answers each with one line:

* ``write N``: write the next N batches (see ``embedded_writer``), answer the last batch number;
* ``compact``: close the store (which folds the log into a new snapshot) and open it again,
  answer ``compacted``;
* ``quit``: close the store and exit.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import numpy as np

from precedent.store.embedded import EmbeddedStore
from tests.support.embedded_writer import DIMENSIONS, batch_edges, batch_nodes


async def main(path: Path) -> None:
    store = EmbeddedStore(path, dimensions=DIMENSIONS, exact_search=False)
    await store.open()
    rng = np.random.default_rng(0)
    batch = 0
    print("ready", flush=True)
    for line in sys.stdin:
        command, *arguments = line.split()
        if command == "write":
            for _ in range(int(arguments[0])):
                await store.upsert_nodes(batch_nodes(batch, rng))
                await store.upsert_edges(batch_edges(batch))
                await store.set_meta("last_batch", str(batch))
                batch += 1
            print(batch - 1, flush=True)
        elif command == "compact":
            await store.close()
            await store.open()
            print("compacted", flush=True)
        elif command == "quit":
            break
    await store.close()


if __name__ == "__main__":
    asyncio.run(main(Path(sys.argv[1])))
