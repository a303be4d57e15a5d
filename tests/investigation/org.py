"""The retrieval tests' small organisation, plus what an investigation reads around INC-20.

INC-20 (checkout, declared 2024-01-15 09:00) has a planted cause: a config deploy of payments-api
(which checkout depends on) 20 minutes before. Around it: an older checkout deploy (20 h before),
a decoy deploy of search (unrelated) at the same time, a deploy after the declaration, an active
incident on payments-db (two hops upstream), a private active incident on payments-api (never
cited for the public INC-20), a recent checkout incident with an open follow-up, team members and
an on-call schedule whose current shift covers the declaration.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, LiveShift, Person
from precedent.model import Edge, Node
from precedent.retrieval import Catalog, SimilarIncidentFinder
from tests.retrieval.small_org import at, build

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from datetime import datetime

    from precedent.embedding import Embedder
    from precedent.store import GraphStore

DECLARED = at("2024-01-15T09:00:00")

CHANGES = [
    # id, service, kind, minutes before the declaration, version, summary
    ("chg-planted", "svc-payments", "config", 20, "cfg-118", "Halve the payments-db connection pool"),
    ("chg-old", "svc-checkout", "deploy", 20 * 60, "4.1.0", "Checkout copy changes"),
    ("chg-decoy", "svc-search", "deploy", 18, "9.9.9", "Search ranking tweak"),
    ("chg-after", "svc-checkout", "deploy", -30, "4.1.1", "Hotfix after the incident"),
]


def map_collaborators(store: GraphStore, clock: Callable[[], datetime] = lambda: DECLARED) -> Collaborators:
    """What builds an investigation from ``store``, with the hashing embedder, at ``clock``'s time."""
    catalog = Catalog(store)
    finder = SimilarIncidentFinder(store, HashEmbedder(dimensions=384), catalog=catalog)
    return Collaborators(store, finder, catalog, clock=clock)


async def build_investigation_org(store: GraphStore, embedder: Embedder) -> None:
    """Write the small organisation and the investigation's surroundings into ``store``."""
    await build(store, embedder)
    nodes: list[Node] = [
        Node("user-alice", "User", {"name": "Alice Example", "email": "alice@example.com"}),
        Node("user-bob", "User", {"name": "Bob Example"}),
        Node("sched-web", "Schedule", {"name": "Web primary"}),
    ]
    edges = [
        Edge("user-alice", "MEMBER_OF", "team-web"),
        Edge("user-bob", "MEMBER_OF", "team-web"),
        Edge("sched-web", "OWNED_BY", "team-web"),
        Edge(
            "sched-web",
            "ON_CALL",
            "user-alice",
            {"start_at": "2024-01-15T00:00:00+00:00", "end_at": "2024-01-22T00:00:00+00:00"},
        ),
        Edge(
            "sched-web",
            "ON_CALL",
            "user-bob",
            {"start_at": "2024-01-01T00:00:00+00:00", "end_at": "2024-01-08T00:00:00+00:00"},
        ),
    ]
    texts = []
    for change_id, service, kind, minutes, version, summary in CHANGES:
        text = f"{kind} {version}: {summary}"
        texts.append(text)
        props = {"kind": kind, "version": version, "summary": summary, "author": "carol", "source": "api"}
        nodes.append(Node(change_id, "ChangeEvent", props, DECLARED - timedelta(minutes=minutes), text=text))
        edges.append(Edge(change_id, "CHANGED", service))
    incidents = [
        # id, reference, name, minutes before, service, status category, resolved, visibility
        ("inc-30", "INC-30", "payments-db replication lag", 30, "svc-paydb", "live", None, "public"),
        (
            "inc-31",
            "INC-31",
            "Checkout slow page loads",
            60 * 24 * 10,
            "svc-checkout",
            "closed",
            60,
            "public",
        ),
        ("inc-32", "INC-32", "Secret payments-api problem", 10, "svc-payments", "live", None, "private"),
    ]
    for iid, ref, name, minutes, service, category, resolved_after, visibility in incidents:
        started = DECLARED - timedelta(minutes=minutes)
        props: dict[str, str | int] = {"reference": ref, "name": name, "status_category": category}
        props["status"] = "Investigating" if category == "live" else "Closed"
        if resolved_after is not None:
            props["resolved_at"] = (started + timedelta(minutes=resolved_after)).isoformat()
        nodes.append(Node(iid, "Incident", props, started, visibility, name))  # type: ignore[arg-type]
        texts.append(name)
        edges.append(Edge(iid, "AFFECTS", service))
    nodes.append(
        Node(
            "fu-31",
            "FollowUp",
            {"incident_id": "inc-31", "title": "Add a checkout latency alert", "status": "outstanding"},
            DECLARED - timedelta(days=9),
            text="Add a checkout latency alert",
        )
    )
    edges.append(Edge("inc-31", "HAS_FOLLOW_UP", "fu-31"))
    embedded = [n for n in nodes if n.text]
    vectors = await embedder.embed([n.text or "" for n in embedded])
    by_id = {n.id: vectors[i] for i, n in enumerate(embedded)}
    await store.upsert_nodes(
        [
            Node(n.id, n.label, n.properties, n.occurred_at, n.visibility, n.text, by_id.get(n.id))
            for n in nodes
        ]
    )
    await store.upsert_edges(edges)


class LiveStub:
    """incident.io's live on-call: "Dana Live" on every schedule asked about; records the asks."""

    def __init__(self) -> None:
        self.asked: list[tuple[tuple[str, ...], datetime]] = []

    async def on_call(self, schedule_ids: Sequence[str], at: datetime) -> list[LiveShift]:
        self.asked.append((tuple(schedule_ids), at))
        return [
            LiveShift(s, Person("user-live", "Dana Live"), at, at + timedelta(hours=8)) for s in schedule_ids
        ]
