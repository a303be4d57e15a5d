"""``browse.list_incidents`` filters other surfaces use (a person's led incidents) on the sample export."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from precedent.browse import IncidentFilters, list_incidents
from precedent.embedding import HashEmbedder
from precedent.errors import InvalidQuery
from precedent.ingest import Loader, import_export
from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER, Viewer
from precedent.retrieval import Catalog
from tests.ingest.org import write_export

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore


async def test_incidents_a_person_led(tmp_path: Path, embedded_store: GraphStore) -> None:
    await import_export(
        write_export(tmp_path / "export"), Loader(embedded_store, HashEmbedder(dimensions=384))
    )
    catalog = Catalog(embedded_store)

    async def led(user: str, viewer: Viewer = OWNER_VIEWER) -> list[str]:
        page = await list_incidents(embedded_store, catalog, viewer, IncidentFilters(lead=user))
        return [node.id for node in page.items]

    assert await led("u-alice") == ["inc-1", "inc-2"]  # Incident Lead on both
    assert await led("u-alice", PUBLIC_VIEWER) == ["inc-1"]
    assert await led("u-bob") == []  # he declared them; he did not lead them
    with pytest.raises(InvalidQuery, match="lead"):
        await list_incidents(
            embedded_store, catalog, OWNER_VIEWER, IncidentFilters(lead="u-alice", services=("db",))
        )


async def test_a_reference_in_q_names_that_incident_not_every_one_sharing_its_number(
    tmp_path: Path, embedded_store: GraphStore
) -> None:
    # ?q=INC-42 was also matched as the words "inc" and "42": it listed every incident whose text
    # named any other incident ("Same failure as INC-108") or said 42, newest first, with INC-42
    # itself eighth of ten on the demo's map.
    await import_export(
        write_export(tmp_path / "export"), Loader(embedded_store, HashEmbedder(dimensions=384))
    )
    catalog = Catalog(embedded_store)

    async def listed(text: str, viewer: Viewer = OWNER_VIEWER) -> list[str]:
        page = await list_incidents(embedded_store, catalog, viewer, IncidentFilters(text=text))
        return [node.id for node in page.items]

    assert await listed("deploy 42") == ["inc-1"]  # "Rolling back deploy 42": the words still match
    assert await listed("INC-42") == []  # no such incident; inc-1's "42" is not it
    assert await listed("INC-2") == ["inc-2"]
    assert await listed("INC-2", PUBLIC_VIEWER) == []  # private: as if it did not exist
    assert sorted(await listed("INC-2 payments")) == ["inc-1", "inc-2"]  # the other words still count
