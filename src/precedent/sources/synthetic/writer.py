"""Stream API-shaped JSON to disk without holding a whole export in memory.

Three shapes cover every export file: a plain response object (``write_json``), a list endpoint written
as a JSON array of pages (``PagedWriter``, the way a client that follows ``pagination_meta.after``
would have saved them), and an object keyed by a parent id (``KeyedWriter``).
"""

from __future__ import annotations

import json
from typing import IO, TYPE_CHECKING, Self

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path
    from types import TracebackType

__all__ = ["KeyedWriter", "ListWriter", "PagedWriter", "dumps", "write_json"]

# Compact separators keep 100k-incident exports small; ensure_ascii=False keeps names readable.
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_BUFFER = 1 << 20


def dumps(value: object) -> str:
    """Serialise one value compactly."""
    return _ENCODER.encode(value)


def write_json(path: Path, value: object) -> None:
    """Write one small response object."""
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        handle.write(dumps(value))
        handle.write("\n")


class _Stream:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._handle: IO[str] | None = None

    def _open(self) -> IO[str]:
        if self._handle is None:
            self._handle = self._path.open("w", encoding="utf-8", newline="\n", buffering=_BUFFER)
        return self._handle

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Finish the document and close the file."""
        raise NotImplementedError


class ListWriter(_Stream):
    """Write ``{"<key>": [item, ...]}`` one item at a time (unpaginated list endpoints)."""

    def __init__(self, path: Path, key: str) -> None:
        super().__init__(path)
        self._key = key
        self._count = 0
        self._open().write('{"' + key + '":[')

    def add(self, item: object) -> None:
        """Append one item."""
        handle = self._open()
        if self._count:
            handle.write(",")
        handle.write(dumps(item))
        self._count += 1

    def close(self) -> None:
        """Finish the document and close the file."""
        if self._handle is not None:
            self._handle.write("]}\n")
            self._handle.close()
            self._handle = None


class PagedWriter(_Stream):
    """Write a list endpoint as a JSON array of response pages of ``page_size`` items.

    A full page is held back until the next item arrives, because only then do we know it needs an
    ``after`` cursor (the API omits ``after`` on the last page).
    """

    def __init__(
        self,
        path: Path,
        key: str,
        *,
        page_size: int = 250,
        extra: Callable[[], dict[str, object]] | None = None,
        total: int | None = None,
    ) -> None:
        super().__init__(path)
        self._key = key
        self._page_size = page_size
        self._extra = extra
        self._total = total
        self._page: list[object] = []
        self._last_id = ""
        self._pages = 0
        self._open().write("[")

    def add(self, item: dict[str, object]) -> None:
        """Append one item, flushing a page when the next one starts."""
        if len(self._page) == self._page_size:
            self._flush(more=True)
        self._page.append(item)
        self._last_id = str(item.get("id", ""))

    def _flush(self, *, more: bool) -> None:
        meta: dict[str, object] = {"page_size": self._page_size}
        if more:
            meta["after"] = self._last_id
        if self._total is not None:
            meta["total_record_count"] = self._total
        page: dict[str, object] = {self._key: self._page}
        if self._extra is not None:
            page.update(self._extra())
        page["pagination_meta"] = meta
        handle = self._open()
        if self._pages:
            handle.write(",\n")
        handle.write(dumps(page))
        self._pages += 1
        self._page = []

    def close(self) -> None:
        """Write the last page (even an empty one) and close the file."""
        if self._handle is not None:
            if self._page or not self._pages:
                self._flush(more=False)
            self._handle.write("]\n")
            self._handle.close()
            self._handle = None


class KeyedWriter(_Stream):
    """Write ``{"<parent id>": response, ...}`` one entry at a time."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self._count = 0
        self._open().write("{")

    def add(self, key: str, value: object) -> None:
        """Add the response for one parent id."""
        handle = self._open()
        if self._count:
            handle.write(",\n")
        handle.write(dumps(key) + ":" + dumps(value))
        self._count += 1

    def close(self) -> None:
        """Finish the document and close the file."""
        if self._handle is not None:
            self._handle.write("}\n")
            self._handle.close()
            self._handle = None
