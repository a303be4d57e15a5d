"""When incident.io makes a public incident private, what the map wrote of it while public follows.

Each part of an incident is written with the visibility its incident had then. Updates and
post-mortems fetched again are mapped private, but whatever is not written again (a stored
investigation, or parts a webhook did not re-fetch) would stay readable to a ``read`` token.
So would the stored investigations of other public incidents that cited it (as a precedent, a
recent or active incident on a service, a hypothesis's evidence) by name, root cause and
resolution, and so would the Slack messages that showed those investigations to a channel. The
process that hides an incident may have no Slack (``import``, ``sync``): it lists the incident
under ``MADE_PRIVATE_KEY`` before hiding anything, and a process with Slack edits the messages
and forgets it (``notify.CitationEdits``), so a crash at any point loses no edit. An incident
none of whose citers has a message is forgotten as soon as it is hidden, so the list stays
empty on a deployment without Slack.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import replace
from typing import TYPE_CHECKING

from precedent.ingest.hashing import HASH_PROPERTY
from precedent.model import GraphFilter
from precedent.store.meta import SLACK_MESSAGE_KEY, ids_in, update_ids

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping, Sequence

    from precedent.model import Node, Visibility
    from precedent.store import GraphStore

__all__ = [
    "INCIDENT_PARTS",
    "MADE_PRIVATE_KEY",
    "any_made_private",
    "forget_made_private",
    "forget_unmessaged",
    "hide_parts_of_incidents_made_private",
    "incidents_citing",
    "list_made_private",
    "make_incident_private",
    "make_parts_private",
    "made_private",
    "made_private_among",
]

INCIDENT_PARTS = ("HAS_UPDATE", "HAS_POSTMORTEM", "HAS_FOLLOW_UP", "HAS_ACTION", "INVESTIGATES")
"""What shows an incident's content besides the incident itself (post-mortems bring their chunks)."""

# A stored investigation's serialised result (``investigation.persist``), where every incident it
# cites appears by id as a JSON string.
_INVESTIGATION = "Investigation"
_RESULT = "result_json"

MADE_PRIVATE_KEY = "visibility:made_private"
"""Meta key holding the ids of incidents made private whose citers' Slack messages may still name
them, as a JSON list; kept until those messages are edited."""


async def make_parts_private(store: GraphStore, incident_id: str) -> int:
    """Mark private an incident's updates, post-mortems with their chunks, follow-ups, actions and
    investigations.

    Public investigations of other incidents that cite it are made private too: a ``read``
    token then finds none stored and gets one built afresh, without it. Only this direction
    exists: a private incident's investigation may cite other private incidents, so nothing is
    made public here (a later sync maps the parts again).

    The incident is listed under ``MADE_PRIVATE_KEY`` first, so the messages that showed those
    investigations are edited even if this process dies before it is done. It stays listed until
    the incident itself is written private (``forget_unmessaged`` then takes it off when no
    message cites it).

    Returns:
        How many nodes changed.
    """
    await list_made_private(store, [incident_id])
    parts = [n for _, n in await store.neighbours(incident_id, GraphFilter(rel_types=INCIDENT_PARTS))]
    ids = [n.id for n in parts]
    postmortems = [n.id for n in parts if n.label == "Postmortem"]
    if postmortems:
        only_chunks = GraphFilter(rel_types=("HAS_CHUNK",), direction="out")
        chunks = await store.neighbours_of(postmortems, only_chunks, per_node=10_000)
        ids += [n.id for found in chunks.values() for _, n in found]
    nodes = await store.get_nodes(ids, with_embeddings=True)
    citing = await _citing_investigations(store, incident_id, set(ids))
    nodes += [n for n in citing if n.visibility == "public"]
    hidden = [_hidden(n) for n in nodes if n.visibility != "private"]
    if hidden:
        await store.upsert_nodes(hidden)
    return len(hidden)


async def make_incident_private(store: GraphStore, incident_id: str) -> bool:
    """Make private an incident the map holds as public, with its parts and what cites it.

    For when incident.io says it is private without saying more: a ``private_incident`` event,
    or a key that may not see private incidents no longer shown it (``ingest.unlisted``). The
    caller runs ``forget_unmessaged`` once it has made private all it will.

    Returns:
        Whether the map held it as public.
    """
    found = await store.get_nodes([incident_id])
    if not found or found[0].label != "Incident" or found[0].visibility == "private":
        return False
    # Parts first: a run killed in between finds the incident public still, and does it again.
    await make_parts_private(store, incident_id)
    # Read again: the scan above may take seconds, and a webhook may have written it meanwhile.
    again = await store.get_nodes([incident_id], with_embeddings=True)
    if again:
        await store.upsert_nodes([_hidden(again[0])])
    return True


_HIDDEN_HASH = "made-private"
"""The content hash of a node made private here: one incident.io makes public again maps to
the same record (and hash) as before, so with its hash kept the loader found it unchanged and it
stayed hidden from every ``read`` token."""


def _hidden(node: Node) -> Node:
    """``node`` made private, with a content hash no mapped record has."""
    if HASH_PROPERTY not in node.properties:
        return replace(node, visibility="private")
    return replace(node, visibility="private", properties={**node.properties, HASH_PROPERTY: _HIDDEN_HASH})


