"""Pages of incidents and the parts of one incident (updates, post-mortems, follow-ups, actions, links)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import BaseModel, ConfigDict, Field

from precedent.responses.graph import NodeResponse

if TYPE_CHECKING:
    from precedent.browse import FollowUp, Page, PostmortemDocument, RelatedIncident
    from precedent.model import Node

__all__ = [
    "ActionsResponse",
    "FollowUpItemResponse",
    "FollowUpsResponse",
    "IncidentPageResponse",
    "PostmortemDocumentResponse",
    "PostmortemsResponse",
    "RelatedIncidentResponse",
    "RelatedIncidentsResponse",
    "UpdatesResponse",
]


class IncidentPageResponse(BaseModel):
    """One page of incidents, newest declared first (texts left out; get one incident for its text)."""

    model_config = ConfigDict(frozen=True)

    items: list[NodeResponse]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")

    @classmethod
    def from_page(cls, page: Page[Node]) -> IncidentPageResponse:
        """Render a page."""
        return cls(
            items=[NodeResponse.from_node(n, with_text=False) for n in page.items],
            next_cursor=page.next_cursor,
        )


class UpdatesResponse(BaseModel):
    """An incident's status updates, oldest first."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    updates: list[NodeResponse]

    @classmethod
    def from_nodes(cls, incident_id: str, nodes: list[Node]) -> UpdatesResponse:
        """Render the updates."""
        return cls(incident_id=incident_id, updates=[NodeResponse.from_node(n) for n in nodes])


class ActionsResponse(BaseModel):
    """The actions taken during an incident, oldest first."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    actions: list[NodeResponse]

    @classmethod
    def from_nodes(cls, incident_id: str, nodes: list[Node]) -> ActionsResponse:
        """Render the actions."""
        return cls(incident_id=incident_id, actions=[NodeResponse.from_node(n) for n in nodes])


class FollowUpItemResponse(BaseModel):
    """A follow-up and whether work is left on it."""

    model_config = ConfigDict(frozen=True)

    open: bool = Field(description="true unless its status says the work is done")
    follow_up: NodeResponse


class FollowUpsResponse(BaseModel):
    """An incident's follow-ups: open ones first, each group oldest first."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    open: int = Field(description="how many are open")
    follow_ups: list[FollowUpItemResponse]

    @classmethod
    def from_follow_ups(cls, incident_id: str, follow_ups: list[FollowUp]) -> FollowUpsResponse:
        """Render the follow-ups."""
        return cls(
            incident_id=incident_id,
            open=sum(f.open for f in follow_ups),
            follow_ups=[
                FollowUpItemResponse(open=f.open, follow_up=NodeResponse.from_node(f.node))
                for f in follow_ups
            ],
        )


class PostmortemDocumentResponse(BaseModel):
    """A post-mortem and its sections in document order."""

    model_config = ConfigDict(frozen=True)

    document: NodeResponse
    sections: list[NodeResponse]


class PostmortemsResponse(BaseModel):
    """An incident's post-mortems (an empty list when it has none)."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    postmortems: list[PostmortemDocumentResponse]

    @classmethod
    def from_documents(cls, incident_id: str, documents: list[PostmortemDocument]) -> PostmortemsResponse:
        """Render the post-mortems."""
        return cls(
            incident_id=incident_id,
            postmortems=[
                PostmortemDocumentResponse(
                    document=NodeResponse.from_node(d.document),
                    sections=[NodeResponse.from_node(s) for s in d.sections],
                )
                for d in documents
            ],
        )


class RelatedIncidentResponse(BaseModel):
    """An incident linked to the asked one in incident.io."""

    model_config = ConfigDict(frozen=True)

    kind: str | None = Field(description="the link's kind: related, caused_by, duplicate...")
    direction: Literal["out", "in"] = Field(
        description="out: the asked incident made the link; in: the other"
    )
    incident: NodeResponse


class RelatedIncidentsResponse(BaseModel):
    """The incidents linked to one incident, newest first."""

    model_config = ConfigDict(frozen=True)

    incident_id: str
    related: list[RelatedIncidentResponse]

    @classmethod
    def from_related(cls, incident_id: str, related: list[RelatedIncident]) -> RelatedIncidentsResponse:
        """Render the links."""
        return cls(
            incident_id=incident_id,
            related=[
                RelatedIncidentResponse(
                    kind=r.kind,
                    direction=r.direction,
                    incident=NodeResponse.from_node(r.incident, with_text=False),
                )
                for r in related
            ],
        )
