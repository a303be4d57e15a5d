"""The stored investigation shape stays readable across versions."""

from __future__ import annotations

from datetime import UTC, datetime

from precedent.investigation import results
from precedent.investigation.codec import _decode, encode


def _on_call() -> results.OnCall:
    return results.OnCall(
        person=results.Person("user:1", "Ana", "ana@example.com", None),
        schedule_id="schedule:1",
        schedule_name="Checkout primary",
        team="Checkout",
        start_at=datetime(2026, 12, 1, 9, tzinfo=UTC),
        end_at=None,
        source="live",
        fetched_at=datetime(2026, 12, 1, 10, tzinfo=UTC),
    )


def test_an_on_call_entry_round_trips() -> None:
    entry = _on_call()
    assert _decode(results.OnCall, encode(entry)) == entry


def test_an_on_call_entry_stored_by_an_earlier_version_still_decodes() -> None:
    stored = encode(_on_call())
    stored["source"] = "incident.io live"
    stored["as_of"] = stored.pop("fetched_at")
    assert _decode(results.OnCall, stored) == _on_call()
    stored["source"] = "schedule"
    assert _decode(results.OnCall, stored).source == "synced"  # type: ignore[attr-defined]
