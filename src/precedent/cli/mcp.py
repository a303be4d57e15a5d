"""``precedent mcp``: serve the knowledge map to an MCP client (an editor, a local agent) over stdio."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from precedent.errors import PrecedentError
from precedent.mcp import build_server
from precedent.model import PUBLIC_VIEWER, Viewer
from precedent.runtime import Runtime

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["reader_runtime", "register", "run"]

log = logging.getLogger("precedent.cli.mcp")


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``mcp`` sub-command."""
    parser = subparsers.add_parser(
        "mcp",
        help="serve the map to an MCP client over stdio",
        description="Serve Precedent's read-only tools and resources over stdio (the client starts "
        "this command). Only public incidents are shown unless --include-private is given.",
    )
    parser.add_argument(
        "--include-private",
        action="store_true",
        help="also show private incidents and their parts (only to clients everyone using them may see)",
    )
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve over stdin/stdout until the client closes them."""
    viewer = Viewer(include_private=True, name="mcp-stdio") if args.include_private else PUBLIC_VIEWER
    async with reader_runtime(settings) as runtime:
        # The client's handshake is answered at once, and lookups with it; the model loads
        # meanwhile, and a question by meaning (similar incidents, search) waits for it.
        warming = asyncio.create_task(_warm_up(runtime))
        try:
            await build_server(lambda: runtime, viewer=viewer).run_stdio_async()
        finally:
            warming.cancel()
    return 0


def reader_runtime(settings: Settings) -> Runtime:
    """The server's runtime: read-only, as the embedded map may be open for writing by ``serve`` or
    ``sync`` meanwhile; and, as an editor may start it beside a Neo4j still starting, it waits for
    Neo4j up to ``PRECEDENT_NEO4J_START_WAIT_SECONDS``, as ``serve`` does."""
    return Runtime.from_settings(settings, read_only=True, waits_for_store=True)


async def _warm_up(runtime: Runtime) -> None:
    try:
        await runtime.warm_up()
    except PrecedentError as exc:  # the tools that need the model say so when they are called
        log.warning("the embedding model did not load: %s", exc)
