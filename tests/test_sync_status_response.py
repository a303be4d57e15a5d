"""The sync status a viewer without private visibility gets (``GET /v1/stats/sync`` for a read token)."""

from __future__ import annotations

from datetime import UTC, datetime

from precedent.ingest import ResourceProgress, SyncStatus, SyncSummary
from precedent.responses import SyncStatusResponse


def test_a_sync_status_without_private_visibility_keeps_when_and_why_but_no_counts() -> None:
    # A sync's counts cover private incidents too: a read token must not learn how many exist.
    summary = SyncSummary(
        calls=4, created={"incidents": 12}, updated={"incidents": 3}, warnings=("INC-9 ...",)
    )
    status = SyncStatus(
        running=False,
        started_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        finished_at=datetime(2026, 12, 1, 9, 5, tzinfo=UTC),
        resources=(ResourceProgress("incidents", done=12, total=12, finished=True),),
        warnings=("INC-9 ...",),
        last_report=summary,
        last_error=None,
    )
    full = SyncStatusResponse.from_status(status)
    hidden = full.without_counts()
    assert hidden.counts_hidden
    assert not full.counts_hidden
    assert (hidden.resources, hidden.warnings) == ([], [])
    assert hidden.last_report is not None
    report = hidden.last_report
    assert (report.created, report.updated, report.warnings) == ({}, {}, [])
    assert (hidden.started_at, hidden.finished_at, report.calls) == (full.started_at, full.finished_at, 4)
