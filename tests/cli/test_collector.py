"""A serving process freezes the garbage collector's view of what start-up made, once started."""

from __future__ import annotations

import contextlib
import gc
from typing import TYPE_CHECKING

from litestar import Litestar
from litestar.testing import AsyncTestClient

from precedent.cli.collector import freeze_after_start
from precedent.cli.serve import served_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

    from precedent.store import GraphStore


async def test_what_the_lifespan_made_is_frozen_once_the_app_has_started() -> None:
    # The interpreter's last collection walked the model's and the map's objects at every exit
    # (about 5 s after "Finished server process"); frozen ones it skips.
    before = gc.get_freeze_count()  # 0: tests/cli/conftest.py unfreezes after each test
    made: list[list[int]] = []
    frozen_while_starting: list[int] = []

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        made.extend([i] for i in range(10_000))  # what a runtime loads: many small tracked objects
        frozen_while_starting.append(gc.get_freeze_count())
        yield

    app = freeze_after_start(Litestar(lifespan=[lifespan]))
    async with AsyncTestClient(app):
        assert frozen_while_starting == [before]  # frozen after the lifespan entered, not before
        assert gc.get_freeze_count() >= before + len(made)


async def test_the_app_serve_and_demo_run_freezes_once_started(
    tmp_path: Path, embedded_store: GraphStore
) -> None:
    app = served_app(Settings(data_dir=tmp_path), store=embedded_store, embedder=HashEmbedder(dimensions=384))
    async with AsyncTestClient(app) as client:
        assert (await client.get("/ready")).status_code == 200
        assert gc.get_freeze_count() > 0  # the store, the embedder and all start-up made
