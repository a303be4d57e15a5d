"""Search the map's text: incidents, post-mortems, follow-ups and services, by words and by meaning.

Asks the store's ``text_search`` and ``vector_search`` (through ``GraphStore`` only), matches
service names (services carry no indexed text), and fuses the rankings with reciprocal rank
fusion, a pure function of the lists.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from precedent.errors import InvalidQuery
from precedent.model import SearchFilter
from precedent.retrieval.query import check_window

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    from precedent.embedding import Embedder
    from precedent.model import Node, ScoredNode, Viewer
    from precedent.store.base import GraphStore

__all__ = ["KINDS", "MapHit", "SearchKind", "SearchMode", "rrf", "search_map", "service_match"]

SearchKind = Literal["incident", "postmortem", "follow_up", "service", "update"]
SearchMode = Literal["hybrid", "text", "semantic"]

KINDS: dict[SearchKind, tuple[str, ...]] = {
    "incident": ("Incident",),
    "postmortem": ("Postmortem", "PostmortemChunk"),
    "follow_up": ("FollowUp",),
    "service": ("Service",),
    "update": ("IncidentUpdate",),
}
_RRF_K = 60  # the usual constant: rank 1 scores 1/61, so no single list dominates


def rrf(rankings: Sequence[Sequence[str]], k: int = _RRF_K) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: ``sum(1 / (k + rank))`` over the rankings, best first, then by id."""
    scores: dict[str, float] = {}
    for ranking in rankings:
        for rank, node_id in enumerate(ranking, start=1):
            scores[node_id] = scores.get(node_id, 0.0) + 1.0 / (k + rank)
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def _terms(text: str) -> set[str]:
    return {t for t in re.findall(r"[a-z0-9]+", text.casefold()) if len(t) > 1}


def service_match(query: str, service: Node) -> int:
    """How many of ``query``'s words a service's name, aliases or catalog attributes contain (0: none)."""
    props = service.properties
    fields = [props.get("name"), props.get("external_id"), props.get("aliases"), props.get("attributes")]
    words: set[str] = set()
    for value in fields:
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                words |= _terms(str(item))
    exact = str(props.get("name", "")).casefold() == query.strip().casefold()
    # A service named exactly as asked beats one that merely shares its words.
    return len(_terms(query) & words) + (100 if exact else 0)


async def _services_by_name(store: GraphStore, text: str, k: int) -> list[str]:
    scored: list[tuple[int, str]] = []
    scan = store.scan_nodes(["Service"])
    async with contextlib.aclosing(scan) as services:  # type: ignore[type-var]
        async for service in services:
            score = service_match(text, service)
            if score:
                scored.append((-score, service.id))
    return [service_id for _, service_id in sorted(scored)[:k]]


@dataclass(frozen=True)
class MapHit:
    """A search hit: the node, its fused score, and for an incident's part the incident's reference.

    ``incident_reference`` (INC-37) names the incident an update, follow-up or post-mortem belongs
    to; without it a part's text reads alone. ``None`` for incidents, services, and parts whose
    incident the viewer may not see.
    """

    node: Node
    score: float
    incident_reference: str | None = None


async def search_map(
    store: GraphStore,
    embedder: Embedder | None,
    text: str,
    *,
    viewer: Viewer,
    kinds: Sequence[SearchKind] = (),
    mode: SearchMode = "hybrid",
    limit: int = 10,
    after: datetime | None = None,
    before: datetime | None = None,
) -> list[MapHit]:
    """Search nodes of ``kinds`` (all when empty) the viewer may see, best first.

    Args:
        store: The knowledge map.
        embedder: Embeds ``text`` for the semantic half (``None`` searches by words only).
        text: What to look for.
        viewer: Who is asking.
        kinds: Which kinds of node.
        mode: ``hybrid`` (words and meaning), ``text`` (words) or ``semantic`` (meaning).
        limit: How many hits.
        after: Only nodes that occurred at or after this time.
        before: Only nodes that occurred strictly before this time.

    Returns:
        Up to ``limit`` hits.

    Raises:
        InvalidQuery: if ``after`` is not earlier than ``before``.
    """
    try:
        check_window(after, before)
    except ValueError as exc:
        raise InvalidQuery(str(exc)) from exc
    labels = tuple(label for kind in (kinds or tuple(KINDS)) for label in KINDS[kind])
    search_filter = SearchFilter(labels=labels, after=after, before=before, visibilities=viewer.visibilities)
    wide = limit * 3  # each half looks further than the answer so fusion has overlap to work with
    rankings: list[list[ScoredNode]] = []
    if mode in ("hybrid", "text"):
        rankings.append(await store.text_search(text, k=wide, search_filter=search_filter))
    if mode in ("hybrid", "semantic") and embedder is not None:
        vector = (await embedder.embed([text]))[0]
        rankings.append(await store.vector_search(vector, k=wide, search_filter=search_filter))
    ranked = [[hit.node_id for hit in ranking] for ranking in rankings]
    if "service" in (kinds or KINDS):
        # Services carry no text to index (a name, aliases, catalog attributes): match those here.
        ranked.append(await _services_by_name(store, text, wide))
    fused = rrf(ranked)[:limit]
    nodes = {n.id: n for n in await store.get_nodes([node_id for node_id, _ in fused])}
    seen = [(nodes[i], score) for i, score in fused if i in nodes and viewer.can_see(nodes[i])]
    references = await _incident_references(store, viewer, [node for node, _ in seen])
    return [MapHit(node, score, references.get(_incident_of(node) or "")) for node, score in seen]


def _incident_of(node: Node) -> str | None:
    incident = node.properties.get("incident_id")
    return str(incident) if incident and node.label != "Incident" else None


async def _incident_references(store: GraphStore, viewer: Viewer, nodes: Sequence[Node]) -> dict[str, str]:
    """The reference (INC-37) of each visible incident the parts among ``nodes`` belong to, by id."""
    ids = sorted({i for i in map(_incident_of, nodes) if i})
    incidents = await store.get_nodes(ids) if ids else []
    return {n.id: str(n.properties.get("reference") or n.id) for n in incidents if viewer.can_see(n)}
