"""Precedent: a self-hostable knowledge map of production for incident response.

In a notebook: ``import precedent; map = await precedent.connect()`` (see ``precedent.notebook``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from precedent.notebook import connect

__version__ = "0.1.0"
__all__ = ["__version__", "connect"]


def __getattr__(name: str) -> Any:
    # The notebook API imports the runtime (and through it the model library); the CLI and the
    # service should not pay for that when they only need ``__version__``.
    if name == "connect":
        from precedent.notebook import connect

        return connect
    raise AttributeError(f"module 'precedent' has no attribute {name!r}")
