"""Investigations, service contexts and changes: the investigation layer's results as responses.

The investigation's frozen dataclasses are the fields (pydantic validates and serialises them), so
these responses have exactly the JSON shape of ``investigation.investigation_json``: what is
stored, served over HTTP and printed by the CLI.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from pydantic import Field

# pydantic reads these field types at run time.
from precedent.investigation import (
    Change,
    FollowUp,
    Hypothesis,
    InvestigatedIncident,
    MapState,
    Precedent,
    ServiceContext,
    investigation_json,
    shown_summary,
    standing,
)
from precedent.responses.base import ResponseModel

if TYPE_CHECKING:
    from precedent.investigation import Investigation, InvestigationPage, Standing
    from precedent.investigation.around import ServiceSnapshot
    from precedent.links import Links
    from precedent.model import Viewer
    from precedent.store import GraphStore

__all__ = [
    "ChangesResponse",
    "InvestigationItemResponse",
    "InvestigationListResponse",
    "InvestigationResponse",
    "ServiceContextResponse",
]


class InvestigationResponse(ResponseModel):
    """The first look at an incident: ranked hypotheses with evidence, precedents, owners, changes."""

    id: str
    incident: InvestigatedIncident
    hypotheses: list[Hypothesis] = Field(description="likely causes, most confident first")
    similar: list[Precedent] = Field(description="similar past incidents and what they teach")
    services: list[ServiceContext] = Field(description="each affected service's owners, on-call, neighbours")
    changes: list[Change] = Field(description="changes near the incident in time and in the graph")
    follow_ups: list[FollowUp]
    summary_markdown: str = Field(
        description="the summary in CommonMark (what Slack shows); its links to the web pages are "
        "absolute, under this service's PRECEDENT_PUBLIC_URL (else the address it serves), and link "
        "this investigation by its incident's reference while it is the latest"
    )
    built_at: datetime
    build_ms: float
    map_state: MapState
    change_window_hours: float
    superseded_by: str | None = Field(
        default=None, description="the id of a newer investigation of the same incident: read that one"
    )
    superseded_by_href: str | None = Field(default=None, description="the API path of the newer one")
    superseded_at: datetime | None = Field(default=None, description="when the newer one was built")
    closed_at: datetime | None = Field(default=None, description="when its incident was closed")
    incident_closed: bool = Field(
        default=False, description="whether its incident is over now: read this as what was known then"
    )
    incident_status_now: str | None = Field(
        default=None, description="its incident's status now (incident.status is the one when declared)"
    )

    @property
    def closed_note(self) -> str | None:
        """A sentence saying its incident is over, for the top of a text: ``None`` while it is live.

        The MCP and CLI texts said nothing of it, so one built after the close read as a live incident.
        """
        if not self.incident_closed:
            return None
        status = f" ({self.incident_status_now})" if self.incident_status_now else ""
        when = f" since {self.closed_at:%Y-%m-%d %H:%M} UTC" if self.closed_at else ""
        return (
            f"{self.incident.label} is closed{status}{when}: this investigation is what was known "
            "when it was declared, not a live incident."
        )

    def page(self, links: Links) -> str:
        """Its web page under ``links``: by its incident's reference while it is the latest (that
        page shows the same build, and stays the incident's), else by its build id.

        ``/ui/investigations/inv%3A8203513912898%3A01DEMO...`` is what a terminal printed and a
        reader pasted; ``/ui/incidents/INC-201/investigation`` says what it is.
        """
        incident = self.incident
        if self.superseded_by is None and incident.id is not None:
            return links.incident_investigation(incident.reference or incident.id)
        return links.investigation(self.id)

    @classmethod
    def from_investigation(
        cls, investigation: Investigation, standing: Standing | None = None, links: Links | None = None
    ) -> InvestigationResponse:
        """Render an investigation (the JSON of ``investigation_json``) and where it stands now.

        Args:
            investigation: Stored or just built.
            standing: Whether a newer build supersedes it and whether its incident is closed
                (``investigation.standing``); ``None`` when the map was not read.
            links: Where the reader reaches the pages now (the API's, the MCP server's and the
                CLI's ``PRECEDENT_PUBLIC_URL``, else the serving address): ``summary_markdown``'s
                links are absolute under it, and the investigation's own page is linked by its
                incident's reference when ``standing`` says it is the latest. ``None`` (the pages)
                leaves them site-relative, as stored.
        """
        fields = investigation_json(investigation)
        if links is not None:
            latest = standing is not None and standing.superseded_by is None
            fields["summary_markdown"] = shown_summary(investigation, links, latest=latest)
        if standing is not None:
            newer = standing.superseded_by
            fields |= {
                "superseded_by": newer,
                "superseded_by_href": f"/v1/investigations/{quote(newer, safe='')}" if newer else None,
                "superseded_at": standing.superseded_at,
                "closed_at": standing.closed_at,
                "incident_closed": standing.closed_now,
                "incident_status_now": standing.status_now,
            }
        return cls.model_validate(fields)

    @classmethod
    async def where_it_stands(
        cls, store: GraphStore, investigation: Investigation, viewer: Viewer, links: Links | None = None
    ) -> InvestigationResponse:
        """Render an investigation with where it stands now as ``viewer`` may see (``standing``):
        what the API, MCP, CLI and the pages answer, for one read from the map or just built;
        its summary's links under ``links`` (``from_investigation``)."""
        return cls.from_investigation(investigation, await standing(store, investigation, viewer), links)


class InvestigationItemResponse(ResponseModel):
    """One stored investigation, in a listing."""

    id: str
    incident_id: str | None
    reference: str | None
    name: str
    built_at: datetime
    build_ms: float
    top_hypothesis: str | None

    @classmethod
    def from_investigation(cls, investigation: Investigation) -> InvestigationItemResponse:
        """List ``investigation`` by its incident and its most confident hypothesis."""
        incident = investigation.incident
        return cls(
            id=investigation.id,
            incident_id=incident.id,
            reference=incident.reference,
            name=incident.name,
            built_at=investigation.built_at,
            build_ms=investigation.build_ms,
            top_hypothesis=investigation.hypotheses[0].statement if investigation.hypotheses else None,
        )


class InvestigationListResponse(ResponseModel):
    """A page of stored investigations, newest first."""

    items: list[InvestigationItemResponse]
    next_cursor: str | None = Field(
        description="pass back as `cursor` for the next page; null on the last page"
    )

    @classmethod
    def from_page(cls, page: InvestigationPage) -> InvestigationListResponse:
        """Render a page of ``investigation.list_recent``."""
        return cls(
            items=[InvestigationItemResponse.from_investigation(i) for i in page.items],
            next_cursor=page.next_cursor,
        )


class ServiceContextResponse(ResponseModel):
    """A service now: owners, who is on call, dependencies both ways, recent incidents and changes."""

    service: ServiceContext
    changes: list[Change] = Field(description="changes to it and within two dependency hops, newest last")
    at: datetime = Field(description="the time on-call, recent incidents and changes were read at")
    change_window_hours: float

    @classmethod
    def from_snapshot(cls, snapshot: ServiceSnapshot) -> ServiceContextResponse:
        """Render a service snapshot."""
        return cls(
            service=snapshot.context,
            changes=list(snapshot.changes),
            at=snapshot.at,
            change_window_hours=snapshot.window.total_seconds() / 3600,
        )


class ChangesResponse(ResponseModel):
    """Changes to production in a time window, newest first."""

    service: str | None = Field(description="the service asked about, or null across the map")
    since: datetime
    until: datetime
    changes: list[Change]
    truncated: bool = Field(
        default=False,
        description="true when more changes fall in the window than were asked for: only the newest "
        "are listed",
    )
