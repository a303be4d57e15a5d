"""Investigations: the first look at a new incident, built from the map.

``context`` gathers owners, on-call, dependencies and incidents around the affected services,
``changes`` the changes near them, ``precedents`` what similar past incidents teach,
``hypotheses`` and ``recurrence`` make likely causes with pure functions and ``ranking`` orders
them, ``summary`` renders them for Slack,
``live_on_call`` asks incident.io who is on call when the synced entries do not say,
``build`` puts it together and ``persist`` stores it as an ``Investigation`` node; ``redraw``
draws a stored build again for a viewer it is hidden from, and ``recent`` lists the builds.
"""

from precedent.investigation.around import (
    SERVICE_CHANGES_WINDOW,
    ServiceSnapshot,
    recent_changes,
    service_snapshot,
)
from precedent.investigation.build import (
    CHANGE_WINDOW_DEFAULT_HOURS,
    CHANGE_WINDOW_DESCRIPTION,
    CHANGE_WINDOW_MAX_HOURS,
    SIMILAR_PRECEDENTS_MAX,
    Collaborators,
    InvestigationOptions,
    build_investigation,
    change_window,
    investigation_id,
)
from precedent.investigation.codec import investigation_from_json, investigation_json
from precedent.investigation.context import LiveOnCallSource, LiveShift, ServicePeople, is_active, people_of
from precedent.investigation.latest import latest_or_build
from precedent.investigation.live_on_call import IncidentIoOnCall
from precedent.investigation.persist import (
    Standing,
    get,
    latest_for_incident,
    save,
    standing,
)
from precedent.investigation.recent import (
    RECENT_MAX,
    InvestigationPage,
    LatestBuild,
    latest_per_incident,
    list_recent,
    openable_count,
)
from precedent.investigation.redraw import build_and_save, channel_view, readable
from precedent.investigation.results import (
    Change,
    Evidence,
    FollowUp,
    Hypothesis,
    IncidentBrief,
    InvestigatedIncident,
    Investigation,
    MapState,
    OnCall,
    Person,
    Precedent,
    RelatedService,
    ServiceContext,
    SuspectedChange,
    TeamInfo,
)
from precedent.investigation.summary_links import shown_summary

__all__ = [
    "CHANGE_WINDOW_DEFAULT_HOURS",
    "CHANGE_WINDOW_DESCRIPTION",
    "CHANGE_WINDOW_MAX_HOURS",
    "change_window",
    "RECENT_MAX",
    "SERVICE_CHANGES_WINDOW",
    "SIMILAR_PRECEDENTS_MAX",
    "latest_or_build",
    "Change",
    "Collaborators",
    "Evidence",
    "FollowUp",
    "Hypothesis",
    "IncidentBrief",
    "IncidentIoOnCall",
    "InvestigatedIncident",
    "Investigation",
    "InvestigationOptions",
    "InvestigationPage",
    "LatestBuild",
    "LiveOnCallSource",
    "LiveShift",
    "MapState",
    "OnCall",
    "Person",
    "Precedent",
    "RelatedService",
    "ServiceContext",
    "ServicePeople",
    "ServiceSnapshot",
    "Standing",
    "SuspectedChange",
    "TeamInfo",
    "build_and_save",
    "build_investigation",
    "channel_view",
    "get",
    "investigation_from_json",
    "investigation_id",
    "investigation_json",
    "is_active",
    "latest_for_incident",
    "latest_per_incident",
    "list_recent",
    "openable_count",
    "people_of",
    "readable",
    "recent_changes",
    "save",
    "service_snapshot",
    "shown_summary",
    "standing",
]
