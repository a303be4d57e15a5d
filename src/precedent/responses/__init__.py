"""One set of response models for everything Precedent returns, on every surface.

The HTTP API returns them (and its OpenAPI document is generated from them), the CLI's ``--json``
prints them, and the MCP server and the web pages render them. Each is built from the typed
results of ``retrieval`` or ``investigation`` by a ``from_...`` class method, so a new field is
one edit here.
"""

from precedent.responses.base import time_text
from precedent.responses.catalog import (
    DependenciesResponse,
    HotspotsResponse,
    OnCallResponse,
    OwnersResponse,
    ServiceHotspotsResponse,
    ServiceIncidentsResponse,
    ServiceListResponse,
    ServiceResponse,
    TeamIncidentResponse,
    TeamListResponse,
    TeamMembersResponse,
    TeamResponse,
    TeamServicesResponse,
    UserIncidentsResponse,
    UserResponse,
)
from precedent.responses.changes import ChangesPageResponse, RecordedChangeResponse
from precedent.responses.graph import (
    EdgeResponse,
    NeighbourhoodResponse,
    NodeResponse,
    StatsResponse,
)
from precedent.responses.incident import IncidentDetailResponse, SearchHitResponse, SearchResponse
from precedent.responses.incident_parts import (
    ActionsResponse,
    FollowUpItemResponse,
    FollowUpsResponse,
    IncidentPageResponse,
    PostmortemDocumentResponse,
    PostmortemsResponse,
    RelatedIncidentResponse,
    RelatedIncidentsResponse,
    UpdatesResponse,
)
from precedent.responses.investigation import (
    ChangesResponse,
    InvestigationItemResponse,
    InvestigationListResponse,
    InvestigationResponse,
    ServiceContextResponse,
)
from precedent.responses.problem import FieldProblem, ProblemDetails
from precedent.responses.similar import (
    ContributionResponse,
    ExplanationResponse,
    FollowUpResponse,
    LessonResponse,
    PosedQueryResponse,
    SimilarIncidentResponse,
    SimilarResponse,
    score_text,
)
from precedent.responses.stats import (
    RecurringPatternResponse,
    RecurringResponse,
    ResourceProgressResponse,
    SyncReportResponse,
    SyncStatusResponse,
    WeekCountResponse,
    WeeklyIncidentsResponse,
)
from precedent.responses.webhooks import DeliveryPageResponse, DeliveryResponse, ReceiptResponse

__all__ = [
    "ActionsResponse",
    "ChangesPageResponse",
    "ChangesResponse",
    "ContributionResponse",
    "DeliveryPageResponse",
    "DeliveryResponse",
    "DependenciesResponse",
    "EdgeResponse",
    "ExplanationResponse",
    "FieldProblem",
    "FollowUpItemResponse",
    "FollowUpResponse",
    "FollowUpsResponse",
    "HotspotsResponse",
    "IncidentDetailResponse",
    "IncidentPageResponse",
    "InvestigationItemResponse",
    "InvestigationListResponse",
    "InvestigationResponse",
    "LessonResponse",
    "NeighbourhoodResponse",
    "NodeResponse",
    "OnCallResponse",
    "OwnersResponse",
    "PosedQueryResponse",
    "PostmortemDocumentResponse",
    "PostmortemsResponse",
    "ProblemDetails",
    "ReceiptResponse",
    "RecordedChangeResponse",
    "RecurringPatternResponse",
    "RecurringResponse",
    "RelatedIncidentResponse",
    "RelatedIncidentsResponse",
    "ResourceProgressResponse",
    "SearchHitResponse",
    "SearchResponse",
    "ServiceContextResponse",
    "ServiceHotspotsResponse",
    "ServiceIncidentsResponse",
    "ServiceListResponse",
    "ServiceResponse",
    "SimilarIncidentResponse",
    "SimilarResponse",
    "StatsResponse",
    "SyncReportResponse",
    "SyncStatusResponse",
    "TeamListResponse",
    "TeamMembersResponse",
    "TeamIncidentResponse",
    "TeamResponse",
    "TeamServicesResponse",
    "UpdatesResponse",
    "UserIncidentsResponse",
    "UserResponse",
    "WeekCountResponse",
    "WeeklyIncidentsResponse",
    "score_text",
    "time_text",
]
