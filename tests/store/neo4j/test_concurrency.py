"""The Neo4j store runs at most ``max_concurrency`` transactions at once; the rest wait their turn."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest

from precedent.store.neo4j.connection import Connection, fetch

if TYPE_CHECKING:
    from neo4j import AsyncManagedTransaction

    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.neo4j


async def test_transactions_beyond_the_bound_wait_and_all_complete(neo4j: Neo4jServer) -> None:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    connection = Connection(neo4j.uri, auth, "neo4j", max_concurrency=3)
    await connection.open()
    running = peak = 0

    async def work(tx: AsyncManagedTransaction) -> int:
        nonlocal running, peak
        running += 1
        peak = max(peak, running)
        try:
            [record] = await fetch(tx, "RETURN 1 AS one", {})
            await asyncio.sleep(0.05)  # holds the transaction open, so the others must wait
            return int(record["one"])
        finally:
            running -= 1

    try:
        answers = await asyncio.gather(*(connection.read(work, "counting") for _ in range(12)))
    finally:
        await connection.close()
    assert answers == [1] * 12
    assert peak == 3


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="max_concurrency"):
        Connection("bolt://127.0.0.1:7687", None, "neo4j", max_concurrency=0)
