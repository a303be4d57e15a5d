"""Render time of each web page on the demo's map, through the whole app (middleware, reads, templates).

Usage::

    HF_HUB_OFFLINE=1 uv run python benchmarks/web_pages.py [--incidents 200] [--seed 7]
        [--requests 30] [--hash-embedder] [--dir /tmp/precedent-web-bench]

Generates the demo's organisation (``precedent demo``: 200 incidents, seed 7, history ending now),
imports it with the real model (``--hash-embedder`` for a quick plumbing run), stores an
investigation of the newest incident, then signs in through the form and requests each page
``--requests`` times after two warm-up requests, over an in-process ASGI client (no network), as a
``read:private`` token. The model sits behind the runtime's content-hash cache, as in ``serve``.
Prints p50 / p95 / max per page in milliseconds; the target is well under
200 ms per page. The stored investigation page is only read; ``/ui/incidents/{ref}/investigation``
reads the stored one too (it builds only when there is none).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import httpx

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import CachedEmbedder, Embedder, HashEmbedder, SentenceTransformerEmbedder
from precedent.ingest import Loader, import_export
from precedent.investigation import Collaborators, build_investigation, save
from precedent.model import OWNER_VIEWER
from precedent.retrieval import Catalog, IncidentQuery, SimilarIncidentFinder
from precedent.sources.synthetic import generate
from precedent.store.embedded import EmbeddedStore


async def _embedder(hashing: bool, root: Path) -> Embedder:
    if hashing:
        return HashEmbedder(dimensions=384)
    model = SentenceTransformerEmbedder()
    await model.load()
    # As `precedent serve` runs it: text embedded once (at import, or by an earlier query) is reused.
    return CachedEmbedder(model, root / "embedding-cache.sqlite")


async def _prepare(
    root: Path, args: argparse.Namespace, embedder: Embedder
) -> tuple[EmbeddedStore, dict[str, str]]:
    generate(root / "export", incidents=args.incidents, seed=args.seed, end_at=datetime.now(UTC))
    store = EmbeddedStore(root / "graph", dimensions=embedder.dimensions)
    await store.open()
    await import_export(root / "export", Loader(store, embedder))
    incidents = [n async for n in store.scan_nodes(["Incident"])]
    newest = max(incidents, key=lambda n: (n.occurred_at, n.id))
    catalog = Catalog(store)
    collaborators = Collaborators(store, SimilarIncidentFinder(store, embedder, catalog=catalog), catalog)
    investigation = await build_investigation(IncidentQuery(newest.id), collaborators, OWNER_VIEWER)
    await save(store, investigation, trigger="request")
    token = await TokenRegistry(store).create(["read:private"], name="bench")
    service = next(n for _, n in await store.neighbours(newest.id) if n.label == "Service")
    # The page a responder opens from the investigation's owners.
    team = next(
        n for e, n in await store.neighbours(service.id) if e.type == "OWNED_BY" and n.label == "Team"
    )
    ref = str(newest.properties["reference"])
    return store, {
        "token": token.secret,
        "home": "/ui/",
        "investigation": f"/ui/investigations/{quote(investigation.id, safe='')}",
        "incident investigation": f"/ui/incidents/{ref}/investigation",
        "incident": f"/ui/incidents/{ref}",
        "service": f"/ui/services/{quote(str(service.properties['name']))}",
        "team": f"/ui/teams/{quote(str(team.properties['name']), safe='')}",
        "search": f"/ui/search?q={quote(str(newest.properties['name']))}",
    }


async def _measure(args: argparse.Namespace) -> None:
    root = Path(args.dir or tempfile.mkdtemp(prefix="precedent-web-bench-"))
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    embedder = await _embedder(args.hash_embedder, root)
    store, paths = await _prepare(root, args, embedder)
    token = paths.pop("token")
    app = create_app(Settings(data_dir=root, _env_file=None), store=store, embedder=embedder)  # type: ignore[call-arg]
    try:
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://bench") as client,
        ):
            await client.get("/ui/sign-in")
            signed = await client.post(
                "/ui/sign-in", data={"token": token, "csrf": client.cookies["precedent_csrf"]}
            )
            assert signed.status_code == 303, signed.text
            print(f"{args.incidents} incidents, seed {args.seed}, {args.requests} requests per page")
            print(f"{'page':24} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
            for name, path in paths.items():
                times = []
                for i in range(args.requests + 2):
                    started = time.perf_counter()
                    response = await client.get(path)
                    elapsed = (time.perf_counter() - started) * 1000
                    assert response.status_code == 200, (path, response.status_code)
                    if i >= 2:
                        times.append(elapsed)
                times.sort()
                p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
                print(f"{name:24} {statistics.median(times):8.1f} {p95:8.1f} {times[-1]:8.1f}")
    finally:
        await store.close()
        if not args.dir:
            shutil.rmtree(root, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--incidents", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--hash-embedder", action="store_true", help="a quick plumbing run without the model")
    parser.add_argument("--dir", help="where to build the map (default: a temporary directory)")
    asyncio.run(_measure(parser.parse_args()))


if __name__ == "__main__":
    main()
