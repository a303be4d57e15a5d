"""Each refusal README.md quotes is the one the API gives for what it names.

Found by trying the README's examples: it quoted an investigation's change window refused as
"the change window must be more than 0 and at most 720 hours (30 days), not 0 hours", words no
surface has used since the refusals were made one ("change_window_hours must be a number of hours
above 0 and at most 720, not 0: ...").
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from tests.api.conftest import Api

README = Path(__file__).resolve().parents[2] / "README.md"

# Where each quoted parameter or field is sent: (method, path, in the body or the query).
SENT_TO = {
    "limit": ("GET", "/v1/incidents", "query"),
    "weeks": ("GET", "/v1/hotspots", "query"),
    "since_hours": ("GET", "/v1/services/payments-api/changes", "query"),
    "change_window_hours": ("POST", "/v1/investigations", "body"),
    "name": ("POST", "/v1/similar", "body"),
}


def _quoted_refusals() -> list[str]:
    """The backticked sentences of README.md that say what something "must be"."""
    prose = re.sub(r"```.*?```", "", README.read_text(), flags=re.DOTALL)
    spans = re.findall(r"`([^`]+)`", prose)
    return [" ".join(span.split()) for span in spans if " must be " in " ".join(span.split())]


async def _refusal(api: Api, name: str, sent: str) -> httpx.Response:
    method, path, where = SENT_TO[name]
    headers = api.auth(api.tokens.admin)
    if where == "query":
        return await api.client.get(path, params={name: sent}, headers=headers)
    body = {"name": "Checkout returning 500s", name: json.loads(sent)}
    return await api.client.request(method, path, json=body, headers=headers)


async def test_every_refusal_the_readme_quotes_is_the_apis(read_api: Api) -> None:
    quoted = _quoted_refusals()
    assert len(quoted) >= 5, quoted
    for quote in quoted:
        name = quote.split()[0]
        assert name in SENT_TO, f"README quotes a refusal of {name!r}, which no surface words so: {quote}"
        sent = re.search(r" not (\S+?)(?::|$)", quote)
        assert sent is not None, quote
        answer = await _refusal(read_api, name, sent.group(1))
        assert answer.status_code == 400, (quote, answer.text)
        said = quote.removesuffix("...").rstrip()
        assert answer.json()["detail"].startswith(said), (quote, answer.json()["detail"])
