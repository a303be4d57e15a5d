"""``precedent serve`` on a port another process holds: said at once, with what to do, before the
map is opened or the model loaded (uvicorn alone says it only after the app has started)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_port_in_use_is_refused_before_anything_is_opened(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PRECEDENT_")}
    env["PRECEDENT_DATA_DIR"] = str(tmp_path / "data")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = int(taken.getsockname()[1])
        done = subprocess.run(
            [sys.executable, "-m", "precedent.cli.main", "serve", "--port", str(port)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,  # the CLI imports torch first: minutes on a loaded machine
            check=False,
        )
    said = " ".join(done.stderr.split())
    assert done.returncode == 1, said
    assert f"cannot listen on 127.0.0.1:{port}" in said
    assert f"precedent serve --port {port + 1}" in said
    assert "api ready" not in said  # refused before the app started
    assert not (tmp_path / "data").exists()  # nor was the map opened
