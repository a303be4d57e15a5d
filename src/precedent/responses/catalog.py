"""Services, teams, people and hotspots: the browse layer's values as responses.

The browse (and investigation) frozen dataclasses are the fields, as in ``responses.investigation``,
so a service's owners or on-call have one JSON shape whether they come from an investigation or a
service page. Every list is a page: ``items`` and the ``next_cursor`` to pass back as ``cursor``.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Literal

from pydantic import Field

# pydantic reads these field types at run time.
from precedent.browse import (
    Hotspot,
    OwnedRef,
    ScheduleRef,
    ServiceSummary,
    TeamRef,
    TeamSummary,
    UserIncident,
)
from precedent.investigation import FollowUp, IncidentBrief, OnCall, Person, RelatedService, TeamInfo
from precedent.responses.base import ResponseModel
from precedent.responses.graph import NodeResponse
from precedent.responses.stats import WeekCountResponse

if TYPE_CHECKING:
    from precedent.browse import (
        Page,
        ServiceDetail,
        ServiceHotspots,
        ServiceOnCall,
        ServiceOwners,
        TeamDetail,
        TeamIncident,
        UserDetail,
    )

__all__ = [
    "DependenciesResponse",
    "HotspotsResponse",
    "OnCallResponse",
    "OwnersResponse",
    "ServiceHotspotsResponse",
    "ServiceIncidentsResponse",
    "ServiceListResponse",
    "ServiceResponse",
    "TeamIncidentResponse",
    "TeamListResponse",
    "TeamMembersResponse",
    "TeamResponse",
    "TeamServicesResponse",
    "UserIncidentsResponse",
    "UserResponse",
]

_CURSOR = "pass back as `cursor` for the next page; null on the last page"


class ServiceListResponse(ResponseModel):
    """A page of the catalog's services, by name."""

    items: list[ServiceSummary]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[ServiceSummary]) -> ServiceListResponse:
        """Render a page of services."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)


class ServiceResponse(ResponseModel):
    """One service: its catalog entry, owning teams, dependency counts and open incidents."""

    service: ServiceSummary
    depends_on: int = Field(description="direct dependencies (GET .../upstream lists them)")
    dependents: int = Field(description="services depending on it directly (GET .../downstream)")
    open_incidents: int = Field(description="incidents on it still being worked on, that the caller may see")

    @classmethod
    def from_detail(cls, detail: ServiceDetail) -> ServiceResponse:
        """Render a service's detail."""
        return cls(
            service=detail.service,
            depends_on=detail.depends_on,
            dependents=detail.dependents,
            open_incidents=detail.open_incidents,
        )


class ServiceIncidentsResponse(ResponseModel):
    """A page of the incidents that affected a service, newest first."""

    items: list[IncidentBrief]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[IncidentBrief]) -> ServiceIncidentsResponse:
        """Render a page of incidents."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)


class DependenciesResponse(ResponseModel):
    """A page of a service's dependencies one way, nearest first (then by name)."""

    direction: Literal["upstream", "downstream"] = Field(
        description="upstream: what it depends on; downstream: what depends on it"
    )
    depth: int
    items: list[RelatedService]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(
        cls, direction: Literal["upstream", "downstream"], depth: int, page: Page[RelatedService]
    ) -> DependenciesResponse:
        """Render a page of dependencies."""
        return cls(direction=direction, depth=depth, items=list(page.items), next_cursor=page.next_cursor)


class OwnersResponse(ResponseModel):
    """A service's owning teams and their members."""

    service: TeamRef
    teams: list[TeamInfo]

    @classmethod
    def from_owners(cls, owners: ServiceOwners) -> OwnersResponse:
        """Render a service's owners."""
        return cls(service=owners.service, teams=list(owners.teams))


class OnCallResponse(ResponseModel):
    """Who is on call for a service now, on its own and its owning teams' schedules."""

    service: TeamRef
    at: datetime
    on_call: list[OnCall] = Field(description="empty when no synced schedule entry covers now")

    @classmethod
    def from_on_call(cls, on_call: ServiceOnCall) -> OnCallResponse:
        """Render a service's on-call."""
        return cls(service=on_call.service, at=on_call.at, on_call=list(on_call.on_call))


