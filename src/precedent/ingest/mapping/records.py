"""What a mapped incident.io object becomes, and the small readers every mapper shares.

A ``MappedRecord`` is one source object turned into graph terms: its own node (if any), the
edges it is the authority for, and *stubs* for things it references that another resource
describes in full (a user seen as an assignee, a severity seen on an incident).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, TypeAlias

from precedent.errors import MappingError
from precedent.model import Edge, Node, Property, Visibility, clean_properties

__all__ = [
    "EdgeScope",
    "MappedRecord",
    "MissingField",
    "Raw",
    "RecordBuilder",
    "actor_user",
    "as_list",
    "as_mapping",
    "bounded",
    "opt_str",
    "parse_time",
    "record_id_of",
    "require",
    "require_str",
    "slug",
    "user_properties",
    "user_stub",
    "visibility_of",
]

Raw: TypeAlias = Mapping[str, object]
"""A decoded incident.io JSON object."""


class MissingField(MappingError):
    """A required field is absent, empty or of the wrong type."""

    def __init__(self, record_id: str, field_name: str, problem: str = "is missing") -> None:
        super().__init__(record_id, f"required field {field_name!r} {problem}")
        self.field = field_name


@dataclass(frozen=True)
class EdgeScope:
    """Edges of ``type`` at the record's anchor that the record describes completely.

    When the record changes, edges of this type (in this direction) that it no longer lists are
    deleted; with ``cascade`` the node at their far end is deleted too (post-mortem chunks), and
    so are the nodes that node reaches by an ``owns`` edge (a deleted post-mortem's chunks).
    """

    type: str
    direction: Literal["out", "in"] = "out"
    cascade: bool = False
    owns: tuple[str, ...] = ()


@dataclass(frozen=True)
class MappedRecord:
    """One incident.io object in graph terms.

    Attributes:
        node: The object's own node, or ``None`` for link-only objects (relationships, teams).
        edges: Edges this object is the authority for.
        stubs: Minimal nodes for referenced things; created only when absent.
        scopes: Which edge types at ``anchor`` this record fully describes.
        anchor: The node id ``scopes`` apply to (defaults to ``node.id``).
    """

    node: Node | None
    edges: tuple[Edge, ...] = ()
    stubs: tuple[Node, ...] = ()
    scopes: tuple[EdgeScope, ...] = ()
    anchor: str | None = None

    @property
    def anchor_id(self) -> str | None:
        return self.anchor if self.anchor is not None else (self.node.id if self.node else None)


@dataclass
class RecordBuilder:
    """Collects edges and stubs while a mapper walks one object, de-duplicating by key."""

    edges: dict[tuple[str, str, str], Edge] = field(default_factory=dict)
    stubs: dict[str, Node] = field(default_factory=dict)

    def edge(self, source: str, type_: str, target: str, **props: Property | None) -> None:
        if source and target:
            self.edges[(source, type_, target)] = Edge(source, type_, target, clean_properties(props))

    def stub(self, node: Node | None) -> None:
        if node is not None:
            self.stubs.setdefault(node.id, node)

    def build(
        self, node: Node | None, scopes: Sequence[EdgeScope] = (), anchor: str | None = None
    ) -> MappedRecord:
        stubs = tuple(s for s in self.stubs.values() if node is None or s.id != node.id)
        return MappedRecord(node, tuple(self.edges.values()), stubs, tuple(scopes), anchor)


def as_mapping(value: object) -> Raw | None:
    """Return ``value`` if it is a JSON object, else ``None``."""
    return value if isinstance(value, Mapping) else None


def as_list(value: object) -> list[object]:
    """Return ``value`` if it is a JSON array, else an empty list."""
    return value if isinstance(value, list) else []


def opt_str(raw: Raw, key: str) -> str | None:
    """Return a non-empty string field, or ``None`` (absent, null, empty or another type)."""
    value = raw.get(key)
    return value if isinstance(value, str) and value else None


def require(raw: Raw, key: str, record_id: str) -> object:
    """Return a required field's value.

    Raises:
        MissingField: if the field is absent or null.
    """
    value = raw.get(key)
    if value is None:
        raise MissingField(record_id, key)
    return value


def require_str(raw: Raw, key: str, record_id: str) -> str:
    """Return a required non-empty string field.

    Raises:
        MissingField: if it is absent, empty or not a string.
    """
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise MissingField(record_id, key, "is missing" if value in (None, "") else "is not a string")
    return value


def record_id_of(raw: Raw, kind: str) -> str:
    """Return the object's id for error messages and as its node id.

    Raises:
        MissingField: if the object has no usable ``id``.
    """
    value = raw.get("id")
    if not isinstance(value, str) or not value:
        raise MissingField(f"{kind} (no id)", "id")
    return value


def parse_time(value: object) -> datetime | None:
    """Parse an RFC 3339 timestamp into an aware datetime; anything unparsable gives ``None``."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


_NON_WORD = re.compile(r"[^a-z0-9]+")


def slug(text: str) -> str:
    """Turn a display name into a snake_case identifier (``Impact started`` → ``impact_started``)."""
    key = _NON_WORD.sub("_", text.lower()).strip("_")
    if not key or key[0].isdigit():
        key = f"x_{key}"
    return key


def visibility_of(value: object) -> Visibility:
    """Map incident.io's visibility; anything unknown is treated as private (the safe side)."""
    return "public" if value == "public" else "private"


def user_stub(raw: object) -> Node | None:
    """Return a ``User`` node for an embedded user object (UserV1/V2/V3), or ``None``."""
    user = as_mapping(raw)
    if user is None:
        return None
    user_id = opt_str(user, "id")
    if user_id is None:
        return None
    return Node(user_id, "User", user_properties(user))


def user_properties(user: Raw) -> dict[str, Property]:
    """Return the ``User`` properties of any incident.io user shape."""
    base_role = as_mapping(user.get("base_role"))
    role = opt_str(base_role, "name") if base_role else None
    return clean_properties(
        {
            "name": opt_str(user, "name"),
            "email": opt_str(user, "email"),
            "role": role or opt_str(user, "role"),
            "slack_user_id": opt_str(user, "slack_user_id"),
        }
    )


def actor_user(raw: object) -> Node | None:
    """Return the user behind an ``ActorV2`` (creator, updater), if a person acted."""
    actor = as_mapping(raw)
    return user_stub(actor.get("user")) if actor is not None else None


def bounded(parts: Sequence[str | None], limit: int) -> str:
    """Join non-empty text parts with blank lines, cut to ``limit`` characters."""
    text = "\n\n".join(p.strip() for p in parts if p and p.strip())
    return text[:limit]
