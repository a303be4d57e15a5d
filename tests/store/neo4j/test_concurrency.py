"""The Neo4j connection: at most ``max_concurrency`` reads at once; reads retried on transient failures."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import pytest
from neo4j.exceptions import ServiceUnavailable

from precedent.errors import StoreError, StoreUnavailable
from precedent.store.neo4j.connection import Connection, Runner, fetch
from precedent.store.read_retry import read_retry_seconds, read_retry_window

if TYPE_CHECKING:
    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.neo4j


class _Unreachable:
    """Work that fails as a server that cannot be reached does, counting its attempts."""

    def __init__(self) -> None:
        self.attempts = 0

    async def __call__(self, tx: Runner) -> None:
        self.attempts += 1
        raise ServiceUnavailable("no server")


async def test_transactions_beyond_the_bound_wait_and_all_complete(neo4j: Neo4jServer) -> None:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    connection = Connection(neo4j.uri, auth, "neo4j", max_concurrency=3)
    await connection.open()
    running = peak = 0

    async def work(tx: Runner) -> int:
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


def _connection(neo4j: Neo4jServer, read_retry_seconds: float = 30.0) -> Connection:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    return Connection(neo4j.uri, auth, "neo4j", read_retry_seconds=read_retry_seconds)


async def test_a_read_that_fails_transiently_is_run_again(neo4j: Neo4jServer) -> None:
    connection = _connection(neo4j)
    await connection.open()
    attempts = 0

    async def work(tx: Runner) -> int:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ServiceUnavailable("the leader moved")  # what a cluster says mid-election
        [record] = await fetch(tx, "RETURN 7 AS seven", {})
        return int(record["seven"])

    try:
        assert await connection.read(work, "reading") == 7
    finally:
        await connection.close()
    assert attempts == 2


async def test_a_read_that_keeps_failing_gives_up_and_one_that_cannot_succeed_fails_at_once(
    neo4j: Neo4jServer,
) -> None:
    connection = _connection(neo4j, read_retry_seconds=0.5)
    await connection.open()
    unreachable = _Unreachable()
    attempts = 0

    async def malformed(tx: Runner) -> None:
        nonlocal attempts
        attempts += 1
        await fetch(tx, "RETURN nothing here", {})

    try:
        with pytest.raises(StoreUnavailable, match="unreachable while reading"):
            await connection.read(unreachable, "reading")
        assert unreachable.attempts > 1
        with pytest.raises(StoreError, match="failed while reading"):
            await connection.read(malformed, "reading")
        assert attempts == 1
    finally:
        await connection.close()


async def test_a_callers_window_overrides_the_connections_and_work_it_starts_outside_keeps_its_own(
    neo4j: Neo4jServer,
) -> None:
    connection = _connection(neo4j, read_retry_seconds=30.0)
    await connection.open()
    unreachable = _Unreachable()
    try:
        with read_retry_window(0.3), pytest.raises(StoreUnavailable, match="unreachable while reading"):
            await connection.read(unreachable, "reading")
    finally:
        await connection.close()
    # One retry after 0.2 s fits in 0.3 s, the next (after 0.4 s more) does not; 30 s would allow ~8.
    assert unreachable.attempts == 2
    with read_retry_window(0.3), read_retry_window(None):
        assert read_retry_seconds(30.0) == 30.0
