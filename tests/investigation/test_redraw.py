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
    InvestigationOptions,
    build_and_save,
    get,
    investigation_id,
    latest_for_incident,
    latest_or_build,
    latest_per_incident,
    list_recent,
    openable_count,
    readable,
    save,
    standing,
)
from precedent.investigation.recent import REDRAWN_PER_PAGE
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER
from precedent.retrieval import DescribedQuery
from precedent.webhooks import IncidentWriter, MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org, map_collaborators
from tests.investigation.test_persist import investigation
from tests.webhooks.test_channel_visibility import HiddenWhileBuilding, cited

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Sequence

    from precedent.investigation import Investigation
    from precedent.model import Node
    from precedent.store import GraphStore

pytestmark = [pytest.mark.contract]

MADE_PRIVATE = "inc-31"  # a recent incident on checkout, cited by INC-20's investigation


async def _hidden_build(store: GraphStore) -> tuple[Collaborators, str]:
    """INC-20's investigation built while INC-31 was public, then INC-31 made private; its id."""
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    collaborators = map_collaborators(store, lambda: DECLARED + timedelta(minutes=5))
    built = await MapInvestigationBuilder(collaborators)("inc-20")
    assert built is not None
    assert MADE_PRIVATE in cited(await get(store, built, PUBLIC_VIEWER))
    await IncidentWriter(store, embedder).hide(MADE_PRIVATE)
    return collaborators, built


async def _older_public_build(store: GraphStore) -> Investigation:
    """An earlier build of INC-20 citing no incident made private, so the hide pass left it public."""
    older = investigation("inc-20", 0)
    older = replace(older, id=investigation_id("inc-20", DECLARED), built_at=DECLARED)
    await save(store, older)
    return older


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
    older = await _older_public_build(store)
    assert await get(store, older.id, PUBLIC_VIEWER) == older

    # Not the build before the latest: it predates what the latest was built from.
    assert await latest_for_incident(store, "inc-20", PUBLIC_VIEWER) is None
    later = map_collaborators(store, lambda: DECLARED + timedelta(hours=2))
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

    shown = await latest_or_build(map_collaborators(racing, lambda: DECLARED), "inc-20", PUBLIC_VIEWER)

    assert MADE_PRIVATE in cited(await get(store, shown.id, OWNER_VIEWER))  # stored hidden
    assert MADE_PRIVATE not in cited(shown)


def _untimed(*builds: Investigation) -> tuple[Investigation, ...]:
    """Builds without how long each took: two drawings of one build differ only there."""
    return tuple(replace(b, build_ms=0.0) for b in builds)


async def test_the_listing_and_latest_per_incident_show_a_hidden_newest_build_drawn_again(
    store: GraphStore,
) -> None:
    collaborators, hidden = await _hidden_build(store)
    older = await _older_public_build(store)
    [drawn] = _untimed(await readable(collaborators, hidden, PUBLIC_VIEWER))

    # The hidden newest in its place, drawn again; the older build after it, not in its stead.
    listed = await list_recent(collaborators, PUBLIC_VIEWER)
    assert _untimed(*listed.items) == (drawn, *_untimed(older))
    first = await list_recent(collaborators, PUBLIC_VIEWER, limit=1)
    assert (_untimed(*first.items), first.next_cursor is not None) == ((drawn,), True)
    rest = await list_recent(collaborators, PUBLIC_VIEWER, cursor=first.next_cursor, limit=1)
    assert (rest.items, rest.next_cursor) == ((older,), None)
    [latest] = await latest_per_incident(collaborators, PUBLIC_VIEWER)
    assert (*_untimed(latest.investigation), latest.earlier) == (drawn, 1)
    assert MADE_PRIVATE not in cited(latest.investigation)
    stored = await get(store, hidden, OWNER_VIEWER)
    assert (await list_recent(collaborators, OWNER_VIEWER)).items == (stored, older)
    # The home page's count is the listing's: the hidden build counts for the read viewer too.
    for viewer in (PUBLIC_VIEWER, OWNER_VIEWER):
        seen = (await store.stats(visibilities=viewer.visibilities)).nodes_by_label["Investigation"]
        assert await openable_count(collaborators, viewer, seen=seen) == 2

    # Its incident made private too: nothing of it is listed to a read viewer.
    await IncidentWriter(store, HashEmbedder(dimensions=384)).hide("inc-20")
    assert (await list_recent(collaborators, PUBLIC_VIEWER)).items == ()
    assert await latest_per_incident(collaborators, PUBLIC_VIEWER) == ()
    seen = (await store.stats(visibilities=PUBLIC_VIEWER.visibilities)).nodes_by_label.get("Investigation", 0)
    assert await openable_count(collaborators, PUBLIC_VIEWER, seen=seen) == 0


