"""Starts a real Neo4j 5.26 Community server for tests and benchmarks, without Docker.

Order of preference: ``NEO4J_URI`` when set; testcontainers when a Docker engine answers; else the
embedded DBMS from Maven Central (``tools/neo4j-testserver``) on a free loopback port. Failing to
start raises: a test run that wanted Neo4j must never skip it silently.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tools" / "neo4j-testserver"
JVM_FLAGS = [
    "-Xms512m",
    "-Xmx1g",
    "-XX:+UseG1GC",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
    "-Dio.netty.tryReflectionSetAccessible=true",
    # Cypher compiles each new query shape to classes, and every new method signature needs an
    # adapter in the code cache's small non-method segment: over a whole test session (1,470
    # tests) it filled ("Out of space in CodeCache for adapters", 4 December). One unsegmented
    # cache lets adapters use all of it.
    "-XX:-SegmentedCodeCache",
    "-XX:ReservedCodeCacheSize=256m",
]
# For the test suite's server (``neo4j_server(for_tests=True)``): a short-lived JVM running small
# queries spends most of its CPU compiling. The client compiler alone (C1) and the serial collector
# cut the server's CPU to start from 20 s to 11 s and over tests/store/neo4j from 42 s to 22 s
# (3 December, 2 cores). Benchmarks keep the flags above: C2 matters for long, heavy runs.
TEST_JVM_FLAGS = [
    *(f for f in JVM_FLAGS if f != "-XX:+UseG1GC"),
    "-XX:+UseSerialGC",
    "-XX:TieredStopAtLevel=1",
]
START_TIMEOUT = 180.0
# Empties the database for the next test but keeps the recorded schema version, so the store's
# open() finds the schema current instead of re-running every migration statement (a round trip
# each, on every Neo4j test); it still checks the vector index on every open. The constraints and
# indexes themselves are never dropped by a wipe, only by tests that then delete the version too.
EMPTY_KEEPING_SCHEMA = "MATCH (n) WHERE NOT (n:PrecedentMeta AND n.key = 'schema_version') DETACH DELETE n"


@dataclass(frozen=True)
class Neo4jServer:
    uri: str
    user: str | None
    password: str | None
    how: str
    startup_seconds: float

    @property
    def auth(self) -> tuple[str, str] | None:
        return (self.user, self.password) if self.user and self.password else None

    async def empty(self) -> None:
        """Delete every node but the schema version (see ``EMPTY_KEEPING_SCHEMA``)."""
        from neo4j import AsyncGraphDatabase

        async with AsyncGraphDatabase.driver(self.uri, auth=self.auth) as driver:
            await driver.execute_query(EMPTY_KEEPING_SCHEMA, database_="neo4j")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _docker_answers() -> bool:
    # Ask in a child process: docker.from_env() leaks a socket when no daemon answers, and under
    # filterwarnings=error that ResourceWarning would fail whichever test happens to collect it.
    if not os.environ.get("DOCKER_HOST") and not Path("/var/run/docker.sock").exists():
        return False
    probe = "import docker, sys; c = docker.from_env(timeout=3); sys.exit(0 if c.ping() else 1)"
    try:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=15).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def build_launcher() -> None:
    """Resolve Neo4j from Maven Central and compile the launcher (a no-op when already built)."""
    if (SERVER / "target" / "classes" / "testserver" / "Neo4jTestServer.class").exists() and any(
        (SERVER / "target" / "lib").glob("neo4j-5.26*.jar")
    ):
        return
    subprocess.run(["mvn", "-q", "-B", "-f", str(SERVER / "pom.xml"), "package"], check=True)


@dataclass
class _Launch:
    """A local server's JVM, started and not yet known to be ready."""

    process: subprocess.Popen[bytes]
    home: Path
    port: int
    started: float
    started_at: float  # the same moment on the wall clock, to compare with the log's mtime

    def ready(self) -> Neo4jServer:
        """Wait until Bolt answers (the launcher prints ``NEO4J_READY``), or raise."""
        log_path = self.home / "server.log"
        while b"NEO4J_READY" not in log_path.read_bytes():
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"Neo4j exited with {self.process.returncode}:\n{log_path.read_text()[-4000:]}"
                )
            if time.monotonic() - self.started > START_TIMEOUT:
                tail = log_path.read_text()[-4000:]
                raise RuntimeError(f"Neo4j did not start in {START_TIMEOUT}s:\n{tail}")
            time.sleep(0.05)
        # When the launcher printed its line, not when someone came to ask (maybe much later).
        startup = log_path.stat().st_mtime - self.started_at
        return Neo4jServer(f"bolt://127.0.0.1:{self.port}", None, None, "maven", startup)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        shutil.rmtree(self.home, ignore_errors=True)


