"""Graph stores: one interface (``GraphStore``), an embedded and a Neo4j implementation."""

from precedent.store.base import GraphStore
from precedent.store.export import to_networkx

__all__ = ["GraphStore", "to_networkx"]
