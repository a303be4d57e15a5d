"""build_investigation end to end on both stores with the real model: causes, precedents, people, changes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.errors import NotFound, SourceError
from precedent.investigation import (
    Collaborators,
    InvestigationOptions,
    LiveShift,
    build_investigation,
    investigation_from_json,
    investigation_json,
)
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.notify import to_mrkdwn
from precedent.retrieval import DescribedQuery, IncidentQuery, SimilarIncidentFinder
from precedent.retrieval.catalog import Catalog
from tests.investigation.org import DECLARED, LiveStub, build_investigation_org

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.embedding import Embedder
    from precedent.store import GraphStore

pytestmark = [pytest.mark.model]

NOW = datetime(2024, 1, 15, 9, 5, tzinfo=UTC)


@pytest.fixture
async def collaborators(store: GraphStore, real_embedder: Embedder) -> Collaborators:
    await build_investigation_org(store, real_embedder)
    return Collaborators(
        store, SimilarIncidentFinder(store, real_embedder), Catalog(store), clock=lambda: NOW
    )


async def test_the_planted_change_is_the_first_hypothesis_with_its_evidence(
    collaborators: Collaborators,
) -> None:
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    top = investigation.hypotheses[0]
    assert top.kind == "change"
    assert top.evidence[0].id == "chg-planted"
    assert "config of payments-api cfg-118 by carol, 20 min before INC-20" in top.statement
    assert "which checkout depends on" in top.statement
    cited = {e.id for h in investigation.hypotheses for e in h.evidence}
    assert "chg-decoy" not in cited  # search is nowhere near checkout
    assert all(h.evidence for h in investigation.hypotheses)
    kinds = {h.kind for h in investigation.hypotheses}
    assert {"change", "precedent", "dependency"} <= kinds
    dependency = next(h for h in investigation.hypotheses if h.kind == "dependency")
    assert dependency.evidence[0].id == "inc-30"


@pytest.mark.contract
async def test_changes_are_those_near_in_graph_and_time_newest_first(collaborators: Collaborators) -> None:
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    assert [(c.id, c.relation, c.hops, c.minutes_before) for c in investigation.changes] == [
        ("chg-planted", "upstream", 1, 20.0),
        ("chg-old", "affected", 0, 1200.0),
    ]
    short = await build_investigation(
        IncidentQuery("INC-20"),
        collaborators,
        OWNER_VIEWER,
        InvestigationOptions(change_window=timedelta(hours=1)),
    )
    assert [c.id for c in short.changes] == ["chg-planted"]


@pytest.mark.contract
async def test_precedents_owners_on_call_and_follow_ups(collaborators: Collaborators) -> None:
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    assert investigation.similar[0].reference == "INC-10"
    assert (
        investigation.similar[0].root_cause
        == "A config deploy halved the connection pool size on payments-db."
    )
    assert investigation.similar[0].caused_by_change
    (checkout,) = investigation.services
    assert checkout.name == "checkout"
    assert [(t.name, [m.name for m in t.members]) for t in checkout.teams] == [
        ("web", ["Alice Example", "Bob Example"])
    ]
    assert [(o.person.name, o.source, o.schedule_name) for o in checkout.on_call] == [
        ("Alice Example", "synced", "Web primary")
    ]
    assert [r.name for r in checkout.upstream] == ["payments-api", "payments-db"]
    assert [b.reference for b in checkout.recent_incidents] == ["INC-31"]
    assert [b.reference for b in checkout.active_incidents] == ["INC-30"]
    titles = {f.title for f in investigation.follow_ups}
    assert {"Add a checkout latency alert", "Alert on pool saturation"} <= titles
    assert "Review config deploys" not in titles  # completed
    lines = investigation.summary_markdown.splitlines()
    assert len(lines) <= 15
    assert lines[0].startswith("**INC-20: Checkout failing")
    assert "Alice Example" in investigation.summary_markdown
    # CommonMark, read as Slack reads it once converted: bold title, numbered causes, no stray markup.
    slack = to_mrkdwn(investigation.summary_markdown).splitlines()
    assert slack[0].startswith("*INC-20: Checkout failing")
    assert slack[1] == "*Likely causes*"
    assert slack[2].startswith("1. ")
    assert not any("**" in line for line in slack)


@pytest.mark.contract
async def test_a_public_incident_never_cites_a_private_one(collaborators: Collaborators) -> None:
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    cited = {e.id for h in investigation.hypotheses for e in h.evidence}
    cited |= {p.incident_id for p in investigation.similar}
    cited |= {b.id for s in investigation.services for b in (*s.recent_incidents, *s.active_incidents)}
    assert "inc-14" not in cited
    assert "inc-32" not in cited


@pytest.mark.contract
async def test_what_the_map_held_counts_only_what_the_investigation_may_cite(
    collaborators: Collaborators,
) -> None:
    # A read token reads a public incident's investigation: its counts must not reveal how many
    # private incidents the map holds (the difference from GET /v1/stats would).
    store = collaborators.store
    public = (await store.stats(visibilities=("public",))).nodes_by_label["Incident"]
    everything = (await store.stats()).nodes_by_label["Incident"]
    assert public < everything
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    assert investigation.map_state.incidents == public
    private = await build_investigation(IncidentQuery("INC-14"), collaborators, OWNER_VIEWER)
    assert private.map_state.incidents == everything


@pytest.mark.contract
async def test_a_private_incident_is_investigated_only_for_those_who_may_see_it(
    collaborators: Collaborators,
) -> None:
    with pytest.raises(NotFound):
        await build_investigation(IncidentQuery("INC-14"), collaborators, PUBLIC_VIEWER)
    investigation = await build_investigation(IncidentQuery("INC-14"), collaborators, OWNER_VIEWER)
    assert investigation.incident.visibility == "private"
    assert investigation.similar[0].reference == "INC-10"


async def test_a_described_incident_is_investigated_at_the_clock_time(collaborators: Collaborators) -> None:
    query = DescribedQuery(
        name="Checkout errors: database connection pool timeouts",
        services=("checkout", "warehouse"),
        declared_at=DECLARED,
    )
    investigation = await build_investigation(query, collaborators, PUBLIC_VIEWER)
    assert investigation.incident.id is None
    assert investigation.incident.unknown_services == ("warehouse",)
    assert investigation.hypotheses[0].evidence[0].id == "chg-planted"
    assert investigation.id.startswith("inv:")
    assert investigation.built_at == NOW


async def test_live_on_call_fills_a_schedule_the_synced_entries_do_not_cover(
    collaborators: Collaborators,
) -> None:
    live = LiveStub()
    later = Collaborators(collaborators.store, collaborators.finder, collaborators.catalog, lambda: NOW, live)
    query = DescribedQuery(
        name="Checkout down", services=("checkout",), declared_at=DECLARED + timedelta(days=30)
    )
    investigation = await build_investigation(query, later, OWNER_VIEWER)
    assert live.asked == [(("sched-web",), DECLARED + timedelta(days=30))]
    (on_call,) = investigation.services[0].on_call
    assert (on_call.person.name, on_call.source, on_call.fetched_at) == ("Dana Live", "live", NOW)
    assert investigation.services[0].on_call_note is None
    covered = await build_investigation(IncidentQuery("INC-20"), later, OWNER_VIEWER)
    assert [o.source for o in covered.services[0].on_call] == ["synced"]
    assert len(live.asked) == 1


class _Down:
    async def on_call(self, schedule_ids: Sequence[str], at: datetime) -> list[LiveShift]:
        raise SourceError("incident.io did not list schedule entries within 3 s")


async def test_a_failing_live_source_keeps_what_is_synced_with_a_note(collaborators: Collaborators) -> None:
    down = Collaborators(
        collaborators.store, collaborators.finder, collaborators.catalog, lambda: NOW, _Down()
    )
    later = DescribedQuery(
        name="Checkout down", services=("checkout",), declared_at=DECLARED + timedelta(days=30)
    )
    investigation = await build_investigation(later, down, OWNER_VIEWER)
    (checkout,) = investigation.services
    assert checkout.on_call == ()
    assert checkout.on_call_note is not None
    assert "within 3 s" in checkout.on_call_note
    assert investigation.hypotheses  # the rest of the investigation is built as ever
    covered = await build_investigation(IncidentQuery("INC-20"), down, OWNER_VIEWER)
    assert covered.services[0].on_call_note is None


@pytest.mark.contract
async def test_the_json_round_trips(collaborators: Collaborators) -> None:
    investigation = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    assert investigation_from_json(investigation_json(investigation)) == investigation


async def test_on_call_the_map_does_not_cover_says_so_without_a_live_source(
    collaborators: Collaborators,
) -> None:
    # The generated organisation's INC-197 said "nobody found on call" for accounts-db: its
    # team's schedule has entries, none from that day, and nothing said so.
    later = DescribedQuery(
        name="Checkout down", services=("checkout",), declared_at=DECLARED + timedelta(days=30)
    )
    (checkout,) = (await build_investigation(later, collaborators, OWNER_VIEWER)).services
    assert checkout.on_call == ()
    assert checkout.on_call_note == (
        "no schedule entry the map holds covers this time (Web primary); "
        "with an incident.io API key it is asked live"
    )
    covered = await build_investigation(IncidentQuery("INC-20"), collaborators, OWNER_VIEWER)
    assert covered.services[0].on_call_note is None
