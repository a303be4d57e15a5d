"""People: a user's teams and role, and the incidents they held a role in (led, reported...)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.browse.lookup import display_name, find_user
from precedent.browse.paging import Page, check_limit, decode_typed_cursor, encode_cursor
from precedent.browse.services import TeamRef
from precedent.investigation import Person
from precedent.investigation.context import is_active
from precedent.model import GraphFilter

if TYPE_CHECKING:
    from precedent.model import Node, Viewer
    from precedent.store.base import GraphStore

__all__ = ["UserDetail", "UserIncident", "get_user", "person", "user_incidents"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
REPORTER = "reporter"


@dataclass(frozen=True)
class UserIncident:
    """An incident a user held roles in.

    Attributes:
        roles: The incident roles they held (``Incident Lead``...), and ``reporter`` when they
            declared it.
    """

    id: str
    reference: str | None
    name: str
    status: str | None
    severity: str | None
    started_at: datetime | None
    active: bool
    roles: tuple[str, ...]


@dataclass(frozen=True)
class UserDetail:
    """A user: who they are, their teams, and the incidents they led most recently.

    Attributes:
        role: Their incident.io base role (``responder``, ``owner``...), when known.
        incidents_led: How many incidents the viewer may see that they led.
        recent_led: The newest of those, newest first.
    """

    person: Person
    role: str | None
    teams: tuple[TeamRef, ...]
    incidents_led: int
    recent_led: tuple[UserIncident, ...]


def person(node: Node) -> Person:
    """A User node as a ``Person``."""
    props = node.properties
    return Person(
        node.id,
        display_name(node),
        str(props["email"]) if "email" in props else None,
        str(props["slack_user_id"]) if "slack_user_id" in props else None,
    )


def _key(item: UserIncident) -> tuple[int, str]:
    started = item.started_at
    micros = (started - _EPOCH) // timedelta(microseconds=1) if started is not None else 0
    return (-micros, item.id)


async def _incidents(store: GraphStore, viewer: Viewer, user_id: str, role: str | None) -> list[UserIncident]:
    """Every incident the user held a role in, visible to the viewer, newest first."""
    pairs = await store.neighbours(
        user_id,
        GraphFilter(
            labels=("Incident",),
            rel_types=("ROLE_HELD_BY", "REPORTED_BY"),
            direction="in",
            visibilities=viewer.visibilities,
        ),
    )
    roles: dict[str, set[str]] = {}
    nodes: dict[str, Node] = {}
    for edge, node in pairs:
        if node.label != "Incident" or not viewer.can_see(node):
            continue
        nodes[node.id] = node
        held = roles.setdefault(node.id, set())
        if edge.type == "REPORTED_BY":
            held.add(REPORTER)
        else:
            held.update(r.strip() for r in str(edge.properties.get("role", "")).split(",") if r.strip())
    wanted = role.strip().casefold() if role else None
    now = datetime.now(UTC)
    found = []
    for incident_id, node in nodes.items():
        named = tuple(sorted(roles[incident_id]))
        if wanted is not None and not any(wanted in r.casefold() for r in named):
            continue
        props = node.properties
        found.append(
            UserIncident(
                node.id,
                str(props["reference"]) if "reference" in props else None,
                display_name(node),
                str(props["status"]) if "status" in props else None,
                str(props["severity"]) if "severity" in props else None,
                node.occurred_at,
                is_active(node, now),
                named,
            )
        )
    return sorted(found, key=_key)


async def user_incidents(
    store: GraphStore,
    viewer: Viewer,
    key: str,
    *,
    role: str | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> Page[UserIncident]:
    """Incidents a user held a role in, newest first (then id), one page at a time.

    Args:
        store: The knowledge map.
        viewer: Who is asking: private incidents only when it may see them.
        key: The user, by id, email or Slack user id.
        role: Only incidents where one of their roles contains this (``lead`` matches ``Incident
            Lead``; ``reporter`` those they declared).
        limit: Page size (1..100).
        cursor: The previous page's ``next_cursor``.

    Raises:
        NotFound: if no user has that key.
        InvalidQuery: if ``limit`` or ``cursor`` is invalid.
    """
    check_limit(limit)
    user = await find_user(store, key)
    query = ("user_incidents", user.id, role, viewer.visibilities)
    after = decode_typed_cursor(cursor, int, str, query=query)
    found = [i for i in await _incidents(store, viewer, user.id, role) if after is None or _key(i) > after]
    page = found[: limit + 1]
    return Page(
        tuple(page[:limit]), encode_cursor(_key(page[limit - 1]), query=query) if len(page) > limit else None
    )


async def get_user(store: GraphStore, viewer: Viewer, key: str, *, recent: int = 5) -> UserDetail:
    """A user by id, email or Slack user id, with their teams and the incidents they led.

    Raises:
        NotFound: if no user has that key.
    """
    user = await find_user(store, key)
    teams = await store.neighbours(
        user.id, GraphFilter(labels=("Team",), rel_types=("MEMBER_OF",), direction="out")
    )
    led = await _incidents(store, viewer, user.id, "lead")
    role = user.properties.get("role")
    return UserDetail(
        person(user),
        str(role) if role is not None else None,
        tuple(
            sorted(
                (TeamRef(n.id, display_name(n)) for _, n in teams), key=lambda t: (t.name.casefold(), t.id)
            )
        ),
        len(led),
        tuple(led[:recent]),
    )
