"""``precedent backup DIR``: a copy that opens as the map, and refusals that say what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.store.embedded import EmbeddedStore
from tests.cli.output import run_main, said

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def _stats(graph: Path) -> tuple[dict[str, int], dict[str, int]]:
    store = EmbeddedStore(graph, read_only=True)
    await store.open()
    try:
        stats = await store.stats()
    finally:
        await store.close()
    return dict(stats.nodes_by_label), dict(stats.edges_by_type)


async def test_backup_copies_a_map_that_opens_with_the_same_counts(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_main(["backup", str(tmp_path / "copy")]) == 0
    assert "copied graph to" in " ".join(capsys.readouterr().out.split())
    assert await _stats(tmp_path / "copy" / "graph") == await _stats(data_dir / "graph")


async def test_backup_refuses_an_existing_destination(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "copy").mkdir()
    assert await run_main(["backup", str(tmp_path / "copy")]) != 0
    assert "already exists: name a new directory" in said(capsys)


async def test_backup_of_a_directory_without_a_map_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(tmp_path / "nothing"))
    assert await run_main(["backup", str(tmp_path / "copy")]) != 0
    assert "there is no map in" in said(capsys)
    assert not (tmp_path / "copy").exists()


async def test_a_backup_that_fails_part_way_leaves_nothing_and_a_rerun_works(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The map is copied first; the inbox after it is damaged, so the copy fails half done.
    inbox = data_dir / "webhooks.sqlite"
    inbox.write_bytes(b"this is not a SQLite database, just bytes in its place" * 100)
    destination = tmp_path / "backups" / "copy"
    assert await run_main(["backup", str(destination)]) != 0
    assert "cannot copy" in said(capsys)
    assert not destination.exists()
    assert not (tmp_path / "backups").exists(), "a directory made for the backup was left behind"
    inbox.unlink()
    assert await run_main(["backup", str(destination)]) == 0
    assert await _stats(destination / "graph") == await _stats(data_dir / "graph")
    assert [p.name for p in destination.parent.iterdir()] == ["copy"]
