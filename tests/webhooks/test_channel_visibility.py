"""What an incident's Slack channel is shown of its investigation: nothing its members may not see.

A private incident's channel is for the people invited to that incident; they are not, for all
Precedent knows, allowed to see any other private incident. The investigation the worker stores
may cite them (a ``read:private`` token reads it); the one it publishes to the channel may not.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.embedding import HashEmbedder
from precedent.investigation import Collaborators, get
from precedent.model import OWNER_VIEWER, Edge, Node
from precedent.retrieval import Catalog, SimilarIncidentFinder
from precedent.webhooks import MapInvestigationBuilder
from tests.investigation.org import DECLARED, build_investigation_org

if TYPE_CHECKING:
    from precedent.investigation import Investigation
    from precedent.store import GraphStore

PRIVATE_ELSEWHERE = {"inc-14", "inc-32"}  # private incidents other than the one investigated
NAME = "Payments database connection pool exhausted once more"


class Published:
    """Records what would be posted to Slack."""

    def __init__(self) -> None:
        self.investigations: list[Investigation] = []

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
