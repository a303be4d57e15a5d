"""API tokens: issue, list, revoke and authenticate bearer tokens stored (as hashes) with the map."""

from precedent.auth.expiry import parse_expiry
from precedent.auth.tokens import (
    LAST_USED_EVERY,
    SCOPES,
    TOKEN_PREFIX,
    ApiToken,
    IssuedToken,
    Scope,
    TokenRegistry,
)

__all__ = [
    "LAST_USED_EVERY",
    "SCOPES",
    "TOKEN_PREFIX",
    "ApiToken",
    "IssuedToken",
    "Scope",
    "TokenRegistry",
    "parse_expiry",
]
