"""The model loads on a thread that never holds the process open once its work is done."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from precedent.embedding import SentenceTransformerEmbedder
from precedent.errors import EmbeddingError


class _LoadsUntilReleased(SentenceTransformerEmbedder):
    """A model whose load lasts until the test releases it (a small machine's half a minute)."""

    def __init__(self, release: threading.Event, result: BaseException | None = None) -> None:
        super().__init__()
        self.started = threading.Event()
        self._release = release
        self._result = result

    def _load_sync(self) -> Any:  # a string stands for the model
        self.started.set()
        self._release.wait()
        if self._result is not None:
            raise self._result
        return "the model"


def test_a_process_ending_while_the_model_loads_does_not_wait_for_the_load() -> None:
    # `precedent mcp` loads the model in the background; a client that closed stdin at once
    # (having listed the tools) waited for the whole load: asyncio.run joined the executor's thread.
    release = threading.Event()
    embedder = _LoadsUntilReleased(release)

    async def serve_then_end() -> None:
        asyncio.get_running_loop().create_task(embedder.load())
        while not embedder.started.is_set():
            await asyncio.sleep(0.01)

    ended = threading.Thread(target=asyncio.run, args=(serve_then_end(),))
    try:
        ended.start()
        ended.join(timeout=60)
        assert not ended.is_alive(), "asyncio.run waited for the model's load to finish"
    finally:
        release.set()
        ended.join()


async def test_a_load_gives_the_model_and_a_failed_one_its_error() -> None:
    released = threading.Event()
    released.set()
    loaded = _LoadsUntilReleased(released)
    await loaded.load()
    assert loaded._model == "the model"
    failing = _LoadsUntilReleased(released, EmbeddingError("no weights at /nowhere"))
    with pytest.raises(EmbeddingError, match="no weights at /nowhere"):
        await failing.load()
