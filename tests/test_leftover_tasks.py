"""A test that leaves a webhook worker running fails, and so does the next one if it still runs.

Every async test shares the session's event loop: a worker left running polls its inbox and writes
the process's backlog gauges under the tests that follow (``tests/support/leftover_tasks.py``).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

LEAKING = """
import asyncio
from types import SimpleNamespace

import pytest

from precedent.webhooks.worker import Worker


class EmptyInbox:
    async def claim(self, *args, **kwargs):
        return []

    async def backlog(self):
        return SimpleNamespace(waiting=0, oldest_received_at=None)


def worker():
    return Worker(EmptyInbox(), None, report=lambda waiting, age: None)


async def test_leaves_its_worker_running():
    asyncio.create_task(worker().run())
    await asyncio.sleep(0)


async def test_stops_its_worker():
    running = asyncio.create_task(worker().run())
    await asyncio.sleep(0)
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


@pytest.fixture(scope="module")
async def shared_worker():
    running = asyncio.create_task(worker().run(), name="shared-worker")
    yield
    running.cancel()
    await asyncio.gather(running, return_exceptions=True)


async def test_runs_under_a_worker_a_wider_fixture_holds(shared_worker):
    pass
"""


def test_a_webhook_worker_left_running_fails_the_test_that_left_it_or_ran_under_it(tmp_path: Path) -> None:
    (tmp_path / "test_leaking.py").write_text(LEAKING)
    command = [sys.executable, "-m", "pytest", "-p", "tests.support.leftover_tasks", "-p", "no:cacheprovider"]
    loop = [
        "asyncio_mode=auto",
        "asyncio_default_fixture_loop_scope=session",
        "asyncio_default_test_loop_scope=session",
    ]
    command += [arg for option in loop for arg in ("-o", option)]
    command += ["-q", "-n", "0", "-p", "no:randomly", str(tmp_path / "test_leaking.py")]
    # From the repository, so the plugin imports; in tmp_path, so none of the suite's settings apply.
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    output = done.stdout + done.stderr
    assert "2 passed, 2 errors" in done.stdout, output
    assert "ERROR at teardown of test_leaves_its_worker_running" in done.stdout, output
    assert "the test left webhook tasks running" in done.stdout, output
    assert "ERROR at setup of test_runs_under_a_worker_a_wider_fixture_holds" in done.stdout, output
    assert "shared-worker (Worker.run)" in done.stdout, output
