"""The pages through an ASGI client: sign-in, redirects, CSRF, each page's content, visibility."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.web.conftest import Pages


async def test_smoke(pages: Pages) -> None:
    signed = await pages.sign_in(pages.org.private_token)
    assert signed.status_code == 303, signed.text
    for path in (
        "/ui/",
        f"/ui/investigations/{pages.org.public_investigation}",
        f"/ui/incidents/{pages.org.public_ref}",
        f"/ui/incidents/{pages.org.public_ref}/investigation",
        f"/ui/services/{pages.org.service_name}",
        "/ui/search?q=database",
    ):
        r = await pages.client.get(path)
        assert r.status_code == 200, (path, r.text[:3000])
