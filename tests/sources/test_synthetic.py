"""The synthetic organisation: spec-valid, deterministic, layered, and planted with recurrences."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pytest

from precedent.cli.main import main
from precedent.sources.synthetic import generate
from precedent.sources.synthetic.org import build_org
from tests.sources.export_validation import ENDPOINTS, load_objects, validate_export
from tests.support.spec import SpecViolation

if TYPE_CHECKING:
    from pathlib import Path

INCIDENTS = 400


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small organisation written once for the module."""
    out = tmp_path_factory.mktemp("synthetic")
    generate(out, incidents=INCIDENTS, seed=11)
    return out


def _items(export: Path, file: str, key: str) -> list[dict[str, Any]]:
    return [item for response in load_objects(export, file) for item in response[key]]


def _time(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_every_file_is_written_and_validates_against_the_spec(export: Path) -> None:
    counts = validate_export(export)
    assert set(counts) == set(ENDPOINTS)
    assert all(counts.values())
    assert (export / "judgments.jsonl").stat().st_size > 0


def test_the_closed_schema_check_catches_invented_fields(export: Path, tmp_path: Path) -> None:
    body = json.loads((export / "v1_severities.json").read_text())
    body["severities"][0]["colour"] = "red"
    (tmp_path / "v1_severities.json").write_text(json.dumps(body))
    with pytest.raises(SpecViolation, match="colour"):
        validate_export(tmp_path)


def test_same_seed_writes_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        generate(tmp_path / name, incidents=60, seed=seed)
    files = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert files == sorted(p.name for p in (tmp_path / "b").iterdir())
    for file in files:
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    assert (tmp_path / "a" / "v2_incidents.json").read_bytes() != (
        tmp_path / "c" / "v2_incidents.json"
    ).read_bytes()


def test_catalog_types_have_the_documented_shape(export: Path) -> None:
    types = {t["name"]: t for t in _items(export, "v3_catalog_types.json", "catalog_types")}
    service, team, deployment = types["Service"], types["Team"], types["Deployment"]
    assert service["categories"] == ["service"]
    attributes = {a["name"]: a for a in service["schema"]["attributes"]}
    assert attributes["owner"]["type"] == team["type_name"]
    assert attributes["depends_on"]["type"] == service["type_name"]
    assert attributes["depends_on"]["array"] is True
    assert team["is_team_type"] is True
    assert deployment["type_name"] == 'Custom["Deployment"]'
    assert {a["name"] for a in deployment["schema"]["attributes"]} >= {"service", "version", "deployed_at"}
    pages = list(load_objects(export, "v3_catalog_entries.json"))
    assert {page["catalog_type"]["name"] for page in pages} == {"Service", "Team", "Deployment"}
    for page in pages:
        assert all(
            entry["catalog_type_id"] == page["catalog_type"]["id"] for entry in page["catalog_entries"]
        )


def test_dependencies_point_down_the_layers_and_have_no_cycles() -> None:
    topology = build_org(11).topology
    for service in topology.services.values():
        for dependency in service.depends_on:
            assert topology.services[dependency].layer >= service.layer, (service.name, dependency)
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str) -> None:
        assert name not in visiting, f"cycle through {name}"
        if name in done:
            return
        visiting.add(name)
        for dependency in topology.services[name].depends_on:
            visit(dependency)
        visiting.discard(name)
        done.add(name)

    for name in topology.services:
        visit(name)


def test_incidents_are_ordered_skewed_to_minor_and_mostly_public(export: Path) -> None:
    incidents = _items(export, "v2_incidents.json", "incidents")
    assert len(incidents) == INCIDENTS
    starts = [_time(i["created_at"]) for i in incidents]
    assert starts == sorted(starts)
    assert (starts[-1] - starts[0]).days >= 90
    severities = Counter(i["severity"]["name"] for i in incidents)
    assert severities["Minor"] > severities["Major"] > severities["Critical"] > 0
    private = sum(i["visibility"] == "private" for i in incidents)
    assert 0.01 * INCIDENTS <= private <= 0.12 * INCIDENTS
    assert [i["reference"] for i in incidents] == [f"INC-{n}" for n in range(1, INCIDENTS + 1)]


def test_catalog_references_resolve(export: Path) -> None:
    entry_ids = {
        e["id"] for page in load_objects(export, "v3_catalog_entries.json") for e in page["catalog_entries"]
    }
    fields = {f["name"]: f["id"] for f in _items(export, "v2_custom_fields.json", "custom_fields")}
    suspected = 0
    for incident in _items(export, "v2_incidents.json", "incidents"):
        for entry in incident["custom_field_entries"]:
            assert entry["custom_field"]["id"] in fields.values()
            for value in entry["values"]:
                assert value["value_catalog_entry"]["id"] in entry_ids
            suspected += entry["custom_field"]["id"] == fields["Suspected change"]
    assert suspected > INCIDENTS // 10


def test_updates_follow_the_lifecycle_and_read_like_people_wrote_them(export: Path) -> None:
    updates = _items(export, "v2_incident_updates.json", "incident_updates")
    by_incident: dict[str, list[dict[str, Any]]] = {}
    for update in updates:
        by_incident.setdefault(update["incident_id"], []).append(update)
    closed = [u for u in by_incident.values() if u[-1]["new_incident_status"]["name"] == "Closed"]
    assert len(closed) > INCIDENTS // 2
    for history in closed:
        names = [u["new_incident_status"]["name"] for u in history]
        assert names[0] == "Investigating"
        assert names[-3:] == ["Identified", "Monitoring", "Closed"]
    first = [history[0]["message"] for history in by_incident.values()]
    assert len(set(first)) > 0.95 * len(first)
    assert len({message.split(".")[0] for message in first}) > 40


