"""Precedent's errors as MCP tool errors: the agent reads what to change, the server keeps running."""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING

from mcp.server.mcpserver.exceptions import ToolError

from precedent.errors import (
    InvalidQuery,
    NotFound,
    PrecedentError,
    SchemaError,
    StoreError,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["tool_errors"]

log = logging.getLogger("precedent.mcp")

_NOT_FOUND_HINTS = {
    "incident": "pass an incident id or a reference such as INC-123",
    "service": "pass a service id or name",
}
# Where an agent finds what to pass: said after the error's own hint when it has one (how to name
# a service), so the advice is given once.
_FOUND_BY = {
    "incident": "the `search` tool finds them",
    "service": "the precedent://services resource lists them; the `search` tool finds one by its words",
}


@contextmanager
def tool_errors() -> Iterator[None]:
    """Turn Precedent's anticipated errors into ``ToolError`` messages that say what to change.

    Raises:
        ToolError: for an unknown incident or service, a bad argument, or a store that failed
            (told in the store's ``client_detail``, as the HTTP API tells it).
    """
    try:
        yield
    except NotFound as exc:
        if exc.kind == "incident" and str(exc.id).startswith("inv:"):
            hint = (
                ": that is an investigation's id, not an incident's; no tool fetches an investigation "
                "by id: pass the incident it investigates (an id or INC-123) and get_investigation "
                "answers with its latest stored investigation"
            )
        else:
            found_by = f" ({_FOUND_BY[exc.kind]})" if exc.kind in _FOUND_BY else ""
            hint = found_by if exc.hint else f": {_NOT_FOUND_HINTS.get(exc.kind, 'check the id')}{found_by}"
        raise ToolError(f"{exc}{hint}") from exc
    except (InvalidQuery, SchemaError, ValueError) as exc:
        raise ToolError(f"invalid arguments: {exc}") from exc
    except StoreUnavailable as exc:
        # The agent may be told only a generic text (``client_detail``): the log has the cause.
        log.warning("tool refused error=%s: %s", type(exc).__name__, exc)
        raise ToolError(exc.client_detail()) from exc
    except StoreError as exc:
        # Not an outage: the message may quote the database driver. The log has it, in full.
        log.error("tool failed error=%s", type(exc).__name__, exc_info=exc)
        raise ToolError(exc.client_detail()) from exc
    except PrecedentError as exc:
        raise ToolError(str(exc)) from exc
