"""A small hand-built organisation for end-to-end retrieval tests, embedded with a given model.

checkout -DEPENDS_ON-> payments-api -DEPENDS_ON-> payments-db <-DEPENDS_ON- ledger; search alone.
INC-10 (payments-db pool exhausted, with a post-mortem) is the planted precedent of INC-20.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from precedent.embedding.fake import HashEmbedder
from precedent.model import Edge, Node
from precedent.retrieval import DescribedQuery
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.embedding import Embedder
    from precedent.model import Visibility
    from precedent.store import GraphStore


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=UTC)


def payments_db_outage() -> DescribedQuery:
    """A described payments-db outage: its precedent is INC-10, reached through payments-db."""
    return DescribedQuery(
        name="payments-db connection pool exhausted",
        summary="payments-api cannot get database connections",
        services=("payments-db",),
        severity="SEV1",
        declared_at=at("2024-02-01T00:00:00"),
    )


SERVICES = {
    "svc-checkout": ("checkout", "team-web"),
    "svc-payments": ("payments-api", "team-payments"),
    "svc-paydb": ("payments-db", "team-payments"),
    "svc-ledger": ("ledger", "team-payments"),
    "svc-search": ("search", "team-search"),
}
DEPENDS = [("svc-checkout", "svc-payments"), ("svc-payments", "svc-paydb"), ("svc-ledger", "svc-paydb")]

# id, reference, name, summary, started, services, severity, type, visibility, updates
INCIDENTS: list[tuple[str, str, str, str, str, list[str], str, str, Visibility, list[str]]] = [
    (
        "inc-10",
        "INC-10",
        "Payments database connection pool exhausted",
        "A config deploy halved the payments-db connection pool; checkout payments failed.",
        "2023-01-10T09:00:00",
        ["svc-paydb"],
        "SEV1",
        "Outage",
        "public",
        ["Payments API timing out acquiring connections from payments-db pool", "Rolled back config"],
    ),
    (
        "inc-11",
        "INC-11",
        "Search indexing lag",
        "The search indexer fell behind after a mapping change.",
        "2023-03-01T09:00:00",
        ["svc-search"],
        "SEV3",
        "Degradation",
        "public",
        ["Search results are stale by 30 minutes"],
    ),
    (
        "inc-12",
        "INC-12",
        "Checkout page renders without styles",
        "A CDN purge removed the checkout stylesheet.",
        "2023-05-01T09:00:00",
        ["svc-checkout"],
        "SEV3",
        "Degradation",
        "public",
        ["Checkout page looks broken, CSS missing"],
    ),
    (
        "inc-13",
        "INC-13",
        "Ledger reconciliation job failed",
        "The nightly reconciliation job crashed on a malformed row.",
        "2023-06-01T09:00:00",
        ["svc-ledger"],
        "SEV2",
        "Outage",
        "public",
        ["Nightly ledger job failed with a parse error"],
    ),
    (
        "inc-14",
        "INC-14",
        "Payments database connection pool exhausted again",
        "The payments-db pool ran out of connections during a batch import.",
        "2023-07-01T09:00:00",
        ["svc-paydb"],
        "SEV1",
        "Outage",
        "private",
        ["Payments API timing out acquiring connections from payments-db pool"],
    ),
    (
        "inc-15",
        "INC-15",
        "Checkout errors: payments database connection pool exhausted",
        "Pool exhausted again after a deploy.",
        "2024-06-01T09:00:00",
        ["svc-checkout", "svc-paydb"],
        "SEV1",
        "Outage",
        "public",
        ["Checkout failing with connection pool timeouts to payments-db"],
    ),
    (
        "inc-20",
        "INC-20",
        "Checkout failing with database connection errors",
        "Root cause: a config deploy halved the pool again.",
        "2024-01-15T09:00:00",
        ["svc-checkout"],
        "SEV1",
        "Outage",
        "public",
        [
            "Checkout returns 500s; payments-api logs connection pool timeouts to payments-db",
            "Payments team is looking at the database",
            "Root cause found: config deploy halved the pool; rolled back",
        ],
    ),
]


async def build(store: GraphStore, embedder: Embedder) -> None:
    """Write the organisation into ``store``, embedding text with ``embedder``."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for team in sorted({t for _, t in SERVICES.values()}):
        nodes.append(Node(team, "Team", {"name": team.removeprefix("team-")}))
    for sid, (name, team) in SERVICES.items():
        nodes.append(Node(sid, "Service", {"name": name}))
        edges.append(Edge(sid, "OWNED_BY", team))
    edges += [Edge(a, "DEPENDS_ON", b) for a, b in DEPENDS]
    texts: list[tuple[str, str, dict[str, object], datetime, Visibility]] = []
    for iid, ref, name, summary, started, services, sev, kind, vis, updates in INCIDENTS:
        text = "\n".join([name, summary, *updates])
        props = {
            "reference": ref,
            "name": name,
            "summary": summary,
            "severity": sev,
            "incident_type": kind,
            "duration_seconds": 5400,
        }
        texts.append((iid, "Incident", props, at(started), vis))
        nodes.append(Node(iid, "Incident", props, at(started), vis, text))
        edges += [Edge(iid, "AFFECTS", s) for s in services]
        for n, message in enumerate(updates):
            uid = f"{iid}:u{n}"
            when = at(started).replace(hour=9 + n, minute=30)
            nodes.append(
                Node(uid, "IncidentUpdate", {"incident_id": iid, "message": message}, when, vis, message)
            )
            edges.append(Edge(iid, "HAS_UPDATE", uid))
    edges.append(Edge("inc-14", "RELATED_TO", "inc-10", {"kind": "related"}))
    pm_time = at("2023-01-12T10:00:00")
    nodes.append(Node("inc-10:postmortem", "Postmortem", {"incident_id": "inc-10", "title": "Pool"}, pm_time))
    edges.append(Edge("inc-10", "HAS_POSTMORTEM", "inc-10:postmortem"))
    for n, (heading, body) in enumerate(
        [
            ("Root cause", "A config deploy halved the connection pool size on payments-db."),
            ("Resolution", "We rolled back the config and raised the pool size."),
            ("Lessons learned", "Pool size changes need load testing."),
        ]
    ):
        cid = f"inc-10:postmortem:{n}"
        props = {
            "incident_id": "inc-10",
            "postmortem_id": "inc-10:postmortem",
            "heading": heading,
            "position": n,
        }
        nodes.append(Node(cid, "PostmortemChunk", props, pm_time, "public", f"{heading}\n{body}"))
        edges.append(Edge("inc-10:postmortem", "HAS_CHUNK", cid))
    for fid, title, status in [
        ("fu-1", "Alert on pool saturation", "outstanding"),
        ("fu-2", "Review config deploys", "completed"),
    ]:
        nodes.append(
            Node(
                fid,
                "FollowUp",
                {"incident_id": "inc-10", "title": title, "status": status},
                pm_time,
                "public",
                title,
            )
        )
        edges.append(Edge("inc-10", "HAS_FOLLOW_UP", fid))
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


@contextlib.asynccontextmanager
async def hashed_small_org(path: Path) -> AsyncIterator[EmbeddedStore]:
    """The organisation in an embedded store under ``path``, embedded with ``HashEmbedder``; closed after."""
    embedder = HashEmbedder()
    store = EmbeddedStore(path, dimensions=embedder.dimensions)
    await store.open()
    try:
        await build(store, embedder)
        yield store
    finally:
        await store.close()