def test_postmortems_cover_major_incidents_with_the_sections(export: Path) -> None:
    severity = {i["id"]: i["severity"]["name"] for i in _items(export, "v2_incidents.json", "incidents")}
    documents = _items(export, "v1_postmortem_documents.json", "postmortem_documents")
    assert documents
    assert all(severity[d["incident_id"]] in ("Major", "Critical") for d in documents)
    content = json.loads((export / "v1_postmortem_documents_content.json").read_text())
    assert set(content) == {d["id"] for d in documents}
    for body in content.values():
        for section in ("## Summary", "## Impact", "## Root cause", "## Resolution", "## Lessons"):
            assert section in body["markdown"]
    statuses = Counter(f["status"] for f in _items(export, "v2_follow_ups.json", "follow_ups"))
    assert statuses["completed"]
    assert statuses["outstanding"]


def _shingles(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"[a-z0-9_.-]+", text.lower())
    return {tuple(words[i : i + 6]) for i in range(len(words) - 5)}


def test_planted_recurrences_are_judged_linked_and_start_with_symptoms(export: Path) -> None:
    incidents = {i["id"]: i for i in _items(export, "v2_incidents.json", "incidents")}
    relationships = json.loads((export / "v1_incident_relationships.json").read_text())
    updates: dict[str, list[dict[str, Any]]] = {}
    for update in _items(export, "v2_incident_updates.json", "incident_updates"):
        updates.setdefault(update["incident_id"], []).append(update)
    judgments = [json.loads(line) for line in (export / "judgments.jsonl").read_text().splitlines()]
    assert len(judgments) >= INCIDENTS // 40
    for judgment in judgments:
        query = incidents[judgment["query_id"]]
        linked = {r["incident"]["id"] for r in relationships[query["id"]]["incident_relationships"]}
        assert judgment["relevant"]
        for item in judgment["relevant"]:
            assert item["grade"] in (1, 2)
            assert _time(incidents[item["id"]]["created_at"]) < _time(query["created_at"])
            if item["grade"] == 2:
                assert item["id"] in linked
        history = updates[query["id"]]
        identified = next(
            (u["message"] for u in history if u["new_incident_status"]["name"] == "Identified"), None
        )
        if identified is not None:
            assert not _shingles(history[0]["message"]) & _shingles(identified)


def test_current_on_call_is_listed_for_every_schedule(export: Path) -> None:
    schedules = _items(export, "v2_schedules.json", "schedules")
    entries = json.loads((export / "v2_schedule_entries.json").read_text())
    assert {s["id"] for s in schedules} == set(entries)
    for schedule in schedules:
        assert schedule["current_shifts"][0]["user"]["id"] in {
            u["id"] for u in schedule["config"]["rotations"][0]["users"]
        }
        assert entries[schedule["id"]]["schedule_entries"]["final"]


def test_the_cli_writes_an_export(tmp_path: Path) -> None:
    assert main(["generate", "--incidents", "30", "--seed", "2", str(tmp_path / "out")]) == 0
    assert len(_items(tmp_path / "out", "v2_incidents.json", "incidents")) == 30


def test_end_at_anchors_the_history_and_keeps_the_bytes_per_seed(tmp_path: Path) -> None:
    end = datetime.fromisoformat("2026-03-01T12:00:00+00:00")
    for name in ("a", "b"):
        generate(tmp_path / name, incidents=60, seed=5, end_at=end)
    for file in sorted(p.name for p in (tmp_path / "a").iterdir()):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    starts = [_time(i["created_at"]) for i in _items(tmp_path / "a", "v2_incidents.json", "incidents")]
    assert max(starts) < end
    assert (end - max(starts)).days < 7
    entries = json.loads((tmp_path / "a" / "v2_schedule_entries.json").read_text())
    for schedule in entries.values():
        shifts = schedule["schedule_entries"]["final"]
        assert any(_time(s["start_at"]) <= end < _time(s["end_at"]) for s in shifts)
    assert main(["generate", "--incidents", "20", "--end-at", "now", str(tmp_path / "now")]) == 0


def test_planted_causes_have_a_deploy_minutes_before_and_an_unrelated_decoy(export: Path) -> None:
    causes = [json.loads(line) for line in (export / "causes.jsonl").read_text().splitlines()]
    deployments = {
        e["id"]: e
        for page in load_objects(export, "v3_catalog_entries.json")
        for e in page["catalog_entries"]
        if page["catalog_type"]["name"] == "Deployment"
    }
    incidents = {i["id"]: i for i in _items(export, "v2_incidents.json", "incidents")}
    topology = build_org(11).topology
    assert len(causes) > 20
    for cause in causes:
        deploy = deployments[cause["change_id"]]
        minutes = (
            _time(incidents[cause["incident_id"]]["created_at"]) - _time(deploy["created_at"])
        ).seconds / 60
        assert 4 <= minutes <= 90
        assert cause["changed_service"] in {
            cause["root_service"],
            *topology.upstream(cause["root_service"], 1),
        }
        for decoy_id in cause["decoy_ids"]:
            decoy = deployments[decoy_id]
            service = decoy["name"].split(" ")[0]
            near = {cause["root_service"], cause["changed_service"]}
            near |= {d for s in list(near) for d in topology.services[s].depends_on}
            near |= {
                c for s in (cause["root_service"], cause["changed_service"]) for c in topology.upstream(s, 1)
            }
            assert service not in near
            assert abs((_time(decoy["created_at"]) - _time(deploy["created_at"])).total_seconds()) <= 600
    assert sum(bool(c["decoy_ids"]) for c in causes) / len(causes) > 0.8
