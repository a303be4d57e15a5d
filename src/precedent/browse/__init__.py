"""Reads over the map for browsing it: incidents, services, teams and people, as lists and pages.

Every surface (the HTTP API, the web pages, the notebooks, the MCP server) asks these functions,
so a filter, a page of results or a visibility rule is written once. Each takes the store and a
``Viewer`` and returns domain values; the surfaces shape them into ``precedent.responses``.
It sits above ``investigation`` because a service's page shows who is on call, which the
investigation's context already knows how to find.
"""

from __future__ import annotations

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
    resolve_team,
)
from precedent.browse.paging import Page
from precedent.browse.stats import RecurringPattern, WeekCount, incidents_per_week, recurring_patterns

__all__ = [
    "FollowUp",
    "IncidentFilters",
    "Page",
    "PostmortemDocument",
    "RecurringPattern",
    "RelatedIncident",
    "WeekCount",
    "incident_actions",
    "incident_follow_ups",
    "incident_postmortems",
    "incident_updates",
    "incidents_per_week",
    "list_incidents",
    "recurring_patterns",
    "related_incidents",
    "resolve_team",
]
