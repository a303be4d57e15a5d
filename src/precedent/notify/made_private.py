"""Edits the Slack messages that name an incident made private after they were posted.

A public incident's message shows its investigation, which may cite other public incidents by
name, root cause and fix. When one of them is made private (by ``sync``, ``import`` or a
``private_incident`` webhook) the map hides the investigations citing it, and lists it under
``ingest.visibility.MADE_PRIVATE_KEY`` before hiding anything. Here every process with Slack
works that list: each message of an incident whose investigation cites a listed one is redrawn
as its channel may see it now (``investigation.channel_view``, the build it showed, made again
at the same moment), and the incident is taken off the list only once all of them are. Messages are
found by their records: one still being posted has none yet, so its poster redraws it once the
record is written (``SlackNotifier``), or puts the incident back on the list; if the map failed
that poster's check, each turn here first checks it again (``SlackNotifier.recheck``, from
the list the map keeps of them, ``notify/checks.py``), whichever process posted it.

Each turn also publishes the builds a stopped process left unpublished
(``SlackNotifier.republish``, from the list ``notify/unpublished.py`` keeps in the map).

So nothing is lost to a crash or to Slack being down: the list is in the map, and is worked when
``serve`` (or ``worker``) starts, when this process makes an incident private (``wake``), and
every ``poll`` seconds, which also picks up what ``sync``, ``import`` or another process listed;
sooner when a build left unpublished is leased to another process whose lease runs out first (if
that process died, its build is posted then).
An incident still public (its hiding still under way, or given up) stays listed, untouched: its
citers' messages are redrawn once it is private.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from precedent.ingest.visibility import forget_made_private, incidents_citing, made_private
from precedent.investigation import channel_view

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable
    from datetime import datetime

    from precedent.investigation import Collaborators, Investigation
    from precedent.notify.slack import SlackNotifier

__all__ = ["CitationEdits"]

log = logging.getLogger("precedent.notify")


class CitationEdits:
    """Redraws the messages citing incidents made private, from the list the map keeps.

    Args:
        notifier: Edits the messages.
        collaborators: What the channel's view is built from.
        poll: Seconds between looks at the list when nothing wakes it.
    """

    def __init__(self, notifier: SlackNotifier, collaborators: Collaborators, *, poll: float = 60.0) -> None:
        self._notifier = notifier
        self._collaborators = collaborators
        self._poll = poll
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def wake(self) -> None:
        """Work the list now (this process just made an incident private)."""
        self._wake.set()

    def start(self) -> None:
        """Work the list now, then whenever woken or every ``poll`` seconds, in the background."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="precedent-slack-made-private")

    async def aclose(self) -> None:
        """Stop; what is still listed is worked by the next process."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def work(self) -> list[str]:
        """Redraw the messages citing each listed incident that is private now.

        Returns:
            The incidents taken off the list: every message citing them was redrawn, or had
            nothing to redraw.

        Raises:
            StoreError: if the map cannot be read or written.
        """
        # First the builds a stopped process left unpublished, then the messages whose poster
        # could not check them (the map was down): a failed redraw there lists the incidents,
        # to be worked below.
        await self._notifier.republish()
        await self._notifier.recheck()
        store = self._collaborators.store
        listed = await made_private(store)
        private = {n.id for n in await store.get_nodes(listed) if n.visibility == "private"}
        done: list[str] = []
        for incident_id in sorted(private):
            citing = await incidents_citing(store, incident_id)
            outcomes = [await self._notifier.redraw(citer, self._view(citer)) for citer in citing]
            if "failed" not in outcomes:  # ``refused`` (an archived channel) is given up
                done.append(incident_id)
        if done:
            await forget_made_private(store, done)
        return done

    def _view(self, incident_id: str) -> Callable[[datetime], Awaitable[Investigation]]:
        return lambda built_at: channel_view(self._collaborators, incident_id, built_at)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.work()
            except Exception as exc:  # the store is down: the list waits in it for the next turn
                log.warning("could not edit the Slack messages citing incidents made private: %s", exc)
            # Sooner when a build is left to a holder whose lease runs out before then: if that
            # process died, its build is posted once the lease lapses, not a whole poll later.
            due = self._notifier.republish_due()
            wait = self._poll if due is None else min(self._poll, due + 0.05)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), wait)
