"""The Neo4j ``GraphStore``: a Neo4j 5.26+ server, cluster or Aura through the async driver."""

from precedent.store.neo4j.connection import check_reachable
from precedent.store.neo4j.inbox import Neo4jInbox
from precedent.store.neo4j.store import Neo4jStore

__all__ = ["Neo4jInbox", "Neo4jStore", "check_reachable"]
