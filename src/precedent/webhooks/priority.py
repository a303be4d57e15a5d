"""Acknowledgements before processing: the in-process worker waits its turn while deliveries arrive.

The receiver and the worker of ``precedent serve`` share one event loop. Every stretch of the
worker's processing that runs without suspending (mapping, applying a batch to the embedded
store, building an investigation) holds up whatever acknowledgement arrives meanwhile, and at
200 deliveries/s there is always one arriving: acknowledgements queued behind the processing of
the ones before (p99 of seconds). So the receiver counts the deliveries it is answering, and the
worker calls ``turn()`` before each step of its work: it goes on at once when no delivery is being
answered, and otherwise waits until none is. A backlog builds up under a flood and is worked off
in the pauses; the acknowledgements, which incident.io times, never wait for it.

A worker is never starved for good: after waiting ``patience`` it takes one step anyway, so under
a flood that never pauses it still makes progress (a bounded share of the loop: one step per
``patience``). On a quiet loop ``turn()`` returns at once, so a lone delivery is processed as soon
as it is acknowledged.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

__all__ = ["AckPriority"]

_PASSES = 3


class AckPriority:
    """Counts deliveries being acknowledged; lets the worker through when there are none.

    Args:
        patience: The longest the worker waits for a pause before taking a step anyway (seconds).
        clock: Monotonic seconds (tests pass their own).
    """

    def __init__(self, *, patience: float = 0.25, clock: Callable[[], float] = time.monotonic) -> None:
        self._patience = patience
        self._clock = clock
        self._answering = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.deferred = 0
        """How many worker steps have waited for acknowledgements (for tests and logs)."""

    @property
    def answering(self) -> int:
        """Deliveries being acknowledged right now."""
        return self._answering

    @contextlib.contextmanager
    def answering_one(self) -> Iterator[None]:
        """Mark one delivery as being acknowledged for the duration of the block."""
        self._answering += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._answering -= 1
            if not self._answering:
                self._idle.set()

    async def turn(self) -> None:
        """Return when no delivery is being acknowledged, or after ``patience`` at most."""
        # A few passes of the loop first, so that a request whose bytes just arrived is read,
        # parsed and counted by the receiver before the worker's next step starts (reading the
        # socket, starting the request's task and running it up to the receiver are one pass each).
        for _ in range(_PASSES):
            await asyncio.sleep(0)
        if not self._answering:
            return
        self.deferred += 1
        deadline = self._clock() + self._patience
        while self._answering:
            left = deadline - self._clock()
            if left <= 0:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), left)
            # The pause may be the gap between two deliveries of a burst: look once more.
            for _ in range(_PASSES):
                await asyncio.sleep(0)
