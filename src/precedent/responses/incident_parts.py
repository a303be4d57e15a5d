"""Pages of incidents and the parts of one incident (updates, post-mortems, follow-ups, actions, links)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from precedent.responses.base import ResponseModel
from precedent.responses.graph import NodeResponse

if TYPE_CHECKING:
    from precedent.browse import FollowUp, Page, PostmortemDocument, RelatedIncident
    from precedent.model import Node

_NEXT = "pass as `cursor` for the next page; null on the last page"

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


class IncidentPageResponse(ResponseModel):
    """One page of incidents, newest declared first (texts left out; get one incident for its text)."""

    items: list[NodeResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, page: Page[Node]) -> IncidentPageResponse:
        """Render a page."""
        return cls(
            items=[NodeResponse.from_node(n, with_text=False) for n in page.items],
            next_cursor=page.next_cursor,
        )


class UpdatesResponse(ResponseModel):
    """A page of an incident's status updates, oldest first."""

    incident_id: str
    updates: list[NodeResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, incident_id: str, page: Page[Node]) -> UpdatesResponse:
        """Render a page of updates."""
        return cls(
            incident_id=incident_id,
            updates=[NodeResponse.from_node(n) for n in page.items],
            next_cursor=page.next_cursor,
        )


class ActionsResponse(ResponseModel):
    """A page of the actions taken during an incident, oldest first."""

    incident_id: str
    actions: list[NodeResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, incident_id: str, page: Page[Node]) -> ActionsResponse:
        """Render a page of actions."""
        return cls(
            incident_id=incident_id,
            actions=[NodeResponse.from_node(n) for n in page.items],
            next_cursor=page.next_cursor,
        )


class FollowUpItemResponse(ResponseModel):
    """A follow-up and whether work is left on it."""

    open: bool = Field(description="true unless its status says the work is done")
    follow_up: NodeResponse


class FollowUpsResponse(ResponseModel):
    """A page of an incident's follow-ups: open ones first, each group oldest first."""

    incident_id: str
    open: int = Field(description="how many of all its follow-ups (not only this page's) are open")
    follow_ups: list[FollowUpItemResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, incident_id: str, page: Page[FollowUp], open_count: int) -> FollowUpsResponse:
        """Render a page of follow-ups."""
        return cls(
            incident_id=incident_id,
            open=open_count,
            follow_ups=[
                FollowUpItemResponse(open=f.open, follow_up=NodeResponse.from_node(f.node))
                for f in page.items
            ],
            next_cursor=page.next_cursor,
        )


class PostmortemDocumentResponse(ResponseModel):
    """A post-mortem and its sections in document order."""

    document: NodeResponse
    sections: list[NodeResponse]


class PostmortemsResponse(ResponseModel):
    """A page of an incident's post-mortems, oldest first (an empty list when it has none)."""

    incident_id: str
    postmortems: list[PostmortemDocumentResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, incident_id: str, page: Page[PostmortemDocument]) -> PostmortemsResponse:
        """Render a page of post-mortems."""
        return cls(
            incident_id=incident_id,
            postmortems=[
                PostmortemDocumentResponse(
                    document=NodeResponse.from_node(d.document),
                    sections=[NodeResponse.from_node(s) for s in d.sections],
                )
                for d in page.items
            ],
            next_cursor=page.next_cursor,
        )


class RelatedIncidentResponse(ResponseModel):
    """An incident linked to the asked one in incident.io."""

    kind: str | None = Field(description="the link's kind: related, caused_by, duplicate...")
    direction: Literal["out", "in"] = Field(
        description="out: the asked incident made the link; in: the other"
    )
    incident: NodeResponse


class RelatedIncidentsResponse(ResponseModel):
    """A page of the incidents linked to one incident, newest first."""

    incident_id: str
    related: list[RelatedIncidentResponse]
    next_cursor: str | None = Field(description=_NEXT)

    @classmethod
    def from_page(cls, incident_id: str, page: Page[RelatedIncident]) -> RelatedIncidentsResponse:
        """Render a page of links."""
        return cls(
            incident_id=incident_id,
            related=[
                RelatedIncidentResponse(
                    kind=r.kind,
                    direction=r.direction,
                    incident=NodeResponse.from_node(r.incident, with_text=False),
                )
                for r in page.items
            ],
            next_cursor=page.next_cursor,
        )
