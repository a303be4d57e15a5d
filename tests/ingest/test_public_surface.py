"""Every ingest module declares ``__all__``, and every name in it exists (httpx's exported-members test)."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import precedent.ingest

MODULES = sorted(m.name for m in pkgutil.walk_packages(precedent.ingest.__path__, prefix="precedent.ingest."))


@pytest.mark.parametrize("name", ["precedent.ingest", *MODULES])
def test_module_declares_existing_public_names(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == []


def test_package_surface() -> None:
    assert set(precedent.ingest.__all__) >= {"Loader", "Syncer", "import_export", "read_export", "LoadStats"}
