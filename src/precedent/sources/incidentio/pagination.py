"""Cursor pagination rules for incident.io list endpoints: page-size caps and when to stop.

incident.io lists take ``page_size`` and ``after`` and answer with ``pagination_meta.after``.
Caps differ per endpoint and the spec is not always right about them (``/v2/incidents`` declares a
maximum of 500 but its description says 250); they live in the endpoint registry
(``endpoints.py``). The rules here are pure; ``IncidentIoClient.paginate`` drives them.
"""

from __future__ import annotations

from collections.abc import Mapping

from precedent.sources.incidentio.endpoints import endpoint_for

__all__ = ["count_items", "next_cursor", "page_size_for"]


def page_size_for(path: str, requested: int | None) -> int | None:
    """The ``page_size`` to send to ``path``.

    Args:
        path: The endpoint path, e.g. ``/v2/incidents``.
        requested: What the caller asked for, or ``None`` for the endpoint's maximum.

    Returns:
        ``requested`` clamped to the endpoint's cap; the cap when nothing was requested; the
        request unchanged for an endpoint without a cap (``None`` sends no ``page_size``).

    Raises:
        ValueError: If ``requested`` is less than 1.
    """
    if requested is not None and requested < 1:
        raise ValueError(f"page_size must be at least 1, got {requested}")
    endpoint = endpoint_for(path)
    cap = endpoint.page_size if endpoint is not None else None
    if cap is None:
        return requested
    return cap if requested is None else min(requested, cap)


def next_cursor(page: Mapping[str, object]) -> str | None:
    """The ``pagination_meta.after`` cursor of a page, or ``None`` when it is absent or empty."""
    meta = page.get("pagination_meta")
    if not isinstance(meta, Mapping):
        return None
    after = meta.get("after")
    return after if isinstance(after, str) and after else None


def count_items(page: Mapping[str, object]) -> int:
    """How many records a page holds: the lengths of its top-level lists, summed.

    Nested record groups such as schedule entries' ``{"scheduled": [], "overrides": [],
    "final": []}`` are counted one level down.
    """
    total = 0
    for key, value in page.items():
        if key == "pagination_meta":
            continue
        if isinstance(value, list):
            total += len(value)
        elif isinstance(value, Mapping):
            total += sum(len(v) for v in value.values() if isinstance(v, list))
    return total