class ServiceHotspotsResponse(ResponseModel):
    """Incidents per week on one service (weeks start Monday 00:00 UTC), oldest week first."""

    service_id: str
    service_name: str
    since: datetime
    until: datetime
    total: int
    weeks: list[WeekCountResponse]

    @classmethod
    def from_hotspots(cls, found: ServiceHotspots) -> ServiceHotspotsResponse:
        """Render a service's weekly counts."""
        return cls(
            service_id=found.service_id,
            service_name=found.service_name,
            since=found.since,
            until=found.until,
            total=found.total,
            weeks=[WeekCountResponse(week_start=w.week_start, incidents=w.incidents) for w in found.weeks],
        )


class HotspotsResponse(ResponseModel):
    """A page of services ranked by incidents over the window, most first."""

    weeks: int
    items: list[Hotspot]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, weeks: int, page: Page[Hotspot]) -> HotspotsResponse:
        """Render a page of hotspots."""
        return cls(weeks=weeks, items=list(page.items), next_cursor=page.next_cursor)


class TeamListResponse(ResponseModel):
    """A page of teams, by name."""

    items: list[TeamSummary]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[TeamSummary]) -> TeamListResponse:
        """Render a page of teams."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)


class TeamMembersResponse(ResponseModel):
    """A page of a team's members, by name."""

    items: list[Person]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[Person]) -> TeamMembersResponse:
        """Render a page of members."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)


class TeamServicesResponse(ResponseModel):
    """A page of what a team owns (services and other catalog entries), by name."""

    items: list[OwnedRef]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[OwnedRef]) -> TeamServicesResponse:
        """Render a page of owned entries."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)


class TeamIncidentResponse(NodeResponse):
    """One of a team's incidents: the incident as every route renders it, and what it hit of the team's."""

    team_services: list[OwnedRef] = Field(
        description="what the team owns (services and catalog entries) that it affected, by name; "
        "empty when it named the team itself and nothing the team owns"
    )

    @classmethod
    def from_incident(cls, incident: TeamIncident) -> TeamIncidentResponse:
        """Render ``incident`` (its text left out, as in every list)."""
        node = NodeResponse.from_node(incident.node, with_text=False)
        return cls(**dict(node), team_services=list(incident.services))


class TeamResponse(ResponseModel):
    """One team: members, what it owns, its schedules, who is on call now, its recent incidents."""

    id: str
    name: str
    external_id: str | None
    members: list[Person]
    services: list[OwnedRef]
    schedules: list[ScheduleRef]
    on_call: list[OnCall] = Field(description="who is on call on its schedules now")
    on_call_note: str | None = Field(
        description="why `on_call` may be incomplete (no schedule entry covers now, or incident.io "
        "could not be asked), else null"
    )
    recent_incidents: list[TeamIncidentResponse] = Field(
        description="its newest incidents, on the team or a service it owns, newest first (texts left "
        "out), each with `team_services`: which of what it owns the incident hit"
    )
    open_follow_ups: list[FollowUp] = Field(
        description="the open follow-ups of its newest 50 incidents, newest incident first"
    )

    @classmethod
    def from_detail(cls, team: TeamDetail) -> TeamResponse:
        """Render a team."""
        return cls(
            id=team.id,
            name=team.name,
            external_id=team.external_id,
            members=list(team.members),
            services=list(team.services),
            schedules=list(team.schedules),
            on_call=list(team.on_call),
            on_call_note=team.on_call_note,
            recent_incidents=[TeamIncidentResponse.from_incident(i) for i in team.recent_incidents],
            open_follow_ups=list(team.open_follow_ups),
        )


class UserResponse(ResponseModel):
    """A user: who they are, their teams, and the incidents they led."""

    id: str
    name: str
    email: str | None
    slack_user_id: str | None
    role: str | None = Field(description="their incident.io base role, when known")
    teams: list[TeamRef]
    incidents_led: int = Field(description="incidents they led that the caller may see")
    recent_led: list[UserIncident] = Field(description="the newest of those, newest first")

    @classmethod
    def from_detail(cls, user: UserDetail) -> UserResponse:
        """Render a user."""
        return cls(
            id=user.person.id,
            name=user.person.name,
            email=user.person.email,
            slack_user_id=user.person.slack_user_id,
            role=user.role,
            teams=list(user.teams),
            incidents_led=user.incidents_led,
            recent_led=list(user.recent_led),
        )


class UserIncidentsResponse(ResponseModel):
    """A page of the incidents a user held a role in, newest first."""

    items: list[UserIncident]
    next_cursor: str | None = Field(description=_CURSOR)

    @classmethod
    def from_page(cls, page: Page[UserIncident]) -> UserIncidentsResponse:
        """Render a page of a user's incidents."""
        return cls(items=list(page.items), next_cursor=page.next_cursor)
