"""The notebook API: ``m = await precedent.connect()`` opens the map for exploring in Jupyter.

An entry point like the CLI: ``connect`` reads the same settings (``PRECEDENT_*`` and ``.env``;
the embedded map by default, Neo4j when ``PRECEDENT_STORE=neo4j``), opens the embedded map
read-only so it works beside a running ``precedent serve``, and answers as the map's owner
(private incidents included) unless asked not to. ``map.Map`` holds the methods; whole-map
tables come back as pandas DataFrames (``tables``), the rest as the API's response models, and
``drawing`` draws a neighbourhood. pandas, matplotlib and plotly come with the ``notebooks``
extra: ``uv run --extra notebooks jupyter lab notebooks/``.
"""

from __future__ import annotations

from precedent.config import Settings, refuse_unusable_metrics_dir

# Before ``precedent.metrics`` is imported (by the runtime), which prometheus-client backs with
# files in PROMETHEUS_MULTIPROC_DIR: the notebook stops on what to set, not on its traceback.
refuse_unusable_metrics_dir()

from precedent.model import OWNER_VIEWER, PUBLIC_VIEWER  # noqa: E402
from precedent.notebook.map import Map  # noqa: E402
from precedent.runtime import Runtime  # noqa: E402

__all__ = ["Map", "connect"]


async def connect(
    settings: Settings | None = None, *, include_private: bool = True, read_only: bool = True
) -> Map:
    """Open the map described by ``settings`` (read from the environment when omitted).

    Args:
        settings: Where the map is; ``Settings()`` reads ``PRECEDENT_*`` and ``.env``, as the CLI.
        include_private: Answer as the map's owner (``True``) or as a viewer of public incidents.
        read_only: Open the embedded map as a reader beside its writer (``precedent serve``);
            investigations are then built without being stored.

    Returns:
        An open ``Map``; close it with ``await m.close()``, or use ``async with await connect()``.

    Raises:
        PrecedentError: if the map or the model cannot be opened (nothing is left open).
    """
    # A notebook started beside a Neo4j still starting (compose) waits for it, as `serve` does.
    runtime = Runtime.from_settings(settings or Settings(), read_only=read_only, waits_for_store=True)
    await runtime.open()
    return Map(runtime, OWNER_VIEWER if include_private else PUBLIC_VIEWER, read_only=read_only)
