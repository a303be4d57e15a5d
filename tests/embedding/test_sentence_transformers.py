from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import numpy as np
import pytest

from precedent.embedding import Embedder, SentenceTransformerEmbedder
from precedent.errors import EmbeddingError

if TYPE_CHECKING:
    from pathlib import Path

pytestmark = pytest.mark.model


async def test_default_model_loads_offline_and_gives_unit_vectors(real_embedder: Embedder) -> None:
    vectors = await real_embedder.embed(["database connection pool exhausted", "checkout returns 502"])

    assert vectors.dtype == np.float32
    assert vectors.shape == (2, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, rtol=1e-5)


async def test_related_texts_are_closer_than_unrelated(real_embedder: Embedder) -> None:
    a, b, c = await real_embedder.embed(
        [
            "Postgres connection pool exhausted on ledger-db",
            "ledger database ran out of connections",
            "CDN certificate expired for the marketing site",
        ]
    )
    assert float(a @ b) > float(a @ c) + 0.2


async def test_a_missing_model_fails_with_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-model"
    embedder = SentenceTransformerEmbedder(str(missing))

    with pytest.raises(EmbeddingError, match="no-such-model") as info:
        await embedder.embed(["anything"])

    assert "PRECEDENT_EMBEDDING_MODEL" in str(info.value)


_SPAWNED_WORKER = """
import asyncio, multiprocessing, os

def worker():
    from precedent.embedding import SentenceTransformerEmbedder

    async def embed():
        embedder = SentenceTransformerEmbedder()
        await embedder.embed(["checkout returns 502"])

    asyncio.run(embed())
    os._exit(0)  # as a stopped serve worker ends: no interpreter clean-up

if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=worker)
    child.start()
    child.join()
    print("exit", child.exitcode)
"""


@pytest.mark.slow
def test_a_spawned_worker_that_embedded_leaves_no_leaked_semaphore(tmp_path: Path) -> None:
    # serve --workers N spawns its workers; each shutdown used to end with the resource tracker's
    # "leaked semaphore objects" warning, from tqdm's default lock in the model's batch loop.
    script = tmp_path / "spawned_worker.py"
    script.write_text(_SPAWNED_WORKER)
    done = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=False,
    )
    assert "exit 0" in done.stdout, done.stderr
    assert "leaked semaphore" not in done.stderr
