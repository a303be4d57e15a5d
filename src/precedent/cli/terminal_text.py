"""Free text for the terminal: rich markup escaped, bidirectional controls shown as code points.

The CLI's one ``escape``: CI's "[skip ci]" is not rich markup, and a U+202E in a change's version
must not reorder the table it is printed in (``precedent.visible_text`` says why).
"""

from __future__ import annotations

from rich.markup import escape as escape_markup

from precedent.visible_text import visible_controls

__all__ = ["escape"]


def escape(text: str) -> str:
    """``text`` safe to print through rich: its markup escaped, its bidi controls made visible."""
    return escape_markup(visible_controls(text))
