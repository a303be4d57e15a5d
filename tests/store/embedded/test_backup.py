"""Backups taken while the writer runs: the copy opens and holds every batch acknowledged before it."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from precedent.errors import StoreCorrupt
from precedent.store import NewDelivery
from precedent.store.embedded import EmbeddedStore, SqliteInbox
from precedent.store.embedded.backup import copy_map, copy_sqlite
from tests.store.embedded.test_durability import _check_consistent, _record_offsets, _write_batches

ROOT = Path(__file__).resolve().parents[3]


def _acknowledged(writer: subprocess.Popen[str], count: int, seen: list[int]) -> None:
    assert writer.stdout is not None
    for line in writer.stdout:
        seen.append(int(line))
        if len(seen) >= count:
            return


async def test_copies_taken_while_the_writer_writes_and_compacts_open_whole(tmp_path: Path) -> None:
    # The writer compacts every 512 KiB (about every 6 batches), so copies land on every step of
    # a compaction: a plain copy of snapshot then log fails there ("the snapshot is missing").
    source = tmp_path / "graph"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.support.embedded_writer", str(source), "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    acknowledged: list[int] = []
    try:
        for copy in range(10):
            _acknowledged(writer, len(acknowledged) + 2, acknowledged)
            before = set(acknowledged)
            copy_map(source, tmp_path / f"copy{copy}")
            store = EmbeddedStore(tmp_path / f"copy{copy}")
            await store.open()
            try:
                present = await _check_consistent(store)
            finally:
                await store.close()
            assert before <= present, f"copy {copy} lost acknowledged batches"
    finally:
        writer.kill()
        writer.communicate()


async def test_a_damaged_source_log_is_reported_not_copied(tmp_path: Path) -> None:
    source = tmp_path / "graph"
    source.mkdir()
    (source / "wal").write_bytes(b"not a log at all")
    with pytest.raises(StoreCorrupt, match="not a Precedent log"):
        copy_map(source, tmp_path / "copy")


async def test_inbox_copy_holds_deliveries_still_in_the_sqlite_journal(tmp_path: Path) -> None:
    # While serve runs, recent deliveries sit in webhooks.sqlite-wal; copying the database file
    # alone would leave them out.
    inbox = SqliteInbox(tmp_path / "webhooks.sqlite")
    await inbox.open()
    try:
        now = datetime.now(UTC)
        for number in range(3):
            await inbox.record(NewDelivery(f"msg_{number}", "public_incident.incident_created_v2", "{}", now))
        assert (tmp_path / "webhooks.sqlite-wal").stat().st_size > 0
        copy_sqlite(tmp_path / "webhooks.sqlite", tmp_path / "copy.sqlite")
    finally:
        await inbox.close()
    assert await _delivery_ids(tmp_path / "copy.sqlite") == ["msg_0", "msg_1", "msg_2"]


async def _delivery_ids(path: Path) -> list[str]:
    """The ids of the deliveries in the inbox at ``path``, as ``recent`` lists them."""
    inbox = SqliteInbox(path)
    await inbox.open()
    try:
        return [d.id for d in await inbox.recent(10)]
    finally:
        await inbox.close()


@pytest.mark.parametrize("directory", ["data#2", "data?x", "100%"])
async def test_an_inbox_in_a_directory_whose_name_means_something_in_a_uri_is_copied(
    tmp_path: Path, directory: str
) -> None:
    # The source is opened by URI (to refuse a missing one); '#', '?' and '%' in a path are URI syntax.
    data = tmp_path / directory
    inbox = SqliteInbox(data / "webhooks.sqlite")
    await inbox.open()
    try:
        await inbox.record(
            NewDelivery("msg_0", "public_incident.incident_created_v2", "{}", datetime.now(UTC))
        )
        copy_sqlite(data / "webhooks.sqlite", tmp_path / "copy.sqlite")
    finally:
        await inbox.close()
    assert await _delivery_ids(tmp_path / "copy.sqlite") == ["msg_0"]


async def test_a_source_log_damaged_before_later_records_is_reported_not_cut(tmp_path: Path) -> None:
    # Open refuses such a log; a backup that cut it at the damage would drop batches 1 and 2
    # without a word, and the copy would open as if whole.
    await _write_batches(tmp_path / "graph", range(3))
    wal = tmp_path / "crashed" / "wal"
    middle = _record_offsets(wal)[-2]
    data = bytearray(wal.read_bytes())
    data[middle + 20] ^= 0xFF
    wal.write_bytes(bytes(data))
    with pytest.raises(StoreCorrupt, match=f"damaged at byte {middle}"):
        copy_map(tmp_path / "crashed", tmp_path / "copy")
