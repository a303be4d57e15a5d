"""A serving process keeps what it made at start-up (the model, the map) out of the garbage collector.

The interpreter's last collection, at exit, walked every object of the loaded model and map: about
5 s after uvicorn's "Finished server process" (seen in gdb), each time ``serve`` or ``demo`` was
stopped, and every full collection while serving walked them too. ``gc.freeze()`` once the app has
started moves them to the permanent generation, which no collection visits; everything is still
closed and flushed by the shutdown before it, and freed as the process ends.
"""

from __future__ import annotations

import gc
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from litestar import Litestar

__all__ = ["freeze_after_start"]

log = logging.getLogger("precedent.cli")


def freeze_after_start(app: Litestar) -> Litestar:
    """Return ``app``, made to freeze the collector's view of the heap once it has started.

    Litestar runs ``on_startup`` hooks after the lifespan (the runtime: model and map) is entered.
    """
    app.on_startup.append(_freeze)
    return app


def _freeze() -> None:
    gc.freeze()
    log.debug("%d objects made at start-up are left out of garbage collection", gc.get_freeze_count())
