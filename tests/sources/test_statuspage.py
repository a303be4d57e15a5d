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
    """Expected counts. Per code the record with most updates, then most update text, then read first wins."""
    # code -> ((update count, text length), final status, final message, start)
    best: dict[str, tuple[tuple[int, int], str, str, str]] = {}
    components: set[str] = set()
    for document in raw["history"]:
        incident = document["incident"]
        updates = sorted(incident["incident_updates"], key=lambda u: u["created_at"])
        # A migrated update listing a whole timeline (<ul><li>...) is one update per entry.
        count = sum(
            (u["body"] or "").count("<li>") if (u["body"] or "").startswith("<ul>") else 1 for u in updates
        )
        size = (count, sum(len(u["body"] or "") for u in updates))
        best[incident["id"]] = (size, updates[-1]["status"], updates[-1]["body"], incident["started_at"])
        components |= {c["name"] for c in incident["components"]}
    for record in raw["statuses"]:
        if record["impact"] == "maintenance":
            continue
        code = record["url"].rsplit("/", 1)[1]
        updates = record["updates"]
        size = (len(updates), sum(len(u["message"] or "") for u in updates))
        if code not in best or size > best[code][0]:
            best[code] = (size, updates[-1]["status"].lower(), updates[-1]["message"], record["started_at"])
        components |= set(record.get("components") or [])
    writeups = sum(
        status == "resolved" and len(message) >= 250 and started >= "2023"
        for _, status, message, started in best.values()
    )
    return {
        "incidents": len(best),
        # A write-up is the post-mortem, not an update as well.
        "updates": sum(size[0] for size, *_ in best.values()) - writeups,
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
    markdowns = [content[document["id"]]["markdown"] for document in documents]
    for document, markdown in zip(documents, markdowns, strict=True):
        incident = incidents[document["incident_id"]]
        writeup = markdown.split("## Summary\n\n", 1)[1].split("\n\n## Timeline", 1)[0]
        assert len(writeup) >= 250
        assert incident["postmortem_document_ids"] == [document["id"]]
        assert writeup != incident.get("summary")
        assert all(writeup != update.get("message") for update in updates.get(incident["id"], []))
    # GitHub often posts only the write-up: kept as an update, it would be the query's text.
    alone = [d for d in documents if len(updates.get(d["incident_id"], [])) < 2]
    assert len(alone) > 10


def test_a_writeup_posted_as_the_only_update_is_not_an_update(tmp_path: Path) -> None:
    writeup = "On May 25, 2026, Git pushes failed because a new code path issued an expensive query. " * 4
    source = tmp_path / "one.jsonl"
    only = [("2026-05-25T09:02:00Z", "Resolved", writeup)]
    source.write_text(_mirror("push1", only, ["Git Operations"]) + "\n")
    report = convert_statuspage([source], tmp_path / "out")
    assert (report.updates, report.postmortems) == (0, 1)
    out = tmp_path / "out"
    validate_export(out)
    (incident,) = _items(out, "v2_incidents.json", "incidents")
    assert _items(out, "v2_incident_updates.json", "incident_updates") == []
    assert "summary" not in incident
    content = json.loads((out / "v1_postmortem_documents_content.json").read_text())
    assert writeup in content[f"pm-{incident['id']}"]["markdown"]


def test_a_migrated_timeline_is_one_update_per_entry_resolved_by_the_last(tmp_path: Path) -> None:
    # GitHub's pre-2019 incidents: one "resolved" update posted at the 2018 migration, listing the
    # timeline, on a record that says it was resolved when it started.
    timeline = (
        "<ul><li><strong>2011-07-28 03:06:00</strong> - One of our file servers failed over."
        " Continuing to investigate.</li><li><strong>2011-07-28 03:40:00</strong> - Failing back"
        ' <a href="https://x.example">now</a> &amp; watching.</li><li><strong>2011-07-28 05:43:00'
        "</strong> - Our fileserver issues have been fully resolved!</li></ul>"
    )
    document = json.loads(_document("old1", [("2018-12-05T11:27:12.071Z", "resolved", timeline)], ["Git"]))
    document["incident"] |= {
        "started_at": "2011-07-28T03:06:00.000Z",
        "resolved_at": "2011-07-28T03:06:00.000Z",
    }
    source = tmp_path / "old.jsonl"
    source.write_text(json.dumps(document) + "\n")
    convert_statuspage([source], tmp_path / "out")
    out = tmp_path / "out"
    validate_export(out)
    updates = _items(out, "v2_incident_updates.json", "incident_updates")
    assert [(u["created_at"][:19], u["new_incident_status"]["name"], u["message"]) for u in updates] == [
        (
            "2011-07-28T03:06:00",
            "Investigating",
            "One of our file servers failed over. Continuing to investigate.",
        ),
        ("2011-07-28T03:40:00", "Investigating", "Failing back now & watching."),
        ("2011-07-28T05:43:00", "Closed", "Our fileserver issues have been fully resolved!"),
    ]
    (incident,) = _items(out, "v2_incidents.json", "incidents")
    times = {t["incident_timestamp"]["name"]: t.get("value") for t in incident["incident_timestamp_values"]}
    # Its last entry is the resolution, so "before the resolution" keeps the symptoms.
    assert times["Resolved at"] == {"value": updates[-1]["created_at"]}


def test_the_cli_converts_and_bad_lines_are_reported(shared_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["convert", "statuspage", str(shared_dir / STATUSES), str(out)]) == 0
    assert _items(out, "v2_incidents.json", "incidents")
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"title": "no start"}\n')
    with pytest.raises(SourceError, match=r"broken.jsonl:1"):
        convert_statuspage([broken], tmp_path / "never")
    with pytest.raises(SourceError, match="cannot read"):
        convert_statuspage([tmp_path / "missing.jsonl"], tmp_path / "never")


