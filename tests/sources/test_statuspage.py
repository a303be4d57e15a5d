"""The Statuspage converter on GitHub's real status history (read from shared/eval/raw at run time).

Expected counts are computed here straight from the raw files, independently of the converter.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from precedent.cli.main import main
from precedent.errors import SourceError
from precedent.sources.statuspage import convert_statuspage
from tests.sources.export_validation import load_objects, validate_export

if TYPE_CHECKING:
    from pathlib import Path

HISTORY = "eval/raw/github-status/github-incident-history/incidents.jsonl"
STATUSES = "eval/raw/github-status/github-statuses/incidents.jsonl"


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def raw(shared_dir: Path) -> dict[str, list[dict[str, Any]]]:
    """Both corpora as raw records: ``history`` (Statuspage documents) and ``statuses`` (mirror records)."""
    return {"history": _lines(shared_dir / HISTORY), "statuses": _lines(shared_dir / STATUSES)}


@pytest.fixture(scope="module")
def export(shared_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The merged GitHub history, converted once for the module."""
    out = tmp_path_factory.mktemp("statuspage")
    convert_statuspage([shared_dir / HISTORY, shared_dir / STATUSES], out)
    return out


def _expected(raw: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Expected counts; per code, the record with the most updates (first file on ties) decides."""
    best: dict[str, tuple[int, str, str, str]] = {}
    components: set[str] = set()
    for document in raw["history"]:
        incident = document["incident"]
        updates = sorted(incident["incident_updates"], key=lambda u: u["created_at"])
        candidate = (len(updates), updates[-1]["status"], updates[-1]["body"], incident["started_at"])
        best[incident["id"]] = candidate
        components |= {c["name"] for c in incident["components"]}
    for record in raw["statuses"]:
        if record["impact"] == "maintenance":
            continue
        code = record["url"].rsplit("/", 1)[1]
        updates = record["updates"]
        candidate = (
            len(updates),
            updates[-1]["status"].lower(),
            updates[-1]["message"],
            record["started_at"],
        )
        if code not in best or candidate[0] > best[code][0]:
            best[code] = candidate
        components |= set(record.get("components") or [])
    writeups = sum(
        status == "resolved" and len(message) >= 250 and started >= "2023"
        for _, status, message, started in best.values()
    )
    return {
        "incidents": len(best),
        "updates": sum(count for count, *_ in best.values()),
        "components": {c for c in components if not c.startswith("Visit ")},
        "writeups": writeups,
    }


def _items(export: Path, file: str, key: str) -> list[dict[str, Any]]:
    return [item for response in load_objects(export, file) for item in response[key]]


def test_the_export_validates_against_the_spec(export: Path) -> None:
    counts = validate_export(export)
    assert counts["v2_incidents.json"] > 0
    assert counts["v3_catalog_entries.json"] == 1


def test_counts_match_the_raw_corpus_after_deduplication(
    export: Path, raw: dict[str, list[dict[str, Any]]]
) -> None:
    expected = _expected(raw)
    incidents = _items(export, "v2_incidents.json", "incidents")
    assert len(incidents) == expected["incidents"]
    assert len({i["id"] for i in incidents}) == expected["incidents"]
    assert len(_items(export, "v2_incident_updates.json", "incident_updates")) == expected["updates"]
    entries = next(iter(load_objects(export, "v3_catalog_entries.json")))["catalog_entries"]
    assert {e["name"] for e in entries} == expected["components"]
    assert len(_items(export, "v1_postmortem_documents.json", "postmortem_documents")) == expected["writeups"]


def test_components_keep_their_descriptions(export: Path, raw: dict[str, list[dict[str, Any]]]) -> None:
    described = {
        c["name"]: c["description"]
        for d in raw["history"]
        for c in d["incident"]["components"]
        if c.get("description")
    }
    page = next(iter(load_objects(export, "v3_catalog_entries.json")))
    attribute = page["catalog_type"]["schema"]["attributes"][0]["id"]
    for entry in page["catalog_entries"]:
        if entry["name"] in described:
            assert entry["attribute_values"][attribute]["value"]["label"] == described[entry["name"]]
    assert page["catalog_type"]["categories"] == ["service"]


def test_incidents_are_chronological_with_severity_and_affected_services(export: Path) -> None:
    incidents = _items(export, "v2_incidents.json", "incidents")
    starts = [datetime.fromisoformat(i["created_at"]) for i in incidents]
    assert starts == sorted(starts)
    assert {i["severity"]["name"] for i in incidents} == {"No impact", "Minor", "Major", "Critical"}
    tagged = [i for i in incidents if i["custom_field_entries"][0]["values"]]
    # The untagged rest are 2010-2016 entries titled "Incident on <date>" that name no component.
    assert len(tagged) > 0.75 * len(incidents)
    catalog = {
        e["id"] for e in next(iter(load_objects(export, "v3_catalog_entries.json")))["catalog_entries"]
    }
    assert all(
        v["value_catalog_entry"]["id"] in catalog
        for i in tagged
        for v in i["custom_field_entries"][0]["values"]
    )
    assert all(i["incident_status"]["category"] == "closed" for i in incidents)


def test_the_final_writeup_is_a_postmortem_and_never_in_the_query_text(export: Path) -> None:
    incidents = {i["id"]: i for i in _items(export, "v2_incidents.json", "incidents")}
    updates: dict[str, list[dict[str, Any]]] = {}
    for update in _items(export, "v2_incident_updates.json", "incident_updates"):
        updates.setdefault(update["incident_id"], []).append(update)
    content = json.loads((export / "v1_postmortem_documents_content.json").read_text())
    documents = _items(export, "v1_postmortem_documents.json", "postmortem_documents")
    assert documents
    for document in documents:
        incident = incidents[document["incident_id"]]
        history = updates[incident["id"]]
        writeup = history[-1]["message"]
        assert writeup in content[document["id"]]["markdown"]
        assert "## Summary" in content[document["id"]]["markdown"]
        assert incident["postmortem_document_ids"] == [document["id"]]
        assert writeup != incident.get("summary")
        assert all(writeup != update.get("message") for update in history[:-1])


def test_the_cli_converts_and_bad_lines_are_reported(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", "statuspage", str(shared_dir / STATUSES), str(out)]) == 0
    assert _items(out, "v2_incidents.json", "incidents")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "no start"}\n')
    with pytest.raises(SourceError, match=r"broken.jsonl:1"):
        convert_statuspage([broken], tmp_path / "never")
