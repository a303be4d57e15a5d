"""The list of Slack messages still to be checked against incidents made private, in the map."""

from __future__ import annotations

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
