"""Reads over the map for browsing it: incidents, services, teams and people, as lists and pages.

Every surface (the HTTP API, the web pages, the notebooks, the MCP server) asks these functions,
so a filter, a page of results or a visibility rule is written once. Each takes the store and a
``Viewer`` and returns domain values; the surfaces shape them into ``precedent.responses``.
It sits above ``investigation`` because a service's page shows who is on call, which the
investigation's context already knows how to find.
"""

from __future__ import annotations

from precedent.browse.changes import (
    CHANGE_HOURS_DEFAULT,
    MAX_CHANGE_HOURS,
    MAX_CHANGES,
    ServiceChanges,
    change_hours,
    service_changes,
)
from precedent.browse.deliveries import delivery_page
from precedent.browse.hotspots import (
    HOTSPOT_WEEKS,
    Hotspot,
    ServiceHotspots,
    WeekCount,
    hotspots,
    incidents_per_service,
    service_hotspots,
)
from precedent.browse.incidents import (
    FollowUp,
    IncidentFilters,
    PostmortemDocument,
    RelatedIncident,
    incident_actions,
    incident_follow_ups,
    incident_postmortems,
    incident_updates,
    list_incidents,
    related_incidents,
)
from precedent.browse.lookup import find_team, find_user, service_node
from precedent.browse.paging import MAX_LIMIT, Page
from precedent.browse.people import UserDetail, UserIncident, get_user, user_incidents
from precedent.browse.services import (
    ServiceDetail,
    ServiceFilter,
    ServiceOnCall,
    ServiceOwners,
    ServiceSummary,
    TeamRef,
    dependencies,
    get_service,
    list_services,
    service_incidents,
    service_on_call,
    service_owners,
)
from precedent.browse.stats import RecurringPattern, incidents_per_week, recurring_patterns
from precedent.browse.teams import (
    OwnedRef,
    ScheduleRef,
    TeamDetail,
    TeamIncident,
    TeamSummary,
    get_team,
    list_teams,
    team_members,
    team_services,
)

__all__ = [
    "HOTSPOT_WEEKS",
    "MAX_LIMIT",
    "MAX_CHANGES",
    "CHANGE_HOURS_DEFAULT",
    "MAX_CHANGE_HOURS",
    "FollowUp",
    "Hotspot",
    "IncidentFilters",
    "OwnedRef",
    "Page",
    "PostmortemDocument",
    "RecurringPattern",
    "RelatedIncident",
    "ScheduleRef",
    "ServiceChanges",
    "ServiceDetail",
    "ServiceFilter",
    "ServiceHotspots",
    "ServiceOnCall",
    "ServiceOwners",
    "ServiceSummary",
    "TeamDetail",
    "TeamIncident",
    "TeamRef",
    "TeamSummary",
    "UserDetail",
    "UserIncident",
    "WeekCount",
    "change_hours",
    "delivery_page",
    "dependencies",
    "find_team",
    "find_user",
    "get_service",
    "get_team",
    "get_user",
    "hotspots",
    "incidents_per_service",
    "incident_actions",
    "incident_follow_ups",
    "incident_postmortems",
    "incident_updates",
    "incidents_per_week",
    "list_incidents",
    "list_services",
    "list_teams",
    "recurring_patterns",
    "related_incidents",
    "service_changes",
    "service_hotspots",
    "service_incidents",
    "service_node",
    "service_on_call",
    "service_owners",
    "team_members",
    "team_services",
    "user_incidents",
]
