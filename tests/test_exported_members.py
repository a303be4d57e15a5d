"""Every package declares its public surface in ``__all__``, and every name there exists."""

from __future__ import annotations

import importlib
import pkgutil

import pytest

import precedent

PACKAGES = sorted(
    info.name
    for info in pkgutil.walk_packages(precedent.__path__, prefix="precedent.")
    if info.ispkg and not info.name.rsplit(".", 1)[-1].startswith("_")
)


def test_packages_were_found() -> None:
    expected = {"precedent.store", "precedent.retrieval", "precedent.ingest", "precedent.sources"}
    assert expected <= set(PACKAGES)


@pytest.mark.parametrize("name", ["precedent", *PACKAGES])
def test_all_names_exist(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    missing = [member for member in exported if not hasattr(module, member)]
    assert not missing, f"{name}.__all__ names missing members: {missing}"
