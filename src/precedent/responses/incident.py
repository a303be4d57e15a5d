"""One incident with its updates, post-mortem lesson and follow-ups; and search hits."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import Field

from precedent.responses.base import ResponseModel
from precedent.responses.graph import NodeResponse
from precedent.responses.similar import LessonResponse
from precedent.retrieval import search_map

if TYPE_CHECKING:
    from precedent.embedding import Embedder
    from precedent.model import Viewer
    from precedent.retrieval import SearchQuery
    from precedent.retrieval.detail import IncidentDetail
    from precedent.retrieval.search import MapHit
    from precedent.store import GraphStore

__all__ = ["IncidentDetailResponse", "SearchHitResponse", "SearchResponse"]


class IncidentDetailResponse(ResponseModel):
    """An incident, its status updates (oldest first), its post-mortems and what they teach."""

    incident: NodeResponse = Field(description="the incident, with its text")
    services: list[str] = Field(description="names of the services it affected")
    teams: list[str] = Field(description="names of the teams it affected or that own a service it affected")
    updates: list[NodeResponse] = Field(description="status updates, oldest first")
    postmortems: list[NodeResponse] = Field(
        description="its post-mortem documents, without text (`/postmortem` pages through their sections)"
    )
    lesson: LessonResponse = Field(description="root cause, resolution, learnings and follow-ups")

    @classmethod
    def from_detail(cls, detail: IncidentDetail) -> IncidentDetailResponse:
        """Render an incident's detail."""
        return cls(
            incident=NodeResponse.from_node(detail.incident),
            services=[str(s.properties.get("name", s.id)) for s in detail.services],
            teams=[str(t.properties.get("name", t.id)) for t in detail.teams],
            updates=[NodeResponse.from_node(u) for u in detail.updates],
            postmortems=[NodeResponse.from_node(p, with_text=False) for p in detail.postmortems],
            lesson=LessonResponse.from_lesson(detail.lesson),
        )


class SearchHitResponse(ResponseModel):
    """A node found by a search, with its fused score (higher is better)."""

    score: float
    node: NodeResponse
    incident_reference: str | None = Field(
        default=None,
        description="for an update, follow-up or post-mortem: the reference (INC-37) of its incident",
    )

    @property
    def title(self) -> str:
        """What the hit is called: a name, a title or a post-mortem section's heading trail; empty if none.

        A section's trail opens with its document's name, which in incident.io is often the
        incident's reference ("INC-140: ..."); that lead is left out beside ``incident_reference``.
        """
        props = self.node.properties
        title = " ".join(str(props.get("name") or props.get("title") or props.get("heading") or "").split())
        lead = f"{self.incident_reference}: " if self.incident_reference else ""
        return title.removeprefix(lead) if lead and title.startswith(lead) else title

    @property
    def snippet(self) -> str:
        """The hit's text on one line, without the name or heading trail it opens with.

        An incident's text opens with its name and a section's with its heading trail (kept there
        for the embedding); shown under the title, every post-mortem hit said its heading twice.
        """
        words = " ".join((self.node.text or "").split())
        props = self.node.properties
        for opening in (props.get("name"), props.get("heading")):
            lead = " ".join(str(opening or "").split())
            if lead and words.startswith(lead):
                return words[len(lead) :].strip()
        return words

    @classmethod
    def from_hit(cls, hit: MapHit) -> SearchHitResponse:
        """Render a hit."""
        return cls(
            score=round(hit.score, 4),
            node=NodeResponse.from_node(hit.node),
            incident_reference=hit.incident_reference,
        )


class SearchResponse(ResponseModel):
    """Search hits, best first."""

    query: str
    hits: list[SearchHitResponse]

    @classmethod
    def from_hits(cls, query: str, hits: list[MapHit]) -> SearchResponse:
        """Render the hits of ``query``."""
        return cls(query=query, hits=[SearchHitResponse.from_hit(h) for h in hits])

    @classmethod
    async def for_query(
        cls, store: GraphStore, embedder: Embedder, query: SearchQuery, viewer: Viewer
    ) -> SearchResponse:
        """Search the map as ``viewer`` may see it and render the hits: the one answer of the
        HTTP API, the CLI, the web page and the MCP tool (``retrieval.search_map``)."""
        return cls.from_hits(query.text, await search_map(store, embedder, query, viewer=viewer))
