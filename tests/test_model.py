from __future__ import annotations

from datetime import datetime

import pytest

from precedent.model import Node, clean_properties, display_name


def test_none_properties_are_dropped() -> None:
    assert clean_properties({"a": 1, "b": None, "c": ["x"]}) == {"a": 1, "c": ["x"]}


@pytest.mark.parametrize("key", ["id", "embedding", "bad key", "1x"])
def test_reserved_or_odd_property_names_are_refused(key: str) -> None:
    with pytest.raises(ValueError, match="reserved or not an identifier"):
        clean_properties({key: 1})


def test_nested_values_are_refused() -> None:
    with pytest.raises(ValueError, match="flat list"):
        clean_properties({"a": [["nested"]]})  # type: ignore[list-item]


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        Node("x", "Incident", occurred_at=datetime(2024, 1, 1))  # noqa: DTZ001


def test_lists_mixing_kinds_are_refused() -> None:
    # Neo4j stores only homogeneous lists; refusing here keeps both stores alike.
    with pytest.raises(ValueError, match="mixes"):
        clean_properties({"a": ["x", 1]})  # type: ignore[list-item]
    assert clean_properties({"a": [1, 2.5]}) == {"a": [1, 2.5]}


def test_a_change_without_a_name_is_named_by_its_kind_service_and_version() -> None:
    recorded = {"kind": "feature_flag", "service_name": "checkout", "version": "v2", "summary": "flip"}
    assert display_name("change:ci-1", "ChangeEvent", recorded) == "feature flag of checkout v2"
    assert display_name("change:ci-2", "ChangeEvent", {"kind": "deploy", "service_name": "checkout"}) == (
        "deploy of checkout"
    )
    # An imported change keeps the name its export gave it.
    assert display_name("c3", "ChangeEvent", {"name": "checkout 1.2", "service_name": "checkout"}) == (
        "checkout 1.2"
    )
