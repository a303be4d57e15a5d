"""incident.io webhooks after verification: the durable receiver, the worker and what each event does.

Sits between the investigation layer (whose builder it is handed) and the API (which routes
deliveries to ``Receiver`` and starts a ``Worker`` in its lifespan).
"""

from precedent.webhooks.fetch import IncidentFetcher
from precedent.webhooks.incidents import IncidentChange, IncidentWriter
from precedent.webhooks.investigations import (
    InvestigationBuilder,
    InvestigationCloser,
    InvestigationPublisher,
    MapInvestigationBuilder,
    StoreInvestigationCloser,
    no_investigation,
)
from precedent.webhooks.priority import AckPriority
from precedent.webhooks.processor import HANDLED_EVENTS, DeliveryProcessor
from precedent.webhooks.receiver import Receipt, Receiver
from precedent.webhooks.service import WebhookService
from precedent.webhooks.worker import Processor, Worker, WorkerOptions, worker_name

__all__ = [
    "AckPriority",
    "HANDLED_EVENTS",
    "DeliveryProcessor",
    "IncidentChange",
    "IncidentFetcher",
    "IncidentWriter",
    "InvestigationBuilder",
    "InvestigationCloser",
    "InvestigationPublisher",
    "MapInvestigationBuilder",
    "Processor",
    "Receipt",
    "Receiver",
    "StoreInvestigationCloser",
    "WebhookService",
    "Worker",
    "WorkerOptions",
    "no_investigation",
    "worker_name",
]
