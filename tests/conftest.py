"""Shared fixtures: a clean environment, the real Neo4j server, both stores, the real model."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.neo4j_server import Neo4jServer, neo4j_server, start_early, stop_early
from tests.support.refused_port import refused_port as _refused_port

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator

    from precedent.embedding import Embedder
    from precedent.store import GraphStore

# A failing test is reported, never a crash of the run: see the module's docstring.
pytest_plugins = ["tests.support.failure_reports", "tests.support.leftover_tasks"]

SHARED = Path(__file__).resolve().parents[1].parent / "shared"

# What the run exercised, printed at the end so CI output shows both stores really ran.
_OUTCOMES: Counter[tuple[str, str]] = Counter()
_NEO4J_SERVERS: list[Neo4jServer] = []
# Under pytest-xdist each worker starts its own server; the controller prints what they reported.
_WORKER_SERVERS: list[str] = []
# Fixtures and parameters through which a test reaches the session's Neo4j server.
_NEO4J_WAYS = {"neo4j", "neo4j_store", "neo4j_backend"}


def _needs_neo4j(item: pytest.Item) -> bool:
    if item.get_closest_marker("neo4j") is not None or _NEO4J_WAYS & set(getattr(item, "fixturenames", ())):
        return True
    callspec = getattr(item, "callspec", None)
    return callspec is not None and bool(
        _NEO4J_WAYS & {v for v in callspec.params.values() if isinstance(v, str)}
    )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--web-store",
        choices=("embedded", "neo4j"),
        default="embedded",
        help="the store under the web pages' handler and browser tests (see tests/web/conftest.py)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # Under pytest-xdist (./scripts/test: -n 2 --dist loadfile --no-loadscope-reorder) workers take
    # whole files in collection order; files with slow tests go first, so each worker ends on quick
    # files instead of one finishing the demo or the notebooks while the other sits idle.
    if not hasattr(config, "workerinput"):
        return
    slow = {item.path for item in items if item.get_closest_marker("slow") is not None}
    items.sort(key=lambda item: item.path not in slow)  # stable: each file's order is kept


def pytest_itemcollected(item: pytest.Item) -> None:
    # The JVM takes tens of seconds to start: launch it at the first test that will want it, so
    # the start overlaps the rest of collection and the tests before the first Neo4j one.
    if _needs_neo4j(item):
        start_early()


def pytest_unconfigure(config: pytest.Config) -> None:
    stop_early()  # launched, but no test took it (deselected, or the run stopped early)


def _server_line(server: Neo4jServer) -> str:
    return f"neo4j server: {server.how} at {server.uri}, ready in {server.startup_seconds:.1f}s"


def pytest_sessionfinish(session: pytest.Session) -> None:
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        worker = getattr(session.config, "workerinput", {}).get("workerid", "worker")
        workeroutput["neo4j_servers"] = [f"{worker}: {_server_line(s)}" for s in _NEO4J_SERVERS]


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    _WORKER_SERVERS.extend(getattr(node, "workeroutput", {}).get("neo4j_servers", []))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and not (report.when == "setup" and not report.passed):
        return
    keywords = report.keywords
    groups: list[str] = []
    if "contract" in keywords:
        # The store id may share the brackets with other parameters: look in the node id.
        groups += [f"contract[{b}]" for b in ("embedded_store", "neo4j_store") if b in report.nodeid]
    if "neo4j" in keywords:
        groups.append("neo4j")
    for group in groups:
        _OUTCOMES[group, report.outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _OUTCOMES:
        return
    terminalreporter.write_sep("-", "stores exercised")
    for line in [*map(_server_line, _NEO4J_SERVERS), *_WORKER_SERVERS]:
        terminalreporter.write_line(line)
    for group in ("contract[embedded_store]", "contract[neo4j_store]", "neo4j"):
        counts = ", ".join(f"{_OUTCOMES[group, o]} {o}" for o in ("passed", "failed", "skipped"))
        terminalreporter.write_line(f"{group:26} {counts}")


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test sees the developer's PRECEDENT_* settings."""
    for key in list(os.environ):
        if key.startswith("PRECEDENT_"):
            monkeypatch.delenv(key)


@pytest.fixture
def refused_port() -> Iterator[int]:
    """A loopback port that refuses connections, held for the test (``tests/support/refused_port.py``)."""
    with _refused_port() as port:
        yield port


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The ``shared/`` folder beside the checkout (spec, examples, eval corpora)."""
    assert SHARED.is_dir(), f"expected shared/ beside the checkout at {SHARED}"
    return SHARED


@pytest.fixture(scope="session")
def neo4j(request: pytest.FixtureRequest) -> Iterator[Neo4jServer]:
    """A real Neo4j 5.26 server for the whole session (each pytest-xdist worker starts its own)."""
    if os.environ.get("NEO4J_URI") and hasattr(request.config, "workerinput"):
        # Every Neo4j test empties the database: workers sharing one would empty it under each other.
        raise pytest.UsageError("NEO4J_URI names one server for every worker: run with -n 0")
    with neo4j_server(for_tests=True) as server:
        _NEO4J_SERVERS.append(server)
        yield server


@pytest.fixture(scope="session")
async def real_embedder() -> AsyncIterator[Embedder]:
    """The real all-MiniLM-L6-v2 model, loaded once per session."""
    from precedent.embedding import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    await embedder.load()
    yield embedder


@pytest.fixture
async def embedded_store(tmp_path: Path) -> AsyncIterator[GraphStore]:
    """A fresh embedded store in a temporary directory (384-dimensional vectors)."""
    from precedent.store.embedded import EmbeddedStore

    store = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await store.open()
    yield store
    await store.close()


@pytest.fixture
async def neo4j_store(neo4j: Neo4jServer) -> AsyncIterator[GraphStore]:
    """A Neo4jStore on the session's server, emptied before the test (384-dimensional vectors)."""
    from precedent.store.neo4j import Neo4jStore

    await neo4j.empty()
    store = Neo4jStore(neo4j.uri, auth=neo4j.auth, database="neo4j", dimensions=384)
    await store.open()
    yield store
    await store.close()


@pytest.fixture(params=["embedded_store", "neo4j_store"])
def store(request: pytest.FixtureRequest) -> GraphStore:
    """Each test using this runs once per store backend."""
    marker = "neo4j" if request.param == "neo4j_store" else None
    if marker:
        request.applymarker(pytest.mark.neo4j)
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]
