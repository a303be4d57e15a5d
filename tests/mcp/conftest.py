"""A small generated organisation, its history ending now, imported once for the MCP tests.

Plumbing tests: the hashing embedder stands in for the model (ranking quality is tested in
tests/retrieval with the real one); the stdio test's subprocess loads the real model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.mcp import build_server
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Viewer
from precedent.runtime import Runtime, RuntimeOptions
from precedent.sources.synthetic import generate
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from mcp.server.mcpserver import MCPServer

    from precedent.model import Node


@dataclass(frozen=True)
class Org:
    """The imported organisation: where its data directory is, and nodes picked for assertions."""

    data_dir: Path
    export: Path
    public: Node
    private: Node
    service: Node


async def _pick(store: EmbeddedStore) -> tuple[Node, Node, Node]:
    incidents = [n async for n in store.scan_nodes(["Incident"])]
    public = max((n for n in incidents if n.visibility == "public"), key=lambda n: (n.occurred_at, n.id))
    private = min((n for n in incidents if n.visibility == "private"), key=lambda n: n.id)
    # The service with the most changes: its context and recent changes have something to show.
    counts: dict[str, int] = {}
    async for edge in store.scan_edges(["CHANGED"]):
        counts[edge.target] = counts.get(edge.target, 0) + 1
    busiest = max(counts, key=lambda s: (counts[s], s))
    (service,) = await store.get_nodes([busiest])
    return public, private, service


@pytest.fixture(scope="session")
async def org(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Org]:
    """30 incidents (seed 3) ending at the current minute, in an embedded map under a data directory."""
    root = tmp_path_factory.mktemp("mcp-org")
    generate(root / "export", incidents=30, seed=3, end_at=datetime.now(UTC).replace(second=0, microsecond=0))
    store = EmbeddedStore(root / "data" / "graph", dimensions=384)
    await store.open()
    try:
        await import_export(root / "export", Loader(store, HashEmbedder(dimensions=384)))
        public, private, service = await _pick(store)
    finally:
        await store.close()
    yield Org(root / "data", root / "export", public, private, service)


@pytest.fixture(scope="session")
async def runtime(org: Org) -> AsyncIterator[Runtime]:
    """The map opened read-only, as `precedent mcp` opens it, with the hashing embedder."""
    store = EmbeddedStore(org.data_dir / "graph", dimensions=384, read_only=True)
    await store.open()
    async with Runtime(
        store=store, embedder=HashEmbedder(dimensions=384), options=RuntimeOptions()
    ) as opened:
        yield opened
    await store.close()


def server_for(runtime: Runtime, viewer: Viewer = PUBLIC_VIEWER) -> MCPServer:
    """The MCP server over ``runtime``, answering as ``viewer``."""
    return build_server(lambda: runtime, viewer=viewer)


@pytest.fixture
def public_server(runtime: Runtime) -> MCPServer:
    return server_for(runtime)


@pytest.fixture
def owner_server(runtime: Runtime) -> MCPServer:
    return server_for(runtime, OWNER_VIEWER)
