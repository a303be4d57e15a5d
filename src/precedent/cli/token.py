"""``precedent token create|list|revoke``: the API's bearer tokens, stored (hashed) with the map.

With the embedded store, stop ``serve`` first (the store belongs to one process); with Neo4j a
running server sees a new or revoked token on its next request.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Column, Table

from precedent.auth import LAST_USED_EVERY, SCOPES, ApiToken, TokenRegistry, parse_expiry
from precedent.errors import NotFound
from precedent.responses.base import utc_text
from precedent.runtime import Runtime

if TYPE_CHECKING:
    from precedent.config import Settings

__all__ = ["register", "run"]


def _expiry(text: str) -> datetime | None:
    try:
        return parse_expiry(text, datetime.now(UTC))
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``token`` sub-command and its ``create``, ``list`` and ``revoke`` actions."""
    parser = subparsers.add_parser("token", help="create, list and revoke API tokens")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = actions.add_parser("create", help="issue a token (printed once, on the last line)")
    create.add_argument(
        "--scope",
        dest="scopes",
        action="append",
        choices=SCOPES,
        required=True,
        help=(
            "repeat for several: read, read:private (private incidents), write, "
            "metrics (/metrics only, for a scraper), admin (all)"
        ),
    )
    create.add_argument("--name", help="a unique name, shown in logs as the viewer (default token-<id>)")
    create.add_argument(
        "--expires",
        type=_expiry,
        default=None,
        metavar="WHEN",
        help="12h, 90d, 2w, an ISO date such as 2027-03-01, or never (the default)",
    )
    listing = actions.add_parser("list", help="list tokens (never the tokens themselves)")
    listing.add_argument("--json", action="store_true", help="print JSON instead of a table")
    revoke = actions.add_parser("revoke", help="revoke a token by name or id")
    revoke.add_argument(
        "token",
        metavar="NAME_OR_ID",
        help="the token's name, or its id (tok_...), as `precedent token list` shows",
    )
    parser.set_defaults(handler=run)


def _when(value: datetime | None, empty: str) -> str:
    return value.isoformat(timespec="seconds") if value else empty


def _short(value: datetime | None, empty: str) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else empty


def _row(token: ApiToken) -> dict[str, object]:
    # Times in the one shape every --json and API answer writes (``utc_text``), not "+00:00".
    return {
        "id": token.id,
        "name": token.name,
        "scopes": sorted(token.scopes),
        "created_at": utc_text(token.created_at),
        "expires_at": token.expires_at and utc_text(token.expires_at),
        "revoked_at": token.revoked_at and utc_text(token.revoked_at),
        "last_used_at": token.last_used_at and utc_text(token.last_used_at),
    }


async def run(args: argparse.Namespace, settings: Settings) -> int:
    """Create, list or revoke tokens in the configured store."""
    # Tokens are meta values: no model needed. Creating and revoking write the map; listing only
    # reads it, so it opens read-only and works beside a running `serve` (the one writer of an
    # embedded map), where an operator checks whether a client's token expired or was revoked.
    read_only = args.action == "list"
    async with Runtime.from_settings(settings, model=False, read_only=read_only) as runtime:
        registry = TokenRegistry(runtime.store)
        if args.action == "create":
            issued = await registry.create(args.scopes, name=args.name, expires_at=args.expires)
            token = issued.token
            # Plain text: rich wrapped this one line at 80 columns and read "[ci]" in a name as markup.
            print(
                f"created {token.name} ({token.id}) with {', '.join(sorted(token.scopes))}, "
                f"expires {_when(token.expires_at, 'never')}; it is shown once, store it now:",
                file=sys.stderr,
            )
            print(issued.secret)
        elif args.action == "list":
            _print_tokens(await registry.tokens(), as_json=args.json)
        else:
            try:
                revoked = await registry.revoke(args.token)
            except NotFound as exc:
                raise NotFound(
                    "token", args.token, hint="`precedent token list` shows each name and id"
                ) from exc
            print(f"revoked {revoked.name} ({revoked.id})")
    return 0


def _print_tokens(tokens: list[ApiToken], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps([_row(t) for t in tokens], indent=2))
        return
    table = Table(
        Column("name", no_wrap=True),
        Column("id", no_wrap=True),
        "scopes",
        "created",
        "expires",
        "last used",
        "state",
    )
    for token in tokens:
        state = "revoked" if token.revoked_at else "expired" if token.expired(datetime.now(UTC)) else "active"
        table.add_row(
            token.name,
            token.id,
            " ".join(sorted(token.scopes)),
            _short(token.created_at, ""),
            _short(token.expires_at, "never"),
            _short(token.last_used_at, "-"),
            state,
        )
    # Wide enough that ids and times never wrap when the output is piped (rich assumes 80 columns).
    console = Console(width=max(Console().width, 130))
    console.print(table)
    # A use is recorded at most this often: a token used a minute ago may show an hour-old time.
    hours = LAST_USED_EVERY.total_seconds() / 3600
    console.print(
        f"last used: recorded at most every {hours:g}h per token, so it may be up to {hours:g}h behind"
    )