class _Unscanned:
    """The map, refusing to scan a label whole: the count reads the builds hidden from the viewer only."""

    def __init__(self, store: GraphStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    def scan_nodes(self, labels: Sequence[str] = (), **kwargs: bool) -> AsyncIterator[Node]:
        raise AssertionError(f"scanned every {labels} for the home page's count")


async def test_the_home_page_s_count_reads_only_the_builds_hidden_from_the_viewer(store: GraphStore) -> None:
    await _hidden_build(store)
    await _older_public_build(store)
    for n in range(3):  # more public builds, which the count must not read
        await save(store, investigation("inc-20", 10 + n))
    unscanned = map_collaborators(cast("GraphStore", _Unscanned(store)))
    for viewer, count in ((PUBLIC_VIEWER, 5), (OWNER_VIEWER, 5)):
        seen = (await store.stats(visibilities=viewer.visibilities)).nodes_by_label["Investigation"]
        assert await openable_count(unscanned, viewer, seen=seen) == count


async def test_a_described_build_hidden_as_it_was_stored_opens_by_id_as_its_caller_may_see_it(
    store: GraphStore,
) -> None:
    await build_investigation_org(store, HashEmbedder(dimensions=384))
    racing = map_collaborators(cast("GraphStore", HiddenWhileBuilding(store, MADE_PRIVATE)))
    described = DescribedQuery(
        name="Checkout slow page loads", services=("checkout", "edge-cache"), declared_at=DECLARED
    )
    options = InvestigationOptions(similar=2, change_window=timedelta(hours=6))

    answered = await build_and_save(racing, described, PUBLIC_VIEWER, options)

    assert MADE_PRIVATE in cited(await get(store, answered.id, OWNER_VIEWER))  # stored hidden
    collaborators = map_collaborators(store)
    [shown] = _untimed(await readable(collaborators, answered.id, PUBLIC_VIEWER))
    assert shown == replace(answered, build_ms=0.0)  # what the POST answered: the same options too
    assert shown.incident.unknown_services == ("edge-cache",)
    assert _untimed(*(await list_recent(collaborators, PUBLIC_VIEWER)).items) == (shown,)


async def test_an_older_build_says_it_is_superseded_by_a_newer_one_hidden_from_a_read_viewer(
    store: GraphStore,
) -> None:
    # It said it was the latest: the newer build it opens drawn again did not count.
    _, hidden = await _hidden_build(store)
    older = await _older_public_build(store)
    stands = await standing(store, older, PUBLIC_VIEWER)
    assert (stands.superseded_by, stands.superseded_at) == (hidden, DECLARED + timedelta(minutes=5))
    assert (await standing(store, older, OWNER_VIEWER)).superseded_by == hidden


async def test_a_page_past_many_hidden_builds_draws_a_bounded_number_and_goes_on_on_the_next(
    store: GraphStore,
) -> None:
    # Every hidden build a page passed was built again, one after another, in one request: a
    # read token's listing of 100 past 100 builds citing one incident made private built 101.
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    count = REDRAWN_PER_PAGE + 2
    for n in range(count):
        at = DECLARED + timedelta(minutes=5, seconds=n)
        assert await MapInvestigationBuilder(map_collaborators(store, lambda at=at: at))("inc-20")
    await IncidentWriter(store, embedder).hide(MADE_PRIVATE)
    collaborators = map_collaborators(store, lambda: DECLARED + timedelta(hours=1))

    first = await list_recent(collaborators, PUBLIC_VIEWER, limit=100)
    assert len(first.items) == REDRAWN_PER_PAGE
    assert first.next_cursor is not None
    rest = await list_recent(collaborators, PUBLIC_VIEWER, cursor=first.next_cursor, limit=100)
    assert (len(rest.items), rest.next_cursor) == (2, None)
    every = [i.id for i in (*first.items, *rest.items)]
    assert len(set(every)) == count
    assert every == sorted(every)  # ids sort newest first
    assert all(MADE_PRIVATE not in cited(i) for i in (*first.items, *rest.items))
    # The owner sees the stored builds, none drawn again: one page.
    assert len((await list_recent(collaborators, OWNER_VIEWER, limit=100)).items) == count
