"""Bearer API tokens kept with the map: only their SHA-256 hashes are stored, in the store's meta values.

A token is ``prec_`` followed by 32 random bytes (URL-safe base64), shown once at creation. The
store keeps ``api_token:<sha256 hex>`` -> the token's record (JSON), an index ``api_tokens`` of
those hashes for listing, and ``api_token_used:<id>`` -> when it was last used (a key of its
own, so recording use never races a revocation written by another process).

Why a plain SHA-256 and not a password hash: a token carries 256 bits of randomness, so neither a
dictionary nor brute force can invert its hash; slow, salted hashes (bcrypt, argon2) exist for
low-entropy passwords and would cost tens of milliseconds per request. An unsalted digest is
also what lets a request find its token with one keyed lookup instead of trying every hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal, get_args

from precedent.errors import InvalidQuery, NotFound, ReadOnlyStore, Unauthenticated
from precedent.model import Viewer
from precedent.store.meta import update_meta

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable, Iterable

    from precedent.store import GraphStore

__all__ = ["LAST_USED_EVERY", "SCOPES", "TOKEN_PREFIX", "ApiToken", "IssuedToken", "Scope", "TokenRegistry"]

log = logging.getLogger("precedent.auth")

LAST_USED_EVERY = timedelta(hours=1)
"""How often a token's use is recorded at most, so a busy token does not cost a write per request:
its "last used" may be this far behind."""

Scope = Literal["read", "read:private", "write", "metrics", "admin"]
SCOPES: tuple[Scope, ...] = get_args(Scope)
TOKEN_PREFIX = "prec_"  # noqa: S105 - a prefix that makes leaked tokens greppable, not a secret
_SECRET_BYTES = 32
_TOKEN_LENGTH = len(TOKEN_PREFIX) + 43  # 32 bytes in unpadded URL-safe base64
_INDEX = "api_tokens"
# What a scope also grants: admin everything, read:private the public reads too, and whoever may
# read the map its metrics (``metrics`` alone is for a scraper that must read nothing else).
_IMPLIED: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "read:private": frozenset({"read", "metrics"}),
    "read": frozenset({"metrics"}),
}


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _record_key(digest: str) -> str:
    return f"api_token:{digest}"


def _used_key(token_id: str) -> str:
    return f"api_token_used:{token_id}"


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


@dataclass(frozen=True)
class ApiToken:
    """What the map knows about a token (never the token itself).

    Attributes:
        id: A public identifier (``tok_`` + 12 hex digits), safe to log and to pass to ``revoke``.
        name: A unique human name; the request's viewer is named after it.
        scopes: The scopes granted at creation.
        created_at: When it was issued.
        expires_at: When it stops working; ``None`` for never.
        revoked_at: When it was revoked; ``None`` while valid.
        last_used_at: When it last authenticated a request (to within the registry's interval).
    """

    id: str
    name: str
    scopes: frozenset[Scope]
    created_at: datetime
    expires_at: datetime | None = None
    revoked_at: datetime | None = None
    last_used_at: datetime | None = field(default=None, compare=False)

    def grants(self, scope: str) -> bool:
        """Whether this token may use a route that needs ``scope`` (``admin`` implies every scope)."""
        return any(scope == held or scope in _IMPLIED.get(held, ()) for held in self.scopes)

    def viewer(self) -> Viewer:
        """The viewer this token's requests read as: private incidents only with ``read:private``."""
        return Viewer(include_private=self.grants("read:private"), name=self.name)

    def expired(self, now: datetime) -> bool:
        """Whether the token's lifetime has ended at ``now``."""
        return self.expires_at is not None and now >= self.expires_at

    def _to_json(self, digest: str) -> str:
        return json.dumps(
            {
                "id": self.id,
                "name": self.name,
                "hash": digest,
                "scopes": sorted(self.scopes),
                "created_at": self.created_at.isoformat(),
                "expires_at": self.expires_at.isoformat() if self.expires_at else None,
                "revoked_at": self.revoked_at.isoformat() if self.revoked_at else None,
            },
            sort_keys=True,
        )

    @classmethod
    def _from_json(cls, text: str) -> tuple[ApiToken, str]:
        raw = json.loads(text)
        created = _time(raw["created_at"])
        assert created is not None
        token = cls(
            id=raw["id"],
            name=raw["name"],
            scopes=frozenset(s for s in raw["scopes"] if s in SCOPES),
            created_at=created,
            expires_at=_time(raw["expires_at"]),
            revoked_at=_time(raw["revoked_at"]),
        )
        return token, str(raw["hash"])


@dataclass(frozen=True)
class IssuedToken:
    """A newly created token: its record, and the secret to show the user exactly once."""

    token: ApiToken
    secret: str


def _now() -> datetime:
    return datetime.now(UTC)


class TokenRegistry:
    """Issues, lists, revokes and checks API tokens through a store's meta values."""

    def __init__(
        self,
        store: GraphStore,
        *,
        clock: Callable[[], datetime] = _now,
        last_used_every: timedelta = LAST_USED_EVERY,
    ) -> None:
        """Keep the collaborators (no I/O).

        Args:
            store: An opened store; tokens live with the map they open.
            clock: The current time (tests pass a fixed one).
            last_used_every: Record a token's use at most this often, so a busy token does not
                cost a write per request.
        """
        self._store = store
        self._clock = clock
        self._last_used_every = last_used_every
        self._last_written: dict[str, datetime] = {}

    async def create(
        self, scopes: Iterable[Scope], *, name: str | None = None, expires_at: datetime | None = None
    ) -> IssuedToken:
        """Issue a token and store its hash.

        Args:
            scopes: At least one of ``SCOPES``.
            name: A unique name among unrevoked tokens; ``token-<id>`` when omitted.
            expires_at: When it stops working; ``None`` for never.

        Returns:
            The record and the secret (``prec_...``), which is not stored and can't be shown again.

        Raises:
            InvalidQuery: if no scope or an unknown one is given, or the name is taken.
        """
        wanted = frozenset(scopes)
        if not wanted or not wanted <= set(SCOPES):
            raise InvalidQuery(f"give at least one scope among {', '.join(SCOPES)}")
        token_id = f"tok_{secrets.token_hex(6)}"
        name = name or f"token-{token_id.removeprefix('tok_')}"
        await self._refuse_taken(name, await self._index())  # before writing anything, the usual case
        secret = TOKEN_PREFIX + secrets.token_urlsafe(_SECRET_BYTES)
        token = ApiToken(token_id, name, wanted, self._clock(), expires_at)
        digest = _digest(secret)
        await self._store.set_meta(_record_key(digest), token._to_json(digest))
        try:
            await self._add_to_index(digest, name)
        except InvalidQuery:
            # A concurrent create took the name first. This record is in no index, but its
            # secret would authenticate: disable it (the meta values have no delete).
            await self._store.set_meta(
                _record_key(digest), replace(token, revoked_at=self._clock())._to_json(digest)
            )
            raise
        return IssuedToken(token, secret)

    async def tokens(self) -> list[ApiToken]:
        """Every token ever issued (revoked ones included), oldest first, with when each was last used."""
        tokens = []
        async for _, token in self._records(await self._index()):
            used = _time(await self._store.get_meta(_used_key(token.id)))
            tokens.append(replace(token, last_used_at=used))
        return sorted(tokens, key=lambda t: (t.created_at, t.id))

    async def revoke(self, name_or_id: str) -> ApiToken:
        """Revoke the unrevoked token with this id or name; it fails from the next request on.

        Raises:
            NotFound: if no token has that id or name.
            InvalidQuery: if the tokens with that id or name are all revoked already (listed,
                they are there: "not found" sent the operator looking for a typo).
        """
        already: ApiToken | None = None
        async for digest, token in self._records(await self._index()):
            if name_or_id not in (token.id, token.name):
                continue
            if token.revoked_at is not None:
                already = token
                continue
            revoked = replace(token, revoked_at=self._clock())
            await self._store.set_meta(_record_key(digest), revoked._to_json(digest))
            return revoked
        if already is not None and already.revoked_at is not None:
            raise InvalidQuery(
                f"token {already.name!r} ({already.id}) was revoked already, at "
                f"{already.revoked_at.isoformat(timespec='minutes')}: nothing to do"
            )
        raise NotFound("token", name_or_id)

    async def authenticate(self, secret: str) -> ApiToken:
        """Return the token whose secret this is, if it is valid now.

        Raises:
            Unauthenticated: if the secret is malformed, unknown, revoked or expired.
        """
        if not secret.startswith(TOKEN_PREFIX):
            raise Unauthenticated("malformed")
        if len(secret) != _TOKEN_LENGTH:
            # A Precedent token cut short (or with a character too many) when it was pasted: not
            # one this map issued, which is what its holder needs to hear.
            raise Unauthenticated("unknown")
        digest = _digest(secret)
        text = await self._store.get_meta(_record_key(digest))
        if text is None:
            raise Unauthenticated("unknown")
        token, stored = ApiToken._from_json(text)
        # The keyed lookup already matched; comparing again in constant time keeps the check
        # itself free of timing differences whatever the store's lookup does.
        if not hmac.compare_digest(stored, digest):
            raise Unauthenticated("unknown")
        now = self._clock()
        if token.revoked_at is not None:
            raise Unauthenticated("revoked")
        if token.expired(now):
            raise Unauthenticated("expired")
        await self._note_use(token.id, now)
        return token

    async def _note_use(self, token_id: str, now: datetime) -> None:
        last = self._last_written.get(token_id)
        if last is None or now - last >= self._last_used_every:
            self._last_written[token_id] = now
            try:
                await self._store.set_meta(_used_key(token_id), now.isoformat())
            except ReadOnlyStore:
                # A server reading the map beside its writer can't record use; that is no reason to
                # refuse the request ("last used" is a convenience, not an audit log).
                log.debug("token %s used; not recorded on a read-only store", token_id)

    async def _add_to_index(self, digest: str, name: str) -> None:
        # Compare and set: a plain write of the list read before would drop a token another
        # create (another process on a Neo4j map) added meanwhile, leaving it valid but neither
        # listed nor revocable. The name is checked against the very list the write replaces,
        # so of two creates with one name the second to write finds the first's token (its
        # record is written before its digest joins the index) and is refused.
        async def appended(current: str | None) -> str:
            listed = list(json.loads(current)) if current else []
            await self._refuse_taken(name, listed)
            return json.dumps([*listed, digest])

        await update_meta(self._store, _INDEX, appended)

    async def _refuse_taken(self, name: str, digests: list[str]) -> None:
        """Raise ``InvalidQuery`` if an unrevoked token among ``digests`` has ``name``."""
        async for _, token in self._records(digests):
            if token.name == name and token.revoked_at is None:
                raise InvalidQuery(f"a token named {name!r} exists; revoke it first or pick another --name")

    async def _records(self, digests: list[str]) -> AsyncIterator[tuple[str, ApiToken]]:
        """The stored token of each digest, with its digest; a digest without a record is skipped."""
        for digest in digests:
            text = await self._store.get_meta(_record_key(digest))
            if text is not None:
                yield digest, ApiToken._from_json(text)[0]

    async def _index(self) -> list[str]:
        text = await self._store.get_meta(_INDEX)
        return list(json.loads(text)) if text else []
