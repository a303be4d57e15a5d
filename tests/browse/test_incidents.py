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
    from collections.abc import Awaitable, Callable
    from pathlib import Path

    from precedent.store import GraphStore


async def _listing(
    tmp_path: Path, store: GraphStore
) -> Callable[[IncidentFilters, Viewer], Awaitable[list[str]]]:
    """The sample export imported into ``store``, and the ids a filter lists, newest first."""
    await import_export(write_export(tmp_path / "export"), Loader(store, HashEmbedder(dimensions=384)))
    catalog = Catalog(store)

    async def listed(filters: IncidentFilters, viewer: Viewer) -> list[str]:
        return [node.id for node in (await list_incidents(store, catalog, viewer, filters)).items]

    return listed


async def test_incidents_a_person_led(tmp_path: Path, embedded_store: GraphStore) -> None:
    listing = await _listing(tmp_path, embedded_store)
    catalog = Catalog(embedded_store)

    async def led(user: str, viewer: Viewer = OWNER_VIEWER) -> list[str]:
        return await listing(IncidentFilters(lead=user), viewer)

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
    listing = await _listing(tmp_path, embedded_store)

    async def listed(text: str, viewer: Viewer = OWNER_VIEWER) -> list[str]:
        return await listing(IncidentFilters(text=text), viewer)

    assert await listed("deploy 42") == ["inc-1"]  # "Rolling back deploy 42": the words still match
    assert await listed("INC-42") == []  # no such incident; inc-1's "42" is not it
    assert await listed("INC-2") == ["inc-2"]
    assert await listed("INC-2", PUBLIC_VIEWER) == []  # private: as if it did not exist
    assert sorted(await listed("INC-2 payments")) == ["inc-1", "inc-2"]  # the other words still count


async def test_a_next_page_may_ask_for_the_words_in_another_case(
    tmp_path: Path, embedded_store: GraphStore
) -> None:
    # The search ignores case and spacing, but the cursor was bound to q as typed: the second
    # page of `q=INC-2 payments` asked as `q=inc-2  PAYMENTS` was refused as another query's.
    await _listing(tmp_path, embedded_store)
    catalog = Catalog(embedded_store)
    first = await list_incidents(
        embedded_store, catalog, OWNER_VIEWER, IncidentFilters(text="INC-2 payments"), limit=1
    )
    assert first.next_cursor is not None
    second = await list_incidents(
        embedded_store,
        catalog,
        OWNER_VIEWER,
        IncidentFilters(text=" inc-2  PAYMENTS "),
        limit=1,
        cursor=first.next_cursor,
    )
    assert sorted(node.id for node in (*first.items, *second.items)) == ["inc-1", "inc-2"]
    with pytest.raises(InvalidQuery, match="another query"):  # other words are still another list
        await list_incidents(
            embedded_store, catalog, OWNER_VIEWER, IncidentFilters(text="payments"), cursor=first.next_cursor
        )
