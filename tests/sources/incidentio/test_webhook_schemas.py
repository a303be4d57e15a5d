"""The packaged webhook schemas are exactly what the extraction script makes of the spec, and
the compiled check that decides whether a payload fits agrees with ``jsonschema``."""

from __future__ import annotations

import copy as copy_module
import importlib.util
import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from precedent.sources.incidentio import webhook_schemas
from tests.support.spec import SPEC_PATH
from tests.webhooks.signing import EXAMPLES

ROOT = Path(__file__).resolve().parents[3]


def test_packaged_schemas_match_the_spec() -> None:
    spec = importlib.util.spec_from_file_location("extract", ROOT / "scripts" / "extract_webhook_schemas.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = module.extract(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    packaged = json.loads((module.OUTPUT).read_text(encoding="utf-8"))
    assert packaged == expected, "run: python3 scripts/extract_webhook_schemas.py"
    assert len(packaged["events"]) == 33


# Any JSON value, to put in place of one part of a valid payload.
_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12)
    | st.sampled_from(["2026-12-03T10:00:00Z", "2026-13-03T10:00:00Z", "2026-12-03 10:00", ""]),
    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=8), kids, max_size=3),
    max_leaves=8,
)


def _paths(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _replaced(value: Any, path: tuple[str | int, ...], new: object) -> Any:
    if not path:
        return new
    copy = copy_module.copy(value)
    copy[path[0]] = _replaced(value[path[0]], path[1:], new)
    return copy


@st.composite
def _mutated_examples(draw: st.DrawFn) -> tuple[str, object]:
    path = draw(st.sampled_from(sorted((EXAMPLES / "spec-webhooks").glob("*.json"))))
    body = json.loads(path.read_text(encoding="utf-8"))
    for _ in range(draw(st.integers(0, 3))):
        if not (places := _paths(body)[1:]):
            break
        where = draw(st.sampled_from(places))
        body = _replaced(body, where, draw(_JSON)) if draw(st.booleans()) else _deleted(body, where)
    return path.stem, body


def _deleted(value: Any, path: tuple[str | int, ...]) -> Any:
    parent = _replaced(value, path[:-1], copy_module.copy(_get(value, path[:-1])))
    container = _get(parent, path[:-1])
    if isinstance(container, dict):
        del container[path[-1]]
    return parent


def _get(value: Any, path: tuple[str | int, ...]) -> Any:
    for part in path:
        value = value[part]
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_mutated_examples())
def test_the_compiled_check_agrees_with_jsonschema(case: tuple[str, object]) -> None:
    # The compiled check decides alone when a body fits, so it must never pass one that
    # jsonschema (which explains refusals) would refuse, nor refuse one it would pass.
    event_type, body = case
    errors = list(webhook_schemas._validator(event_type).iter_errors(body))
    assert webhook_schemas._fits(event_type, body) == (not errors), errors[:3]
    assert bool(webhook_schemas.schema_errors(event_type, body)) == bool(errors)
