"""When incident.io makes a public incident private, what the map wrote of it while public follows.

Each part of an incident is written with the visibility its incident had then. Updates and
post-mortems fetched again are mapped private, but whatever is not written again (a stored
investigation, or parts a webhook did not re-fetch) would stay readable to a ``read`` token.
So would the stored investigations of other public incidents that cited it (as a precedent, a
recent or active incident on a service, a hypothesis's evidence) by name, root cause and
resolution.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.model import GraphFilter

if TYPE_CHECKING:
    from collections.abc import Mapping

    from precedent.model import Node, Visibility
    from precedent.store import GraphStore

__all__ = ["INCIDENT_PARTS", "hide_parts_of_incidents_made_private", "make_parts_private"]

INCIDENT_PARTS = ("HAS_UPDATE", "HAS_POSTMORTEM", "HAS_FOLLOW_UP", "HAS_ACTION", "INVESTIGATES")
"""What shows an incident's content besides the incident itself (post-mortems bring their chunks)."""

# A stored investigation's serialised result (``investigation.persist``), where every incident it
# cites appears by id as a JSON string.
_INVESTIGATION = "Investigation"
_RESULT = "result_json"


async def make_parts_private(store: GraphStore, incident_id: str) -> int:
    """Mark private an incident's updates, post-mortems with their chunks, follow-ups, actions and
    investigations.

    Public investigations of other incidents that cite it are made private too: a ``read``
    token then finds none stored and gets one built afresh, without it. Only this direction
    exists: a private incident's investigation may cite other private incidents, so nothing is
    made public here (a later sync maps the parts again).

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
    nodes += await _citing_investigations(store, incident_id, set(ids))
    hidden = [replace(n, visibility="private") for n in nodes if n.visibility != "private"]
    if hidden:
        await store.upsert_nodes(hidden)
    return len(hidden)


async def hide_parts_of_incidents_made_private(
    store: GraphStore, visibilities: Mapping[str, Visibility]
) -> int:
    """``make_parts_private`` for each incident the map holds public that ``visibilities`` says is private.

    Call it before the incidents are written: a run killed in between finds them public again
    next time, so their parts are never left behind.

    Args:
        store: The knowledge map.
        visibilities: Incidents about to be written, by id, with the visibility they will have.

    Returns:
        How many nodes changed.
    """
    private = [incident_id for incident_id, visibility in visibilities.items() if visibility == "private"]
    was_public = [n.id for n in await store.get_nodes(private) if n.visibility == "public"] if private else []
    return sum([await make_parts_private(store, incident_id) for incident_id in was_public])


async def _citing_investigations(store: GraphStore, incident_id: str, skip: set[str]) -> list[Node]:
    """The public investigations, other than ``skip``, whose stored result cites ``incident_id``.

    A scan of the Investigation nodes, as the investigation listing does: an incident is made
    private rarely, and most citations (recent and active incidents, evidence) have no edge.
    """
    needle = json.dumps(incident_id)
    found: list[Node] = []
    scan = store.scan_nodes([_INVESTIGATION], with_embeddings=True)
    async with contextlib.aclosing(scan) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            if (
                node.visibility == "public"
                and node.id not in skip
                and needle in str(node.properties.get(_RESULT, ""))
            ):
                found.append(node)
    return found
