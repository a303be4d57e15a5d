"""A build hidden because an incident it cites was made private, as a ``read`` viewer may see it.

The hide pass makes the whole stored build private; its incident is still public. A ``read``
viewer following a link to it (its Slack message, redrawn to cite no private incident, opens
its page) gets the same build drawn again as they may see it, not a 404; asking for the
incident's latest gets one built now, not an older build that predates it. Both stores.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING, cast

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.investigation import (
    Collaborators,
    get,
    investigation_id,
    latest_for_incident,
    latest_or_build,
    readable,
    save,
)
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.webhooks import IncidentWriter, MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org
from tests.investigation.test_persist import investigation
from tests.webhooks.test_channel_visibility import HiddenWhileBuilding, cited

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]

MADE_PRIVATE = "inc-31"  # a recent incident on checkout, cited by INC-20's investigation


def _collaborators(store: GraphStore, clock: Callable[[], datetime]) -> Collaborators:
    embedder = HashEmbedder(dimensions=384)
    catalog = Catalog(store)
    return Collaborators(store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog, clock=clock)


async def _hidden_build(store: GraphStore) -> tuple[Collaborators, str]:
    """INC-20's investigation built while INC-31 was public, then INC-31 made private; its id."""
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    collaborators = _collaborators(store, lambda: DECLARED + timedelta(minutes=5))
    built = await MapInvestigationBuilder(collaborators)("inc-20")
    assert built is not None
    assert MADE_PRIVATE in cited(await get(store, built, PUBLIC_VIEWER))
    await IncidentWriter(store, embedder).hide(MADE_PRIVATE)
    return collaborators, built


async def test_a_read_viewer_gets_a_hidden_build_drawn_again_without_the_private_incident(
    store: GraphStore,
) -> None:
    collaborators, built = await _hidden_build(store)
    stored = await get(store, built, OWNER_VIEWER)
    with pytest.raises(NotFound):
        await get(store, built, PUBLIC_VIEWER)

    shown = await readable(collaborators, built, PUBLIC_VIEWER)

    assert shown.id == built
    assert shown.built_at == stored.built_at
    assert shown.incident == stored.incident
    assert MADE_PRIVATE not in cited(shown)
    assert cited(stored) - {MADE_PRIVATE} <= cited(shown)  # the public parts, and what ranks next
    assert await readable(collaborators, built, OWNER_VIEWER) == stored


async def test_a_hidden_build_of_a_private_incident_stays_not_found(store: GraphStore) -> None:
    collaborators, built = await _hidden_build(store)
    await IncidentWriter(store, HashEmbedder(dimensions=384)).hide("inc-20")
    with pytest.raises(NotFound) as caught:
        await readable(collaborators, built, PUBLIC_VIEWER)
    assert str(caught.value) == f"investigation {built!r} not found"  # as for one that does not exist
    with pytest.raises(NotFound):
        await readable(collaborators, "inv:0000000000000:nothing", PUBLIC_VIEWER)


async def test_the_latest_for_a_read_viewer_is_built_again_when_the_latest_build_is_hidden(
    store: GraphStore,
) -> None:
    _, hidden = await _hidden_build(store)
    # An earlier build that cites no incident made private, so the hide pass left it public.
    older = investigation("inc-20", 0)
    older = replace(older, id=investigation_id("inc-20", DECLARED), built_at=DECLARED)
    await save(store, older)
    assert await get(store, older.id, PUBLIC_VIEWER) == older

    # Not the build before the latest: it predates what the latest was built from.
    assert await latest_for_incident(store, "inc-20", PUBLIC_VIEWER) is None
    later = _collaborators(store, lambda: DECLARED + timedelta(hours=2))
    fresh = await latest_or_build(later, "inc-20", PUBLIC_VIEWER)
    assert fresh.id < hidden  # newer (ids sort newest first)
    assert MADE_PRIVATE not in cited(fresh)
    assert await latest_for_incident(store, "inc-20", PUBLIC_VIEWER) == fresh
    assert (await latest_for_incident(store, "inc-20", OWNER_VIEWER)) == fresh


async def test_a_read_viewer_whose_build_was_hidden_as_it_was_stored_is_shown_it_drawn_again(
    store: GraphStore,
) -> None:
    await build_investigation_org(store, HashEmbedder(dimensions=384))
    racing = cast("GraphStore", HiddenWhileBuilding(store, MADE_PRIVATE))

    shown = await latest_or_build(_collaborators(racing, lambda: DECLARED), "inc-20", PUBLIC_VIEWER)

    assert MADE_PRIVATE in cited(await get(store, shown.id, OWNER_VIEWER))  # stored hidden
    assert MADE_PRIVATE not in cited(shown)
