"""The embedded inbox after a crash: the dead process's lease ends when the sole worker reopens it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.store import NewDelivery
from precedent.store.embedded import SqliteInbox

if TYPE_CHECKING:
    from pathlib import Path

LEASE = timedelta(seconds=60)


async def _leased_then_abandoned(path: Path) -> None:
    """Record a delivery and claim it, then stop without completing it (as a killed serve does)."""
    inbox = SqliteInbox(path, sole_worker=True)
    await inbox.open()
    now = datetime.now(UTC)
    await inbox.record(NewDelivery("msg_1", "public_incident.incident_created_v2", "{}", now))
    assert [d.id for d in await inbox.claim("dead-serve", now=now, lease=LEASE)] == ["msg_1"]
    await inbox.close()


async def test_a_sole_worker_takes_over_a_dead_process_lease_at_once(tmp_path: Path) -> None:
    await _leased_then_abandoned(tmp_path / "webhooks.sqlite")
    inbox = SqliteInbox(tmp_path / "webhooks.sqlite", sole_worker=True)
    await inbox.open()
    try:
        [delivery] = await inbox.claim("restarted-serve", now=datetime.now(UTC), lease=LEASE)
    finally:
        await inbox.close()
    assert delivery.id == "msg_1"
    assert delivery.attempts == 2  # the crashed attempt still counts toward parking it as dead


async def test_a_shared_inbox_leaves_other_workers_leases_to_run_out(tmp_path: Path) -> None:
    await _leased_then_abandoned(tmp_path / "webhooks.sqlite")
    inbox = SqliteInbox(tmp_path / "webhooks.sqlite")
    await inbox.open()
    try:
        assert await inbox.claim("another-worker", now=datetime.now(UTC), lease=LEASE) == []
    finally:
        await inbox.close()
