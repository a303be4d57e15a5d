"""Every notebook runs top to bottom on a generated organisation, as a user would run it."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from precedent.cli.main import main

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.fixture(scope="module")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notebook-demo")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PRECEDENT_DATA_DIR", str(root / "data"))
        assert main(["generate", "--incidents", "150", "--seed", "3", str(root / "export")]) == 0
        assert main(["import", str(root / "export")]) == 0
    return root / "data"


def test_there_are_notebooks() -> None:
    assert NOTEBOOKS


@pytest.mark.model
@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, demo_data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
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
