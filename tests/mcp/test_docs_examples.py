"""The stdio examples in docs/mcp.md and the README tell the command which map to open.

An MCP client starts `precedent mcp` with a short list of the caller's environment variables (the
SDK's ``get_default_environment``): a ``PRECEDENT_DATA_DIR`` exported in the shell never reaches
it. docs/mcp.md's Python example passed no ``env`` and opened ``./.precedent`` instead of the map.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
from mcp import StdioServerParameters
from mcp.client.stdio import get_default_environment

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", ROOT / "docs" / "mcp.md"]
MAP_SETTINGS = {"PRECEDENT_DATA_DIR", "HF_HUB_OFFLINE"}


def _blocks(doc: Path, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", doc.read_text(), flags=re.DOTALL)


def test_the_sdk_does_not_pass_the_callers_settings_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # Why every example names them in `env`.
    monkeypatch.setenv("PRECEDENT_DATA_DIR", "/srv/precedent/.precedent")
    assert "PRECEDENT_DATA_DIR" not in get_default_environment()


def test_the_python_example_names_the_map_in_env() -> None:
    (snippet,) = _blocks(ROOT / "docs" / "mcp.md", "python")
    calls = [node for node in ast.walk(ast.parse(snippet)) if isinstance(node, ast.Call)]
    (call,) = [c for c in calls if isinstance(c.func, ast.Name) and c.func.id == "StdioServerParameters"]
    server = StdioServerParameters(**{k.arg: ast.literal_eval(k.value) for k in call.keywords if k.arg})
    assert server.args == ["mcp"]
    assert set(server.env or {}) >= MAP_SETTINGS


@pytest.mark.parametrize("doc", DOCS, ids=[p.name for p in DOCS])
def test_every_stdio_configuration_names_the_map_in_env(doc: Path) -> None:
    configs = [json.loads(block) for block in _blocks(doc, "json") if '"mcpServers"' in block]
    stdio = [s for c in configs for s in c["mcpServers"].values() if "command" in s]
    assert stdio, f"{doc.name} shows no stdio configuration"
    for server in stdio:
        assert set(server.get("env", {})) >= MAP_SETTINGS, (doc.name, server)
