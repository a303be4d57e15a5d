"""The browser tests' server and browser: uvicorn serving the app in a thread, Debian's Chromium.

The server runs the real app (``create_app``) over a copy of the generated organisation's map on
its own event loop, as ``precedent serve`` does, with the hashing embedder. The browser is the
Chromium Debian packages (``scripts/bootstrap`` installs ``chromium chromium-driver``), driven
through its own chromedriver: naming the driver and the binary keeps Selenium Manager from
running, so nothing downloads a browser.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import uvicorn
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from precedent.api.app import create_app
from precedent.config import Settings
from precedent.embedding import HashEmbedder
from precedent.store.embedded import EmbeddedStore
from precedent.store.neo4j import Neo4jStore

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

    from precedent.store import GraphStore
    from tests.support.neo4j_server import Neo4jServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".artifacts" / "screenshots"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerThread:
    """``precedent serve`` in a thread: the app on uvicorn, its map opened on the thread's loop."""

    def __init__(self, data_dir: Path, neo4j: Neo4jServer | None = None) -> None:
        self.data_dir = data_dir
        self.neo4j = neo4j  # the map is on this server, not in data_dir (``--web-store=neo4j``)
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self._server: uvicorn.Server | None = None
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="precedent-serve", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start()
            self._failed = exc

    async def _serve(self) -> None:
        store: GraphStore = EmbeddedStore(self.data_dir / "graph", dimensions=384)
        if self.neo4j is not None:
            store = Neo4jStore(self.neo4j.uri, auth=self.neo4j.auth, database="neo4j", dimensions=384)
        await store.open()
        try:
            settings = Settings(data_dir=self.data_dir, public_url=self.base, _env_file=None)  # type: ignore[call-arg]
            app = create_app(settings, store=store, embedder=HashEmbedder(dimensions=384))
            config = uvicorn.Config(
                app, host="127.0.0.1", port=self.port, log_config=None, access_log=False, lifespan="on"
            )
            self._server = uvicorn.Server(config)
            await self._server.serve()
        finally:
            await store.close()

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + 60
        while not (self._server is not None and self._server.started):
            if self._failed is not None or not self._thread.is_alive():
                raise RuntimeError("the server did not start") from self._failed
            if time.monotonic() > deadline:
                raise TimeoutError("the server did not start within 60 s")
            time.sleep(0.05)

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join(timeout=30)


def chromium() -> WebDriver:
    """Headless Debian Chromium, its console log kept for the tests to read."""
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # CI runs as root
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1280,1000",
        "--no-first-run",
        "--disable-extensions",
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)


def screenshot(browser: WebDriver, name: str) -> None:
    """Save the whole page (not only the window) as ``.artifacts/screenshots/<name>.png``."""
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]  # type: ignore[attr-defined]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 12000), "scale": 1}
    shot = browser.execute_cdp_cmd(  # type: ignore[attr-defined]
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    (SCREENSHOTS / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))
