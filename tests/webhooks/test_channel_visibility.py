"""What an incident's Slack channel is shown of its investigation: nothing its members may not see.

A private incident's channel is for the people invited to that incident; they are not, for all
Precedent knows, allowed to see any other private incident. The investigation the worker stores
may cite them (a ``read:private`` token reads it); the one it publishes to the channel may not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, cast

import pytest

from precedent.embedding import HashEmbedder
from precedent.errors import NotFound
from precedent.investigation import Collaborators, get
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Edge, Node
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.webhooks import IncidentWriter, MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org

if TYPE_CHECKING:
    from collections.abc import Sequence

    from precedent.investigation import Investigation
    from precedent.store import GraphStore

PRIVATE_ELSEWHERE = {"inc-14", "inc-32"}  # private incidents other than the one investigated
NAME = "Payments database connection pool exhausted once more"


class Published:
    """Records what would be posted to Slack."""

    def __init__(self) -> None:
        self.investigations: list[Investigation] = []

    async def will_publish(self, investigation: Investigation) -> None:
        pass

    def investigation_built(self, investigation: Investigation) -> None:
        self.investigations.append(investigation)


def cited(investigation: Investigation) -> set[str]:
    ids = {e.id for h in investigation.hypotheses for e in h.evidence}
    ids |= {p.incident_id for p in investigation.similar}
    ids |= {f.incident_id for f in investigation.follow_ups}
    return ids | {b.id for s in investigation.services for b in (*s.recent_incidents, *s.active_incidents)}


async def test_a_private_incidents_channel_is_shown_no_other_private_incident(store: GraphStore) -> None:
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    declared = DECLARED + timedelta(days=2)
    [vector] = await embedder.embed([NAME])
    props = {"reference": "INC-40", "name": NAME, "slack_channel_id": "C-INC-40", "status_category": "live"}
    await store.upsert_nodes([Node("inc-40", "Incident", props, declared, "private", NAME, vector)])
    await store.upsert_edges([Edge("inc-40", "AFFECTS", "svc-paydb")])
    catalog = Catalog(store)
    collaborators = Collaborators(
        store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog, clock=lambda: declared
    )
    published = Published()

    built = await MapInvestigationBuilder(collaborators, published)("inc-40")

    assert built is not None
    stored = await get(store, built, OWNER_VIEWER)
    assert cited(stored) & PRIVATE_ELSEWHERE  # the owner's view, for who may read it
    [shown] = published.investigations
    assert shown.id == stored.id  # its button opens the stored investigation
    assert shown.incident == stored.incident
    assert not cited(shown) & PRIVATE_ELSEWHERE
    assert not {"INC-14", "INC-32"} & set(shown.summary_markdown.replace("(", " ").split())
    assert shown.map_state.incidents < stored.map_state.incidents


class HiddenWhileBuilding:
    """A map on which another process makes ``incident_id`` private while an investigation is built.

    The hide pass runs in full just before the investigation is written: it found no citer to hide.
    """

    def __init__(self, store: GraphStore, incident_id: str) -> None:
        self._store = store
        self._incident_id: str | None = incident_id

    def __getattr__(self, name: str) -> object:
        return getattr(self._store, name)

    async def upsert_nodes(self, nodes: Sequence[Node]) -> None:
        incident_id, self._incident_id = self._incident_id, None
        if incident_id and any(n.label == "Investigation" for n in nodes):
            await IncidentWriter(self._store, HashEmbedder(dimensions=384)).hide(incident_id)
        else:
            self._incident_id = incident_id
        await self._store.upsert_nodes(nodes)


async def test_a_build_citing_an_incident_made_private_meanwhile_is_hidden_and_not_shown(
    store: GraphStore,
) -> None:
    embedder = HashEmbedder(dimensions=384)
    await build_investigation_org(store, embedder)
    racing = cast("GraphStore", HiddenWhileBuilding(store, "inc-31"))
    published = Published()

    built = await MapInvestigationBuilder(_collaborators(racing, embedder), published)("inc-20")

    assert built is not None
    # A recent incident on checkout, with an open follow-up: read while it was public.
    assert "inc-31" in cited(await get(store, built, OWNER_VIEWER))
    with pytest.raises(NotFound):
        await get(store, built, PUBLIC_VIEWER)
    [shown] = published.investigations
    assert shown.id == built
    assert "inc-31" not in cited(shown)
    assert "INC-31" not in shown.summary_markdown


def _collaborators(store: GraphStore, embedder: HashEmbedder) -> Collaborators:
    catalog = Catalog(store)
    finder = SimilarIncidentFinder(store, embedder, catalog=catalog)
    return Collaborators(store, finder, catalog, clock=lambda: DECLARED + timedelta(minutes=5))
