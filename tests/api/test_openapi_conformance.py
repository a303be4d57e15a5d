"""The running app against its own OpenAPI document, with schemathesis: no 5xx, no conformance failure.

The app serves over real HTTP (uvicorn on a loopback port, in a thread with its own event loop),
so requests go through the same stack a client's do. Plumbing only: the hashing embedder stands
in for the model.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from typing import TYPE_CHECKING, Any

import pytest
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from precedent.api.app import create_app
from precedent.auth import TokenRegistry
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.ingest import Loader, import_export
from precedent.store.analyzer import analyze
from precedent.store.embedded import EmbeddedStore
from tests.ingest.org import write_export
from tests.webhooks.signing import SECRET

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from schemathesis import Case
    from schemathesis.schemas import BaseSchema


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server(threading.Thread):
    """The app over a small imported organisation, served until ``stop``."""

    def __init__(self, data_dir: Path, port: int) -> None:
        super().__init__(daemon=True)
        self.data_dir = data_dir
        self.port = port
        self.ready = threading.Event()
        self.server: uvicorn.Server | None = None
        self.error: BaseException | None = None
        self.token = ""

    def run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to the test by `start`
            self.error = exc
            self.ready.set()

    async def _serve(self) -> None:
        embedder = HashEmbedder(dimensions=384)
        store = EmbeddedStore(self.data_dir / "graph", dimensions=384)
        await store.open()
        try:
            await import_export(write_export(self.data_dir / "export"), Loader(store, embedder))
            self.token = (
                await TokenRegistry(store).create(["read:private", "write"], name="schemathesis")
            ).secret
            # With a signing secret, webhook deliveries are verified (401 for schemathesis's unsigned ones).
            settings = Settings(
                data_dir=self.data_dir,
                incidentio_webhook_secret=SECRET,  # type: ignore[arg-type]
                _env_file=None,  # type: ignore[call-arg]
            )
            app = create_app(settings, store=store, embedder=embedder)
            config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on")
            self.server = uvicorn.Server(config)
            serving = asyncio.create_task(self.server.serve())
            while not self.server.started and not serving.done():
                await asyncio.sleep(0.05)
            self.ready.set()
            await serving
        finally:
            await store.close()

    def start_serving(self) -> tuple[str, str]:
        self.start()
        if not self.ready.wait(60) or self.error is not None:
            raise RuntimeError(f"the app did not start: {self.error!r}")
        return f"http://127.0.0.1:{self.port}", self.token

    def stop(self) -> None:
        if self.server is not None:
            self.server.should_exit = True
        self.join(30)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The server's base URL and a ``read:private`` + ``write`` token for it."""
    server = _Server(tmp_path_factory.mktemp("conformance"), _free_port())
    yield server.start_serving()
    server.stop()


@pytest.fixture(scope="module")
def api_schema(served: tuple[str, str]) -> BaseSchema:
    return schemathesis.openapi.from_url(f"{served[0]}/schema/openapi.json")


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_every_route_conforms_to_its_schema(
    api_schema: BaseSchema, served: tuple[str, str], mode: GenerationMode
) -> None:
    headers = {"Authorization": f"Bearer {served[1]}"}
    free_text = _free_text_query_parameters(api_schema.raw_schema)

    # Positive cases must be accepted and answered as documented; negative ones must be refused
    # with a documented problem+json, never a 5xx.
    @given(case=api_schema.as_strategy(mode))
    # Derandomized: the same cases every run, so CI is repeatable; raise max_examples to explore.
    @settings(
        max_examples=250,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def conforms(case: Case) -> None:
        # A cursor is opaque: no schema can say which strings are ones the API issued, and a
        # forged one is a documented 400; so a request carrying one is checked for everything
        # but being accepted.
        query = case.query or {}
        excluded = [positive_data_acceptance] if "cursor" in query else []
        # Likewise a described incident's severity and type, and the incident list's status,
        # status category, severity and type filters, must be ones the map knows (a 400 names
        # them): the schema cannot list an organisation's severities or statuses.
        body = case.body if isinstance(case.body, dict) else {}
        named = ("status", "status_category", "severity", "type") if case.path == "/v1/incidents" else ()
        if (
            body.get("severity") is not None
            or body.get("type") is not None
            or any(query.get(n) for n in named)
        ):
            excluded.append(positive_data_acceptance)
        # Two times bounding a window must be in order (a documented 400 names both): the schema
        # cannot say that one field must precede another.
        if any(query.get(start) is not None and query.get(end) is not None for start, end in _WINDOWS):
            excluded.append(positive_data_acceptance)
        # A search must hold a word the index can match (not only "the a", or symbols): which
        # strings do is the analyzer's rule, which no schema pattern can state.
        if case.path == "/v1/search" and isinstance(query.get("q"), str) and not analyze(query["q"]):
            excluded.append(positive_data_acceptance)
        # A described incident must hold words, in its name or its summary (a documented 400 says
        # to give either): no schema can require one of two fields to be other than blank.
        described = case.path in ("/v1/similar", "/v1/investigations")
        words = " ".join(str(body.get(f) or "") for f in ("name", "summary"))
        if described and not words.strip():
            excluded.append(positive_data_acceptance)
        # So must a change's finish follow its start (which defaults to when it is received).
        if body.get("finished_at") is not None:
            excluded.append(positive_data_acceptance)
        # A query parameter whose value is null or an empty list is never sent (the HTTP client
        # drops it), and a number or boolean given for a free-text one arrives as text, which it
        # accepts: either way the request that arrives is not the negative case schemathesis thinks.
        text = free_text.get(case.path, frozenset())
        if any(value is None or value == [] for value in query.values()) or any(
            _as_text_anyway(value) for name, value in query.items() if name in text
        ):
            excluded.append(negative_data_rejection)
        # A case whose headers are the negative part leaves the token out on purpose: sending ours
        # would make that part valid, and the rest (say, a query value of the wrong JSON type,
        # which a query string sends as text anyway) may then be a request the API rightly takes.
        sent = {} if case.meta is not None and case.meta.is_negative_at(ParameterLocation.HEADER) else headers
        case.call_and_validate(headers=sent, excluded_checks=excluded)

    conforms()


_WINDOWS = (("after", "before"), ("declared_after", "declared_before"))


def _free_text_query_parameters(spec: dict[str, Any]) -> dict[str, frozenset[str]]:
    """Per path, the query parameters that take any text (a string, or a list of strings)."""

    def text(schema: dict[str, Any]) -> bool:
        if "oneOf" in schema:
            return any(text(option) for option in schema["oneOf"])
        if schema.get("type") == "array":
            return text(schema.get("items", {}))
        return schema.get("type") == "string" and not {"format", "enum", "pattern"} & schema.keys()

    return {
        path: frozenset(
            p["name"]
            for operation in operations.values()
            if isinstance(operation, dict)
            for p in operation.get("parameters", [])
            if p.get("in") == "query" and text(p.get("schema", {}))
        )
        for path, operations in spec.get("paths", {}).items()
    }


def _as_text_anyway(value: object) -> bool:
    """A number or boolean (or a list holding one), which a query string carries as text."""
    if isinstance(value, list):
        return any(_as_text_anyway(item) for item in value)
    return isinstance(value, (bool, int, float))
