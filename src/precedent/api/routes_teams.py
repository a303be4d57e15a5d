"""HTTP routes for teams and users: parse, call one ``browse`` read, return its response."""

from __future__ import annotations

from typing import Annotated

from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from precedent.api.errors import problem_responses
from precedent.api.routes_services import Cursor, PageSize
from precedent.browse import get_team, get_user, list_teams, team_members, team_services, user_incidents
from precedent.investigation import LiveOnCallSource
from precedent.model import Viewer
from precedent.responses import (
    TeamListResponse,
    TeamMembersResponse,
    TeamResponse,
    TeamServicesResponse,
    UserIncidentsResponse,
    UserResponse,
)
from precedent.retrieval import Catalog
from precedent.store import GraphStore

__all__ = ["TEAM_ROUTES"]


@get(
    "/v1/teams",
    operation_id="listTeams",
    summary="List teams",
    tags=["teams"],
    responses=problem_responses(400, 503),
)
async def teams(
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    q: Annotated[str | None, QueryParameter(description="name containing this")] = None,
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> TeamListResponse:
    """Teams by name, with how many members and services each has."""
    return TeamListResponse.from_page(await list_teams(store, viewer, q=q, limit=limit, cursor=cursor))


@get(
    "/v1/teams/{team:str}",
    operation_id="getTeam",
    summary="One team",
    tags=["teams"],
    responses=problem_responses(400, 404, 503),
)
async def team(
    team: FromPath[str],
    store: NamedDependency[GraphStore],
    catalog: NamedDependency[Catalog],
    viewer: NamedDependency[Viewer],
    live_on_call: NamedDependency[LiveOnCallSource | None],
) -> TeamResponse:
    """A team by id, name, external id or incident.io team id: members, services, schedules, who is
    on call now, its newest incidents and their open follow-ups."""
    return TeamResponse.from_detail(await get_team(store, catalog, viewer, team, live=live_on_call))


@get(
    "/v1/teams/{team:str}/members",
    operation_id="listTeamMembers",
    summary="A team's members",
    tags=["teams"],
    responses=problem_responses(400, 404, 503),
)
async def members_of_team(
    team: FromPath[str],
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> TeamMembersResponse:
    """A team's members, by name, a page at a time."""
    return TeamMembersResponse.from_page(await team_members(store, viewer, team, limit=limit, cursor=cursor))


@get(
    "/v1/teams/{team:str}/services",
    operation_id="listTeamServices",
    summary="A team's services",
    tags=["teams"],
    responses=problem_responses(400, 404, 503),
)
async def services_of_team(
    team: FromPath[str],
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    limit: PageSize = 50,
    cursor: Cursor = None,
) -> TeamServicesResponse:
    """What a team owns (services and other catalog entries), by name, a page at a time."""
    return TeamServicesResponse.from_page(
        await team_services(store, viewer, team, limit=limit, cursor=cursor)
    )


@get(
    "/v1/users/{user:str}",
    operation_id="getUser",
    summary="One user",
    tags=["users"],
    responses=problem_responses(400, 404, 503),
)
async def user(
    user: FromPath[str], store: NamedDependency[GraphStore], viewer: NamedDependency[Viewer]
) -> UserResponse:
    """A user by id, email or Slack user id: teams, role and the incidents they led most recently."""
    return UserResponse.from_detail(await get_user(store, viewer, user))


@get(
    "/v1/users/{user:str}/incidents",
    operation_id="listUserIncidents",
    summary="A user's incidents",
    tags=["users"],
    responses=problem_responses(400, 404, 503),
)
async def incidents_of_user(
    user: FromPath[str],
    store: NamedDependency[GraphStore],
    viewer: NamedDependency[Viewer],
    role: Annotated[
        str | None,
        QueryParameter(description="only where a role they held contains this (`lead`; `reporter`)"),
    ] = None,
    limit: PageSize = 20,
    cursor: Cursor = None,
) -> UserIncidentsResponse:
    """Incidents a user held a role in (led, reported...), newest first."""
    page = await user_incidents(store, viewer, user, role=role, limit=limit, cursor=cursor)
    return UserIncidentsResponse.from_page(page)


TEAM_ROUTES = [teams, team, members_of_team, services_of_team, user, incidents_of_user]
