"""The token registry on both stores: secrets shown once, only hashes kept, scopes, revocation, expiry."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

from precedent.auth import TOKEN_PREFIX, TokenRegistry
from precedent.errors import InvalidQuery, NotFound, Unauthenticated
from precedent.model import Viewer
from precedent.store.embedded import EmbeddedStore

if TYPE_CHECKING:
    from pathlib import Path

    from precedent.store import GraphStore


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def _meta_values(store: GraphStore, registry: TokenRegistry) -> list[str]:
    keys = ["api_tokens"]
    for token in await registry.tokens():
        keys.append(f"api_token_used:{token.id}")
    index = await store.get_meta("api_tokens")
    assert index is not None
    values = [index]
    for key in keys:
        values.append(await store.get_meta(key) or "")
    for digest in index.strip("[]").replace('"', "").split(", "):
        values.append(await store.get_meta(f"api_token:{digest}") or "")
    return values


async def test_create_then_authenticate_keeps_only_a_hash(store: GraphStore) -> None:
    registry = TokenRegistry(store)
    issued = await registry.create(["read", "read:private"], name="grafana")
    assert issued.secret.startswith(TOKEN_PREFIX)
    assert len(issued.secret) == len(TOKEN_PREFIX) + 43
    token = await registry.authenticate(issued.secret)
    assert (token.id, token.name, token.scopes) == (issued.token.id, "grafana", {"read", "read:private"})
    assert token.viewer() == Viewer(include_private=True, name="grafana")
    stored = await _meta_values(store, registry)
    assert not any(issued.secret in value for value in stored)
    assert any(hashlib.sha256(issued.secret.encode()).hexdigest() in value for value in stored)


async def test_every_secret_is_different(store: GraphStore) -> None:
    registry = TokenRegistry(store)
    secrets = {(await registry.create(["read"])).secret for _ in range(5)}
    assert len(secrets) == 5


@pytest.mark.parametrize(
    ("scopes", "grants", "denies", "private"),
    [
        (["read"], {"read", "metrics"}, {"read:private", "write", "admin"}, False),
        (["read:private"], {"read", "read:private", "metrics"}, {"write", "admin"}, True),
        (["write"], {"write"}, {"read", "read:private", "metrics", "admin"}, False),
        (["metrics"], {"metrics"}, {"read", "read:private", "write", "admin"}, False),
        (["metrics", "read:private"], {"metrics", "read", "read:private"}, {"write", "admin"}, True),
        (["admin"], {"read", "read:private", "write", "metrics", "admin"}, set(), True),
    ],
)
async def test_scopes_and_what_they_imply(
    embedded_store: GraphStore, scopes: list[str], grants: set[str], denies: set[str], private: bool
) -> None:
    token = (await TokenRegistry(embedded_store).create(scopes)).token  # type: ignore[arg-type]
    assert all(token.grants(s) for s in grants)
    assert not any(token.grants(s) for s in denies)
    assert token.viewer().include_private is private


async def test_refusals_say_why_for_the_metrics(store: GraphStore) -> None:
    clock = Clock()
    registry = TokenRegistry(store, clock=clock)
    live = await registry.create(["read"], name="live", expires_at=clock.now + timedelta(hours=1))
    gone = await registry.create(["read"], name="gone")
    await registry.revoke(gone.token.id)
    cases = {
        "malformed": "hunter2",
        "unknown": TOKEN_PREFIX + "x" * 43,
        # Cut short when pasted: still a Precedent token, just not one this map issued.
        "cut short": live.secret[:-1],
        "revoked": gone.secret,
    }
    for reason, secret in cases.items():
        with pytest.raises(Unauthenticated) as refused:
            await registry.authenticate(secret)
        assert refused.value.reason == ("unknown" if reason == "cut short" else reason)
        assert secret not in str(refused.value)
    assert (await registry.authenticate(live.secret)).name == "live"
    clock.now += timedelta(hours=1)
    with pytest.raises(Unauthenticated) as expired:
        await registry.authenticate(live.secret)
    assert expired.value.reason == "expired"


async def test_list_revoke_by_name_and_last_used(store: GraphStore) -> None:
    clock = Clock()
    registry = TokenRegistry(store, clock=clock, last_used_every=timedelta(hours=1))
    first = await registry.create(["read"], name="first")
    clock.now += timedelta(minutes=1)
    await registry.create(["admin"], name="second", expires_at=clock.now + timedelta(days=90))
    await registry.authenticate(first.secret)
    listed = await registry.tokens()
    assert [t.name for t in listed] == ["first", "second"]
    assert listed[0].last_used_at == clock.now
    assert listed[1].last_used_at is None
    assert listed[1].expires_at == clock.now + timedelta(days=90)

    clock.now += timedelta(minutes=5)
    await registry.authenticate(first.secret)  # within the interval: not written again
    assert (await registry.tokens())[0].last_used_at == clock.now - timedelta(minutes=5)

    revoked = await registry.revoke("first")
    assert revoked.revoked_at == clock.now
    assert (await registry.tokens())[0].revoked_at == clock.now
    # Listed as revoked, so not "not found" (which sent the operator looking for a typo).
    with pytest.raises(InvalidQuery, match=r"token 'first' \(tok_\w+\) was revoked already, at "):
        await registry.revoke("first")
    with pytest.raises(NotFound):
        await registry.revoke("never-made")
    # The name is free again once its token is revoked.
    await registry.create(["read"], name="first")


async def test_create_refuses_a_taken_name_and_no_scope(embedded_store: GraphStore) -> None:
    registry = TokenRegistry(embedded_store)
    await registry.create(["read"], name="bot")
    with pytest.raises(InvalidQuery, match="exists"):
        await registry.create(["read"], name="bot")
    with pytest.raises(InvalidQuery, match="at least one scope"):
        await registry.create([])
    with pytest.raises(InvalidQuery, match="at least one scope"):
        await registry.create(["superuser"])  # type: ignore[list-item]


async def test_a_reader_beside_the_writer_authenticates_new_and_revoked_tokens(tmp_path: Path) -> None:
    writer = EmbeddedStore(tmp_path / "graph", dimensions=384)
    await writer.open()
    reader = EmbeddedStore(tmp_path / "graph", read_only=True)
    await reader.open()
    try:
        issued = await TokenRegistry(writer).create(["read"], name="late")
        await reader.refresh()
        serving = TokenRegistry(reader)
        # Use can't be recorded on a reader; the request is not refused for it.
        assert (await serving.authenticate(issued.secret)).name == "late"
        await TokenRegistry(writer).revoke("late")
        await reader.refresh()
        with pytest.raises(Unauthenticated):
            await serving.authenticate(issued.secret)
    finally:
        await reader.close()
        await writer.close()


async def test_tokens_created_at_once_are_all_listed_and_revocable(store: GraphStore) -> None:
    # Two `precedent token create` against one Neo4j map, or two requests of one process: a
    # token left out of the index would authenticate but could never be listed nor revoked.
    registries = [TokenRegistry(store) for _ in range(6)]
    issued = await asyncio.gather(*(r.create(["read"], name=f"ci-{i}") for i, r in enumerate(registries)))
    registry = TokenRegistry(store)
    assert sorted(t.name for t in await registry.tokens()) == sorted(i.token.name for i in issued)
    for token in issued:
        await registry.revoke(token.token.name)
        with pytest.raises(Unauthenticated):
            await registry.authenticate(token.secret)


async def test_tokens_created_at_once_with_one_name_leave_exactly_one(store: GraphStore) -> None:
    # Two `precedent token create --name ci` at once both passed the name check before either
    # wrote, leaving two tokens one name could not tell apart (revoke would take either).
    registries = [TokenRegistry(store) for _ in range(4)]
    results = await asyncio.gather(
        *(r.create(["read"], name="ci") for r in registries), return_exceptions=True
    )
    issued = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    assert len(issued) == 1
    assert [str(e) for e in refused] == [
        "a token named 'ci' exists; revoke it first or pick another --name"
    ] * 3
    assert [t.name for t in await TokenRegistry(store).tokens()] == ["ci"]
    assert (await TokenRegistry(store).authenticate(issued[0].secret)).name == "ci"
