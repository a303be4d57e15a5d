"""``precedent worker``: work through the webhook inbox without serving HTTP.

For deployments that run the API and the workers apart. On Neo4j any number of workers (and
``precedent serve`` processes) share the inbox through leases. The embedded store is one process
at a time, so there the worker normally runs inside ``precedent serve``; ``--once`` drains the
inbox and exits (for example after the API was stopped). It starts as ``serve`` does
(``RuntimeOptions.service``): what would stop it is said before the model loads, and a Neo4j
started beside it (compose, systemd) is waited for up to ``PRECEDENT_NEO4J_START_WAIT_SECONDS``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from precedent.runtime import Runtime, RuntimeOptions

if TYPE_CHECKING:
    import argparse

    from precedent.config import Settings

__all__ = ["WORKER_OPTIONS", "register", "run"]

log = logging.getLogger("precedent.cli")

WORKER_OPTIONS = RuntimeOptions(webhooks=True, webhook_worker=False, webhook_receiver=False, service=True)
"""What ``precedent worker`` opens: the inbox and the model, driven here; no webhook receiver; a
service's start (checked first, Neo4j waited for)."""


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``worker`` sub-command."""
    parser = subparsers.add_parser(
        "worker",
        help="process incident.io webhook deliveries from the inbox apart from serve (which runs its own)",
    )
    parser.add_argument("--once", action="store_true", help="process what is waiting, then exit")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Process deliveries until interrupted (or, with ``--once``, until none is waiting)."""
    options = WORKER_OPTIONS
    async with Runtime(settings=settings, options=options) as runtime:
        worker = runtime.webhooks.worker
        if args.once:
            log.info("processed %d webhook deliveries", await worker.drain())
        else:
            await worker.run()
    return 0
