"""The curl lines in the README and docs/ that call the API send a token, as every /v1 route needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Answered without a bearer token (incident.io signs its deliveries instead).
TOKENLESS = ("/v1/webhooks/incident-io",)
SHOWS_THE_401 = {'curl -si "$PRECEDENT/v1/stats"'}  # docs/api-auth.md, showing the refusal


def _curl_commands(text: str) -> list[str]:
    """Each curl command in the fenced blocks, continuation lines joined."""
    commands = []
    for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL):
        joined = re.sub(r"\\\n\s*", " ", block)
        commands += [line.strip() for line in joined.splitlines() if re.match(r"\s*curl\b", line)]
    return commands


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_every_documented_api_call_sends_a_token(doc: Path) -> None:
    commands = _curl_commands(doc.read_text())
    calls = [
        c for c in commands if "/v1/" in c and not any(p in c for p in TOKENLESS) and c not in SHOWS_THE_401
    ]
    missing = [c for c in calls if "Authorization: Bearer" not in c and '"$AUTH"' not in c]
    assert not missing, f"{doc.name}: these would get 401: {missing}"


def test_the_parser_finds_the_ci_step() -> None:
    commands = _curl_commands((ROOT / "docs" / "changes.md").read_text())
    assert sum("/v1/changes" in c for c in commands) == 2
