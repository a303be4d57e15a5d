"""HTTP routes: thin handlers that call the store or retrieval and return DTOs."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from precedent.api.dto import NodeDTO, StatsDTO
from precedent.errors import NotFound
from precedent.model import Viewer
from precedent.store import GraphStore

__all__ = ["ROUTES"]


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    """Liveness: the process is up and the app started."""
    return {"status": "ok"}


@get("/v1/stats")
async def stats(store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]) -> StatsDTO:
    """Counts of nodes per label and edges per type, of what the caller's token may see."""
    result = await store.stats(visibilities=None if viewer.include_private else viewer.visibilities)
    return StatsDTO(nodes=dict(result.nodes_by_label), edges=dict(result.edges_by_type))


@get("/v1/nodes/{node_id:str}")
async def get_node(
    node_id: FromPath[str], store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]
) -> NodeDTO:
    """One node of the map by id (404 for a private one unless the token has ``read:private``)."""
    found = await store.get_nodes([node_id])
    if not found or not viewer.can_see(found[0]):
        raise NotFound("node", node_id)
    return NodeDTO.from_node(found[0])


ROUTES = [health, stats, get_node]
