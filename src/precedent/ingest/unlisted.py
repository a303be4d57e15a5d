"""Incidents that leave incident.io's listing: made private, seen by a key that may not see private ones.

A sync learns that an incident was made private from the listing, which then shows it with
``visibility: private``. A key without *View all incident data, including private incidents* is
shown no private incident at all: the listing leaves it out and fetching it by id answers 404 (or
403). The incident just stops being listed, and the map would keep it public, with its updates,
post-mortem and the investigations citing it, readable to every ``read`` token.

So each sync keeps the ids it listed (``LISTED_KEY``) and compares the listing with what was
known before it: the last sync's listing, and the incidents the map held as public (of the modes
synced) before this sync wrote any (``held_public``). The map's own incidents count because not
all came from a listing: an export (``import``), or a webhook since the last sync, may have
written one that was made private before any sync listed it. An incident known before, gone from
the listing, that the map holds public is fetched by id; if the key cannot read it, or reads it
private, it is made private as a ``private_incident`` webhook would make it
(``visibility.make_incident_private``), and the sync warns that the key lacks the private role.
A deleted incident reads the same and is hidden too: nothing of it should stay readable either.

Reading the whole listing costs a call per 250 incidents on every incremental sync (40 at 10,000
incidents, most of such a sync's calls and time), so it may be spaced out (``comparison_due``):
an incremental sync within ``every`` of the last complete comparison (``COMPARED_KEY``) skips it.
Nothing is lost by that, only found later: the next comparison still has the map's public
incidents and the listing last recorded to compare with.

When most of what was known is gone at once, nothing is hidden: that is a key of another
organisation, or one that lost a role, far more often than a mass of incidents made private, and
making the whole map private would hide what responders need. The sync says so every time until
the key is fixed (the listing is not recorded, so the next sync compares against the same one).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from precedent.errors import SourceError
from precedent.ingest.fetch import gather_limited
from precedent.ingest.visibility import make_incident_private
from precedent.model import NodeListing
from precedent.sources.incidentio import ENDPOINTS
from precedent.store.meta import ids_in

if TYPE_CHECKING:
    from collections.abc import Collection

    from precedent.sources.incidentio import IncidentIoClient
    from precedent.store import GraphStore

__all__ = [
    "COMPARED_KEY",
    "LISTED_KEY",
    "Unlisted",
    "comparison_due",
    "held_public",
    "hide_unlisted",
    "unreadable_warning",
]

LISTED_KEY = "sync:incidents:listed"
"""Meta key holding the ids of the incidents the last complete listing showed, as a JSON list."""

COMPARED_KEY = "sync:incidents:listed_at"
"""Meta key holding when (ISO 8601) a sync last compared the whole listing to the end, hiding or
finding nothing to hide; one held back or failed is not recorded, so the next sync compares again."""

_NOT_SHOWN = frozenset({403, 404})
_MOST_GONE = 20  # more gone than this, and more than half of the last listing, is held back


@dataclass(frozen=True)
class Unlisted:
    """What ``hide_unlisted`` did: the incidents made private, or why it held back."""

    hidden: list[str] = field(default_factory=list)
    held_back: str | None = None
    """The warning when so much of the listing was gone that nothing was hidden."""


_NAMED = 10  # incidents named in the warning; a key that lost the role may hide hundreds at once
_KEYS_PAGE = "https://app.incident.io/settings/api-keys"


async def comparison_due(store: GraphStore, now: datetime, every: timedelta) -> bool:
    """Whether an incremental sync at ``now`` reads the whole listing to compare it.

    Args:
        store: The map (``COMPARED_KEY``).
        now: The sync's clock.
        every: The least time between two comparisons; zero compares on every sync.
    """
    if every <= timedelta(0):
        return True
    last = await store.get_meta(COMPARED_KEY)
    return last is None or now - datetime.fromisoformat(last) >= every


async def held_public(store: GraphStore, modes: Collection[str]) -> set[str]:
    """The incidents the map holds as public, of ``modes``: read before a sync writes any.

    Args:
        store: The map.
        modes: The modes the listing is filtered to; others would all seem gone from it.
    """
    listing = NodeListing("Incident", equals=(("mode", tuple(sorted(modes))),), visibilities=("public",))
    # Ids only: on Neo4j the incidents' text and properties are never read nor shipped.
    return set(await store.list_node_ids(listing))


async def hide_unlisted(
    client: IncidentIoClient,
    store: GraphStore,
    listed: Collection[str],
    *,
    held: Collection[str] = (),
    concurrency: int,
) -> Unlisted:
    """Make private the public incidents that left the listing and the key cannot read as public.

    Args:
        client: An open incident.io client.
        store: The map.
        listed: Every incident the listing shows now (of the modes synced).
        held: The incidents the map held as public before the sync (``held_public``): compared
            as the last listing is, for those no listing showed (imported, or from a webhook).
        concurrency: Fetches in flight at once.

    Returns:
        The incidents made private, in id order; or, when most of what was known is gone, none
        and the warning saying why.

    Raises:
        SourceError: if fetching one fails otherwise than by not showing it (401, 5xx, ...); the
            listing is not recorded, so the next sync compares against the same one.
    """
    before = ids_in(await store.get_meta(LISTED_KEY)) | set(held)
    gone = sorted(before - set(listed))
    if len(gone) > max(_MOST_GONE, len(before) // 2):
        return Unlisted(held_back=_held_back_warning(len(gone), len(before)))
    public = [n.id for n in await store.get_nodes(gone) if n.label == "Incident" and n.visibility == "public"]
    shown = await gather_limited([functools.partial(_shown_public, client, i) for i in public], concurrency)
    hidden = [
        i
        for i, still in zip(public, shown, strict=True)
        if not still and await make_incident_private(store, i)
    ]
    await store.set_meta(LISTED_KEY, json.dumps(sorted(listed)))
    return Unlisted(hidden)


def unreadable_warning(incident_ids: Collection[str]) -> str:
    """What to tell the operator when incidents left the listing and could not be read."""
    named = sorted(incident_ids)
    more = f" and {len(named) - _NAMED} more" if len(named) > _NAMED else ""
    return (
        f"{len(named)} incident(s) the map held as public are no longer shown to the API key "
        f"({', '.join(named[:_NAMED])}{more}): made private in incident.io, or deleted. They are private "
        "in the map now. A key without 'View all incident data, including private incidents' is "
        "never shown a private incident, so sync cannot map one: create a key with that role at "
        f"{_KEYS_PAGE} (roles can only be set when a key is created) and set "
        "PRECEDENT_INCIDENTIO_API_KEY to it."
    )


def _held_back_warning(gone: int, before: int) -> str:
    return (
        f"{gone} of the {before} incidents the last sync listed, or the map held as public, are no "
        "longer shown to the API key, so many at once that this looks like a key of another "
        "organisation or one that lost a role, not incidents made private: none was hidden. Check "
        "PRECEDENT_INCIDENTIO_API_KEY. If they were made private in incident.io, use a key with "
        f"'View all incident data, including private incidents' (create one at {_KEYS_PAGE}): its "
        "listing shows them private and sync hides them."
    )


async def _shown_public(client: IncidentIoClient, incident_id: str) -> bool:
    """Whether the key reads the incident, and as public (it may have left the listing for its mode)."""
    one = ENDPOINTS["incident"]
    try:
        body = await client.get(one.url(id=incident_id))
    except SourceError as exc:
        if exc.status in _NOT_SHOWN:
            return False
        raise
    incident = body.get(one.key)
    return isinstance(incident, dict) and incident.get("visibility") == "public"
