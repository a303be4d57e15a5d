"""Write a whole synthetic organisation as an export directory (see docs/export-format.md).

Incidents are planned and written one at a time, each straight into its streams, so memory is held by
the organisation, the deploys and the recurrence threads, not by the incidents' text.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from precedent.sources.synthetic.catalog import deployment_entry, service_entries, team_entries
from precedent.sources.synthetic.ids import IdFactory, stream
from precedent.sources.synthetic.incidents import IncidentBuilder
from precedent.sources.synthetic.org import ORG_START, Org, build_org, history_days
from precedent.sources.synthetic.people import schedule_entries, schedule_object, team_object, user_object
from precedent.sources.synthetic.text import Narrator
from precedent.sources.synthetic.timeline import Member, Plan, Planner, Thread
from precedent.sources.synthetic.writer import KeyedWriter, ListWriter, PagedWriter, dumps, write_json

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime
    from pathlib import Path

    from precedent.sources.synthetic.incidents import BuiltIncident

__all__ = ["GenerationReport", "generate"]

Json = dict[str, object]

_CATALOG_PAGE = 250
# Incidents begin two weeks after the organisation set incident.io up.
_FIRST_INCIDENT_AFTER = timedelta(days=14)


@dataclass(frozen=True)
class GenerationReport:
    """Counts of what was written."""

    incidents: int
    updates: int
    postmortems: int
    follow_ups: int
    actions: int
    deployments: int
    recurrence_threads: int
    judged_queries: int
    duplicates: int
    private: int


def _planner(org: Org, incidents: int) -> Planner:
    planner = Planner(
        stream(org.seed, "timeline"),
        IdFactory(stream(org.seed, "ids:timeline")),
        org.topology,
        start=org.created + _FIRST_INCIDENT_AFTER,
        days=history_days(incidents),
        decoys=(stream(org.seed, "decoys"), IdFactory(stream(org.seed, "ids:decoys"))),
    )
    planner.plan_background_deploys()
    return planner


class _Relations:
    """Ground truth gathered while writing: recurrence threads, duplicates, and relevance judgments."""

    def __init__(self) -> None:
        self.threads: dict[int, Thread] = {}
        self.duplicates: list[tuple[Member, Member]] = []
        self._recent: dict[tuple[str, str], deque[Member]] = {}
        # Duplicates are declared minutes after their original, so a short window finds the original's name.
        self._latest: deque[Member] = deque(maxlen=256)

    def judge(self, plan: Plan) -> Json | None:
        """Return the judgment for a planted recurrence: same thread grade 2, same mode and root grade 1."""
        if plan.thread is None or not plan.thread.members:
            return None
        in_thread = {member.id for member in plan.thread.members}
        relevant: list[Json] = [{"id": member.id, "grade": 2} for member in plan.thread.members]
        relevant += [
            {"id": member.id, "grade": 1}
            for member in self._recent.get((plan.mode.key, plan.root), ())
            if member.id not in in_thread
        ]
        return {"query_id": plan.id, "relevant": relevant}

    def record(self, plan: Plan, member: Member) -> None:
        """Remember a written incident for later judgments and relationships."""
        if plan.duplicate_of is not None:
            original_id = plan.duplicate_of.id
            original = next(
                (m for m in self._latest if m.id == original_id),
                Member(original_id, plan.duplicate_of.number, f"INC-{plan.duplicate_of.number}"),
            )
            self.duplicates.append((original, member))
            return
        self._latest.append(member)
        if plan.thread is not None:
            plan.thread.members.append(member)
            self.threads[plan.thread.key] = plan.thread
        self._recent.setdefault((plan.mode.key, plan.root), deque(maxlen=5)).append(member)

    def relationships(self) -> dict[str, list[Member]]:
        """Return, per incident id, the incidents it is related to (recurrences and duplicates)."""
        related: dict[str, list[Member]] = {}
        for thread in self.threads.values():
            if len(thread.members) < 2:
                continue
            for member in thread.members:
                related.setdefault(member.id, []).extend(m for m in thread.members if m.id != member.id)
        for original, duplicate in self.duplicates:
            related.setdefault(duplicate.id, []).append(original)
            related.setdefault(original.id, []).append(duplicate)
        return related


def _write_incidents(
    out: Path, org: Org, incidents: int, now: datetime
) -> tuple[GenerationReport, _Relations, Planner]:
    rng = stream(org.seed, "incidents")
    narrator = Narrator(rng)
    builder = IncidentBuilder(rng, IdFactory(stream(org.seed, "ids:incidents")), org, narrator, now)
    planner = _planner(org, incidents)
    relations = _Relations()
    counts = dict.fromkeys(
        ("updates", "postmortems", "follow_ups", "actions", "judged", "duplicates", "private"), 0
    )
    with (
        PagedWriter(out / "v2_incidents.json", "incidents", total=incidents) as incident_out,
        PagedWriter(out / "v2_incident_updates.json", "incident_updates") as update_out,
        PagedWriter(out / "v1_postmortem_documents.json", "postmortem_documents") as postmortem_out,
        KeyedWriter(out / "v1_postmortem_documents_content.json") as content_out,
        ListWriter(out / "v2_follow_ups.json", "follow_ups") as follow_up_out,
        ListWriter(out / "v2_actions.json", "actions") as action_out,
        (out / "judgments.jsonl").open("w", encoding="utf-8", newline="\n") as judgments_out,
        (out / "causes.jsonl").open("w", encoding="utf-8", newline="\n") as causes_out,
    ):
        for plan in planner.plans(incidents):
            story = narrator.narrative(plan, org.topology.services[plan.root].kind)
            repeat_of = (
                f"INC-{plan.thread.members[-1].number}" if plan.thread and plan.thread.members else None
            )
            built: BuiltIncident = builder.build(plan, story, repeat_of=repeat_of)
            incident_out.add(built.incident)
            for update in built.updates:
                update_out.add(update)
            for action in built.actions:
                action_out.add(action)
            for follow_up in built.follow_ups:
                follow_up_out.add(follow_up)
            if built.postmortem is not None and built.postmortem_markdown is not None:
                postmortem_out.add(built.postmortem)
                content_out.add(str(built.postmortem["id"]), {"markdown": built.postmortem_markdown})
                counts["postmortems"] += 1
            if plan.deployment is not None:
                causes_out.write(json.dumps(_cause(plan, planner), separators=(",", ":")) + "\n")
            judgment = relations.judge(plan)
            if judgment is not None:
                judgments_out.write(json.dumps(judgment, separators=(",", ":")) + "\n")
                counts["judged"] += 1
            member = Member(plan.id, plan.number, built.name)
            relations.record(plan, member)
            counts["updates"] += len(built.updates)
            counts["actions"] += len(built.actions)
            counts["follow_ups"] += len(built.follow_ups)
            counts["duplicates"] += plan.duplicate_of is not None
            counts["private"] += plan.private
    report = GenerationReport(
        incidents,
        counts["updates"],
        counts["postmortems"],
        counts["follow_ups"],
        counts["actions"],
        len(planner.deployments) + len(planner.decoys),
        len(relations.threads),
        counts["judged"],
        counts["duplicates"],
        counts["private"],
    )
    return report, relations, planner


def _cause(plan: Plan, planner: Planner) -> Json:
    """Ground truth for the investigation benchmark: the deploy that caused an incident, and its decoy."""
    assert plan.deployment is not None
    decoy = planner.decoys_of.get(plan.deployment.id)
    return {
        "incident_id": plan.id,
        "reference": f"INC-{plan.number}",
        "change_id": plan.deployment.id,
        "changed_service": plan.deployment.service,
        "root_service": plan.root,
        "minutes_before": round((plan.start - plan.deployment.deployed_at).total_seconds() / 60, 1),
        "decoy_ids": [decoy] if decoy else [],
    }


def _write_relationships(out: Path, relations: _Relations) -> None:
    ids = IdFactory(stream(0, "relationships"))
    related = relations.relationships()
    numbers = {m.id: m.number for members in related.values() for m in members}
    with KeyedWriter(out / "v1_incident_relationships.json") as writer:
        for incident_id in sorted(related, key=lambda key: numbers.get(key, 0)):
            writer.add(
                incident_id,
                {
                    "incident_relationships": [
                        {
                            "id": ids.slack("REL"),
                            "incident": {"external_id": m.number, "id": m.id, "name": m.name},
                        }
                        for m in related[incident_id]
                    ]
                },
            )


def _write_org(out: Path, org: Org, planner: Planner, now: datetime) -> None:
    reference, catalog, created = org.reference, org.catalog, org.created
    write_json(out / "v1_severities.json", {"severities": list(reference.severities.values())})
    write_json(out / "v1_incident_statuses.json", {"incident_statuses": list(reference.statuses.values())})
    write_json(out / "v1_incident_types.json", {"incident_types": list(reference.incident_types.values())})
    write_json(out / "v2_incident_roles.json", {"incident_roles": list(reference.roles.values())})
    write_json(
        out / "v2_incident_timestamps.json", {"incident_timestamps": list(reference.timestamps.values())}
    )
    write_json(
        out / "v2_custom_fields.json", {"custom_fields": [catalog.affected_field, catalog.change_field]}
    )
    write_json(
        out / "v3_catalog_types.json",
        {"catalog_types": [catalog.service_type, catalog.team_type, catalog.deployment_type]},
    )
    write_json(
        out / "v3_teams.json",
        {"pagination_meta": {"page_size": 250}, "teams": [team_object(team) for team in org.teams]},
    )
    with PagedWriter(out / "v2_users.json", "users") as users:
        for team in org.teams:
            for person in team.members:
                users.add(user_object(person))
    write_json(
        out / "v2_schedules.json", {"schedules": [schedule_object(t, created, now) for t in org.teams]}
    )
    write_json(
        out / "v2_schedule_entries.json",
        {team.schedule_id: schedule_entries(team, created, now) for team in org.teams},
    )
    _write_catalog_entries(out, org, planner)


def _write_catalog_entries(out: Path, org: Org, planner: Planner) -> None:
    """Write one or more pages per catalog type; deployment entries are rendered a page at a time."""
    catalog, created = org.catalog, org.created
    services = service_entries(catalog, org.topology, org.teams_by_name, created)
    teams = team_entries(catalog, list(org.teams), created)
    deployments = sorted([*planner.deployments, *planner.decoys], key=lambda d: (d.deployed_at, d.id))
    sources: tuple[tuple[Json, int, Callable[[int, int], list[Json]]], ...] = (
        (catalog.service_type, len(services), lambda a, b: services[a:b]),
        (catalog.team_type, len(teams), lambda a, b: teams[a:b]),
        (
            catalog.deployment_type,
            len(deployments),
            lambda a, b: [deployment_entry(catalog, d) for d in deployments[a:b]],
        ),
    )
    with (out / "v3_catalog_entries.json").open("w", encoding="utf-8", newline="\n") as handle:
        handle.write("[")
        for index, (catalog_type, count, chunk) in enumerate(sources):
            for offset in range(0, max(count, 1), _CATALOG_PAGE):
                entries = chunk(offset, offset + _CATALOG_PAGE)
                meta: Json = {"page_size": _CATALOG_PAGE, "total_record_count": count}
                if offset + _CATALOG_PAGE < count:
                    meta["after"] = entries[-1]["id"]
                page = {"catalog_entries": entries, "catalog_type": catalog_type, "pagination_meta": meta}
                handle.write(("" if index == 0 and offset == 0 else ",\n") + dumps(page))
        handle.write("]\n")


def generate(out: Path, *, incidents: int, seed: int, end_at: datetime | None = None) -> GenerationReport:
    """Generate a synthetic organisation with ``incidents`` incidents into the directory ``out``.

    Besides the export, writes ``judgments.jsonl`` (planted recurrences) and ``causes.jsonl`` (per
    incident with a planted causal deploy: the deploy, how long before, and the decoy deploy of an
    unrelated service planted minutes from it).

    Args:
        out: the export directory (created if missing).
        incidents: how many incidents to write.
        seed: the seed; the same seed, count and ``end_at`` always produce the same bytes.
        end_at: when the history ends ("now" for a demo, so recent deploys and who is on call
            make sense); a fixed epoch when omitted.

    Returns:
        What was written.
    """
    out.mkdir(parents=True, exist_ok=True)
    if end_at is not None and end_at.tzinfo is None:
        raise ValueError("end_at must be timezone-aware")
    created = (
        end_at - _FIRST_INCIDENT_AFTER - timedelta(days=history_days(incidents)) if end_at else ORG_START
    )
    org = build_org(seed, created)
    # The planner puts the last incident just before the end of the history, so "now" is the end:
    # the newest incidents are still open, as in a live export.
    now = org.created + _FIRST_INCIDENT_AFTER + timedelta(days=history_days(incidents))
    report, relations, planner = _write_incidents(out, org, incidents, now)
    _write_relationships(out, relations)
    _write_org(out, org, planner, now)
    return report
