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
import signal
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import uvicorn
from pydantic import SecretStr
from rich.console import Console
from rich.markdown import Markdown

from precedent.auth import TokenRegistry
from precedent.cli.demo_scenario import DeclaredIncident, declare_repeat, deploy_before, signed_delivery
from precedent.cli.listen import bind_listener
from precedent.cli.progress import RichProgress
from precedent.cli.serve import served_app
from precedent.cli.startup_failure import SaidStartupFailure
from precedent.errors import NotFound, PrecedentError, StoreLocked
from precedent.ingest import Loader, import_export
from precedent.responses import InvestigationResponse
from precedent.runtime import Runtime
from precedent.sources.synthetic import generate

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator
    from pathlib import Path

    from precedent.auth import Scope
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
    _quiet(settings)
    host = args.host or settings.host
    # Bound before anything slow, so a port already in use is said at once, not after the import.
    listener = bind_listener(
        host, args.port if args.port is not None else settings.port, command="./scripts/demo"
    )
    port = int(listener.getsockname()[1])
    export = settings.data_dir / "export"
    try:
        if (settings.data_dir / _LOADED).exists():
            reusing = f"==> reusing the map in {settings.data_dir} (delete that directory to start afresh)"
            console.print(reusing)
        else:
            await _load(settings, export, args.incidents, args.seed, console)
        token, admin_token = await _demo_tokens(settings)
    except StoreLocked as exc:
        listener.close()
        # The command line's advice (read-only commands) is not what a second demo wants.
        raise exc.advised(
            "That process keeps the map until it stops (Ctrl-C where it runs; a demo printed its link "
            "and token there). To run a second demo beside it, give it a map of its own: "
            f"PRECEDENT_DATA_DIR={settings.data_dir}-2 ./scripts/demo --port {port + 1}"
        ) from exc
    secret = _webhook_secret(settings.data_dir)
    # The address actually bound, so the links the worker writes into the summary point here.
    update = {"incidentio_webhook_secret": SecretStr(secret), "host": host, "port": port}
    settings = settings.model_copy(update=update)
    base = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::', '') else host}:{port}"  # noqa: S104
    console.print(f"==> loading the model and serving the map on {base}")
    config = uvicorn.Config(
        SaidStartupFailure(served_app(settings)),
        host=host,
        port=port,
        log_config=None,
        access_log=False,
    )
    server = _Server(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    loop = asyncio.get_running_loop()
    for stop in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(stop, server.stop)
    reported = False
    try:
        while not server.started:
            if serving.done():
                serving.result()  # raises what stopped the server, if anything did
                if server.interrupted:
                    console.print("==> stopped before serving (Ctrl-C)")
                    return 130
                raise PrecedentError("the service did not start; the log above says why")
            await asyncio.sleep(0.1)
        console.print(f"==> serving on {base} ({time.perf_counter() - started:.0f}s since start)")
        declared, investigation = await _declare(base, token, secret, export, console)
        # By the incident's reference: the latest investigation, the one just built.
        page = InvestigationResponse.model_validate(investigation).page(settings.links())
        elapsed = time.perf_counter() - started
        _report(
            console,
            base,
            (token, admin_token),
            declared,
            investigation,
            elapsed,
            page,
            settings,
            waiting=not args.no_wait,
        )
        reported = True
        if args.no_wait:
            server.should_exit = True
        await serving
    finally:
        # An error while declaring: stop serving before it is reported.
        if not serving.done():
            server.should_exit = True
            with contextlib.suppress(Exception):
                await serving
        for stop in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(stop)
        if server.interrupted:
            # Stopping on Ctrl-C, the process is ending: one more SIGINT (``uv run`` forwards the
            # terminal's, which sends it too) would raise KeyboardInterrupt in the exit handlers
            # (torch's), a traceback under "stopped". Not restored: nothing is left to interrupt.
            signal.signal(signal.SIGINT, signal.SIG_IGN)
        if reported and not args.no_wait:
            console.print(
                f"==> stopped. The map stays in {settings.data_dir}: "
                "./scripts/demo serves it again in seconds."
            )
    return 0


class _Server(uvicorn.Server):
    """uvicorn's server, stopped by the demo's signal handlers instead of its own.

    uvicorn re-raises a captured Ctrl-C once it has stopped, which would end the demo with a
    KeyboardInterrupt (twice over when ``uv run`` forwards the terminal's signal as well); here the
    server stops, the demo says so, and the command ends normally.
    """

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    interrupted = False

    def stop(self) -> None:
        self.interrupted = True
        # A second Ctrl-C stops at once, without waiting for open connections.
        self.force_exit = self.should_exit
        self.should_exit = True


def _quiet(settings: Settings) -> None:
    """The story is printed; log lines (requests, model loading, the worker) would bury it.

    Warnings and errors still show, and ``PRECEDENT_LOG_LEVEL`` set by the user wins.
    """
    if "log_level" not in settings.model_fields_set:
        logging.getLogger().setLevel(logging.WARNING)
    for name in ("precedent.api.access", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)


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


_DEMO_TOKENS: dict[str, list[Scope]] = {
    "demo": ["read", "read:private", "write"],
    # Webhook deliveries (and sync) need admin, and `token create` is refused while the demo
    # holds the embedded map: without it nobody could see what the demo's webhook delivered.
    "demo-admin": ["admin"],
}


async def _demo_tokens(settings: Settings) -> tuple[str, str]:
    """Fresh tokens for the demo: the one to sign in and try with, and an admin one (the previous
    run's are revoked: their secrets were never kept).

    Two, not one with admin scope: the first is pasted into the browser and given to agents (MCP),
    which need no more than read and write; the admin one is printed for the one thing that needs
    it, on the terminal of whoever started the demo, over a generated organisation.
    """
    async with Runtime.from_settings(settings, model=False) as runtime:
        tokens = TokenRegistry(runtime.store)
        issued = []
        for name, scopes in _DEMO_TOKENS.items():
            with contextlib.suppress(NotFound):
                await tokens.revoke(name)
            issued.append((await tokens.create(scopes, name=name)).secret)
    return issued[0], issued[1]


async def _declare(
    base: str, token: str, secret: str, export: Path, console: Console
) -> tuple[DeclaredIncident, dict[str, Any]]:
    now = datetime.now(UTC)
    incident = declare_repeat(export, now=now)
    service = incident.services[0]
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {token}"}) as http:
        deploy = {
            # Your id for it, so a second run moves this deploy instead of adding another.
            "id": f"demo-deploy-{incident.id}",
            "service": service,
            "kind": "deploy",
            "started_at": deploy_before(now).isoformat(),
            "version": "v2.14.1",
            "summary": f"Rolled out {service} v2.14.1 (connection handling refactor)",
            "author": "ci@acme.example",
        }
        _check(await http.post("/v1/changes", json=deploy), "recording the deploy")
        console.print(f"==> CI recorded a deploy of {service} v2.14.1, seven minutes ago")
        body, headers = signed_delivery(incident, secret, now=now)
        _check(await http.post("/v1/webhooks/incident-io", content=body, headers=headers), "the webhook")
        for line in _declared(incident):
            console.print(line)
        # Wait for the investigation the webhook worker builds; asking for the incident's investigation
        # would build one on request, and the demo would show that instead.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            built = await _built_since(http, incident.id, now)
            if built is not None:
                response = await http.get(f"/v1/investigations/{built}")
                _check(response, "reading the investigation")
                found: dict[str, Any] = response.json()
                return incident, found
            await asyncio.sleep(0.25)
    raise PrecedentError(
        f"no investigation for {incident.reference} after 120 s; the log above says why "
        "(run again with PRECEDENT_LOG_LEVEL=INFO for the worker's lines)"
    )


async def _built_since(http: httpx.AsyncClient, incident_id: str, since: datetime) -> str | None:
    """The id of an investigation of ``incident_id`` built at or after ``since``, if there is one yet."""
    response = await http.get("/v1/investigations", params={"limit": 20})
    _check(response, "listing investigations")
    for item in response.json()["items"]:
        if item["incident_id"] == incident_id and datetime.fromisoformat(item["built_at"]) >= since:
            return str(item["id"])
    return None


def _check(response: httpx.Response, what: str) -> None:
    if response.status_code >= 300:
        raise PrecedentError(f"{what} failed: {response.status_code} {response.text[:300]}")


def _report(
    console: Console,
    base: str,
    tokens: tuple[str, str],
    declared: DeclaredIncident,
    investigation: dict[str, Any],
    elapsed: float,
    page: str,
    settings: Settings,
    *,
    waiting: bool,
) -> None:
    incident = investigation["incident"]
    reference = incident.get("reference") or incident.get("id")
    out = Console(soft_wrap=True)  # URLs and tokens stay on one line, to copy
    out.rule(f"{reference}: {incident['name']}")
    # Rendered, not the raw Markdown Slack's message is made from (its ** and the line break's
    # trailing backslash read as clutter); links keep their address, to open from a terminal.
    # Wrapped to the terminal: ``out``'s soft wrap would crop each list item at its width.
    Console(file=out.file).print(Markdown(investigation["summary_markdown"], hyperlinks=False))
    out.rule()
    for line in _explained(declared, investigation):
        out.print(line, markup=False, highlight=False)
    token, admin_token = tokens
    auth = f"-H 'Authorization: Bearer {token}'"
    out.print(
        f"\nInvestigation built by the webhook worker in {investigation['build_ms']:.0f} ms; "
        f"ready {elapsed:.0f}s after the demo started.\n"
        f"  Read it:   {page}   (sign in with the token below)\n"
        f"  API:       {base}/v1/incidents/{reference}/investigation\n"
        f"  OpenAPI:   {base}/schema\n"
        f"  Token:     {token}\n"
        f"  Admin token (webhook deliveries, sync; not for the browser or agents):\n"
        f"             {admin_token}\n\n"
        "Try:\n"
        f"  curl -s {auth} {base}/v1/incidents/{reference}/investigation\n"
        f"  curl -s {auth} '{base}/v1/incidents/{reference}/similar?limit=5'\n"
        f"  curl -s -H 'Authorization: Bearer {admin_token}' {base}/v1/webhooks/deliveries"
        "   # what the webhook delivered (admin token)\n\n"
        + (_beside(base, settings) if waiting else _stopped(settings)),
        markup=False,
        highlight=False,
    )
    console.print()


def _beside(base: str, settings: Settings) -> str:
    return (
        "In another terminal, beside the running demo:\n"
        "  Notebooks:  ./scripts/notebooks\n"
        f"  MCP:        {base}/mcp with the token above (HTTP), or over stdio:\n"
        f"              PRECEDENT_DATA_DIR={settings.data_dir} uv run precedent mcp   (README: Agents)\n"
        f"  Webhooks:   declare your own: POST {base}/v1/webhooks/incident-io, signed with the secret in\n"
        f"              {settings.data_dir / _SECRET}   (docs/incident-io.md: Try it on the demo)\n"
        "Ctrl-C stops the demo."
    )


def _stopped(settings: Settings) -> str:
    # With --no-wait the server is gone once this is read: say so, or the links above look broken.
    return (
        "The demo stops here (--no-wait): the links above answer only while it runs. "
        f"The map stays in {settings.data_dir}; ./scripts/demo serves it again in seconds, "
        "with a new token."
    )


def _declared(incident: DeclaredIncident) -> list[str]:
    """The declaration as short lines, one phrase each.

    As one long line, rich wrapped it at the terminal's width wherever that fell: "(signed
    webhook" on one line and "sent)" on the next.
    """
    return [
        f"==> incident.io declared {incident.reference}: {incident.name}",
        f"    by a signed webhook; it repeats {incident.repeats},",
        "    a recurring failure planted in the history",
    ]


def _explained(declared: DeclaredIncident, investigation: dict[str, Any]) -> list[str]:
    """The top hypothesis and the top precedent, each with what it rests on."""
    lines: list[str] = []
    hypotheses = investigation.get("hypotheses") or []
    if hypotheses:
        top = hypotheses[0]
        lines.append(f"Top hypothesis ({top['confidence']:.0%}, {top['kind']}): {top['statement']}")
        lines.extend(f"  evidence: {e['name']} ({e['why']})" for e in top["evidence"])
    similar = investigation.get("similar") or []
    if similar:
        top = similar[0]
        label = top.get("reference") or top["incident_id"]
        repeated = " (the planted failure the demo repeated)" if label == declared.repeats else ""
        # A ranking score (a weighted sum of signals), written as the CLI and MCP write it: a "65%
        # similar" read as a share of likeness, and beside "67%" confidence as comparable with it.
        lines.append(f"Top precedent (score {top['score']:.3f}): {label} {top['name']}{repeated}")
        lines.append(f"  why similar: {'; '.join(top['reasons'])}")
        if top.get("path"):
            lines.append(f"  linked by: {top['path']}")
    return lines
