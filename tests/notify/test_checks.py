"""The list of Slack messages still to be checked against incidents made private, in the map."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from precedent.notify.checks import PENDING_CHECKS_KEY, PendingChecks

if TYPE_CHECKING:
    from precedent.store import GraphStore


async def test_a_message_stays_listed_until_what_it_names_was_checked(store: GraphStore) -> None:
    checks = PendingChecks(store)
    await checks.add("inc-20", ["inc-31"])
    await checks.add("inc-20", ["inc-32"])  # a newer build posted before the first was checked
    await checks.add("inc-21", [])
    assert await PendingChecks(store).pending() == {
        "inc-20": frozenset({"inc-31", "inc-32"}),
        "inc-21": frozenset(),
    }
    await checks.done("inc-20", frozenset({"inc-32"}))  # the newer build's check leaves inc-31 unchecked
    await checks.done("inc-21", frozenset())
    assert await checks.pending() == {"inc-20": frozenset({"inc-31", "inc-32"})}
    await checks.done("inc-20", frozenset({"inc-31", "inc-32"}))
    assert await checks.pending() == {}


async def test_an_unreadable_list_is_empty(store: GraphStore) -> None:
    await store.set_meta(PENDING_CHECKS_KEY, "not json")
    assert await PendingChecks(store).pending() == {}
    await PendingChecks(store).add("inc-20", ["inc-31"])
    assert await PendingChecks(store).pending() == {"inc-20": frozenset({"inc-31"})}


async def test_concurrent_posters_lose_no_listing(store: GraphStore) -> None:
    # Every `serve` worker and `precedent worker` lists and takes off messages in the one list:
    # each change is a compare-and-set retried until no other writer got in between.
    checks = [PendingChecks(store) for _ in range(4)]  # as many processes
    await asyncio.gather(*(checks[i % 4].add(f"inc-{i}", [f"inc-{100 + i}"]) for i in range(24)))
    assert await checks[0].pending() == {f"inc-{i}": frozenset({f"inc-{100 + i}"}) for i in range(24)}
    await asyncio.gather(
        *(checks[i % 4].done(f"inc-{i}", frozenset({f"inc-{100 + i}"})) for i in range(0, 24, 2)),
        *(checks[i % 4].add(f"inc-{i}", [f"inc-{200 + i}"]) for i in range(1, 24, 2)),
    )
    assert await checks[0].pending() == {
        f"inc-{i}": frozenset({f"inc-{100 + i}", f"inc-{200 + i}"}) for i in range(1, 24, 2)
    }
