"""Every notebook runs top to bottom on a small generated organisation, beside ``precedent serve``,
and finds what the organisation holds.

The run is built to take well under two minutes on a quiet 2-core machine:

* one kernel runs the four notebooks in turn (``%reset -f`` between them), so the model library
  (sentence-transformers and torch, most of a cold start) is imported once, while the organisation
  is generated and imported in this process;
* the organisation is small (60 incidents) and built once for the module;
* its embeddings come from the map's content-hash cache, kept in pytest's cache directory between
  sessions: the real model made every vector; only embedding the same text again is skipped.

Each notebook ends with a JSON summary of what it computed; the tests check it against the map
and against what the generator planted (``causes.jsonl``, ``judgments.jsonl``). None writes to
stderr: no warning (tqdm's "IProgress not found") and no progress bar lands in a reader's output.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import nbformat
import pytest
from jupyter_client import KernelManager
from nbclient import NotebookClient
from nbformat.v4 import new_code_cell

from precedent.cli.main import main
from precedent.config import Settings
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from collections.abc import Iterator

    from jupyter_client.blocking.client import BlockingKernelClient

NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(NOTEBOOK_DIR.glob("*.ipynb"))
INCIDENTS, SEED = 60, 3
CACHE_FILE = "embedding-cache.sqlite"
# What every notebook imports: paid once, in the kernel, while the organisation is imported here.
WARM_UP = "import matplotlib.pyplot, networkx, pandas, plotly.graph_objects, sentence_transformers\n" + (
    "import precedent.notebook"
)


@dataclass
class Bench:
    """The organisation, the kernel that runs the notebooks and the service beside them."""

    export: Path
    data_dir: Path
    kernel: KernelManager
    serve: subprocess.Popen[bytes]
    url: str
    warm_up_said: list[str]
    summaries: dict[str, dict[str, Any]] = field(default_factory=dict)

    def run(self, name: str) -> tuple[nbformat.NotebookNode, dict[str, Any]]:
        """Execute ``notebooks/<name>.ipynb`` top to bottom; return it and its final JSON summary."""
        notebook = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
        notebook.cells.insert(0, new_code_cell("%reset -f"))  # nothing leaks from the notebook before
        runner = NotebookClient(notebook, km=self.kernel, timeout=300, startup_timeout=300)
        try:
            runner.execute()
        finally:
            if runner.kc is not None:  # the kernel is shared, so nbclient leaves its client open
                runner.kc.stop_channels()
        summaries = [
            out["data"]["application/json"]
            for out in _outputs(notebook)
            if "application/json" in out.get("data", {})
        ]
        assert summaries, f"{name} displayed no JSON summary"
        # The warm-up made the notebooks' first imports: what it printed, a notebook opened first prints.
        said = [
            *self.warm_up_said,
            *(out["text"] for out in _outputs(notebook) if out.get("name") == "stderr"),
        ]
        assert not said, (name, said)
        return notebook, summaries[-1]

    def wait_serving(self) -> None:
        """Wait until ``precedent serve`` answers on the map (it loads the model first)."""
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            assert self.serve.poll() is None, "precedent serve exited early"
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    return
            time.sleep(0.5)
        raise AssertionError("precedent serve did not come up")


def _outputs(notebook: nbformat.NotebookNode) -> list[dict[str, Any]]:
    return [out for cell in notebook.cells if cell.cell_type == "code" for out in cell.get("outputs", [])]


def _stderr_of(client: BlockingKernelClient, msg_id: str) -> list[str]:
    """What the kernel wrote to stderr while running the request ``msg_id`` (it has finished)."""
    said: list[str] = []
    while True:
        message = client.get_iopub_msg(timeout=60)
        if message["parent_header"].get("msg_id") != msg_id:
            continue
        content = message["content"]
        if message["msg_type"] == "stream" and content["name"] == "stderr":
            said.append(content["text"])
        if message["msg_type"] == "status" and content["execution_state"] == "idle":
            return said


def _count(notebook: nbformat.NotebookNode, mimetype: str) -> int:
    return sum(mimetype in out.get("data", {}) for out in _outputs(notebook))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _import_organisation(export: Path, data_dir: Path) -> None:
    with pytest.MonkeyPatch.context() as env:
        for key in [k for k in os.environ if k.startswith("PRECEDENT_")]:
            env.delenv(key)
        env.setenv("PRECEDENT_DATA_DIR", str(data_dir))
        assert main(["generate", "--incidents", str(INCIDENTS), "--seed", str(SEED), str(export)]) == 0
        assert main(["import", str(export)]) == 0


@pytest.fixture(scope="module")
def bench(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Iterator[Bench]:
    root = tmp_path_factory.mktemp("notebooks")
    data_dir = root / "data"
    data_dir.mkdir()
    cache = getattr(request.config, "cache", None)
    kept = cache.mkdir("precedent-notebook-embeddings") / CACHE_FILE if cache is not None else None
    if kept is not None and kept.is_file():
        shutil.copyfile(kept, data_dir / CACHE_FILE)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRECEDENT_")}
    env |= {"PRECEDENT_DATA_DIR": str(data_dir), "HF_HUB_OFFLINE": "1"}

    kernel = KernelManager(kernel_name="python3")
    kernel.start_kernel(env=env, cwd=str(NOTEBOOK_DIR))
    client = kernel.client()
    client.start_channels()
    serve: subprocess.Popen[bytes] | None = None
    try:
        client.wait_for_ready(timeout=120)
        warm_up = client.execute(WARM_UP)
        _import_organisation(root / "export", data_dir)
        port = _free_port()
        with (root / "serve.log").open("wb") as log:
            serve = subprocess.Popen(
                [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port)],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        while (reply := client.get_shell_msg(timeout=300))["parent_header"].get("msg_id") != warm_up:
            pass
        assert reply["content"]["status"] == "ok", reply["content"]
        said = _stderr_of(client, warm_up)
        yield Bench(root / "export", data_dir, kernel, serve, f"http://127.0.0.1:{port}", said)
    finally:
        client.stop_channels()
        if serve is not None:
            serve.terminate()
            serve.wait(30)
        process = getattr(kernel.provisioner, "process", None)
        kernel.shutdown_kernel(now=True)
        if process is not None:  # reap it even when a loaded machine makes the kill slow
            process.wait(30)
        if kept is not None and (data_dir / CACHE_FILE).is_file():
            shutil.copyfile(data_dir / CACHE_FILE, kept.with_suffix(".new"))
            kept.with_suffix(".new").replace(kept)


async def _truth(data_dir: Path) -> dict[str, Any]:
    """What the map holds, read straight from the store (not through the notebook API)."""
    async with Runtime.from_settings(Settings(data_dir=data_dir), model=False, read_only=True) as runtime:
        store = runtime.store
        incidents = {n.id: n async for n in store.scan_nodes(["Incident"])}
        services = {n.id: str(n.properties["name"]) async for n in store.scan_nodes(["Service"])}
        affects: dict[str, int] = {}
        async for edge in store.scan_edges(["AFFECTS"]):
            if edge.target in services:
                affects[services[edge.target]] = affects.get(services[edge.target], 0) + 1
    return {"incidents": incidents, "affects": affects}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_there_are_the_four_notebooks() -> None:
    assert [p.stem for p in NOTEBOOKS] == [
        "01_tour",
        "02_similar_incidents",
        "03_recurring_failures",
        "04_investigation_review",
    ]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_outputs_are_stripped_in_git(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name}: strip outputs before committing"
            assert cell.execution_count is None, f"{path.name}: strip execution counts before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_the_first_cell_says_how_to_point_at_a_map(path: Path) -> None:
    first = nbformat.read(path, as_version=4).cells[0]
    assert first.cell_type == "markdown"
    for needle in ("PRECEDENT_DATA_DIR", "PRECEDENT_STORE=neo4j", "./scripts/notebooks", "precedent serve"):
        assert needle in first.source
    # It told the reader to call `Settings(data_dir=...)`, which no cell imports: a NameError.
    if "Settings(" in first.source:
        assert "from precedent.config import Settings" in first.source


@pytest.mark.model
@pytest.mark.slow
async def test_01_tour(bench: Bench) -> None:
    notebook, summary = bench.run("01_tour")
    truth = await _truth(bench.data_dir)
    assert summary["incidents"] == len(truth["incidents"]) == INCIDENTS
    assert summary["nodes"]["Incident"] == INCIDENTS
    assert summary["busiest_service_incidents"] == max(truth["affects"].values())
    assert truth["affects"][summary["busiest_service"]] == summary["busiest_service_incidents"]
    assert sum(summary["coverage"].values()) == summary["services"]
    assert _count(notebook, "image/png") >= 4  # holdings, dependency graph, hotspots, coverage


@pytest.mark.model
@pytest.mark.slow
async def test_02_similar_incidents(bench: Bench) -> None:
    notebook, summary = bench.run("02_similar_incidents")
    truth = await _truth(bench.data_dir)
    by_reference = {n.properties["reference"]: n for n in truth["incidents"].values()}
    query = by_reference[summary["incident"]]
    assert summary["results"]
    assert all(by_reference[r].occurred_at < query.occurred_at for r in summary["results"])  # type: ignore[operator]
    assert summary["all_earlier"] is True
    assert summary["scores"] == sorted(summary["scores"], reverse=True)
    # The query, a precedent and what links them are highlighted on the drawing.
    assert summary["incident"] in summary["highlighted"]
    assert set(summary["highlighted"]) & set(summary["results"][:3])
    assert len(summary["highlighted"]) >= 3
    assert summary["picture"] == "plotly"
    assert _count(notebook, "application/vnd.plotly.v1+json") == 1
    assert _count(notebook, "image/png") >= 1
    assert summary["described_results"]


@pytest.mark.model
@pytest.mark.slow
def test_03_recurring_failures(bench: Bench) -> None:
    notebook, summary = bench.run("03_recurring_failures")
    clusters = summary["clusters"]
    assert len(clusters) >= 3
    members = [i for c in clusters for i in c["incidents"]]
    assert len(members) == len(set(members)), "an incident is in one cluster at most"
    assert all(len(c["incidents"]) >= 3 and c["name"].count("/") >= 2 for c in clusters)
    # The generator's recurrence threads: incidents that fail the same way again land together.
    cluster_of = {i: c["name"] for c in clusters for i in c["incidents"]}
    pairs = [
        (judged["query_id"], relevant["id"])
        for judged in _lines(bench.export / "judgments.jsonl")
        for relevant in judged["relevant"]
        if relevant["grade"] == 2
    ]
    together = sum(1 for a, b in pairs if a in cluster_of and cluster_of[a] == cluster_of.get(b))
    assert pairs
    assert together / len(pairs) >= 0.7, (together, len(pairs))
    assert set(summary["open_follow_ups"]) <= set(cluster_of.values())
    assert _count(notebook, "image/png") >= 2


@pytest.mark.model
@pytest.mark.slow
async def test_04_investigation_review_beside_the_service(bench: Bench) -> None:
    bench.wait_serving()  # this run reads the map while `precedent serve` holds it as the writer
    notebook, summary = bench.run("04_investigation_review")
    assert bench.serve.poll() is None
    assert httpx.get(f"{bench.url}/health", timeout=5).status_code == 200

    truth = await _truth(bench.data_dir)
    resolved = {
        n.properties["reference"] for n in truth["incidents"].values() if n.properties.get("resolved_at")
    }
    assert summary["resolved"] == len(resolved)
    planted = {c["reference"] for c in _lines(bench.export / "causes.jsonl")} & resolved
    reviewed = summary["per_incident"]
    assert planted <= set(reviewed), "every incident with a planted cause is judged"
    assert summary["judged"] == len(reviewed) <= summary["resolved"]
    cited = [reference for reference in planted if reviewed[reference]["cause_rank"] is not None]
    assert len(cited) / len(planted) >= 0.8
    assert summary["right"] == sum(r["right"] for r in reviewed.values())
    assert summary["share_right"] == pytest.approx(summary["right"] / summary["judged"], abs=1e-4)
    assert summary["share_right"] >= 0.7
    assert _count(notebook, "image/png") >= 1
    # Read-only beside the service: the review stored no investigation.
    assert "Investigation" not in (await _stats(bench.data_dir))


async def _stats(data_dir: Path) -> dict[str, int]:
    async with Runtime.from_settings(Settings(data_dir=data_dir), model=False, read_only=True) as runtime:
        return dict((await runtime.store.stats()).nodes_by_label)
