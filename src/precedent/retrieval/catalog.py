"""Resolves what callers type (``INC-123``, ``payments-api``) into node ids, through the store interface.

The first lookup by reference or name reads the Incident (or Service) nodes once and keeps a small
index; callers that answer many queries (``--batch``, the API) build one ``Catalog`` and reuse it.
A key the index misses is asked of the store alone (``find_nodes``), so a long-lived API process
finds an incident a webhook or a sync just added (a responder opens INC-123 seconds after it is
declared) and names the map does not know never make it read the whole catalog again. A miss is
remembered for ``refresh_after`` seconds (two by default): a storm of one unknown name asks the
store once per interval. The index itself is read again once it is ``rebuild_after`` seconds old
(five minutes), so a renamed service stops answering to its old name.
"""

from __future__ import annotations

import asyncio
import difflib
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from precedent.errors import InvalidQuery, NotFound
from precedent.store.matching import match_key

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from precedent.model import Node, Viewer
    from precedent.store.base import GraphStore

__all__ = [
    "SERVICE_HINT",
    "Catalog",
    "Named",
    "did_you_mean",
    "left_out",
    "suggest_services",
    "unknown_service",
]

SERVICE_HINT = "name it by id, name, external id or alias"
"""What to do about a service no key names, wherever it was named (a path, a filter, a tool)."""
_SUGGESTED = 3
_TEAM_NAMES = ("name", "external_id", "aliases")
# How alike a key and a service's name are to suggest it for a typo (difflib's ratio): one or two
# letters off in a name of eight or more.
_CLOSE = 0.8
_WORD = re.compile(r"[^\W_]{3,}")

Named = Literal["Severity", "IncidentType", "IncidentStatus"]
"""The labels whose nodes are known by name: what a caller may name a severity, type or status by."""


@dataclass
class _Index:
    """Keys to node ids, and when each recent miss was asked of the store (oldest first)."""

    ids: dict[str, str]
    built_at: float
    misses: dict[str, float] = field(default_factory=dict)


def _keys(node: Node, fields: tuple[str, ...]) -> list[str]:
    keys = []
    for name in fields:
        value = node.properties.get(name)
        values = value if isinstance(value, list) else [value]
        # The store's own normal form, so the index and ``find_nodes`` agree on every key.
        keys += [key for v in values if v is not None and (key := match_key(str(v)))]
    return keys