async def forget_unmessaged(store: GraphStore) -> None:
    """Take off ``MADE_PRIVATE_KEY`` the incidents written private that no Slack message may name.

    An entry is there so that a process with Slack edits the messages citing it
    (``notify.CitationEdits``); when none of the incidents citing it has a message there is
    nothing to edit, and on a deployment without Slack nothing else would ever take it off, so the
    list would grow with every incident made private. Only an incident already private is taken
    off: while it is still public, a build in flight reads the list to learn it is being hidden
    (``any_made_private``), and so does a Slack poster checking its own message.
    """
    listed = await made_private(store)
    private = [n.id for n in await store.get_nodes(listed) if n.visibility == "private"] if listed else []
    if not private:
        return
    # One scan for them all: a key that lost its role may hide hundreds in one sync.
    citing = await _citers(store, private)
    settled = [i for i, found in citing.items() if not await _any_message(store, _incidents_of(found, i))]
    if settled:
        await forget_made_private(store, settled)


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


async def any_made_private(store: GraphStore, incident_ids: Collection[str]) -> bool:
    """Whether any of ``incident_ids`` is private, or listed as being made private.

    What a public investigation cites is read again by ``investigation.persist.save`` after it is
    written: a build that read an incident while public may be stored after ``make_parts_private``
    scanned for its citers. The hide pass lists the incident and then scans; the save writes and
    then reads the list: whichever runs second sees the other (on one embedded map or one Neo4j
    server, where a write that returned is seen by every later read), so the build is hidden by
    one or the other. The list is read before the incidents: it is cleared only once the incident
    is private, so a save that finds it cleared also finds the incident private.
    """
    return bool(await made_private_among(store, incident_ids))


async def made_private_among(store: GraphStore, incident_ids: Collection[str]) -> set[str]:
    """Those of ``incident_ids`` that are private or listed as being made private (``any_made_private``)."""
    if not incident_ids:
        return set()
    listed = ids_in(await store.get_meta(MADE_PRIVATE_KEY)) & set(incident_ids)
    private = {n.id for n in await store.get_nodes(sorted(incident_ids)) if n.visibility == "private"}
    return listed | private


async def made_private(store: GraphStore) -> list[str]:
    """The incidents listed under ``MADE_PRIVATE_KEY``: their citers' messages may still name them."""
    return sorted(ids_in(await store.get_meta(MADE_PRIVATE_KEY)))


async def list_made_private(store: GraphStore, incident_ids: Iterable[str]) -> None:
    """Put ``incident_ids`` on the ``MADE_PRIVATE_KEY`` list: a message citing them may still name them."""
    await update_ids(store, MADE_PRIVATE_KEY, incident_ids, ())


async def forget_made_private(store: GraphStore, incident_ids: Iterable[str]) -> None:
    """Take ``incident_ids`` off the ``MADE_PRIVATE_KEY`` list (their citers' messages were edited)."""
    await update_ids(store, MADE_PRIVATE_KEY, (), incident_ids)


async def incidents_citing(store: GraphStore, incident_id: str) -> list[str]:
    """The other incidents with an investigation, public or private, whose stored result cites it.

    A private incident's investigation may cite private ones, but what its channel was shown of it
    cited only public ones, this one among them while it was public.
    """
    return _incidents_of(await _citing_investigations(store, incident_id, set()), incident_id)


def _incidents_of(investigations: Iterable[Node], cited: str) -> list[str]:
    """The incidents ``investigations`` investigate, but ``cited``."""
    found = {str(n.properties.get("incident_id") or "") for n in investigations}
    return sorted(found - {cited, ""})


async def _any_message(store: GraphStore, incident_ids: Iterable[str]) -> bool:
    """Whether a Slack message record is kept for any of ``incident_ids``.

    Any record counts, also one whose post is under way or failed: ``notify.CitationEdits`` tells
    those apart when it works the list.
    """
    for incident_id in incident_ids:
        if await store.get_meta(SLACK_MESSAGE_KEY.format(incident_id=incident_id)) is not None:
            return True
    return False


async def _citing_investigations(store: GraphStore, incident_id: str, skip: set[str]) -> list[Node]:
    """The investigations, other than ``skip``, whose stored result cites ``incident_id``.

    With their embeddings: the caller writes them back private.
    """
    found = (await _citers(store, [incident_id], with_embeddings=True))[incident_id]
    return [node for node in found if node.id not in skip]


async def _citers(
    store: GraphStore, incident_ids: Sequence[str], *, with_embeddings: bool = False
) -> dict[str, list[Node]]:
    """The investigations whose stored result cites each of ``incident_ids``, in one scan.

    A scan of the Investigation nodes, as the investigation listing does: an incident is made
    private rarely, and most citations (recent and active incidents, evidence) have no edge.
    """
    needles = {incident_id: json.dumps(incident_id) for incident_id in incident_ids}
    found: dict[str, list[Node]] = {incident_id: [] for incident_id in incident_ids}
    scan = store.scan_nodes([_INVESTIGATION], with_embeddings=with_embeddings)
    async with contextlib.aclosing(scan) as nodes:  # type: ignore[type-var]
        async for node in nodes:
            result = str(node.properties.get(_RESULT, ""))
            for incident_id, needle in needles.items():
                if needle in result:
                    found[incident_id].append(node)
    return found
