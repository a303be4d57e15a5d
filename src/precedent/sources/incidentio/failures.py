"""Turn an incident.io error answer into Precedent's error tree, with a message saying what to do.

incident.io error bodies look like ``{"type", "status", "request_id", "errors": [{"code",
"message"}]}``; older tools also saw a top-level ``message``. Neither is guaranteed, so every
reader here is lenient.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from precedent.errors import IncidentIoAuthError, IncidentIoRateLimited, SourceError
from precedent.sources.incidentio.endpoints import required_scopes

if TYPE_CHECKING:
    import httpx

__all__ = ["auth_error", "error_message", "exhausted_error", "rate_limited_error", "status_error"]

API_KEY_SETTING = "PRECEDENT_INCIDENTIO_API_KEY"
KEYS_PAGE = "https://app.incident.io/settings/api-keys"


def error_message(response: httpx.Response) -> str | None:
    """The human-readable message in an error body, if there is one."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list):
        messages = [e["message"] for e in errors if isinstance(e, dict) and isinstance(e.get("message"), str)]
        if messages:
            return "; ".join(messages)
    message = body.get("message")
    return message if isinstance(message, str) and message else None


def _request_id(response: httpx.Response) -> str:
    try:
        body = json.loads(response.content)
    except ValueError:
        return ""
    rid = body.get("request_id") if isinstance(body, dict) else None
    return f" (request_id {rid})" if isinstance(rid, str) and rid else ""


def auth_error(path: str, response: httpx.Response) -> IncidentIoAuthError:
    """The error for a 401 (bad key) or 403 (missing scope) answer to ``GET path``."""
    detail = error_message(response)
    suffix = f" incident.io said: {detail}" if detail else ""
    if response.status_code == 401:
        return IncidentIoAuthError(
            f"incident.io rejected the API key (401). Check {API_KEY_SETTING} holds a current key "
            f"(create one at {KEYS_PAGE}).{suffix}",
            status=401,
        )
    scopes = required_scopes(path)
    scope = ", ".join(scopes) or None
    needs = f"the {scope} scope" if scope else "a scope this endpoint needs"
    return IncidentIoAuthError(
        f"incident.io refused GET {path} (403): the API key lacks {needs}. Create a key with that "
        f"permission at {KEYS_PAGE} (roles can only be set when a key is created).{suffix}",
        status=403,
        scope=scope,
    )


def rate_limited_error(path: str, retry_after: float | None, attempts: int) -> IncidentIoRateLimited:
    """The error when 429s outlast the retry budget (or ask for a wait longer than it allows)."""
    when = f"; incident.io asks to wait {retry_after:.0f}s" if retry_after is not None else ""
    return IncidentIoRateLimited(
        f"incident.io kept rate-limiting GET {path} after {attempts} attempt(s){when}. Try again "
        "later, or lower PRECEDENT_INCIDENTIO_REQUESTS_PER_MINUTE if other integrations share the "
        "organisation's limit.",
        retry_after=retry_after,
    )


def status_error(path: str, response: httpx.Response, attempts: int) -> SourceError:
    """The error for any other non-2xx answer (5xx after retries, or a 4xx not worth retrying)."""
    status = response.status_code
    detail = error_message(response)
    said = f": {detail}" if detail else ""
    rid = _request_id(response)
    if status >= 500:
        return SourceError(
            f"incident.io failed GET {path} with {status} after {attempts} attempt(s){said}{rid}. "
            "It is probably a transient outage: check https://status.incident.io and re-run the sync.",
            status=status,
        )
    if status == 404:
        # Precedent asks only for ids incident.io gave it (a listing, a webhook): a 404 is about the
        # object, the key's organisation, or (on every request) the base URL.
        advice = (
            f"incident.io has no such object for this API key: it was deleted, or {API_KEY_SETTING} "
            "belongs to another incident.io organisation than the one sending the data (if every "
            "request gets 404, check PRECEDENT_INCIDENTIO_BASE_URL)."
        )
    else:
        advice = "check the request parameters."
    return SourceError(
        f"incident.io answered {status} to GET {path}{said}{rid}. This is not retried; {advice}",
        status=status,
    )


def exhausted_error(path: str, exc: Exception, attempts: int, host: str) -> SourceError:
    """The error when timeouts or transport failures outlast the retry budget."""
    return SourceError(
        f"incident.io did not answer GET {path} after {attempts} attempt(s) "
        f"({type(exc).__name__}: {str(exc) or 'no detail'}). Check network access to {host} "
        "(proxy, DNS, firewall) and that PRECEDENT_INCIDENTIO_BASE_URL names incident.io's API, then "
        "re-run the sync."
    )
