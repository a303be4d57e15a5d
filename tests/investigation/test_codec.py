"""The stored investigation shape stays readable across versions."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel

from precedent.investigation import results
from precedent.investigation.codec import _decode, encode


class PrecedentShape(BaseModel):
    """A precedent as the responses (API, CLI --json, MCP) validate it."""

    similar: results.Precedent


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


def _precedent(*, open_at_declaration: bool) -> results.Precedent:
    return results.Precedent(
        "inc-1",
        "INC-1",
        "Checkout 500s",
        0.5,
        None,
        "a bad config",
        None,
        None,
        (),
        None,
        (),
        (),
        0,
        False,
        open_at_declaration=open_at_declaration,
    )


def test_a_precedent_still_open_at_the_declaration_round_trips_and_is_served() -> None:
    precedent = _precedent(open_at_declaration=True)
    assert _decode(results.Precedent, encode(precedent)) == precedent
    assert PrecedentShape.model_validate({"similar": encode(precedent)}).similar.open_at_declaration is True


def test_a_precedent_stored_before_the_flag_still_decodes_and_is_served() -> None:
    stored = encode(_precedent(open_at_declaration=False))
    del stored["open_at_declaration"]
    assert _decode(results.Precedent, stored) == _precedent(open_at_declaration=False)
    assert PrecedentShape.model_validate({"similar": stored}).similar.open_at_declaration is False


def _incident(**meant: tuple[str, ...]) -> results.InvestigatedIncident:
    return results.InvestigatedIncident(
        None,
        None,
        "Card payments failing",
        "",
        None,
        None,
        None,
        None,
        "public",
        None,
        (),
        (),
        tuple(meant),
        services_meant=meant,
    )


def test_the_services_meant_for_an_unknown_service_round_trip_and_an_older_one_still_decodes() -> None:
    incident = _incident(payments=("payments-api",), zzz=())
    stored = encode(incident)
    assert stored["services_meant"] == {"payments": ["payments-api"], "zzz": []}
    assert _decode(results.InvestigatedIncident, stored) == incident
    del stored["services_meant"]  # stored before they were suggested
    assert _decode(results.InvestigatedIncident, stored).services_meant == {}  # type: ignore[attr-defined]
