"""The schema pages load every file they need from this service: no CDN, so they work offline."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from swagger_ui_bundle import swagger_ui_path

from precedent.api import schema_assets
from precedent.api.schema_assets import asset_url

if TYPE_CHECKING:
    from tests.api.conftest import Api

REDOC = Path(schema_assets.__file__).parent / "vendor" / "redoc-2.5.4"
# What each page must load, and the bytes it must get: the packaged files, unchanged.
EXPECTED = {
    "/schema": {asset_url("redoc.standalone.js"): REDOC / "redoc.standalone.js"},
    "/schema/redoc": {asset_url("redoc.standalone.js"): REDOC / "redoc.standalone.js"},
    "/schema/swagger": {
        asset_url(name): Path(str(swagger_ui_path)) / name
        for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css")
    },
}


@pytest.mark.parametrize("page", sorted(EXPECTED))
async def test_a_schema_page_loads_only_files_this_service_serves(read_api: Api, page: str) -> None:
    # They loaded Redoc and Swagger UI (and a favicon) from cdn.jsdelivr.net: blank pages on a
    # machine that reaches no CDN, and a CDN's script running on the origin that serves /ui.
    html = (await read_api.client.get(page)).text
    head = html[: html.index("</head>")]
    loaded = re.findall(r"""(?:src|href)=["']([^"']+)["']""", head)
    assert sorted(loaded) == sorted(EXPECTED[page]), loaded
    assert "://" not in head
    for url, packaged in EXPECTED[page].items():
        response = await read_api.client.get(url)  # no token, as for the page itself
        assert response.status_code == 200, (url, response.text[:200])
        assert response.content == packaged.read_bytes()
        kind = "text/css" if url.endswith(".css") else "javascript"
        assert kind in response.headers["content-type"]
        assert b"url(http" not in response.content  # a stylesheet fetching fonts from elsewhere


async def test_only_the_pages_files_are_served(read_api: Api) -> None:
    for name in ("index.html", "swagger-ui-bundle.js.map", "..%2F..%2Fapp.py", "LICENSE"):
        assert (await read_api.client.get(f"/schema/assets/{name}")).status_code == 404, name
    for path in ("/schema/elements", "/schema/rapidoc"):
        assert (await read_api.client.get(path)).status_code == 404, path
    assert (await read_api.client.get("/schema/openapi.yaml")).status_code == 200


def test_a_page_naming_a_file_not_served_fails_when_built() -> None:
    with pytest.raises(KeyError, match="not one of the schema pages' files"):
        asset_url("redoc.js")
