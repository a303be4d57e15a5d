"""HTTP routes over the map itself: liveness, counts, nodes by id."""

from __future__ import annotations

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath

from precedent.api.auth import NO_TOKEN_NEEDED
from precedent.api.errors import problem_responses
from precedent.errors import NotFound
from precedent.model import Viewer
from precedent.responses import NodeResponse, StatsResponse
from precedent.store import GraphStore

__all__ = ["GRAPH_ROUTES"]


@get(
    "/health",
    operation_id="getHealth",
    summary="Liveness",
    tags=["ops"],
    sync_to_thread=False,
    security=NO_TOKEN_NEEDED,
    responses=problem_responses(public=True),
)
def health() -> dict[str, str]:
    """Liveness: the process is up and the app started."""
    return {"status": "ok"}


@get(
    "/v1/stats",
    operation_id="getStats",
    summary="Counts of the map",
    tags=["stats"],
    responses=problem_responses(400, 503),
)
async def stats(store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]) -> StatsResponse:
    """Counts of nodes per label and edges per type that the caller may see."""
    return StatsResponse.from_stats(await store.stats(visibilities=viewer.visibilities))


@get(
    "/v1/nodes/{node_id:str}",
    operation_id="getNode",
    summary="One node",
    tags=["graph"],
    responses=problem_responses(400, 404, 503),
)
async def get_node(
    node_id: FromPath[str], store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]
) -> NodeResponse:
    """One node of the map by id."""
    found = await store.get_nodes([node_id])
    if not found or not viewer.can_see(found[0]):
        raise NotFound("node", node_id)
    return NodeResponse.from_node(found[0])


GRAPH_ROUTES = [health, stats, get_node]
