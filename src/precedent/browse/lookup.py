"""What callers type (``payments-api``, ``Payments``, ``alice@example.com``) turned into map nodes.

One lookup per kind, shared by every browse read and by the routes that already named a service
(its changes, its neighbourhood), so ``payments-api`` means the same node everywhere. A miss is
``NotFound`` with a hint saying what the key may be.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from precedent.errors import NotFound
from precedent.ingest.changes import resolve_service
from precedent.retrieval.catalog import unknown_service

if TYPE_CHECKING:
    from precedent.model import Node
    from precedent.store.base import GraphStore

__all__ = [
    "TEAM_HINT",
    "TEAM_KEYS",
    "USER_KEYS",
    "display_name",
    "find_team",
    "find_user",
    "service_node",
]

TEAM_HINT = "name it by id, name or external id, or list the teams"
"""What to do about a team no key names, wherever it was named (a path or a filter)."""

TEAM_KEYS = ("name", "external_id", "aliases", "team_id")
"""The properties besides its id that name a team (``team_id`` is its incident.io teams id)."""
USER_KEYS = ("email", "slack_user_id")
"""The properties besides its id that name a user."""


def display_name(node: Node) -> str:
    """A node's name, or its id when it has none."""
    return str(node.properties.get("name", node.id))


async def service_node(store: GraphStore, key: str) -> Node:
    """The service whose id, name, external id or alias is ``key``.

    Raises:
        NotFound: if no service has that key.
    """
    node = await resolve_service(store, key)
    if node is None:
        raise await unknown_service(store, key)
    return node


async def _labelled(store: GraphStore, label: str, key: str, fields: tuple[str, ...]) -> Node | None:
    found = await store.get_nodes([key])
    if found and found[0].label == label:
        return found[0]
    named = await store.find_nodes(label, key, fields=fields)
    return named[0] if named else None


async def find_team(store: GraphStore, key: str, *, field: str | None = None) -> Node:
    """The team whose id, name, external id, alias or incident.io team id is ``key``.

    ``field``: the filter that named it, if one did (``NotFound.field``).

    Raises:
        NotFound: if no team has that key.
    """
    node = await _labelled(store, "Team", key, TEAM_KEYS)
    if node is None:
        raise NotFound("team", key, hint=TEAM_HINT, field=field)
    return node


async def find_user(store: GraphStore, key: str) -> Node:
    """The user whose id, email or Slack user id is ``key``.

    Raises:
        NotFound: if no user has that key.
    """
    node = await _labelled(store, "User", key, USER_KEYS)
    if node is None:
        raise NotFound("user", key, hint="name a user by incident.io user id or email address")
    return node
