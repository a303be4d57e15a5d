"""Let hypothesis-jsonschema 0.23.1 (the latest release) run on current Hypothesis.

hypothesis-jsonschema draws object properties with ``cu.many(...).more()``, a private Hypothesis
helper whose API became ``with many(...) as elements: for _ in elements:`` in recent Hypothesis
releases, so every object schema fails with ``'many' object has no attribute 'more'``. This adapter
offers the old ``more()``/``reject()`` API on top of the new class. It is installed only when the
running Hypothesis lacks ``more()``; delete this module once hypothesis-jsonschema ships a fix or
Hypothesis is pinned below the change.
"""

from __future__ import annotations

import types
from typing import Any

import hypothesis_jsonschema._from_schema as _from_schema
from hypothesis.internal.conjecture import utils as cu

__all__ = ["install"]


class _LegacyMany:
    """``cu.many`` with the pre-2025 ``more()`` interface."""

    def __init__(self, data: Any, min_size: int, max_size: float, average_size: float) -> None:
        self._many = cu.many(data, min_size=min_size, max_size=max_size, average_size=average_size)
        self._many.__enter__()
        self._elements = iter(self._many)
        self._open = True

    def more(self) -> bool:
        if not self._open:
            return False
        try:
            next(self._elements)
        except StopIteration:
            self._many.__exit__(None, None, None)
            self._open = False
            return False
        return True

    def reject(self, why: str | None = None) -> None:
        self._many.reject(why)


def install() -> None:
    """Point hypothesis-jsonschema at the adapter if this Hypothesis needs it (idempotent)."""
    if not hasattr(cu.many, "more"):
        _from_schema.cu = types.SimpleNamespace(many=_LegacyMany)  # type: ignore[attr-defined, assignment]
