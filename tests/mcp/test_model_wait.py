"""Which MCP tools wait for the embedding model, as docs/mcp.md says: ``precedent mcp`` answers
at once and loads the model meanwhile, so a tool that needs it waits for the load.

docs/mcp.md said only a described incident's similar incidents and search by meaning waited;
the first ``find_similar_incidents`` on an incident in the map waited too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mcp import Client

from precedent.config import Settings
from precedent.mcp import build_server
from precedent.model import PUBLIC_VIEWER
from precedent.runtime import Runtime, RuntimeOptions
from precedent.store.embedded import EmbeddedStore
from tests.store.contract_graph import DIMENSIONS, EDGES, NODES
from tests.test_runtime import ModelLoader

if TYPE_CHECKING:
    from pathlib import Path


async def _loads_for(tmp_path: Path, tool: str, arguments: dict[str, Any]) -> int:
    """How many times the model loads when a fresh reader's server answers ``tool`` once."""
    store = EmbeddedStore(tmp_path / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        await store.upsert_nodes(NODES)
        await store.upsert_edges(EDGES)
    finally:
        await store.close()
    loader = ModelLoader()
    options = RuntimeOptions(read_only=True)
    runtime = Runtime(settings=Settings(data_dir=tmp_path), options=options, model_loader=loader)
    async with runtime, Client(build_server(lambda: runtime, viewer=PUBLIC_VIEWER)) as client:
        result = await client.call_tool(tool, arguments)
        assert not result.is_error, result.content
    return loader.loads


async def test_similar_incidents_of_an_incident_in_the_map_wait_for_the_model(tmp_path: Path) -> None:
    assert await _loads_for(tmp_path / "a", "find_similar_incidents", {"incident": "inc-3"}) == 1
    # An investigation built on the spot finds them too.
    assert await _loads_for(tmp_path / "b", "get_investigation", {"incident": "inc-3"}) == 1


async def test_a_described_incident_and_search_by_meaning_wait_for_it(tmp_path: Path) -> None:
    assert await _loads_for(tmp_path / "a", "find_similar_incidents", {"name": "Payments API latency"}) == 1
    assert await _loads_for(tmp_path / "b", "search", {"q": "payments latency"}) == 1


async def test_lookups_never_wait_for_it(tmp_path: Path) -> None:
    assert await _loads_for(tmp_path / "a", "get_incident", {"incident": "inc-3"}) == 0
    assert await _loads_for(tmp_path / "b", "search", {"q": "payments", "mode": "text"}) == 0
    assert await _loads_for(tmp_path / "c", "service_context", {"service": "payments-api"}) == 0
    assert await _loads_for(tmp_path / "d", "neighbourhood", {"service": "payments-api"}) == 0
    assert await _loads_for(tmp_path / "e", "recent_changes", {"hours": 1}) == 0
