"""The Inbox contract: every test runs on the SQLite inbox and on the Neo4j inbox alike."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.store.embedded import SqliteInbox
from precedent.store.inbox import Backlog, Inbox, NewDelivery
from precedent.store.neo4j import Neo4jInbox

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from tests.support.neo4j_server import Neo4jServer

pytestmark = pytest.mark.contract

T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
LEASE = timedelta(seconds=30)


@pytest.fixture
async def sqlite_inbox(tmp_path: Path) -> AsyncIterator[Inbox]:
    inbox = SqliteInbox(tmp_path / "data" / "webhooks.sqlite")
    await inbox.open()
    yield inbox
    await inbox.close()


async def _neo4j_inbox(neo4j: Neo4jServer) -> Neo4jInbox:
    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    # The contract's tests move time by hand: leases on the time they pass, as SQLite's.
    return Neo4jInbox(neo4j.uri, auth=auth, database="neo4j", lease_clock="caller")


@pytest.fixture
async def neo4j_inbox(neo4j: Neo4jServer) -> AsyncIterator[Inbox]:
    from neo4j import AsyncGraphDatabase

    auth = (neo4j.user, neo4j.password) if neo4j.user and neo4j.password else None
    async with AsyncGraphDatabase.driver(neo4j.uri, auth=auth) as driver:
        await driver.execute_query("MATCH (d:WebhookDelivery) DETACH DELETE d")
    inbox = await _neo4j_inbox(neo4j)
    await inbox.open()
    yield inbox
    await inbox.close()


@pytest.fixture(params=["sqlite_inbox", "neo4j_inbox"])
def inbox(request: pytest.FixtureRequest) -> Inbox:
    if request.param == "neo4j_inbox":
        request.applymarker(pytest.mark.neo4j)
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def new(delivery_id: str, at: datetime = T0, **kwargs: object) -> NewDelivery:
    return NewDelivery(delivery_id, "public_incident.incident_created_v2", '{"x": 1}', at, **kwargs)  # type: ignore[arg-type]


async def test_record_is_idempotent_and_round_trips(inbox: Inbox) -> None:
    assert await inbox.record(new("msg_1", incident_id="inc-1"))
    assert not await inbox.record(NewDelivery("msg_1", "other", "changed", T0 + LEASE))
    found = await inbox.get("msg_1")
    assert found is not None
    assert (found.id, found.event_type, found.body, found.received_at) == (
        "msg_1",
        "public_incident.incident_created_v2",
        '{"x": 1}',
        T0,
    )
    assert (found.state, found.attempts, found.incident_id, found.available_at) == ("pending", 0, "inc-1", T0)
    assert await inbox.get("msg_unknown") is None


async def test_rejected_and_ignored_deliveries_are_final_and_never_claimed(inbox: Inbox) -> None:
    await inbox.record(new("bad", state="rejected", error="not JSON"))
    await inbox.record(new("odd", state="ignored", error="unknown event type"))
    assert await inbox.claim("w1", now=T0 + LEASE, lease=LEASE) == []
    bad = await inbox.get("bad")
    assert bad is not None
    assert (bad.state, bad.error, bad.finished_at) == ("rejected", "not JSON", T0)


async def test_claims_lease_oldest_first_and_not_twice(inbox: Inbox) -> None:
    for n in range(3):
        await inbox.record(new(f"msg_{n}", T0 + timedelta(seconds=n)))
    first = await inbox.claim("w1", now=T0 + LEASE, lease=LEASE, limit=2)
    assert [d.id for d in first] == ["msg_0", "msg_1"]
    assert {(d.state, d.lease_owner, d.attempts) for d in first} == {("leased", "w1", 1)}
    assert first[0].lease_expires_at == T0 + 2 * LEASE
    assert first[0].started_at == T0 + LEASE
    second = await inbox.claim("w2", now=T0 + LEASE, lease=LEASE, limit=5)
    assert [d.id for d in second] == ["msg_2"]
    assert await inbox.claim("w3", now=T0 + LEASE, lease=LEASE) == []


async def test_an_incidents_deliveries_are_worked_one_at_a_time_oldest_first(inbox: Inbox) -> None:
    # Two workers on one incident's deliveries at once (incident.io sends an update within a
    # second of the declaration, with its Slack channel) each read the stored state, then both
    # write: the older one, written last, regressed the incident.
    await inbox.record(new("created", T0, incident_id="inc-1"))
    await inbox.record(new("updated", T0 + timedelta(seconds=1), incident_id="inc-1"))
    await inbox.record(new("other", T0 + timedelta(seconds=2), incident_id="inc-2"))
    await inbox.record(new("unrelated", T0 + timedelta(seconds=3)))
    now = T0 + LEASE
    both = await inbox.claim("w1", now=now, lease=LEASE, limit=2)
    assert [d.id for d in both] == ["created", "other"]
    assert [d.id for d in await inbox.claim("w2", now=now, lease=LEASE, limit=5)] == ["unrelated"]
    assert await inbox.claim("w2", now=now, lease=LEASE) == []  # "updated" waits for "created"
    assert await inbox.complete("created", "w1", now=now, outcome="ok")
    assert [d.id for d in await inbox.claim("w2", now=now, lease=LEASE)] == ["updated"]


async def test_a_lease_that_ran_out_holds_up_its_incident_no_longer(inbox: Inbox) -> None:
    await inbox.record(new("created", T0, incident_id="inc-1"))
    await inbox.record(new("updated", T0 + timedelta(seconds=1), incident_id="inc-1"))
    [held] = await inbox.claim("w1", now=T0 + LEASE, lease=LEASE)
    assert held.id == "created"
    # w1 died: once its lease runs out the older delivery is taken again first, then the newer.
    later = T0 + 2 * LEASE
    assert [d.id for d in await inbox.claim("w2", now=later, lease=LEASE, limit=2)] == ["created"]
    assert await inbox.fail("created", "w2", now=later, error="boom", retry_at=later + LEASE)
    # Waiting out its back-off, it holds up nothing: the newer state may go first.
    assert [d.id for d in await inbox.claim("w2", now=later, lease=LEASE)] == ["updated"]


async def test_a_delivery_is_not_claimable_before_it_arrived(inbox: Inbox) -> None:
    await inbox.record(new("later", T0 + LEASE))
    assert await inbox.claim("w1", now=T0, lease=LEASE) == []


async def test_an_expired_lease_passes_to_another_worker_and_fences_the_first(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    assert len(await inbox.claim("w1", now=T0, lease=LEASE)) == 1
    assert await inbox.claim("w2", now=T0 + LEASE - timedelta(seconds=1), lease=LEASE) == []
    [again] = await inbox.claim("w2", now=T0 + LEASE, lease=LEASE)
    assert (again.lease_owner, again.attempts, again.started_at) == ("w2", 2, T0)
    # The first worker woke up late: everything it tries is refused.
    assert not await inbox.renew("msg_1", "w1", now=T0 + LEASE, lease=LEASE)
    assert not await inbox.complete("msg_1", "w1", now=T0 + LEASE, outcome="late")
    assert not await inbox.fail("msg_1", "w1", now=T0 + LEASE, error="late", retry_at=None)
    assert await inbox.complete("msg_1", "w2", now=T0 + 2 * LEASE, outcome="incident upserted")
    done = await inbox.get("msg_1")
    assert done is not None
    assert (done.state, done.outcome, done.finished_at, done.lease_owner) == (
        "done",
        "incident upserted",
        T0 + 2 * LEASE,
        "w2",
    )
    assert not await inbox.complete("msg_1", "w2", now=T0 + 2 * LEASE, outcome="twice")


async def test_renew_extends_the_lease(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    await inbox.claim("w1", now=T0, lease=LEASE)
    assert await inbox.renew("msg_1", "w1", now=T0 + LEASE / 2, lease=LEASE)
    assert await inbox.claim("w2", now=T0 + LEASE, lease=LEASE) == []
    found = await inbox.get("msg_1")
    assert found is not None
    assert found.lease_expires_at == T0 + LEASE / 2 + LEASE


async def test_failures_back_off_then_die_with_their_error(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    await inbox.claim("w1", now=T0, lease=LEASE)
    retry_at = T0 + timedelta(minutes=1)
    assert await inbox.fail("msg_1", "w1", now=T0, error="incident.io 502", retry_at=retry_at)
    pending = await inbox.get("msg_1")
    assert pending is not None
    assert (pending.state, pending.error, pending.available_at) == ("pending", "incident.io 502", retry_at)
    assert await inbox.claim("w1", now=retry_at - timedelta(seconds=1), lease=LEASE) == []
    [again] = await inbox.claim("w1", now=retry_at, lease=LEASE)
    assert again.attempts == 2
    assert await inbox.fail("msg_1", "w1", now=retry_at, error="still failing", retry_at=None)
    dead = await inbox.get("msg_1")
    assert dead is not None
    assert (dead.state, dead.error, dead.finished_at) == ("dead", "still failing", retry_at)
    assert await inbox.claim("w1", now=retry_at + LEASE, lease=LEASE) == []


async def test_a_failure_not_counted_takes_back_the_attempt_its_claim_counted(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    await inbox.claim("w1", now=T0, lease=LEASE)
    retry_at = T0 + timedelta(minutes=1)
    outage = "StoreWriteFailed: disk full"
    assert await inbox.fail("msg_1", "w1", now=T0, error=outage, retry_at=retry_at, counted=False)
    pending = await inbox.get("msg_1")
    assert pending is not None
    assert (pending.state, pending.attempts, pending.error) == ("pending", 0, outage)
    [again] = await inbox.claim("w1", now=retry_at, lease=LEASE)
    assert again.attempts == 1
    assert not await inbox.fail("msg_1", "w2", now=retry_at, error=outage, retry_at=retry_at, counted=False)
    unchanged = await inbox.get("msg_1")
    assert unchanged is not None
    assert (unchanged.state, unchanged.attempts) == ("leased", 1)  # not the holder: nothing changes


async def test_retry_makes_a_final_delivery_pending_and_leaves_live_ones_alone(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    await inbox.claim("w1", now=T0, lease=LEASE)
    await inbox.fail("msg_1", "w1", now=T0, error="boom", retry_at=None)
    retried = await inbox.retry("msg_1", now=T0 + LEASE)
    assert retried is not None
    assert (retried.state, retried.attempts, retried.available_at) == ("pending", 0, T0 + LEASE)
    await inbox.claim("w1", now=T0 + LEASE, lease=LEASE)
    leased = await inbox.retry("msg_1", now=T0 + LEASE)
    assert leased is not None
    assert (leased.state, leased.lease_owner) == ("leased", "w1")
    assert await inbox.retry("msg_unknown", now=T0) is None


async def test_the_backlog_counts_what_waits_to_be_applied(inbox: Inbox) -> None:
    assert await inbox.backlog() == Backlog(0, None)
    for n in range(3):
        await inbox.record(new(f"msg_{n}", T0 + timedelta(seconds=n)))
    await inbox.record(new("bad", T0 - LEASE, state="rejected", error="not JSON"))
    [first] = await inbox.claim("w1", now=T0 + LEASE, lease=LEASE)
    assert await inbox.backlog() == Backlog(3, T0)  # a leased delivery still waits
    await inbox.complete(first.id, "w1", now=T0 + LEASE, outcome="done")
    assert await inbox.backlog() == Backlog(2, T0 + timedelta(seconds=1))


async def test_prune_deletes_only_final_deliveries_finished_before_the_cutoff(inbox: Inbox) -> None:
    later = T0 + timedelta(days=40)
    for n in range(4):
        await inbox.record(new(f"msg_{n}", incident_id=f"inc-{n}"))
    await inbox.record(new("bad", state="rejected", error="not JSON"))
    await inbox.record(new("alert", state="ignored", error="not acted on"))
    await inbox.record(new("waiting"))  # pending for 40 days: still to be worked, so kept
    claimed = {d.id for d in await inbox.claim("w1", now=T0, lease=LEASE, limit=4)}
    assert claimed == {"msg_0", "msg_1", "msg_2", "msg_3"}
    await inbox.complete("msg_0", "w1", now=T0, outcome="built")
    await inbox.fail("msg_1", "w1", now=T0, error="boom", retry_at=None)
    await inbox.complete("msg_2", "w1", now=later, outcome="built")  # finished after the cutoff
    # msg_3 stays leased (its worker died): never pruned, however old.
    cutoff = T0 + timedelta(days=30)
    assert await inbox.prune(finished_before=cutoff) == 4
    left = {d.id: d.state for d in await inbox.recent(10)}
    assert left == {"msg_2": "done", "msg_3": "leased", "waiting": "pending"}
    assert await inbox.prune(finished_before=cutoff) == 0
    assert await inbox.backlog() == Backlog(2, T0)


class BatchedSqlite(SqliteInbox):
    """The SQLite inbox, noting how many deliveries each of a prune's transactions deleted."""

    batches: list[int]

    async def _prune_batch(self, before: int) -> int:
        deleted = await super()._prune_batch(before)
        self.batches = [*getattr(self, "batches", []), deleted]
        return deleted


