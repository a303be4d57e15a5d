"""The API over a small generated organisation (history ending now), on either store.

``org_api`` is the ``api`` fixture of ``conftest`` with a generated organisation instead of the
hand-written one: 40 incidents (seed 3, some private), teams, schedules with someone on call
now, and a service dependency graph. Tests derive their expectations from the store's raw nodes
and edges (``Raw``), never from the browse code they test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from precedent.api.app import create_app
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.sources.synthetic import generate
from tests.api.conftest import Api, issue_tokens, running

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.config import Settings
    from precedent.model import Edge, Node
    from precedent.store import GraphStore

__all__ = ["OrgApi", "Raw", "generated_export", "org_api"]


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


@pytest.fixture(scope="session")
def generated_export(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, datetime]:
    """The generated export and the minute its history ends at (generated once per session)."""
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    root = tmp_path_factory.mktemp("generated-org")
    generate(root / "export", incidents=40, seed=3, end_at=now)
    return root / "export", now


@pytest.fixture
async def org_api(
    api_store: GraphStore, api_settings: Settings, generated_export: tuple[Path, datetime]
) -> AsyncIterator[OrgApi]:
    export, now = generated_export
    embedder = HashEmbedder(dimensions=384)
    await import_export(export, Loader(api_store, embedder))
    tokens = await issue_tokens(api_store)
    nodes = {n.id: n async for n in api_store.scan_nodes()}
    edges = [e async for e in api_store.scan_edges()]
    app = create_app(api_settings, store=api_store, embedder=embedder)
    transport = httpx.ASGITransport(app=app)
    async with running(app), httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield OrgApi(client, api_store, tokens, Raw(nodes, edges), now)
