"""The embedded store's per-(target, type) link index stays equal to a plain walk through every kind of write.

The contract suite checks ``linked_recent`` against Neo4j on small maps, where the index is not
used for walks (few edges); here a hub with hundreds of links is written, re-dated, unlinked and
deleted at random, and every answer is compared with one computed from the edges themselves.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from precedent.model import Edge, EdgeKey, GraphFilter, Node
from precedent.store.embedded.linked import linked_recent, linked_times
from precedent.store.embedded.ops import DeleteEdges, DeleteNodes, UpsertEdges, UpsertNodes
from precedent.store.embedded.state import GraphState
from precedent.store.embedded.walk import neighbours

_T0 = datetime(2026, 1, 1, tzinfo=UTC)
_HUB = "svc-hub"


def _incident(rng: random.Random, n: int) -> Node:
    undated = rng.random() < 0.1
    return Node(
        f"inc-{n:04d}",
        "Incident",
        {"name": f"incident {n}"},
        None if undated else _T0 + timedelta(hours=rng.randrange(0, 2000)),
        "private" if rng.random() < 0.2 else "public",
    )


def _expected(state: GraphState, before: datetime | None, after: datetime | None) -> list[str]:
    nodes = [
        state.nodes[e.source]
        for e in state.incoming.get(_HUB, {}).values()
        if e.type == "AFFECTS" and state.nodes[e.source].visibility == "public"
    ]
    if before is not None or after is not None:
        nodes = [
            n
            for n in nodes
            if n.occurred_at is not None
            and (before is None or n.occurred_at < before)
            and (after is None or n.occurred_at >= after)
        ]
    dated = sorted((n for n in nodes if n.occurred_at), key=lambda n: (-n.occurred_at.timestamp(), n.id))  # type: ignore[union-attr]
    return [n.id for n in dated] + sorted(n.id for n in nodes if n.occurred_at is None)


def _check(state: GraphState, rng: random.Random) -> None:
    for _ in range(5):
        before = rng.choice([None, _T0 + timedelta(hours=rng.randrange(0, 2000))])
        after = rng.choice([None, _T0 + timedelta(hours=rng.randrange(0, 1000))])
        per = rng.choice([1, 7, 1000])
        args = {"label": "Incident", "edge_type": "AFFECTS", "before": before, "after": after}
        found = linked_recent(state, [_HUB], per_anchor=per, visibilities=("public",), **args)
        assert [n.id for n in found[_HUB]] == _expected(state, before, after)[:per]
        times = linked_times(state, [_HUB], per_anchor=per, visibilities=("public",), **args)
        dated = [
            state.nodes[i].occurred_at for i in _expected(state, before, after) if state.nodes[i].occurred_at
        ]
        assert times[_HUB] == dated[:per]
    walked = neighbours(state, _HUB, GraphFilter(rel_types=("AFFECTS", "DEPENDS_ON"), direction="in"))
    plain = sorted(
        (
            (e.type, e.source)
            for e in state.incoming.get(_HUB, {}).values()
            if e.type in ("AFFECTS", "DEPENDS_ON")
        ),
    )
    assert sorted((e.type, n.id) for e, n in walked) == plain


@pytest.mark.parametrize("opened", [False, True], ids=["built-on-first-question", "built-when-opened"])
def test_link_index_follows_every_write(opened: bool) -> None:
    rng = random.Random(5)
    state = GraphState()
    state.apply(
        UpsertNodes((Node(_HUB, "Service", {"name": "hub"}), Node("svc-up", "Service", {"name": "up"})))
    )
    state.apply(UpsertEdges((Edge("svc-up", "DEPENDS_ON", _HUB),)))
    made = 0
    if opened:
        # As when a map is opened: the hub is busy before any question, so it is indexed up front.
        batch = [_incident(rng, i) for i in range(100)]
        made = len(batch)
        state.apply(UpsertNodes(tuple(batch)))
        state.apply(UpsertEdges(tuple(Edge(n.id, "AFFECTS", _HUB) for n in batch)))
        state.links.index_busy(state)
        _check(state, rng)
    for _ in range(30):
        action = rng.random()
        existing = sorted(i for i in state.nodes if i.startswith("inc-"))
        if action < 0.5 or not existing:
            batch = [_incident(rng, made + i) for i in range(40)]
            made += len(batch)
            state.apply(UpsertNodes(tuple(batch)))
            state.apply(UpsertEdges(tuple(Edge(n.id, "AFFECTS", _HUB) for n in batch)))
        elif action < 0.7:
            # Re-dating (or un-dating) linked incidents moves them in the index.
            chosen = rng.sample(existing, min(15, len(existing)))
            state.apply(UpsertNodes(tuple(_incident(rng, int(i[4:])) for i in chosen)))
        elif action < 0.85:
            chosen = rng.sample(existing, min(10, len(existing)))
            state.apply(DeleteEdges(tuple(EdgeKey(i, "AFFECTS", _HUB) for i in chosen)))
        else:
            state.apply(DeleteNodes(tuple(rng.sample(existing, min(10, len(existing))))))
        _check(state, rng)
    assert len(state.incoming[_HUB]) > 64  # the walk read the index, not the plain edges