class BatchedNeo4j(Neo4jInbox):
    """The Neo4j inbox, noting how many deliveries each of a prune's transactions deleted."""

    batches: list[int]

    async def _prune_batch(self, before: int) -> tuple[int, int]:
        seen, deleted = await super()._prune_batch(before)
        self.batches = [*getattr(self, "batches", []), deleted]
        return seen, deleted


@pytest.fixture(params=["sqlite", pytest.param("neo4j", marks=pytest.mark.neo4j)])
async def batched_inbox(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[BatchedSqlite | BatchedNeo4j]:
    inbox: BatchedSqlite | BatchedNeo4j
    if request.param == "sqlite":
        inbox = BatchedSqlite(tmp_path / "webhooks.sqlite")
    else:
        from neo4j import AsyncGraphDatabase

        neo4j: Neo4jServer = request.getfixturevalue("neo4j")

        async with AsyncGraphDatabase.driver(neo4j.uri, auth=neo4j.auth) as driver:
            await driver.execute_query("MATCH (d:WebhookDelivery) DETACH DELETE d")
        inbox = BatchedNeo4j(neo4j.uri, auth=neo4j.auth, database="neo4j")
    await inbox.open()
    yield inbox
    await inbox.close()


async def test_a_prune_of_thousands_deletes_them_all_a_thousand_per_transaction(
    batched_inbox: BatchedSqlite | BatchedNeo4j,
) -> None:
    # The first prune after the retention is turned on (or of an inbox that was flooded) may
    # find thousands: each transaction deletes a thousand at most, so receiving is held up by
    # one batch, never by the whole prune.
    for n in range(2500):
        await batched_inbox.record(new(f"old_{n:04}", T0 + timedelta(milliseconds=n), state="ignored"))
    await batched_inbox.record(new("recent", T0 + timedelta(days=31), state="ignored"))
    await batched_inbox.record(new("waiting"))  # as old, but not finished: kept
    assert await batched_inbox.prune(finished_before=T0 + timedelta(days=30)) == 2500
    assert batched_inbox.batches == [1000, 1000, 500]
    assert {d.id for d in await batched_inbox.recent(10)} == {"recent", "waiting"}
    assert await batched_inbox.prune(finished_before=T0 + timedelta(days=30)) == 0


async def test_a_delivery_retried_by_hand_is_not_pruned(inbox: Inbox) -> None:
    await inbox.record(new("msg_1"))
    await inbox.claim("w1", now=T0, lease=LEASE)
    await inbox.fail("msg_1", "w1", now=T0, error="boom", retry_at=None)
    await inbox.retry("msg_1", now=T0 + timedelta(days=31))
    assert await inbox.prune(finished_before=T0 + timedelta(days=31)) == 0
    kept = await inbox.get("msg_1")
    assert kept is not None
    assert kept.state == "pending"


async def test_recent_lists_newest_first(inbox: Inbox) -> None:
    for n in range(5):
        await inbox.record(new(f"msg_{n}", T0 + timedelta(seconds=n)))
    assert [d.id for d in await inbox.recent(3)] == ["msg_4", "msg_3", "msg_2"]


async def test_recent_pages_after_a_key_neither_repeat_nor_skip(inbox: Inbox) -> None:
    # Two in the same millisecond: the id breaks the tie, in the same order as the list.
    for delivery_id, at in [("msg_a", T0), ("msg_b", T0), ("msg_c", T0 + timedelta(seconds=1))]:
        await inbox.record(new(delivery_id, at))
    assert [d.id for d in await inbox.recent(5)] == ["msg_c", "msg_a", "msg_b"]
    assert [d.id for d in await inbox.recent(5, after=(T0 + timedelta(seconds=1), "msg_c"))] == [
        "msg_a",
        "msg_b",
    ]
    assert [d.id for d in await inbox.recent(1, after=(T0, "msg_a"))] == ["msg_b"]
    assert list(await inbox.recent(5, after=(T0, "msg_b"))) == []


async def test_concurrent_claims_never_share_a_delivery(inbox: Inbox) -> None:
    for n in range(20):
        await inbox.record(new(f"msg_{n:02}", T0 + timedelta(milliseconds=n)))

    async def worker(name: str) -> list[str]:
        taken: list[str] = []
        for _ in range(20):
            taken += [d.id for d in await inbox.claim(name, now=T0 + LEASE, lease=LEASE, limit=2)]
        return taken

    results = await asyncio.gather(*(worker(f"w{n}") for n in range(4)))
    claimed = [i for r in results for i in r]
    assert sorted(claimed) == [f"msg_{n:02}" for n in range(20)]


@pytest.mark.neo4j
async def test_two_neo4j_inboxes_on_one_database_never_share_a_delivery(
    neo4j_inbox: Inbox, neo4j: Neo4jServer
) -> None:
    other = await _neo4j_inbox(neo4j)
    await other.open()
    try:
        for n in range(30):
            await neo4j_inbox.record(new(f"msg_{n:02}", T0 + timedelta(milliseconds=n)))

        async def worker(inbox: Inbox, name: str) -> list[str]:
            taken: list[str] = []
            while batch := await inbox.claim(name, now=T0 + LEASE, lease=LEASE):
                taken += [d.id for d in batch]
            return taken

        a, b = await asyncio.gather(worker(neo4j_inbox, "a"), worker(other, "b"))
        assert sorted(a + b) == [f"msg_{n:02}" for n in range(30)]
        assert not set(a) & set(b)
    finally:
        await other.close()


async def test_the_sqlite_inbox_survives_reopening(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite"
    first = SqliteInbox(path)
    await first.open()
    await first.record(new("msg_1"))
    await first.close()
    second = SqliteInbox(path)
    await second.open()
    assert not await second.record(new("msg_1"))
    assert [d.id for d in await second.recent(5)] == ["msg_1"]
    await second.close()


async def test_an_unwritable_sqlite_inbox_is_unavailable(tmp_path: Path) -> None:
    from precedent.errors import StoreUnavailable

    (tmp_path / "webhooks.sqlite").mkdir()  # root ignores permissions; a directory stops it
    with pytest.raises(StoreUnavailable, match="PRECEDENT_DATA_DIR"):
        await SqliteInbox(tmp_path / "webhooks.sqlite").open()
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    with pytest.raises(StoreUnavailable):
        await SqliteInbox(blocked / "webhooks.sqlite").open()


async def test_an_inbox_on_a_disk_with_room_says_nothing_stops_a_record(inbox: Inbox) -> None:
    assert await inbox.cannot_record() is None


async def test_the_sqlite_inbox_reads_its_volume_without_writing_and_names_no_path(tmp_path: Path) -> None:
    read: list[Path] = []

    def space(directory: Path) -> int:
        read.append(directory)
        return 5 * 2**20

    inbox = SqliteInbox(tmp_path / "data" / "webhooks.sqlite", space=space, min_free_bytes=8 * 2**20)
    assert await inbox.cannot_record() == (
        "the webhook inbox's disk has 5 MiB free, under the 8 MiB needed to store deliveries before "
        "acknowledging them: free disk space on the volume of the data directory (PRECEDENT_DATA_DIR)"
    )
    assert read == [tmp_path / "data"]
    assert not (tmp_path / "data").exists()


@pytest.fixture
async def on_database_clock(neo4j_inbox: Inbox, neo4j: Neo4jServer) -> AsyncIterator[Neo4jInbox]:
    """A Neo4j inbox as deployed: leases and due times on the server's clock (emptied first)."""
    inbox = Neo4jInbox(neo4j.uri, auth=neo4j.auth, database="neo4j")
    await inbox.open()
    yield inbox
    await inbox.close()


@pytest.mark.neo4j
async def test_neo4j_leases_run_on_the_databases_clock_whatever_the_workers_clocks_say(
    on_database_clock: Neo4jInbox,
) -> None:
    # Workers on several machines: one whose clock ran an hour ahead found every lease run out
    # by its clock, and took deliveries another worker was still working on.
    now = datetime.now(UTC)
    await on_database_clock.record(new("live", now))
    await on_database_clock.record(new("short", now))
    [held] = await on_database_clock.claim("w1", now=now, lease=timedelta(minutes=5))
    assert held.id == "live"
    assert held.lease_expires_at is not None
    assert held.lease_expires_at - now < timedelta(minutes=6)  # the server's now, give or take
    ahead = now + timedelta(hours=1)
    [other] = await on_database_clock.claim("w2", now=ahead, lease=timedelta(minutes=5))
    assert other.id == "short"  # w1's live lease is not taken, however late w2 thinks it is
    assert not await on_database_clock.renew("live", "w2", now=ahead, lease=timedelta(minutes=5))
    assert await on_database_clock.renew("live", "w1", now=now, lease=timedelta(minutes=5))
    # A lease that did run out (by the server's clock) passes on, even to a worker behind.
    assert await on_database_clock.fail("short", "w2", now=ahead, error="x", retry_at=now)
    # A lease of no time runs out at once by the server's clock (no sleep to wait it out).
    [brief] = await on_database_clock.claim("w2", now=now, lease=timedelta(0))
    assert brief.id == "short"
    behind = now - timedelta(hours=1)
    taken = await on_database_clock.claim("w3", now=behind, lease=timedelta(minutes=5))
    assert [d.id for d in taken] == ["short"]


@pytest.mark.neo4j
async def test_neo4j_deliveries_fall_due_on_the_databases_clock_whatever_the_machines_clocks_say(
    on_database_clock: Neo4jInbox,
) -> None:
    # The receiver (`serve`) and a `precedent worker` on another machine: a delivery recorded by
    # a receiver an hour ahead waited an hour before a worker whose clock is right would take it,
    # and a worker an hour ahead took a failed delivery at once, its minutes of back-off unwaited.
    now = datetime.now(UTC)
    ahead, behind = now + timedelta(hours=1), now - timedelta(hours=1)
    await on_database_clock.record(new("from_ahead", ahead))
    [taken] = await on_database_clock.claim("w1", now=behind, lease=LEASE)
    assert taken.id == "from_ahead"
    retry_at = behind + timedelta(minutes=5)
    assert await on_database_clock.fail("from_ahead", "w1", now=behind, error="x", retry_at=retry_at)
    assert await on_database_clock.claim("w2", now=ahead, lease=LEASE) == []  # five minutes to go
    # Retried by hand from a machine ahead: due now, by the server's clock, for any worker.
    await on_database_clock.record(new("ignored", behind, state="ignored"))
    retried = await on_database_clock.retry("ignored", now=ahead)
    assert retried is not None
    assert retried.state == "pending"
    [again] = await on_database_clock.claim("w3", now=behind, lease=LEASE)
    assert again.id == "ignored"
