"""Turn one planned incident into the API objects it produces.

One call returns the ``IncidentV2``, its ``IncidentUpdateV2`` history, in-incident actions, follow-ups
and (for major and critical incidents) a post-mortem document and its Markdown. Incidents still running
at the end of the history are cut off at "now", so the newest ones are live, as in a real export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from precedent.sources.synthetic.ids import iso

if TYPE_CHECKING:
    import random

    from precedent.sources.synthetic.ids import IdFactory
    from precedent.sources.synthetic.org import Org
    from precedent.sources.synthetic.people import Person
    from precedent.sources.synthetic.text import Narrative, Narrator
    from precedent.sources.synthetic.timeline import Plan

__all__ = ["BuiltIncident", "IncidentBuilder"]

Json = dict[str, object]

_PRIORITIES = (
    {"description": "Do this week", "id": "01HPRIORITYURGENT000000000", "name": "Urgent", "rank": 30},
    {"description": "Do this quarter", "id": "01HPRIORITYHIGH00000000000", "name": "High", "rank": 20},
    {"description": "Nice to have", "id": "01HPRIORITYLOW000000000000", "name": "Low", "rank": 10},
)
_LASTED = {"id": "01HDURATIONLASTED000000000", "name": "Lasted"}
_TTI = {"id": "01HDURATIONTIMETOIDENTIFY0", "name": "Time to identify"}


@dataclass(frozen=True)
class BuiltIncident:
    """The objects one incident contributes to the export."""

    incident: Json
    updates: tuple[Json, ...]
    actions: tuple[Json, ...]
    follow_ups: tuple[Json, ...]
    postmortem: Json | None
    postmortem_markdown: str | None
    name: str


@dataclass(frozen=True)
class _Step:
    at: datetime
    status: str
    message: str
    severity: str | None


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:60]


class IncidentBuilder:
    """Build incidents for one organisation from one seeded stream."""

    def __init__(
        self, rng: random.Random, ids: IdFactory, org: Org, narrator: Narrator, now: datetime
    ) -> None:
        self._rng = rng
        self._ids = ids
        self._org = org
        self._narrator = narrator
        self._now = now

    def _steps(self, plan: Plan, story: Narrative, repeat_of: str | None) -> list[_Step]:
        rng, narrator = self._rng, self._narrator
        start, duration = plan.start, plan.duration
        identified = start + duration * rng.uniform(0.25, 0.55)
        fixed = start + duration * rng.uniform(0.65, 0.9)
        end = start + duration
        # Severity is sometimes raised once the scope is clear, as responders do.
        first_severity = "Minor" if plan.severity != "Minor" and rng.random() < 0.2 else plan.severity
        steps = [
            _Step(
                start + timedelta(minutes=rng.uniform(0.5, 4)),
                "Investigating",
                narrator.investigating(story),
                first_severity,
            )
        ]
        for _ in range(rng.choice((0, 1, 1, 2, 3))):
            at = steps[-1].at + (identified - steps[-1].at) * rng.uniform(0.2, 0.7)
            raised = plan.severity if first_severity != plan.severity and len(steps) == 1 else None
            steps.append(_Step(at, "Investigating", narrator.still_investigating(story), raised))
        raised = plan.severity if first_severity != plan.severity and len(steps) == 1 else None
        steps.append(_Step(identified, "Identified", narrator.identified(story, repeat_of), raised))
        steps.append(_Step(fixed, "Monitoring", narrator.monitoring(story), None))
        steps.append(_Step(end, "Closed", narrator.resolved(story), None))
        return steps

    def _update(self, plan: Plan, step: _Step, updater: Person) -> Json:
        update: Json = {
            "created_at": iso(step.at),
            "id": self._ids.new(step.at),
            "incident_id": plan.id,
            "message": step.message,
            "new_incident_status": self._org.reference.statuses[step.status],
            "updater": {"user": updater.embedded()},
        }
        if step.severity is not None:
            update["new_severity"] = self._org.reference.severities[step.severity]
        return update

    def build(self, plan: Plan, story: Narrative, *, repeat_of: str | None) -> BuiltIncident:
        """Build every object for one planned incident.

        Args:
            plan: what happens, where and when.
            story: the narrative facts shared by every message.
            repeat_of: the reference of an earlier incident with the same cause, which responders may cite.

        Returns:
            The incident and everything hanging off it.
        """
        rng, org = self._rng, self._org
        team = org.owner(plan.svc)
        lead = org.on_call(team, plan.start)
        from_alert = rng.random() < 0.4
        name = self._narrator.name(story, from_alert=from_alert)
        steps = [step for step in self._steps(plan, story, repeat_of) if step.at <= self._now]
        merged = plan.duplicate_of is not None
        if plan.duplicate_of is not None:
            # A duplicate is merged into its original minutes after someone notices.
            merge_at = steps[0].at + timedelta(minutes=rng.uniform(2, 15))
            merge = _Step(merge_at, "Merged", f"Duplicate of INC-{plan.duplicate_of.number}; merging.", None)
            steps = [steps[0], merge] if merge_at <= self._now else steps[:1]
        closed = steps[-1].status in ("Closed", "Merged")
        wants_postmortem = closed and not merged and plan.severity != "Minor" and rng.random() < 0.9
        postmortem_done = wants_postmortem and (self._now - steps[-1].at) > timedelta(days=10)
        if steps[-1].status == "Closed" and wants_postmortem and not postmortem_done:
            steps[-1] = _Step(steps[-1].at, "Documenting", steps[-1].message, None)
        updaters = [lead, *rng.sample(team.members, k=min(2, len(team.members)))]
        updates = []
        for index, step in enumerate(steps):
            update = self._update(plan, step, updaters[index % len(updaters)])
            if step.status == "Merged" and plan.duplicate_of is not None:
                update["merged_into_incident_id"] = plan.duplicate_of.id
            updates.append(update)
        last = steps[-1].at
        incident = self._incident(plan, story, name, steps, lead=lead, from_alert=from_alert)
        actions = tuple(
            self._action(plan, story, lead, team.members) for _ in range(rng.choice((0, 1, 1, 2, 3)))
        )
        follow_ups: tuple[Json, ...] = ()
        postmortem = markdown = None
        if wants_postmortem:
            titles = tuple(dict.fromkeys(self._narrator.follow_up(story) for _ in range(rng.randint(1, 4))))
            follow_ups = tuple(self._follow_up(plan, title, last) for title in titles)
            postmortem, markdown = self._postmortem(plan, story, name, steps, titles, done=postmortem_done)
            incident["postmortem_document_ids"] = [postmortem["id"]]
            incident["postmortem_document_url"] = postmortem["document_url"]
            incident["updated_at"] = postmortem["updated_at"]
        return BuiltIncident(incident, tuple(updates), actions, follow_ups, postmortem, markdown, name)

    def _timestamps(self, plan: Plan, steps: list[_Step]) -> list[Json]:
        reached = {step.status: step.at for step in reversed(steps)}
        values = {
            "Reported at": plan.start,
            "Impact started": plan.start - timedelta(minutes=self._rng.uniform(0, 12)),
            "Identified at": reached.get("Identified"),
            "Fixed at": reached.get("Monitoring"),
            "Resolved at": reached.get("Closed") or reached.get("Documenting"),
            "Closed at": reached.get("Closed"),
        }
        out: list[Json] = []
        for name, definition in self._org.reference.timestamps.items():
            value = values[name]
            entry: Json = {"incident_timestamp": definition}
            if value is not None:
                entry["value"] = {"value": iso(value)}
            out.append(entry)
        return out

    def _affected(self, plan: Plan) -> list[str]:
        services = [plan.svc]
        if plan.root != plan.svc and self._rng.random() < 0.5:
            services.append(plan.root)
        callers = self._org.topology.upstream(plan.svc, depth=1)
        if callers and self._rng.random() < 0.3:
            services.append(self._rng.choice(callers))
        return list(dict.fromkeys(services))

    def _incident(
        self, plan: Plan, story: Narrative, name: str, steps: list[_Step], *, lead: Person, from_alert: bool
    ) -> Json:
        org, rng = self._org, self._rng
        catalog, reference = org.catalog, org.reference
        status = steps[-1].status
        entries: list[Json] = [
            {
                "custom_field": catalog.field_info(catalog.affected_field),
                "values": [{"value_catalog_entry": catalog.service_entry(s)} for s in self._affected(plan)],
            }
        ]
        if plan.deployment is not None and status != "Investigating":
            deployment = plan.deployment
            entries.append(
                {
                    "custom_field": catalog.field_info(catalog.change_field),
                    "values": [
                        {
                            "value_catalog_entry": {
                                "aliases": [],
                                "external_id": deployment.external_id,
                                "id": deployment.id,
                                "name": deployment.name,
                            }
                        }
                    ],
                }
            )
        creator: Json = (
            {"alert": {"id": self._ids.new(plan.start), "title": self._narrator.alert_title(story)}}
            if from_alert
            else {"user": lead.embedded()}
        )
        reporter = lead if from_alert else rng.choice(org.owner(plan.svc).members)
        roles: list[Json] = [
            {"assignee": lead.embedded(), "role": {**reference.roles["Incident Lead"], "required": True}},
            {"assignee": reporter.embedded(), "role": {**reference.roles["Reporter"], "required": False}},
        ]
        duration = int((steps[-1].at - plan.start).total_seconds())
        incident: Json = {
            "created_at": iso(plan.start),
            "creator": creator,
            "custom_field_entries": entries,
            "id": plan.id,
            "incident_role_assignments": roles,
            "incident_status": reference.statuses[status],
            "incident_timestamp_values": self._timestamps(plan, steps),
            "incident_type": reference.incident_types[plan.incident_type],
            "mode": "standard",
            "name": name,
            "permalink": f"https://app.incident.io/acme/incidents/{plan.number}",
            "reference": f"INC-{plan.number}",
            "severity": reference.severities[plan.severity],
            "slack_channel_id": "C" + plan.id[-10:],
            "slack_channel_name": f"inc-{plan.number}-{_slug(name)}",
            "slack_team_id": "T0ACME0001",
            "summary": self._narrator.summary(story),
            "updated_at": iso(steps[-1].at),
            "visibility": "private" if plan.private else "public",
        }
        if status in ("Closed", "Documenting"):
            identified = next((s.at for s in steps if s.status == "Identified"), steps[-1].at)
            incident["duration_metrics"] = [
                {"duration_metric": _LASTED, "status": "success", "value_seconds": duration},
                {
                    "duration_metric": _TTI,
                    "status": "success",
                    "value_seconds": int((identified - plan.start).total_seconds()),
                },
            ]
            minutes = round(duration / 60 * rng.uniform(1.5, 4.0), 1)
            late = round(minutes * (0.6 if plan.start.hour < 7 or plan.start.hour > 19 else 0.1), 1)
            incident.update(
                workload_minutes_late=late,
                workload_minutes_sleeping=0.0,
                workload_minutes_total=minutes,
                workload_minutes_working=round(minutes - late, 1),
            )
        return incident

    def _action(self, plan: Plan, story: Narrative, lead: Person, members: tuple[Person, ...]) -> Json:
        at = plan.start + plan.duration * self._rng.uniform(0.1, 0.6)
        done = at + timedelta(minutes=self._rng.uniform(3, 40))
        finished = done <= self._now
        action: Json = {
            "assignee": self._rng.choice(members).embedded(),
            "created_at": iso(at),
            "creator": {"user": lead.embedded()},
            "description": self._narrator.action(story),
            "id": self._ids.new(at),
            "incident_id": plan.id,
            "status": "completed" if finished else "outstanding",
            "updated_at": iso(done if finished else at),
        }
        if finished:
            action["completed_at"] = iso(done)
        return action

    def _follow_up(self, plan: Plan, title: str, resolved: datetime) -> Json:
        rng, org = self._rng, self._org
        owner = org.owner(plan.root)
        at = resolved + timedelta(hours=rng.uniform(2, 72))
        # Follow-ups on planted root causes tend to stay open: that is why the cause comes back.
        p_done = 0.35 if plan.thread is not None else 0.75
        if self._now - at < timedelta(days=21):
            p_done *= 0.4
        roll = rng.random()
        status = "completed" if roll < p_done else ("not_doing" if roll < p_done + 0.08 else "outstanding")
        done = min(at + timedelta(days=rng.uniform(1, 40)), self._now)
        follow_up: Json = {
            "assignee": rng.choice(owner.members).embedded(),
            "assignee_team": {"id": owner.id, "name": owner.name},
            "created_at": iso(at),
            "creator": {"user": org.on_call(owner, plan.start).embedded()},
            "description": f"Raised in the post-mortem for INC-{plan.number}.",
            "id": self._ids.new(at),
            "incident_id": plan.id,
            "labels": ["post-incident"],
            "priority": rng.choice(_PRIORITIES),
            "status": status,
            "title": title,
            "updated_at": iso(done if status != "outstanding" else at),
        }
        if status == "completed":
            follow_up["completed_at"] = iso(done)
        if rng.random() < 0.5:
            key = f"ENG-{rng.randint(1000, 99999)}"
            follow_up["external_issue_reference"] = {
                "issue_name": key,
                "provider": "linear",
                "issue_permalink": f"https://linear.app/acme/issue/{key}",
            }
        return follow_up

    def _postmortem(
        self,
        plan: Plan,
        story: Narrative,
        name: str,
        steps: list[_Step],
        follow_ups: tuple[str, ...],
        *,
        done: bool,
    ) -> tuple[Json, str]:
        org = self._org
        at = steps[-1].at + timedelta(days=self._rng.uniform(1, 7))
        updated = min(at + timedelta(days=self._rng.uniform(0.5, 6)), self._now)
        document_id = self._ids.new(at)
        title = f"INC-{plan.number}: {name}"
        editors = [
            org.on_call(org.owner(plan.svc), plan.start),
            *self._rng.sample(org.owner(plan.root).members, k=1),
        ]
        document: Json = {
            "created_at": iso(min(at, self._now)),
            "document_url": f"https://app.incident.io/acme/incidents/{plan.number}/post-mortems/{document_id}",
            "editors": [p.embedded() for p in dict.fromkeys(editors)],
            "exported_urls": [],
            "id": document_id,
            "incident_id": plan.id,
            "status": "completed" if done else "in_progress",
            "title": title,
            "type": "in_app",
            "updated_at": iso(updated),
        }
        timeline = tuple((step.at.strftime("%H:%M"), f"**{step.status}**: {step.message}") for step in steps)
        impact = (
            f"{plan.svc} was degraded for {int(plan.duration.total_seconds() // 60)} minutes "
            f"({plan.severity.lower()} severity)."
        )
        return document, self._narrator.postmortem(
            story, title=title, impact=impact, timeline=timeline, follow_ups=follow_ups
        )
