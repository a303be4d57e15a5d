"""Start and kill ``serve_process`` children (crash test and benchmark)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start(data_dir: Path, port: int, *flags: str) -> subprocess.Popen[bytes]:
    """Start the process and wait until it answers (raises after 600 s: a loaded machine is slow)."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.webhooks.serve_process",
            "--data-dir",
            str(data_dir),
            "--port",
            str(port),
            *flags,
        ],
        cwd=ROOT,
        env=env,
    )
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"serve_process exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/v1/webhooks/deliveries", timeout=1).status_code < 500:
                return process
            if (
                "--bare" in flags
                and httpx.post(f"http://127.0.0.1:{port}/v1/webhooks/incident-io").status_code == 204
            ):
                return process
        time.sleep(0.1)
    kill(process)
    raise RuntimeError("serve_process did not answer within 600 s")


def kill(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL: no shutdown hooks, no flush; what was not durable is lost."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen[bytes]) -> None:
    """A clean stop (SIGTERM), as a deployment would."""
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        kill(process)
