"""The API over a small generated organisation (history ending now), on either store.

``org_api`` is the ``api`` fixture of ``conftest`` with a generated organisation instead of the
hand-written one: 40 incidents (seed 3, some private), teams, schedules with someone on call
now, and a service dependency graph. Tests derive their expectations from the store's raw nodes
and edges (``Raw``), never from the browse code they test.

The tests on it only read, so the organisation is imported once per store for the session (on
Neo4j that import took seconds per test) and each test gets its own app over it. Before every
test the map's counts and tokens are compared with what was imported; if something changed them
(a Neo4j test elsewhere emptied the database, a test added or removed nodes), it is imported
again. A test that writes needs a map of its own: use ``api`` or build one, not ``org_api``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.store.embedded import EmbeddedStore
from precedent.store.neo4j import Neo4jStore
from tests.api.conftest import Api, Tokens, generated_export, issue_tokens, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from datetime import datetime
    from pathlib import Path

    from precedent.config import Settings
    from precedent.model import Edge, Node
    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

__all__ = ["GeneratedMap", "GeneratedMaps", "OrgApi", "Raw", "generated_export", "org_api"]


@dataclass(frozen=True)
class Raw:
    """Every node and edge of the imported map, for computing expectations by hand."""

    nodes: dict[str, Node]
    edges: list[Edge]

    def of(self, label: str) -> list[Node]:
        return [n for n in self.nodes.values() if n.label == label]

    def typed(self, edge_type: str) -> list[Edge]:
        return [e for e in self.edges if e.type == edge_type]


@dataclass
class OrgApi(Api):
    raw: Raw
    now: datetime

    async def get(self, path: str, token: str, **params: object) -> httpx.Response:
        return await self.client.get(path, params=params, headers=self.auth(token))  # type: ignore[arg-type]


@dataclass(frozen=True)
class GeneratedMap:
    """The generated organisation imported into one store, with the tokens issued on it."""

    store: GraphStore
    tokens: Tokens
    raw: Raw
    fingerprint: tuple[object, ...]


class GeneratedMaps:
    """One imported export per store (with its tokens), re-imported only when something changed it."""

    def __init__(self, export: Path, root: Path) -> None:
        self._export = export
        self._root = root
        self._maps: dict[str, GeneratedMap] = {}
        self._opened = 0

    async def get(self, name: str, neo4j: Neo4jServer | None) -> GeneratedMap:
        """The map on ``name`` (``embedded_store`` or ``neo4j_store``) exactly as imported."""
        shared = self._maps.pop(name, None)
        if shared is not None:
            if await _unchanged(shared):
                self._maps[name] = shared
                return shared
            await shared.store.close()
        store = await self._open_empty(name, neo4j)
        try:
            await import_export(self._export, Loader(store, HashEmbedder(dimensions=384)))
            tokens = await issue_tokens(store)
            raw = Raw({n.id: n async for n in store.scan_nodes()}, [e async for e in store.scan_edges()])
            fingerprint = await _fingerprint(store)
        except BaseException:
            await store.close()
            raise
        self._maps[name] = shared = GeneratedMap(store, tokens, raw, fingerprint)
        return shared

    async def close(self) -> None:
        for shared in self._maps.values():
            await shared.store.close()
        self._maps.clear()

    async def _open_empty(self, name: str, neo4j: Neo4jServer | None) -> GraphStore:
        store: GraphStore
        if name == "embedded_store":
            self._opened += 1
            store = EmbeddedStore(self._root / f"graph-{self._opened}", dimensions=384)
        elif name == "neo4j_store" and neo4j is not None:
            await neo4j.empty()
            store = Neo4jStore(neo4j.uri, auth=neo4j.auth, database="neo4j", dimensions=384)
        else:
            raise ValueError(f"no generated map on {name!r}")
        await store.open()
        return store


async def _fingerprint(store: GraphStore) -> tuple[object, ...]:
    """Nodes per label and edges per type (all, and public only) and the tokens issued.

    Cheap on both stores, unlike scanning the map (seconds on Neo4j): an emptied or re-imported
    database, an added or removed node or edge, a visibility change or a revoked token shows.
    """
    public = await store.stats(visibilities=("public",))
    return (await store.stats(), public, await TokenRegistry(store).tokens())


async def _unchanged(shared: GeneratedMap) -> bool:
    """Whether the store still holds what was imported (see ``_fingerprint``)."""
    return await _fingerprint(shared.store) == shared.fingerprint


@pytest.fixture
async def org_api(
    api_store: GraphStore,
    api_settings: Settings,
    generated_map: GeneratedMap,
    generated_export: tuple[Path, datetime],
) -> AsyncIterator[OrgApi]:
    """A fresh app (its own settings) over the shared generated map on ``api_store``."""
    _, now = generated_export
    app = create_app(api_settings, store=api_store, embedder=HashEmbedder(dimensions=384))
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield OrgApi(client, api_store, generated_map.tokens, generated_map.raw, now)
