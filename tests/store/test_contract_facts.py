"""The GraphStore contract for ``incident_facts``: what ranking needs of candidate incidents.

Run on both stores against the fixed map of ``contract_graph`` plus post-mortems, follow-ups and
related incidents added here; expectations follow the semantics documented in ``store/base.py``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.errors import InvalidQuery, SchemaError
from precedent.model import Edge, Node
from tests.store.contract_graph import EDGES, NODES, QUERY, at, expected_knn

if TYPE_CHECKING:
    from precedent.model import IncidentFacts
    from precedent.store import GraphStore

pytestmark = pytest.mark.contract

BOTH = ("public", "private")

EXTRA_NODES = (
    Node("inc-5", "Incident", {"name": "An undated incident"}),
    Node("pm-1", "Postmortem", {"incident_id": "inc-1"}, occurred_at=at(1, 20)),
    Node("pmc-1b", "PostmortemChunk", {"heading": "Resolution", "position": 1}, text="Rolled back"),
    Node("pmc-1a", "PostmortemChunk", {"heading": "Root cause", "position": 0}, text="A bad deploy"),
    Node("pmc-1p", "PostmortemChunk", {"heading": "Learnings"}, visibility="private", text="Private"),
    Node("pm-3", "Postmortem", {"incident_id": "inc-3"}, visibility="private"),
    Node("pmc-3a", "PostmortemChunk", {"heading": "Root cause"}, text="An expired certificate"),
    Node("fu-1b", "FollowUp", {"title": "Add a canary", "status": "open"}),
    Node("fu-1a", "FollowUp", {"title": "Alert on latency", "status": "completed"}),
    Node("fu-1p", "FollowUp", {"title": "Private work"}, visibility="private"),
)
EXTRA_EDGES = (
    Edge("inc-1", "HAS_POSTMORTEM", "pm-1"),
    Edge("pm-1", "HAS_CHUNK", "pmc-1b"),
    Edge("pm-1", "HAS_CHUNK", "pmc-1a"),
    Edge("pm-1", "HAS_CHUNK", "pmc-1p"),
    Edge("inc-3", "HAS_POSTMORTEM", "pm-3"),
    Edge("pm-3", "HAS_CHUNK", "pmc-3a"),
    Edge("inc-1", "HAS_FOLLOW_UP", "fu-1b"),
    Edge("inc-1", "HAS_FOLLOW_UP", "fu-1a"),
    Edge("inc-1", "HAS_FOLLOW_UP", "fu-1p"),
    # inc-3 is linked both ways, to itself, to a private, a later and an undated incident.
    Edge("inc-3", "RELATED_TO", "inc-1"),
    Edge("inc-2", "RELATED_TO", "inc-3"),
    Edge("inc-4", "RELATED_TO", "inc-3"),
    Edge("inc-3", "RELATED_TO", "inc-3"),
    Edge("inc-3", "RELATED_TO", "inc-5"),
    # A team affected directly, and a service with two owners.
    Edge("inc-4", "AFFECTS", "team-search"),
    Edge("svc-payments", "OWNED_BY", "team-search"),
)


@pytest.fixture
async def graph(store: GraphStore) -> GraphStore:
    """The store with the fixed map and the extra incident parts loaded."""
    await store.upsert_nodes([*NODES, *EXTRA_NODES])
    await store.upsert_edges([*EDGES, *EXTRA_EDGES])
    return store


def ids(nodes: tuple[Node, ...]) -> list[str]:
    return [node.id for node in nodes]


def fields(node: Node) -> tuple[object, ...]:
    """What a node holds (nodes compare by identity: their embeddings are arrays)."""
    vector = None if node.embedding is None else node.embedding.tolist()
    return node.id, node.label, dict(node.properties), node.occurred_at, node.visibility, node.text, vector


def owners(facts: IncidentFacts) -> dict[str, list[str]]:
    return {service: ids(teams) for service, teams in facts.owners.items()}


async def test_facts_come_for_visible_incidents_in_the_order_asked(graph: GraphStore) -> None:
    found = await graph.incident_facts(["inc-3", "svc-db", "ghost", "inc-2", "inc-1", "inc-3"])
    assert list(found) == ["inc-3", "inc-1"]  # inc-2 is private; svc-db is no incident
    both = await graph.incident_facts(["inc-3", "inc-2", "pm-1"], visibilities=BOTH)
    assert list(both) == ["inc-3", "inc-2"]
    node = both["inc-2"].node
    assert (node.label, node.occurred_at, node.visibility, node.embedding) == (
        "Incident",
        at(2),
        "private",
        None,
    )
    assert node.properties["severity"] == "critical"
    assert await graph.incident_facts([]) == {}


async def test_facts_name_affected_services_and_teams_with_their_owners(graph: GraphStore) -> None:
    found = await graph.incident_facts(["inc-1", "inc-2", "inc-4"], visibilities=BOTH)
    assert ids(found["inc-2"].affected) == ["svc-checkout", "svc-db"]
    assert owners(found["inc-2"]) == {"svc-checkout": ["team-core"], "svc-db": ["team-core"]}
    assert owners(found["inc-1"]) == {"svc-payments": ["team-core", "team-search"]}
    # A team affected directly is listed, and has no owners of its own.
    assert ids(found["inc-4"].affected) == ["svc-search", "team-search"]
    assert owners(found["inc-4"]) == {"svc-search": ["team-search"]}
    assert found["inc-1"].affected[0].properties["aliases"] == ["payments", "pay"]


async def test_related_incidents_are_visible_before_the_cutoff_both_ways_without_self(
    graph: GraphStore,
) -> None:
    public = await graph.incident_facts(["inc-3", "inc-1"])
    assert public["inc-3"].related == ("inc-1", "inc-4", "inc-5")  # undated inc-5 counts
    assert public["inc-1"].related == ("inc-3",)
    both = await graph.incident_facts(["inc-3"], visibilities=BOTH)
    assert both["inc-3"].related == ("inc-1", "inc-2", "inc-4", "inc-5")
    # The cutoff applies to the incidents asked about (strictly before) and to related ones.
    cut = await graph.incident_facts(["inc-3", "inc-4", "inc-5"], visibilities=BOTH, before=at(4))
    assert list(cut) == ["inc-3"]  # inc-4 starts at the cutoff; inc-5 has no time
    assert cut["inc-3"].related == ("inc-1", "inc-2", "inc-5")


async def test_cosines_are_those_of_the_query_with_each_incident(graph: GraphStore) -> None:
    found = await graph.incident_facts(["inc-4", "inc-1", "inc-5"], embedding=QUERY)
    want = dict(expected_knn(["inc-1", "inc-4"], 2))
    assert found["inc-1"].cosine == pytest.approx(want["inc-1"], abs=1e-5)
    assert found["inc-4"].cosine == pytest.approx(want["inc-4"], abs=1e-5)
    assert found["inc-5"].cosine is None  # no embedding of its own
    assert all(f.cosine is None for f in (await graph.incident_facts(["inc-1"])).values())


async def test_lessons_bring_visible_chunks_and_follow_ups_in_id_order(graph: GraphStore) -> None:
    plain = await graph.incident_facts(["inc-1"])
    assert (plain["inc-1"].chunks, plain["inc-1"].follow_ups) == ((), ())
    public = await graph.incident_facts(["inc-1", "inc-3"], lessons=True)
    assert ids(public["inc-1"].chunks) == ["pmc-1a", "pmc-1b"]
    assert ids(public["inc-1"].follow_ups) == ["fu-1a", "fu-1b"]
    assert public["inc-1"].chunks[0].text == "A bad deploy"
    assert public["inc-1"].follow_ups[0].properties == {"title": "Alert on latency", "status": "completed"}
    assert public["inc-3"].chunks == ()  # its post-mortem is private
    both = await graph.incident_facts(["inc-1", "inc-3"], visibilities=BOTH, lessons=True)
    assert ids(both["inc-1"].chunks) == ["pmc-1a", "pmc-1b", "pmc-1p"]
    assert ids(both["inc-1"].follow_ups) == ["fu-1a", "fu-1b", "fu-1p"]
    assert ids(both["inc-3"].chunks) == ["pmc-3a"]


async def test_every_list_is_cut_after_per_list_items_by_id(graph: GraphStore) -> None:
    found = await graph.incident_facts(
        ["inc-1", "inc-2", "inc-3"], visibilities=BOTH, lessons=True, per_list=1
    )
    assert ids(found["inc-2"].affected) == ["svc-checkout"]
    assert owners(found["inc-1"]) == {"svc-payments": ["team-core"]}
    assert found["inc-3"].related == ("inc-1",)
    assert ids(found["inc-1"].chunks) == ["pmc-1a"]
    assert ids(found["inc-1"].follow_ups) == ["fu-1a"]


async def test_brief_facts_keep_the_asked_properties_and_every_link(graph: GraphStore) -> None:
    asked = ["inc-1", "inc-2", "inc-3", "inc-4", "inc-5"]
    whole = await graph.incident_facts(asked, visibilities=BOTH, embedding=QUERY, lessons=True)
    brief = await graph.incident_facts(
        asked, visibilities=BOTH, embedding=QUERY, lessons=True, properties=("severity", "nothing")
    )
    assert list(brief) == list(whole)
    for incident_id, facts in brief.items():
        full = whole[incident_id]
        # Only the asked properties (those it has), no text; id, label, time, visibility kept.
        assert fields(facts.node) == fields(full.node.brief(["severity"]))
        assert facts.node.text is None
        assert set(facts.node.properties) <= {"severity"}
        assert facts.cosine == pytest.approx(full.cosine, abs=1e-6) if full.cosine else facts.cosine is None
        assert facts.related == full.related
        # Linked nodes keep who they are, not what they say.
        for brief_nodes, full_nodes in [
            (facts.affected, full.affected),
            (facts.chunks, full.chunks),
            (facts.follow_ups, full.follow_ups),
            *((facts.owners[s], teams) for s, teams in full.owners.items()),
        ]:
            assert [fields(n) for n in brief_nodes] == [fields(n.brief()) for n in full_nodes]
    assert brief["inc-2"].node.properties == {"severity": "critical"}
    assert brief["inc-1"].affected[0].properties == {}
    with pytest.raises(SchemaError):
        await graph.incident_facts(["inc-1"], properties=("not a name",))


async def test_facts_reject_bad_vectors_and_empty_caps(graph: GraphStore) -> None:
    with pytest.raises(InvalidQuery, match="per_list"):
        await graph.incident_facts(["inc-1"], per_list=0)
    with pytest.raises(SchemaError):
        await graph.incident_facts(["inc-1"], embedding=np.ones(3, dtype=np.float32))
    with pytest.raises(SchemaError):
        await graph.incident_facts(["inc-1"], embedding=np.full(QUERY.shape, np.nan, dtype=np.float32))
