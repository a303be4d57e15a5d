"""Every notebook runs top to bottom on a generated organisation, as a user would run it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import nbformat
import pytest
from nbclient import NotebookClient

from precedent.cli.main import main

if TYPE_CHECKING:
    from collections.abc import Iterator

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notebook-demo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRECEDENT_DATA_DIR", str(root / "data"))
        assert main(["generate", "--incidents", "150", "--seed", "3", str(root / "export")]) == 0
        assert main(["import", str(root / "export")]) == 0
    return root / "data"


@pytest.fixture(scope="module")
def serving(demo_data_dir: Path) -> Iterator[str]:
    """`precedent serve` on the same map, holding it as the writer while the notebooks read it."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "PRECEDENT_DATA_DIR": str(demo_data_dir), "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert process.poll() is None, "precedent serve exited early"
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("precedent serve did not come up")
        yield url
    finally:
        process.terminate()
        process.wait(30)


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(
    path: Path, demo_data_dir: Path, serving: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PRECEDENT_DATA_DIR", str(demo_data_dir))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()

    outputs = "".join(
        out.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for out in cell.get("outputs", [])
    )
    assert "nodes" in outputs
    assert "score" in outputs