def _document(code: str, updates: list[tuple[str, str, str]], components: list[str]) -> str:
    return json.dumps(
        {
            "page": {"id": "p"},
            "incident": {
                "id": code,
                "name": f"Incident with {' and '.join(components) or 'nothing'}",
                "status": "resolved",
                "impact": "minor",
                "created_at": updates[0][0],
                "started_at": updates[0][0],
                "resolved_at": updates[-1][0],
                "monitoring_at": None,
                "shortlink": f"https://stspg.example/{code}",
                "incident_updates": [
                    {"id": f"{code}{n}", "status": status, "body": body, "created_at": at}
                    for n, (at, status, body) in reversed(list(enumerate(updates)))
                ],
                "components": [
                    {"id": f"c-{name}", "name": name, "description": f"{name} things"} for name in components
                ],
            },
        }
    )


def _mirror(
    code: str, updates: list[tuple[str, str, str]], components: list[str], impact: str = "minor"
) -> str:
    return json.dumps(
        {
            "id": "1",
            "url": f"https://status.example/incidents/{code}",
            "title": f"About {code}",
            "started_at": updates[0][0],
            "resolved_at": updates[-1][0],
            "impact": impact,
            "updates": [{"at": at, "status": status, "message": body} for at, status, body in updates],
            "components": components,
        }
    )


def test_records_are_merged_by_code_keeping_the_longer_history(tmp_path: Path) -> None:
    first = [
        ("2024-01-01T10:00:00Z", "investigating", "Looking into slow pushes."),
        ("2024-01-01T11:00:00Z", "resolved", "Resolved."),
    ]
    second = [
        ("2024-01-01T10:00:00Z", "Investigating", "Looking into slow pushes."),
        ("2024-01-01T10:30:00Z", "Update", "Still on it."),
        ("2024-01-01T11:00:00Z", "Resolved", "On January 1 a cache node failed. " * 10),
    ]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    a.write_text(
        _document("abc123", first, ["Git Operations", "Visit www.example.com for more information"]) + "\n"
    )
    b.write_text(
        "\n".join(
            [_mirror("abc123", second, ["Webhooks"]), _mirror("mnt1", second, [], impact="maintenance")]
        )
        + "\n"
    )
    report = convert_statuspage([a, b], tmp_path / "out")
    assert (report.records, report.maintenance_skipped, report.duplicates_merged) == (3, 1, 1)
    assert (report.incidents, report.updates, report.components, report.postmortems) == (1, 2, 2, 1)
    out = tmp_path / "out"
    validate_export(out)
    (incident,) = _items(out, "v2_incidents.json", "incidents")
    assert [v["value_catalog_entry"]["name"] for v in incident["custom_field_entries"][0]["values"]] == [
        "Git Operations",
        "Webhooks",
    ]
    assert incident["summary"] == "Looking into slow pushes."
    statuses = [
        u["new_incident_status"]["name"] for u in _items(out, "v2_incident_updates.json", "incident_updates")
    ]
    # The mirror's "Update" keeps the status it had.
    assert statuses == ["Investigating", "Investigating"]
    assert incident["incident_status"]["name"] == "Closed"
