"""The embedded store: networkx-style graph walks and numpy vector search in process, on local disk."""

from precedent.store.embedded.inbox import SqliteInbox
from precedent.store.embedded.store import EmbeddedStore

__all__ = ["EmbeddedStore", "SqliteInbox"]
