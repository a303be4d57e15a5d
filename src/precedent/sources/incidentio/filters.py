"""Build incident.io filter query parameters by hand: ``field[operator]=value``.

The spec declares filters as object parameters without ``style: deepObject``, so generated clients
send ``one_of=X`` and the API silently ignores the filter. Precedent writes the bracketed keys
itself; httpx then percent-encodes them (``updated_at%5Bgte%5D=2024-05-01``) and repeats a key
once per value of a list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime

__all__ = ["FilterValue", "QueryParams", "QueryValue", "filter_params"]

QueryValue = str | int | float | bool
"""One value of a query parameter; httpx writes booleans as ``true``/``false``."""

QueryParams = Mapping[str, QueryValue | Sequence[QueryValue]]
"""Query parameters; a sequence value repeats the key once per item."""

FilterValue = str | int | bool | date | datetime
"""A filter operand; dates and (timezone-aware) datetimes are written in ISO 8601."""


def filter_params(
    field: str,
    operator: str,
    value: FilterValue | Sequence[FilterValue],
    *,
    key: str | None = None,
) -> dict[str, QueryValue | list[QueryValue]]:
    """One incident.io filter as query parameters.

    Merge several with ``{**a, **b}`` (distinct fields) before passing them as ``params``.

    Examples:
        ``filter_params("updated_at", "gte", date(2024, 5, 1))`` →
        ``{"updated_at[gte]": "2024-05-01"}``;
        ``filter_params("mode", "one_of", ["standard", "test"])`` →
        ``{"mode[one_of]": ["standard", "test"]}`` (sent as two ``mode[one_of]`` pairs);
        ``filter_params("custom_field", "one_of", [option_id], key=field_id)`` →
        ``{"custom_field[<field_id>][one_of]": [option_id]}``.

    Args:
        field: The filter name, e.g. ``updated_at``, ``status_category``, ``custom_field``.
        operator: ``one_of``, ``not_in``, ``gte``, ``lte``, ``date_range``, ``is_blank``…
        value: One operand, or a list of operands (the key is repeated for each).
        key: The nested id for ``custom_field`` and ``incident_role`` filters.

    Returns:
        A one-entry mapping from the bracketed key to the encoded value(s).

    Raises:
        ValueError: If a name is empty or holds a bracket, or a datetime is naive.
    """
    for part in (field, operator, key):
        if part is not None and (not part or "[" in part or "]" in part):
            raise ValueError(f"filter names must be non-empty and bracket-free, got {part!r}")
    name = f"{field}[{key}][{operator}]" if key is not None else f"{field}[{operator}]"
    if isinstance(value, (str, int, bool, date)):
        return {name: _encode(value)}
    return {name: [_encode(item) for item in value]}


def _encode(value: FilterValue) -> QueryValue:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError(f"filter datetimes must be timezone-aware, got {value.isoformat()}")
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    return value
