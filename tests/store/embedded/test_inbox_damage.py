"""A damaged webhook inbox file is refused at open, saying how to keep the deliveries it holds.

It was taken for a full or read-only disk ("check the data directory is writable and its disk has
space") and tried again every 30 s for ever; and damage inside the file, past the pages opening it
reads, let ``serve`` start and acknowledge new deliveries into it.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from precedent.errors import StoreCorrupt
from precedent.store import NewDelivery
from precedent.store.embedded import SqliteInbox

if TYPE_CHECKING:
    from pathlib import Path

PAGE = 4096


async def _filled(path: Path) -> int:
    """Record enough deliveries to span many pages; return the file's size once closed."""
    inbox = SqliteInbox(path)
    await inbox.open()
    now = datetime.now(UTC)
    for n in range(60):
        await inbox.record(NewDelivery(f"msg_{n}", "public_incident.incident_created_v2", "x" * 500, now))
    await inbox.close()  # the last connection folds the WAL into the file
    return path.stat().st_size


async def test_an_inbox_with_a_damaged_page_is_refused_at_open_saying_how_to_recover(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite"
    size = await _filled(path)
    assert size > 4 * PAGE
    with path.open("r+b") as file:  # the second page: opening it reads only the first
        file.seek(PAGE)
        file.write(os.urandom(PAGE))
    with pytest.raises(StoreCorrupt) as refused:
        await SqliteInbox(path, sole_worker=True).open()
    message = str(refused.value)
    assert message.startswith(f"the webhook inbox {path} is damaged (")
    assert f"`sqlite3 {path} .recover > inbox.sql`" in message
    assert "disk has space" not in message
    assert "\n" not in message  # one log line


async def test_a_truncated_inbox_is_refused_as_damaged_not_as_a_full_disk(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite"
    size = await _filled(path)
    os.truncate(path, size // 2)
    with pytest.raises(StoreCorrupt, match=r"is damaged \(database disk image is malformed\)"):
        await SqliteInbox(path).open()


async def test_a_file_that_is_no_database_is_refused_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "webhooks.sqlite"
    path.write_bytes(os.urandom(3 * PAGE))
    with pytest.raises(StoreCorrupt, match="precedent sync"):
        await SqliteInbox(path).open()
