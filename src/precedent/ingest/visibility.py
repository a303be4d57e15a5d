"""When incident.io makes a public incident private, what the map wrote of it while public follows.

Each part of an incident is written with the visibility its incident had then. Updates and
post-mortems fetched again are mapped private, but whatever is not written again (a stored
investigation, or parts a webhook did not re-fetch) would stay readable to a ``read`` token.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.model import GraphFilter

if TYPE_CHECKING:
    from precedent.store import GraphStore

__all__ = ["INCIDENT_PARTS", "make_parts_private"]

INCIDENT_PARTS = ("HAS_UPDATE", "HAS_POSTMORTEM", "HAS_FOLLOW_UP", "HAS_ACTION", "INVESTIGATES")
"""What shows an incident's content besides the incident itself (post-mortems bring their chunks)."""


async def make_parts_private(store: GraphStore, incident_id: str) -> int:
    """Mark private an incident's updates, post-mortems with their chunks, follow-ups, actions and
    investigations.

    Only this direction exists: a private incident's investigation may cite other private
    incidents, so nothing is made public here (a later sync maps the parts again).

    Returns:
        How many nodes changed.
    """
    parts = [n for _, n in await store.neighbours(incident_id, GraphFilter(rel_types=INCIDENT_PARTS))]
    ids = [n.id for n in parts]
    postmortems = [n.id for n in parts if n.label == "Postmortem"]
    if postmortems:
        only_chunks = GraphFilter(rel_types=("HAS_CHUNK",), direction="out")
        chunks = await store.neighbours_of(postmortems, only_chunks, per_node=10_000)
        ids += [n.id for found in chunks.values() for _, n in found]
    nodes = await store.get_nodes(ids, with_embeddings=True)
    hidden = [replace(n, visibility="private") for n in nodes if n.visibility != "private"]
    if hidden:
        await store.upsert_nodes(hidden)
    return len(hidden)
