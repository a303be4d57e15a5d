"""Content hashes of mapped records: equal hash means nothing to write and nothing to embed."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from precedent.ingest.mapping import MappedRecord

__all__ = ["HASH_PROPERTY", "record_hash"]

HASH_PROPERTY = "content_hash"
"""The node property holding the hash of the record that last wrote it."""

_VERSION = "1"  # bump when mapping output changes, so a re-import rewrites everything


def record_hash(record: MappedRecord) -> str:
    """Hash a record's node (label, properties, time, visibility, text) and the edges it owns."""
    node = record.node
    assert node is not None
    payload = [
        _VERSION,
        node.label,
        {k: v for k, v in node.properties.items() if k != HASH_PROPERTY},
        node.occurred_at.isoformat() if node.occurred_at else None,
        node.visibility,
        node.text,
        sorted([e.source, e.type, e.target, dict(e.properties)] for e in record.edges),
    ]
    encoded = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()
