"""``precedent changes record`` is a CI step: it records the change without loading the model."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

from litestar.testing import AsyncTestClient

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.responses import ChangesPageResponse, RecordedChangeResponse
from precedent.store.embedded import EmbeddedStore
from tests.cli.conftest import DIMENSIONS
from tests.cli.output import run_main

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


async def test_recording_a_change_never_loads_the_model(
    data_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # A model that is not on this machine: loading it fails (the hub is never asked), so the
    # command succeeds only if it does not load one. It loaded the model, seconds of a CI step.
    monkeypatch.setenv("PRECEDENT_EMBEDDING_MODEL", "precedent-tests/no-such-model")
    record = ["changes", "record", "--service", "ledger", "--version", "v7", "--id", "ci-7", "--json"]
    assert await run_main(record) == 0
    recorded = RecordedChangeResponse.model_validate_json(capsys.readouterr().out)
    assert (recorded.id, recorded.service, recorded.linked) == ("change:ci-7", "ledger", True)

    listing = ["changes", "list", "--service", "ledger", "--since-hours", "1", "--json"]
    assert await run_main(listing) == 0
    page = ChangesPageResponse.model_validate_json(capsys.readouterr().out)
    assert [change.id for change in page.items] == ["change:ci-7"]

    # Stored without a vector: no question reads a change's (they are found by service and time).
    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS, read_only=True)
    await store.open()
    try:
        (change,) = await store.get_nodes(["change:ci-7"], with_embeddings=True)
        assert change.label == "ChangeEvent"
        assert change.embedding is None
    finally:
        await store.close()


async def test_a_change_is_stored_alike_whether_the_cli_or_the_api_recorded_it(data_dir: Path) -> None:
    # The API stored a vector of each change and the CLI none: one map, two shapes of one change.
    fields = {"service": "ledger", "kind": "config", "version": "v8", "summary": "Raise the pool size"}
    fields |= {"author": "ci", "commit_sha": "abc123", "repository": "acme/ledger"}
    fields |= {"started_at": "2026-01-01T10:00:00+00:00", "finished_at": "2026-01-01T10:05:00+00:00"}
    argv = [f"--{key.replace('_', '-')}={value}" for key, value in fields.items()]
    assert await run_main(["changes", "record", *argv, "--label", "prod", "--id", "by-cli"]) == 0

    store = EmbeddedStore(data_dir / "graph", dimensions=DIMENSIONS)
    await store.open()
    try:
        embedder = HashEmbedder(dimensions=DIMENSIONS)
        token = (await TokenRegistry(store).create(["write"], name="ci")).secret
        app = create_app(Settings(data_dir=data_dir, _env_file=None), store=store, embedder=embedder)  # type: ignore[call-arg]
        async with AsyncTestClient(app) as client:
            body = {**fields, "labels": ["prod"], "id": "by-api"}
            response = await client.post(
                "/v1/changes", json=body, headers={"Authorization": f"Bearer {token}"}
            )
        assert response.status_code == 202, response.text
        by_cli, by_api = await store.get_nodes(["change:by-cli", "change:by-api"], with_embeddings=True)
    finally:
        await store.close()
    # Neither stores a vector (ChangeRecorder says why); the rest is the same, field for field.
    assert [n.embedding is None for n in (by_cli, by_api)] == [True, True]
    cli, api = (
        {f.name: getattr(n, f.name) for f in dataclasses.fields(n) if f.name != "id"}
        for n in (by_cli, by_api)
    )
    assert cli == api
    assert embedder.texts_embedded == 0  # so recording loads no model on the API either


async def test_the_cli_refuses_a_change_starting_in_another_year(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The API's check, on the CLI's path too: both record through ChangeRecorder.
    record = ["changes", "record", "--service", "ledger", "--started-at", "2099-01-01T10:00:00Z"]
    assert await run_main(record) != 0
    assert "leave started_at out" in capsys.readouterr().err
    listing = ["changes", "list", "--service", "ledger", "--since-hours", "1", "--json"]
    assert await run_main(listing) == 0
    page = ChangesPageResponse.model_validate_json(capsys.readouterr().out)
    assert page.items == []


async def test_the_change_list_shows_when_each_change_started_whole_in_utc(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The table cut the start to '2026-12-05T0…' at a terminal's 80 columns: a responder asking
    # what changed just before the incident could not read when it did. An offset CI gave
    # (+02:00) is shown in UTC, as the pages and the MCP tools show every time.
    started = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=30)
    local = started.astimezone(timezone(timedelta(hours=2))).isoformat()
    record = ["changes", "record", "--service", "ledger", "--version", "v9", "--started-at", local]
    assert await run_main(record) == 0
    capsys.readouterr()
    assert await run_main(["changes", "list", "--service", "ledger", "--since-hours", "2"]) == 0
    table = capsys.readouterr().out
    assert started.strftime("%Y-%m-%d %H:%M UTC") in table


async def test_a_change_to_a_misspelt_service_names_the_service_meant(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # "the map has no service 'ledgr' yet" alone: the CI log passed and the change was lost to view.
    assert await run_main(["changes", "record", "--service", "ledgr", "--version", "v8"]) == 0
    assert "no service 'ledgr' yet (did you mean ledger?" in " ".join(capsys.readouterr().out.split())


async def test_a_changes_bidirectional_controls_are_shown_not_obeyed_in_the_table(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # U+202E reversed what followed it in the terminal, as on the pages (Trojan Source).
    record = ["changes", "record", "--service", "ledger", "--version", "v1.0\u202e1.2v"]
    assert await run_main(record) == 0
    capsys.readouterr()
    assert await run_main(["changes", "list", "--service", "ledger", "--since-hours", "2"]) == 0
    table = capsys.readouterr().out
    assert "\u202e" not in table
    assert "[U+202E]" in table


async def test_the_change_table_says_when_there_are_more_or_none(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # It ended at --limit rows, or showed an empty table, without a word: "nothing changed" could
    # not be told from "the window was too short" or "there were more".
    for version in ("v1", "v2"):
        assert await run_main(["changes", "record", "--service", "ledger", "--version", version]) == 0
    capsys.readouterr()
    assert await run_main(["changes", "list", "--service", "ledger", "--limit", "1"]) == 0
    said = capsys.readouterr().out
    cursor = said.split("--cursor ", 1)[1].split()[0]
    assert await run_main(["changes", "list", "--service", "ledger", "--limit", "1", "--cursor", cursor]) == 0
    second = capsys.readouterr().out
    assert "v1" in second  # the older one, on the second page (ids are hex: no "v" in them)
    assert "v2" not in second
    assert "more changes after these" not in second
    assert await run_main(["changes", "list", "--service", "checkout", "--since-hours", "1"]) == 0
    assert "no changes to checkout in the last 1 hours; look further back with --since-hours" in " ".join(
        capsys.readouterr().out.split()
    )
