"""A store failure that is no outage (a query the database refused) answers 500 without its words.

The store's message quotes the database driver (Neo4j's error code, the query's text): it is for
the operator, in the log. The client gets the store's ``client_detail``, which says what to do.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from precedent.errors import StoreError
from precedent.store.embedded import EmbeddedStore
from tests.api.conftest import serving

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

    from precedent.model import ListingKey, Node, NodeListing

DRIVER_WORDS = (
    "Neo4j failed while listing nodes: {code: Neo.DatabaseError.Statement.ExecutionFailed} "
    "{message: Index 'incident_declared_at' at /var/lib/neo4j/data is offline}"
)


class _ListingFails(EmbeddedStore):
    """An embedded store whose node listings fail as a Neo4j query the database refused does."""

    async def list_nodes(
        self, listing: NodeListing, *, limit: int, start_after: ListingKey | None = None
    ) -> list[Node]:
        raise StoreError(DRIVER_WORDS)


async def test_a_store_failure_answers_500_with_what_to_do_and_the_driver_words_in_the_log_only(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = _ListingFails(tmp_path / "graph", dimensions=384)
    await store.open()
    try:
        caplog.set_level(logging.ERROR, logger="precedent.api")
        async with serving(store, tmp_path) as (client, tokens):
            response = await client.get("/v1/incidents", headers={"Authorization": f"Bearer {tokens.read}"})
    finally:
        await store.close()
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    for internal in ("Neo.DatabaseError", "/var/lib/neo4j", "incident_declared_at"):
        assert internal not in response.text
    assert response.json()["detail"] == StoreError.CLIENT_DETAIL
    # The operator reads the driver's words, with the traceback, in the log.
    logged = [record.exc_info[1] for record in caplog.records if record.exc_info]
    assert [str(exc) for exc in logged] == [DRIVER_WORDS]
