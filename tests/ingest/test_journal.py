"""The unfinished-node journal on both stores: what one load records is not lost to another's."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.ingest.journal import UnfinishedJournal

if TYPE_CHECKING:
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]


async def test_two_loads_at_once_keep_each_others_unfinished_nodes(store: GraphStore) -> None:
    # A sync and the webhook worker load into one map at once (or two processes on Neo4j). If
    # either dies before its edges land, the next load must still see its nodes as unfinished.
    sync, webhook = UnfinishedJournal(store), UnfinishedJournal(store)
    await sync.open()
    await webhook.open()
    await sync.begin(["inc-a"])
    await webhook.begin(["inc-b"])
    assert await UnfinishedJournal(store).open() == {"inc-a", "inc-b"}

    sync.finish(["inc-a"])
    await sync.close()
    assert await UnfinishedJournal(store).open() == {"inc-b"}
    webhook.finish(["inc-b"])
    await webhook.close()
    assert await UnfinishedJournal(store).open() == frozenset()
