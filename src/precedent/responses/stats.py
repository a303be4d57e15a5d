"""Figures over the map: incidents per week, recurring failure patterns, and the sync's state."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import Field

from precedent.responses.base import ResponseModel
from precedent.responses.graph import NodeResponse

if TYPE_CHECKING:
    from precedent.browse.hotspots import WeekCount
    from precedent.browse.stats import RecurringPattern
    from precedent.ingest import SyncStatus
    from precedent.ingest.sync_board import SyncSummary

__all__ = [
    "RecurringPatternResponse",
    "RecurringResponse",
    "ResourceProgressResponse",
    "SyncReportResponse",
    "SyncStatusResponse",
    "WeekCountResponse",
    "WeeklyIncidentsResponse",
]


class WeekCountResponse(ResponseModel):
    """Incidents declared in one week."""

    week_start: datetime = Field(description="the week's Monday, 00:00 UTC")
    incidents: int


class WeeklyIncidentsResponse(ResponseModel):
    """Incidents declared per week, oldest week first (this week last, so far)."""

    service: str | None = Field(description="the service counted, as asked; null for every service")
    weeks: list[WeekCountResponse]

    @classmethod
    def from_counts(cls, service: str | None, counts: list[WeekCount]) -> WeeklyIncidentsResponse:
        """Render the counts."""
        return cls(
            service=service,
            weeks=[WeekCountResponse(week_start=c.week_start, incidents=c.incidents) for c in counts],
        )


class RecurringPatternResponse(ResponseModel):
    """Similar incidents on one service, and the open work that might stop the next one."""

    service: NodeResponse
    incidents: list[NodeResponse] = Field(description="newest first")
    open_follow_ups: list[NodeResponse]
    similarity: float = Field(description="the weakest cosine that joined two of the incidents")


class RecurringResponse(ResponseModel):
    """Recurring failure patterns, largest first."""

    patterns: list[RecurringPatternResponse]

    @classmethod
    def from_patterns(cls, patterns: list[RecurringPattern]) -> RecurringResponse:
        """Render the patterns (texts left out)."""
        return cls(
            patterns=[
                RecurringPatternResponse(
                    service=NodeResponse.from_node(p.service, with_text=False),
                    incidents=[NodeResponse.from_node(n, with_text=False) for n in p.incidents],
                    open_follow_ups=[NodeResponse.from_node(f, with_text=False) for f in p.open_follow_ups],
                    similarity=p.similarity,
                )
                for p in patterns
            ]
        )


class ResourceProgressResponse(ResponseModel):
    """How far a sync is through one resource."""

    resource: str
    done: int = Field(description="records written so far")
    total: int | None = Field(description="records to write, when known in advance")
    finished: bool


class SyncReportResponse(ResponseModel):
    """What a finished sync did."""

    incremental: bool
    calls: int = Field(description="incident.io API calls")
    retries: int
    elapsed_seconds: float
    created: dict[str, int] = Field(description="nodes created, per resource")
    updated: dict[str, int] = Field(description="nodes updated, per resource")
    warnings: list[str]

    @classmethod
    def from_summary(cls, report: SyncSummary) -> SyncReportResponse:
        """Render a finished sync's summary."""
        return cls(
            incremental=report.incremental,
            calls=report.calls,
            retries=report.retries,
            elapsed_seconds=round(report.elapsed_seconds, 3),
            created=dict(report.created),
            updated=dict(report.updated),
            warnings=list(report.warnings),
        )


class SyncStatusResponse(ResponseModel):
    """The map's sync: the run in flight (in any process on the map), if any, and the last one to end."""

    running: bool
    started_at: datetime | None
    finished_at: datetime | None
    resources: list[ResourceProgressResponse] = Field(description="progress of the current (or last) run")
    warnings: list[str]
    last_report: SyncReportResponse | None = Field(description="the last run that succeeded")
    last_error: str | None = Field(description="why the last run failed, if it did")
    counts_hidden: bool = Field(
        default=False,
        description="true for a viewer who may not see private incidents: the counts and warnings, "
        "which include them, are left out (the `admin` route, or a `read:private` token, shows them)",
    )

    @classmethod
    def from_status(cls, status: SyncStatus) -> SyncStatusResponse:
        """Render a status."""
        return cls(
            running=status.running,
            started_at=status.started_at,
            finished_at=status.finished_at,
            resources=[
                ResourceProgressResponse(resource=r.resource, done=r.done, total=r.total, finished=r.finished)
                for r in status.resources
            ],
            warnings=list(status.warnings),
            last_report=None
            if status.last_report is None
            else SyncReportResponse.from_summary(status.last_report),
            last_error=status.last_error,
        )

    def without_counts(self) -> SyncStatusResponse:
        """This status for a viewer who may not see private incidents.

        A sync's counts and warnings cover every incident it wrote, private ones included: shown
        to a ``read`` token, they would tell how many private incidents the map holds, which no
        count it reads elsewhere does. When, whether and why a run failed stay.
        """
        report = self.last_report
        if report is not None:
            report = report.model_copy(update={"created": {}, "updated": {}, "warnings": []})
        return self.model_copy(
            update={"resources": [], "warnings": [], "last_report": report, "counts_hidden": True}
        )
