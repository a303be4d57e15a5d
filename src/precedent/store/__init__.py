"""Graph stores: one interface (``GraphStore``), an embedded and a Neo4j implementation; the ``Inbox``."""

from precedent.store.base import GraphStore
from precedent.store.export import to_networkx
from precedent.store.inbox import FINAL_STATES, Backlog, Delivery, DeliveryState, Inbox, NewDelivery
from precedent.store.start_wait import open_within, until_up

__all__ = [
    "FINAL_STATES",
    "Backlog",
    "Delivery",
    "DeliveryState",
    "GraphStore",
    "Inbox",
    "NewDelivery",
    "open_within",
    "to_networkx",
    "until_up",
]