class Catalog:
    """Finds incidents by id or reference and services by id, name, external id or alias.

    Args:
        store: The knowledge map.
        refresh_after: Seconds a key the store did not know is answered as unknown without asking.
        rebuild_after: Seconds after which the index is read again from the store.
        clock: Monotonic clock (injected by tests).
    """

    def __init__(
        self,
        store: GraphStore,
        *,
        refresh_after: float = 2.0,
        rebuild_after: float = 300.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._refresh_after = refresh_after
        self._rebuild_after = rebuild_after
        self._clock = clock
        self._references: _Index | None = None
        self._services: _Index | None = None
        self._lock = asyncio.Lock()

    async def incident(self, key: str, viewer: Viewer) -> Node:
        """Return the Incident whose id or reference is ``key``, if ``viewer`` may see it.

        A bare number (``105``, ``#105``) is read as the reference ``INC-105``: incident.io numbers
        every incident so, and a responder typing the number alone was told it did not exist.

        Raises:
            NotFound: if no incident has that id or reference, or the viewer may not see it (the
                same answer, so that a private incident's existence does not leak).
        """
        found = await self._store.get_nodes([key])
        if not (found and found[0].label == "Incident"):
            incident_id = await self._lookup("references", _as_reference(key), "Incident", ("reference",))
            found = await self._store.get_nodes([incident_id]) if incident_id else []
        if not found or not viewer.can_see(found[0]):
            raise NotFound("incident", key)
        return found[0]

    async def services(self, keys: tuple[str, ...]) -> tuple[list[Node], list[str]]:
        """Return the services named by ``keys`` (ids or names) and the keys that matched none."""
        by_id = {n.id: n for n in await self._store.get_nodes(list(keys)) if n.label == "Service"}
        missing = [k for k in keys if k not in by_id]
        if missing:
            fields = ("name", "external_id", "aliases")
            resolved = {k: await self._lookup("services", k, "Service", fields) for k in missing}
            wanted = sorted({v for v in resolved.values() if v})
            by_id.update({n.id: n for n in await self._store.get_nodes(wanted)})
            ids = [k if k in by_id else resolved.get(k) for k in keys]
        else:
            ids = list(keys)
        nodes = list({i: by_id[i] for i in ids if i and i in by_id}.values())
        unknown = [k for k, i in zip(keys, ids, strict=True) if not i or i not in by_id]
        return nodes, unknown

    async def names(self, label: Named, prop: Literal["name", "category"] = "name") -> tuple[str, ...]:
        """The names of the map's severities (most severe first), incident types or statuses.

        A handful of nodes, read each time: a sync may have added one.

        Args:
            label: Which kind of name.
            prop: ``category`` for the statuses' categories (``live``, ``closed``...).
        """
        ranked: dict[str, float] = {}
        async for node in self._store.scan_nodes([label]):
            name = str(node.properties.get(prop) or "").strip()
            rank = node.properties.get("rank")
            if name:
                ranked.setdefault(name, float(rank) if isinstance(rank, int | float) else 0.0)
        return tuple(sorted(ranked, key=lambda name: (-ranked[name], name.casefold())))

    async def known(
        self, label: Named, field: str, value: str | None, prop: Literal["name", "category"] = "name"
    ) -> str | None:
        """``value`` as the map names it (matched in any case), or ``None`` when not given.

        Args:
            label: Which kind of name (see ``names``).
            field: What the caller called it, for the error (``severity``, ``status_category``).
            value: What the caller typed.
            prop: As for ``names``.

        Raises:
            InvalidQuery: if the map knows values of ``label`` and ``value`` is none of them.
        """
        if value is None or not value.strip():
            return None
        known = await self.names(label, prop)
        wanted = value.strip().casefold()
        match = next((name for name in known if name.casefold() == wanted), None)
        if match is not None or not known:
            return match or value.strip()
        raise InvalidQuery(
            f"unknown {field} {value!r}: the map knows {', '.join(repr(k) for k in known)}; "
            f"use one of them, or leave {field} out",
            field=field,
        )

    async def _lookup(
        self,
        which: Literal["references", "services"],
        key: str,
        label: str,
        fields: tuple[str, ...],
    ) -> str | None:
        wanted = match_key(key)
        if not wanted:
            return None  # as the index, which keeps no blank key: a blank value names nothing
        async with self._lock:
            now = self._clock()
            index = self._references if which == "references" else self._services
            if index is None or now - index.built_at > self._rebuild_after:
                index = _Index(await self._index(label, fields), now)
                if which == "references":
                    self._references = index
                else:
                    self._services = index
            if wanted in index.ids:
                return index.ids[wanted]
            # Forget misses older than the interval; the oldest come first, so this stops early.
            while index.misses and now - next(iter(index.misses.values())) > self._refresh_after:
                del index.misses[next(iter(index.misses))]
            if wanted in index.misses:
                return None
            found = await self._store.find_nodes(label, key, fields=fields)
            if not found:
                index.misses[wanted] = now
                return None
            # ``find_nodes`` orders by id: the smallest id wins a clash, as in the index.
            index.ids[wanted] = found[0].id
            return found[0].id

    async def _index(self, label: str, fields: tuple[str, ...]) -> dict[str, str]:
        index: dict[str, str] = {}
        async for node in self._store.scan_nodes([label]):
            for key in _keys(node, fields):
                # scan order is by id, so the smallest id wins a clash: the same answer every time
                index.setdefault(key, node.id)
        return index


async def suggest_services(store: GraphStore, keys: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """For each key no service answers to, up to three services the caller may have meant.

    A responder types part of a name ("checkout" for checkout-api and checkout-web); an answer
    that only says "not found" leaves them guessing the catalog's spelling at 3 a.m. Suggested:
    the services one of whose names (name, external id, alias) holds the key or is held by it,
    then those a letter or two from it (a typo: "paymnts-api"), then those sharing a word with it
    that few services have ("payments" in "payments api", never the "service" of every
    "…-service"), by name. Services are a few hundred nodes: read once for
    all the keys, on the paths that found a key unknown only.

    Returns:
        Each key, with the names of the services meant (none for a key like no service's name).
    """
    services: list[tuple[str, list[str], set[str]]] = []
    async for node in store.scan_nodes(["Service"]):
        names = _keys(node, ("name", "external_id", "aliases"))
        words = {w for n in names for w in _WORD.findall(n)}
        services.append((str(node.properties.get("name") or node.id), names, words))
    spread = Counter(w for _, _, words in services for w in words)
    suggested: dict[str, tuple[str, ...]] = {}
    for key in keys:
        wanted = match_key(key)
        telling = {w for w in _WORD.findall(wanted) if spread[w] <= _SUGGESTED}
        held = [
            shown
            for shown, names, _ in services
            if len(wanted) >= 3 and any(wanted in n or n in wanted for n in names)
        ]
        # A typo ("paymnts-api") is held by no name and shares no word with one.
        close = [
            shown
            for shown, names, _ in services
            if shown not in held and difflib.get_close_matches(wanted, names, n=1, cutoff=_CLOSE)
        ]
        sharing = [
            shown
            for shown, _, words in services
            if shown not in held and shown not in close and words & telling
        ]
        meant = [
            *sorted(held, key=str.casefold),
            *sorted(close, key=str.casefold),
            *sorted(sharing, key=str.casefold),
        ]
        # Services of two organisations in one map may share a name: a name is suggested once.
        suggested[key] = tuple(dict.fromkeys(meant))[:_SUGGESTED]
    return suggested


def did_you_mean(meant: Sequence[str]) -> str:
    """``did you mean a, b?``, or nothing when no service was meant: how every surface asks it."""
    return f"did you mean {', '.join(meant)}?" if meant else ""


NOT_SYNCED = "in incident.io's catalog, not yet in the map: run precedent sync"
"""What to do about a catalog entry an incident names that the map does not hold: the name came
from incident.io, so "check the name" would send the responder looking for a typo."""


def left_out(
    unknown: Sequence[str], meant: Mapping[str, Sequence[str]], *, incident_id: str | None = None
) -> str:
    """The note for services named that the map does not hold, each with the services meant.

    ``not in the map, so left out: payments (did you mean payments-api?), zzz (check the name)``:
    a mistyped service is otherwise dropped in silence (no owners, no changes, no reason why).
    ``incident_id``: the incident in the map whose names they are (a query's or an investigated
    incident's id, ``None`` for one described): then they are catalog entries incident.io names,
    not a caller's typing, and each says to sync (``NOT_SYNCED``), not "did you mean".
    """
    if incident_id is not None:
        return f"not in the map, so left out: {', '.join(unknown)} ({NOT_SYNCED})"
    said = [f"{key} ({did_you_mean(meant.get(key, ())) or 'check the name'})" for key in unknown]
    return f"not in the map, so left out: {', '.join(said)}"


async def unknown_service(store: GraphStore, key: str, *, field: str | None = None) -> NotFound:
    """The ``NotFound`` for a service no key names, suggesting up to three the caller may have meant
    (``suggest_services``); ``field``: the filter that named it, if one did (``NotFound.field``)."""
    meant = (await suggest_services(store, [key]))[key]
    hint = f"{did_you_mean(meant)} {SERVICE_HINT}" if meant else SERVICE_HINT
    # A responder (or an agent) asks for "Identity", the team on the page, where a service was
    # wanted: "did you mean identity-service?" sent them to a service that may not be the team's.
    if key.strip() and await store.find_nodes("Team", key.strip(), fields=_TEAM_NAMES):
        hint = f"{key.strip()!r} is a team, not a service: look the team up for the services it owns; {hint}"
    return NotFound("service", key, hint=hint, field=field)


def _as_reference(key: str) -> str:
    """``INC-105`` for ``105``, ``#105`` or ``0105`` (in any script's digits); any other key as given."""
    number = key.strip().removeprefix("#")
    return f"INC-{int(number)}" if number.isdecimal() else key
