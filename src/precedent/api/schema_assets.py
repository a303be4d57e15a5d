"""The interactive schema pages' scripts and styles, served by Precedent itself.

A self-hosted Precedent often runs where browsers reach no CDN, and the pages (Redoc at
``/schema``, Swagger UI at ``/schema/swagger``) were blank there. Swagger UI's files come from the
``swagger-ui-bundle-v2`` package (swagger-ui-dist, unchanged); Redoc's, which no Python package
ships alone, are vendored under ``vendor/`` with their licences (``vendor/README.md``). Only the
files the pages name are served, under the public ``/schema`` prefix like the pages themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from litestar import get
from litestar.params import FromPath
from litestar.response import File
from swagger_ui_bundle import swagger_ui_path

from precedent.errors import NotFound

__all__ = ["ASSETS_PATH", "asset_url", "schema_asset"]

ASSETS_PATH: Final = "/schema/assets"
"""Where the files are served; under ``/schema``, so they need no token, as the pages do not."""

_REDOC = Path(__file__).parent / "vendor" / "redoc-2.5.4"
_FILES: Final[dict[str, Path]] = {
    "redoc.standalone.js": _REDOC / "redoc.standalone.js",
    "swagger-ui-bundle.js": Path(str(swagger_ui_path)) / "swagger-ui-bundle.js",
    "swagger-ui-standalone-preset.js": Path(str(swagger_ui_path)) / "swagger-ui-standalone-preset.js",
    "swagger-ui.css": Path(str(swagger_ui_path)) / "swagger-ui.css",
}

# Explicit: guessing from the name depends on the machine's MIME table.
_MEDIA_TYPES: Final = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def asset_url(name: str) -> str:
    """The URL path a page loads the file ``name`` from.

    Raises:
        KeyError: if ``name`` is not one of the files served (a page naming a file it cannot load).
    """
    if name not in _FILES:
        raise KeyError(f"{name!r} is not one of the schema pages' files: {sorted(_FILES)}")
    return f"{ASSETS_PATH}/{name}"


@get(f"{ASSETS_PATH}/{{name:str}}", include_in_schema=False, sync_to_thread=False)
def schema_asset(name: FromPath[str]) -> File:
    """One of the schema pages' files, by name.

    Raises:
        NotFound: for any other name.
    """
    path = _FILES.get(name)
    if path is None:
        raise NotFound("schema page file", name)
    return File(path, content_disposition_type="inline", media_type=_MEDIA_TYPES[path.suffix])
