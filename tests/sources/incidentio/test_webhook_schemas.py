"""The packaged webhook schemas are exactly what the extraction script makes of the spec."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

from tests.support.spec import SPEC_PATH

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
