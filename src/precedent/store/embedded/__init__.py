"""The embedded store: networkx-style graph walks and numpy vector search in process, on local disk."""

from precedent.store.embedded.inbox import MIN_FREE_BYTES, SqliteInbox
from precedent.store.embedded.store import EmbeddedStore, check_writable

__all__ = ["MIN_FREE_BYTES", "EmbeddedStore", "SqliteInbox", "check_writable"]
