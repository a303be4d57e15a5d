"""``precedent demo``: the whole product in a minute, on the embedded store.

Generates an organisation whose history ends now (first run only), imports it, serves the API,
records a deploy a few minutes ago, then declares a fresh incident that repeats a planted
recurring failure through a signed incident.io webhook, and prints where to read its
investigation. Ctrl-C stops it; a second run reuses the map.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.cli.demo_scenario import declare_repeat, deploy_before, signed_delivery
from precedent.cli.progress import RichProgress
from precedent.errors import NotFound, PrecedentError
from precedent.ingest import Loader, import_export
from precedent.runtime import Runtime
from precedent.sources.synthetic import generate

if TYPE_CHECKING:
    import argparse
    from pathlib import Path

    from precedent.config import Settings

__all__ = ["register", "run"]

_LOADED = ".demo-loaded"
_SECRET = "demo-webhook-secret"  # noqa: S105 - a file name, not a secret


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser("demo", help="run the whole product on a generated organisation")
    parser.add_argument("--incidents", type=int, default=200, help="history size on the first run (200)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (7)")
    parser.add_argument("--host", help="interface to bind (default PRECEDENT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default PRECEDENT_PORT or 8080)")
    parser.add_argument("--no-wait", action="store_true", help="stop once the investigation is printed")
    parser.set_defaults(handler=run)


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo map if needed, serve it, declare an incident and show its investigation."""
    console = Console(stderr=True)
    started = time.perf_counter()
    # The story is printed; one log line per request would bury it.
    for name in ("precedent.api.access", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    export = settings.data_dir / "export"
    if not (settings.data_dir / _LOADED).exists():
        await _load(settings, export, args.incidents, args.seed, console)
    secret = _webhook_secret(settings.data_dir)
    token = await _demo_token(settings)
    settings = settings.model_copy(update={"incidentio_webhook_secret": SecretStr(secret)})
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    server = uvicorn.Server(uvicorn.Config(create_app(settings), host=host, port=port, log_level="warning"))
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()  # raises what stopped the server (a port in use, say)
            return 1
        await asyncio.sleep(0.1)
    base = f"http://{host}:{port}"
    console.print(f"==> serving on {base} ({time.perf_counter() - started:.0f}s since start)")
    try:
        investigation = await _declare(base, token, secret, export, console)
    except PrecedentError:
        server.should_exit = True
        await serving
        raise
    page = settings.links(host=host, port=port).investigation(investigation["id"])
    _report(console, base, token, investigation, time.perf_counter() - started, page)
    if args.no_wait:
        server.should_exit = True
    await serving
    return 0


async def _load(settings: Settings, export: Path, incidents: int, seed: int, console: Console) -> None:
    console.print(f"==> generating an organisation of {incidents} incidents whose history ends now")
    generate(export, incidents=incidents, seed=seed, end_at=datetime.now(UTC))
    async with Runtime.from_settings(settings) as runtime:
        with RichProgress(console) as progress:
            loader = Loader(runtime.store, runtime.embedder, progress=progress)
            await import_export(export, loader, progress=progress)
    (settings.data_dir / _LOADED).write_text(datetime.now(UTC).isoformat(), encoding="utf-8")


def _webhook_secret(data_dir: Path) -> str:
    """The demo's signing secret, made once and kept beside the map (as a user pastes theirs)."""
    path = data_dir / _SECRET
    if not path.exists():
        path.write_text("whsec_" + secrets.token_urlsafe(24).replace("-", "A").replace("_", "B"))
        path.chmod(0o600)
    return path.read_text().strip()


async def _demo_token(settings: Settings) -> str:
    """A fresh token for the demo (the previous run's is revoked: its secret was never kept)."""
    async with Runtime.from_settings(settings, model=False) as runtime:
        tokens = TokenRegistry(runtime.store)
        with contextlib.suppress(NotFound):
            await tokens.revoke("demo")
        issued = await tokens.create(["read", "read:private", "write"], name="demo")
    return issued.secret


async def _declare(base: str, token: str, secret: str, export: Path, console: Console) -> dict[str, Any]:
    now = datetime.now(UTC)
    incident = declare_repeat(export, now=now)
    service = incident.services[0]
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        deploy = {
            "service": service,
            "kind": "deploy",
            "started_at": deploy_before(now).isoformat(),
            "version": "v2.14.1",
            "summary": f"Rolled out {service} v2.14.1 (connection handling refactor)",
            "author": "ci@acme.example",
        }
        _check(await http.post("/v1/changes", json=deploy), "recording the deploy")
        console.print(f"==> recorded a deploy of {service} seven minutes ago")
        body, headers = signed_delivery(incident, secret, now=now)
        _check(await http.post("/v1/webhooks/incident-io", content=body, headers=headers), "the webhook")
        console.print(f"==> incident.io declared {incident.reference}: {incident.name} (signed webhook sent)")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            response = await http.get(f"/v1/incidents/{incident.id}/investigation")
            if response.status_code == 200:
                found: dict[str, Any] = response.json()
                return found
            await asyncio.sleep(0.25)
    raise PrecedentError(f"no investigation for {incident.reference} after 120 s; see the server log")


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 300:
        raise PrecedentError(f"{what} failed: {response.status_code} {response.text[:300]}")


def _report(
    console: Console, base: str, token: str, investigation: dict[str, Any], elapsed: float, page: str
) -> None:
    incident = investigation["incident"]
    reference = incident.get("reference") or incident.get("id")
    out = Console(soft_wrap=True)  # URLs and tokens stay on one line, to copy
    out.rule(f"{reference}: {incident['name']}")
    out.print(investigation["summary_markdown"], markup=False)
    out.rule()
    hypotheses = investigation.get("hypotheses") or []
    if hypotheses:
        out.print(
            f"[bold]Top hypothesis[/bold] ({hypotheses[0]['confidence']:.0%}): {hypotheses[0]['statement']}"
        )
    similar = investigation.get("similar") or []
    if similar:
        top = similar[0]
        reasons = ", ".join(top["reasons"][:3])
        out.print(f"[bold]Top precedent[/bold]: {top.get('reference')} {top['name']} ({reasons})")
    out.print(
        f"\nInvestigation built in {investigation['build_ms']:.0f} ms; "
        f"ready {elapsed:.0f}s after the demo started.\n"
        f"  Read it:   {page}   (sign in with the token below)\n"
        f"  API:       {base}/v1/incidents/{reference}/investigation\n"
        f"  OpenAPI:   {base}/schema\n"
        f"  Token:     {token}\n\n"
        "Try:\n"
        f"  curl -s -H 'Authorization: Bearer {token}' {base}/v1/incidents/{reference}/investigation\n"
        f"  curl -s -H 'Authorization: Bearer {token}' '{base}/v1/incidents/{reference}/similar?limit=5'\n\n"
        "Notebooks (beside the running service): ./scripts/notebooks\n"
        "MCP server for agents:                   PRECEDENT_DATA_DIR=.precedent/demo uv run precedent mcp\n"
        "Ctrl-C stops the demo.",
        markup=False,
        highlight=False,
    )
    console.print()
