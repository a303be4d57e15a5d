"""A webhook worker (or the service's inbox opener) must not run under a test that did not start it.

Every async test shares the session's event loop, so a worker started by an earlier test, or held
by a fixture wider than one test, keeps polling its inbox under the tests that follow: it reads
and writes stores they may own, and reports its backlog to the process's gauges between their
assertions. So a test fails if one runs when it starts, or if one it started still runs once its
fixtures are torn down. Only tasks of ``precedent.webhooks``'s worker and service count: other
background tasks (Slack messages in flight, a sync) end on their own.

Registered by ``tests/conftest.py``; ``tests/test_leftover_tasks.py`` checks it.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterable

__all__ = ["no_webhook_task_left_running", "webhook_tasks"]

_WEBHOOKS = Path(__file__).resolve().parents[2] / "src" / "precedent" / "webhooks"
_RUNS_THERE = frozenset({str(_WEBHOOKS / "worker.py"), str(_WEBHOOKS / "service.py")})


def webhook_tasks(tasks: Iterable[asyncio.Task[object]]) -> list[asyncio.Task[object]]:
    """Those of ``tasks`` still running a webhook worker's or the webhook service's coroutine."""
    return [task for task in tasks if not task.done() and _runs_there(task)]


def _runs_there(task: asyncio.Task[object]) -> bool:
    code = getattr(task.get_coro(), "cr_code", None)
    return code is not None and str(Path(code.co_filename).resolve()) in _RUNS_THERE


async def _stopped(tasks: list[asyncio.Task[object]]) -> str:
    """Cancel ``tasks`` so they run under no later test; what they were, for the failure."""
    names = ", ".join(sorted(f"{t.get_name()} ({getattr(t.get_coro(), '__qualname__', '?')})" for t in tasks))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return names


@pytest.fixture(autouse=True)
async def no_webhook_task_left_running() -> AsyncIterator[None]:
    """Fail the test if a webhook task runs as it starts, or one it started runs once it is over."""
    # Set up after every wider fixture (autouse fixtures go first within their scope).
    if running := webhook_tasks(asyncio.all_tasks()):
        names = await _stopped(running)
        pytest.fail(
            f"webhook tasks were running as this test started: {names}. A fixture wider than one "
            "test (or an earlier test) started them: give a shared app a service that runs no worker "
            "(tests.support.webhook_services.receiver_only)."
        )
    before = asyncio.all_tasks()
    yield
    await asyncio.sleep(0)  # a task cancelled by a fixture's teardown takes a turn to end
    if left := webhook_tasks(asyncio.all_tasks() - before):
        names = await _stopped(left)
        pytest.fail(
            f"the test left webhook tasks running: {names}. Stop what started them before it ends "
            "(`await service.stop()`, or cancel and await the task running `worker.run()`)."
        )
