"""A webhook service for an app that a fixture wider than one test holds open: it receives, runs no worker.

``create_app`` otherwise builds one that runs a worker in the process. Held by a module or session
fixture, that worker keeps polling its inbox under every test that follows, and reports its backlog
to the process's gauges between their assertions (``tests/support/leftover_tasks.py`` fails them).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.webhooks import DeliveryProcessor, IncidentWriter, StoreInvestigationCloser, WebhookService
from precedent.webhooks.investigations import no_investigation

if TYPE_CHECKING:
    from precedent.embedding import Embedder
    from precedent.sources.incidentio.webhooks import WebhookVerifier
    from precedent.store import GraphStore, Inbox

__all__ = ["receiver_only"]


def receiver_only(
    inbox: Inbox, store: GraphStore, embedder: Embedder, verifier: WebhookVerifier | None = None
) -> WebhookService:
    """A service recording deliveries in ``inbox`` (``verifier``: none, webhooks are off), working none."""
    processor = DeliveryProcessor(
        IncidentWriter(store, embedder), no_investigation, StoreInvestigationCloser(store)
    )
    return WebhookService(inbox, verifier, processor, run_worker=False)
