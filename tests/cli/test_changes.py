"""``precedent changes record`` is a CI step: it records the change without loading the model."""

from __future__ import annotations

from typing import TYPE_CHECKING

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
