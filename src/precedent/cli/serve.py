"""``precedent serve``: run the HTTP API."""

from __future__ import annotations

from typing import TYPE_CHECKING

import uvicorn

from precedent.api.app import create_app

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["register", "run"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``serve`` sub-command."""
    parser = subparsers.add_parser("serve", help="run the HTTP API")
    parser.add_argument("--host", help="interface to bind (default PRECEDENT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default PRECEDENT_PORT or 8080)")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Serve until interrupted."""
    config = uvicorn.Config(
        create_app(settings),
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        log_level=settings.log_level.lower(),
        # Logging is configured once by the CLI (text or JSON); the app logs each request itself.
        log_config=None,
        access_log=False,
    )
    await uvicorn.Server(config).serve()
    return 0