def _launch(flags: list[str]) -> _Launch:
    build_launcher()
    home = Path(tempfile.mkdtemp(prefix="precedent-neo4j-"))
    port = _free_port()
    started, started_at = time.monotonic(), time.time()
    with (home / "server.log").open("wb") as log:
        proc = subprocess.Popen(
            [
                "java",
                *flags,
                # Benchmarks over 100,000 incidents size the page cache to the store (see the launcher).
                *([f"-Dneo4j.pagecache={size}"] if (size := os.environ.get("NEO4J_TEST_PAGECACHE")) else []),
                "-cp",
                f"{SERVER / 'target' / 'classes'}:{SERVER / 'target' / 'lib'}/*",
                "testserver.Neo4jTestServer",
                str(home / "db"),
                str(port),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return _Launch(proc, home, port, started, started_at)


# A server launched ahead of need (``start_early``), handed to the next ``neo4j_server()``.
_EARLY: list[_Launch] = []


def start_early() -> None:
    """Launch the local server now, in the background, for a ``neo4j_server(for_tests=True)``.

    The JVM takes tens of seconds to start; the test session calls this as soon as it collects a
    test that needs Neo4j, so the start overlaps the rest of collection and the first tests
    instead of stalling the first Neo4j test. Nothing is launched when ``neo4j_server()`` would
    not start a local server (``NEO4J_URI`` set, or Docker answering).
    """
    if _EARLY or os.environ.get("NEO4J_URI") or _docker_answers():
        return
    _EARLY.append(_launch(TEST_JVM_FLAGS))


def stop_early() -> None:
    """Stop a server ``start_early`` launched that no ``neo4j_server()`` took."""
    while _EARLY:
        _EARLY.pop().stop()


@contextlib.contextmanager
def _local_server(*, for_tests: bool) -> Iterator[Neo4jServer]:
    launch = _EARLY.pop() if for_tests and _EARLY else _launch(TEST_JVM_FLAGS if for_tests else JVM_FLAGS)
    try:
        yield launch.ready()
    finally:
        launch.stop()


@contextlib.contextmanager
def _container() -> Iterator[Neo4jServer]:
    from testcontainers.neo4j import Neo4jContainer

    started = time.monotonic()
    with Neo4jContainer("neo4j:5.26-community") as container:
        yield Neo4jServer(
            container.get_connection_url(),
            container.username,
            container.password,
            "testcontainers",
            time.monotonic() - started,
        )


@contextlib.contextmanager
def neo4j_server(*, for_tests: bool = False) -> Iterator[Neo4jServer]:
    """Yield a running Neo4j server (see the module docstring for where it comes from).

    ``for_tests``: the test session's server, started with ``TEST_JVM_FLAGS`` (perhaps already
    launched by ``start_early``); benchmarks leave it unset.
    """
    uri = os.environ.get("NEO4J_URI")
    if uri:
        yield Neo4jServer(uri, os.environ.get("NEO4J_USER"), os.environ.get("NEO4J_PASSWORD"), "env", 0.0)
        return
    with _container() if _docker_answers() else _local_server(for_tests=for_tests) as server:
        yield server
