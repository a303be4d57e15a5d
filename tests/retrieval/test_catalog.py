from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest

from precedent.errors import NotFound
from precedent.model import OWNER_VIEWER, Node
from precedent.retrieval.catalog import NOT_SYNCED, Catalog, left_out, suggest_services, unknown_service

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from precedent.store import GraphStore


async def _one(store: GraphStore, node_id: str) -> Node:
    [node] = await store.get_nodes([node_id])
    return node


def _incident(incident_id: str, reference: str) -> Node:
    return Node(
        incident_id,
        "Incident",
        {"reference": reference, "name": reference},
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


class _CountingScans:
    """Delegates to a real store and counts the whole-label scans and the one-key finds."""

    def __init__(self, inner: GraphStore) -> None:
        self._inner = inner
        self.scans = 0
        self.finds = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def scan_nodes(self, labels: Sequence[str] = (), **kwargs: Any) -> AsyncIterator[Node]:
        self.scans += 1
        return self._inner.scan_nodes(labels, **kwargs)

    async def find_nodes(self, label: str, value: str, *, fields: Sequence[str]) -> list[Node]:
        self.finds += 1
        return await self._inner.find_nodes(label, value, fields=fields)


async def test_a_long_lived_catalog_sees_incidents_added_later(embedded_store: GraphStore) -> None:
    clock = _Clock()
    catalog = Catalog(embedded_store, refresh_after=30, clock=clock)
    await embedded_store.upsert_nodes([_incident("inc-1", "INC-1")])
    assert (await catalog.incident("INC-1", OWNER_VIEWER)).id == "inc-1"

    # Declared after the index was built: found at once (a responder opens it seconds later).
    await embedded_store.upsert_nodes([_incident("inc-2", "INC-2")])
    assert (await catalog.incident("INC-2", OWNER_VIEWER)).id == "inc-2"

    with pytest.raises(NotFound):
        await catalog.incident("INC-3", OWNER_VIEWER)
    await embedded_store.upsert_nodes([_incident("inc-3", "INC-3")])
    with pytest.raises(NotFound):
        await catalog.incident("INC-3", OWNER_VIEWER)  # a miss is kept for the interval
    clock.now = 31
    assert (await catalog.incident("INC-3", OWNER_VIEWER)).id == "inc-3"


async def test_an_incident_named_by_its_number_alone_is_found(embedded_store: GraphStore) -> None:
    # "105" or "#105", typed for INC-105, was "incident '105' not found".
    catalog = Catalog(embedded_store)
    await embedded_store.upsert_nodes([_incident("inc-105", "INC-105")])
    # Full-width digits, as a Japanese input method types them.
    for key in ("105", "#105", " 105 ", "0105", "\uff11\uff10\uff15", "inc-105"):
        assert (await catalog.incident(key, OWNER_VIEWER)).id == "inc-105", key
    for key in ("106", "10 5", "#", ""):
        with pytest.raises(NotFound):
            await catalog.incident(key, OWNER_VIEWER)


async def test_a_stream_of_unknown_names_never_rescans_the_catalog(embedded_store: GraphStore) -> None:
    # Every miss more than two seconds after the last rebuild read every service again: names the
    # map does not know (a described incident's, a webhook's) made each lookup a full scan.
    await embedded_store.upsert_nodes([Node("svc-pay", "Service", {"name": "payments-api"})])
    store = _CountingScans(embedded_store)
    clock = _Clock()
    catalog = Catalog(store, refresh_after=2, clock=clock)  # type: ignore[arg-type]
    for second in range(0, 30, 3):
        clock.now = second
        assert await catalog.services(("payments-api", "no-such-service")) == (
            [await _one(embedded_store, "svc-pay")],
            ["no-such-service"],
        )
        assert await catalog.services(("no-such-service",)) == ([], ["no-such-service"])
    assert store.scans == 1
    assert store.finds == 10  # once per interval for the unknown name, cached in between


async def test_a_renamed_service_stops_answering_to_its_old_name_once_the_index_is_read_again(
    embedded_store: GraphStore,
) -> None:
    clock = _Clock()
    catalog = Catalog(embedded_store, rebuild_after=300, clock=clock)
    await embedded_store.upsert_nodes([Node("svc-pay", "Service", {"name": "payments"})])
    assert (await catalog.services(("payments",)))[1] == []
    await embedded_store.upsert_nodes([Node("svc-pay", "Service", {"name": "payments-api"})])
    assert (await catalog.services(("payments-api",)))[1] == []  # the new name at once
    clock.now = 301
    assert (await catalog.services(("payments",)))[1] == ["payments"]


async def test_a_blank_name_names_no_service(embedded_store: GraphStore) -> None:
    # The index leaves blank keys out, but the miss went to find_nodes, where a service whose
    # external id was blank matched "" (and "  "): an empty ``service=`` named it.
    await embedded_store.upsert_nodes([Node("svc-pay", "Service", {"name": "payments", "external_id": " "})])
    catalog = Catalog(embedded_store)
    assert await catalog.services(("", "  ")) == ([], ["", "  "])


def test_services_left_out_say_to_sync_when_an_incident_in_the_map_names_them() -> None:
    # Every caller passed `named_by_incident=<its incident id> is not None`: it takes the id now.
    meant = {"paymnets": ("payments-api",)}
    assert (
        left_out(["paymnets"], meant, incident_id="01INC")
        == f"not in the map, so left out: paymnets ({NOT_SYNCED})"
    )
    assert left_out(["paymnets"], meant, incident_id=None) == (
        "not in the map, so left out: paymnets (did you mean payments-api?)"
    )


async def test_a_name_two_services_share_is_suggested_once(embedded_store: GraphStore) -> None:
    # Two organisations synced into one map each have a payments-api.
    await embedded_store.upsert_nodes(
        [Node(id=f"svc-{org}", label="Service", properties={"name": "payments-api"}) for org in ("a", "b")]
    )
    assert await suggest_services(embedded_store, ["paymnts-api"]) == {"paymnts-api": ("payments-api",)}


async def test_a_team_asked_for_as_a_service_is_said_to_be_a_team(embedded_store: GraphStore) -> None:
    # An agent asked service_context("Identity"), the team owning auth-api, and was told "did you
    # mean identity-service?", a service of another team.
    await embedded_store.upsert_nodes(
        [
            Node("team-identity", "Team", {"name": "Identity"}),
            Node("svc-identity", "Service", {"name": "identity-service"}),
        ]
    )
    refused = await unknown_service(embedded_store, "identity")
    assert refused.hint is not None
    assert refused.hint.startswith("'identity' is a team, not a service")
    assert "identity-service" in refused.hint
    other = await unknown_service(embedded_store, "identty-service")
    assert other.hint is not None
    assert "is a team" not in other.hint
