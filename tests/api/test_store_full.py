"""A write the embedded store cannot save (a full disk) answers 503 with Retry-After, not a 500.

The disk fills up the way tests/support/limited_store.py does it: the process's file size limit
is set to the log's current size, so the next append fails with EFBIG, as ENOSPC would (Python
ignores SIGXFSZ). The limit is lifted again before the test reads anything back.
"""

from __future__ import annotations

import contextlib
import logging
import resource
from typing import TYPE_CHECKING

from precedent.api.errors import STORE_RETRY_AFTER_SECONDS
from precedent.store.embedded import EmbeddedStore
from tests.api.conftest import serving

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    import pytest


@contextlib.contextmanager
def _disk_full_at(size: int) -> Iterator[None]:
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


async def test_a_write_on_a_full_disk_answers_503_with_what_to_do_and_no_server_path(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "graph"
    store = EmbeddedStore(path, dimensions=384)
    await store.open()
    try:
        change = {
            "service": "payments-api",
            "kind": "deploy",
            "started_at": "2026-01-01T10:00:00Z",
            "id": "d1",
        }
        async with serving(store, tmp_path) as (client, tokens):
            headers = {"Authorization": f"Bearer {tokens.write}"}
            caplog.set_level(logging.WARNING, logger="precedent")
            with _disk_full_at((path / "wal").stat().st_size):
                response = await client.post("/v1/changes", json=change, headers=headers)
            assert response.status_code == 503, response.text
            assert response.headers["content-type"].startswith("application/problem+json")
            assert response.headers["retry-after"] == str(STORE_RETRY_AFTER_SECONDS)
            detail = response.json()["detail"]
            assert "free disk space" in detail
            assert "nothing was written" in detail
            assert str(tmp_path) not in response.text
            assert "Traceback" not in response.text
            # The log keeps the detail, the file included, in one line without a traceback.
            refused = [r for r in caplog.records if "/v1/changes" in r.getMessage()]
            assert len(refused) == 1
            assert str(path / "wal") in refused[0].getMessage()
            assert refused[0].exc_info is None
            # With room again the same write succeeds, and creates the change: nothing was written.
            again = await client.post("/v1/changes", json=change, headers=headers)
            assert again.status_code == 202, again.text
            assert again.json()["created"] is True
    finally:
        await store.close()
