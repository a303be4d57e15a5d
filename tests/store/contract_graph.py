"""The small fixed knowledge map the store contract suite runs against.

Four incidents (times a month apart, one private), two updates, four services with DEPENDS_ON,
two teams with OWNED_BY. The incidents and updates carry deterministic unit embeddings whose
cosine to ``QUERY`` is spread out (no near ties), except ``upd-2`` which repeats ``inc-2``'s vector
so the id tie-break is exercised.

    inc-1 ─AFFECTS→ svc-payments ←AFFECTS─ inc-3      svc-checkout ─DEPENDS_ON→ svc-payments
    inc-2 ─AFFECTS→ svc-checkout, svc-db              svc-checkout ─DEPENDS_ON→ svc-db
    inc-4 ─AFFECTS→ svc-search                        svc-payments ─DEPENDS_ON→ svc-db
    inc-1 ─HAS_UPDATE→ upd-1, inc-2 ─HAS_UPDATE→ upd-2
    svc-payments, svc-checkout, svc-db ─OWNED_BY→ team-core;  svc-search ─OWNED_BY→ team-search
"""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from precedent.model import Edge, Node, Vector

DIMENSIONS = 384


def _unit(vector: np.ndarray) -> Vector:
    return (vector / np.linalg.norm(vector)).astype(np.float32)


_rng = np.random.default_rng(20261126)
QUERY: Vector = _unit(_rng.standard_normal(DIMENSIONS))
# Weight of QUERY in each node's vector: a larger weight is a higher cosine.
_WEIGHTS = {"inc-1": 3.0, "inc-2": 0.2, "inc-3": 1.4, "inc-4": -0.6, "upd-1": 0.7}
EMBEDDINGS: dict[str, Vector] = {
    node_id: _unit(weight * QUERY + _rng.standard_normal(DIMENSIONS) / np.sqrt(DIMENSIONS))
    for node_id, weight in _WEIGHTS.items()
}
EMBEDDINGS["upd-2"] = EMBEDDINGS["inc-2"].copy()


def at(month: int, day: int = 10, hour: int = 0) -> datetime:
    """A UTC time in 2024."""
    return datetime(2024, month, day, hour, tzinfo=UTC)


def _incident(node_id: str, month: int, visibility: str, text: str, severity: str) -> Node:
    return Node(
        node_id,
        "Incident",
        {"name": text, "severity": severity, "duration_seconds": 600 * month},
        occurred_at=at(month),
        visibility=visibility,  # type: ignore[arg-type]
        text=text,
        embedding=EMBEDDINGS[node_id],
    )


NODES: tuple[Node, ...] = (
    _incident("inc-1", 1, "public", "Payments API latency spike after deploy", "major"),
    _incident("inc-2", 2, "private", "Database connection pool exhausted on checkout", "critical"),
    _incident("inc-3", 3, "public", "Payments API returned errors because a certificate expired", "minor"),
    _incident("inc-4", 4, "public", "Search cluster ran out of memory", "minor"),
    Node(
        "upd-1",
        "IncidentUpdate",
        {"incident_id": "inc-1", "message": "Rolled back the payments deploy"},
        occurred_at=at(1, hour=1),
        text="Rolled back the payments deploy",
        embedding=EMBEDDINGS["upd-1"],
    ),
    Node(
        "upd-2",
        "IncidentUpdate",
        {"incident_id": "inc-2"},
        occurred_at=at(2, hour=2),
        visibility="private",
        text="Raised the connection pool size",
        embedding=EMBEDDINGS["upd-2"],
    ),
    Node("svc-payments", "Service", {"name": "payments-api", "aliases": ["payments", "pay"]}),
    Node("svc-checkout", "Service", {"name": "checkout", "archived": False}),
    Node("svc-db", "Service", {"name": "orders-db", "tier": 1}),
    Node("svc-search", "Service", {"name": "search", "weights": [0.5, 1.5]}),
    Node("team-core", "Team", {"name": "Core"}),
    Node("team-search", "Team", {"name": "Search"}),
)

EDGES: tuple[Edge, ...] = (
    Edge("inc-1", "AFFECTS", "svc-payments"),
    Edge("inc-2", "AFFECTS", "svc-checkout"),
    Edge("inc-2", "AFFECTS", "svc-db"),
    Edge("inc-3", "AFFECTS", "svc-payments"),
    Edge("inc-4", "AFFECTS", "svc-search"),
    Edge("inc-1", "HAS_UPDATE", "upd-1"),
    Edge("inc-2", "HAS_UPDATE", "upd-2"),
    Edge("svc-checkout", "DEPENDS_ON", "svc-payments", {"attribute": "Dependencies"}),
    Edge("svc-checkout", "DEPENDS_ON", "svc-db", {"attribute": "Dependencies"}),
    Edge("svc-payments", "DEPENDS_ON", "svc-db", {"attribute": "Dependencies"}),
    Edge("svc-payments", "OWNED_BY", "team-core"),
    Edge("svc-checkout", "OWNED_BY", "team-core"),
    Edge("svc-db", "OWNED_BY", "team-core"),
    Edge("svc-search", "OWNED_BY", "team-search"),
)

BY_ID = {node.id: node for node in NODES}


def expected_knn(candidates: list[str], k: int, query: Vector = QUERY) -> list[tuple[str, float]]:
    """The exact answer the contract documents: cosine, descending, then id ascending."""
    scored = []
    for node_id in candidates:
        vector = EMBEDDINGS[node_id].astype(np.float64)
        q = query.astype(np.float64)
        scored.append((node_id, float(vector @ q / (np.linalg.norm(vector) * np.linalg.norm(q)))))
    return sorted(scored, key=lambda pair: (-pair[1], pair[0]))[:k]
