"""Reads Statuspage incident histories (JSON Lines) and merges records of the same incident.

See ``precedent.sources.statuspage`` for the shapes understood and the de-duplication rule.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from precedent.errors import SourceError

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator, Mapping
    from pathlib import Path

__all__ = [
    "WRITEUP_FROM",
    "WRITEUP_MIN_CHARS",
    "ConversionReport",
    "StatusIncident",
    "StatusUpdate",
    "read_statuspage",
]

Json = dict[str, object]


WRITEUP_MIN_CHARS = 250
WRITEUP_FROM = datetime(2023, 1, 1, tzinfo=UTC)
# Statuspage update statuses, as the incident.io status each maps to.
STATUS_NAMES = {
    "investigating": "Investigating",
    "identified": "Identified",
    "monitoring": "Monitoring",
    "resolved": "Closed",
    "postmortem": "Closed",
}


@dataclass(frozen=True)
class StatusUpdate:
    """One public status update."""

    id: str
    at: datetime
    status: str
    body: str


@dataclass
class StatusIncident:
    """One Statuspage incident, whichever mirror it came from."""

    code: str
    name: str
    impact: str
    started_at: datetime
    resolved_at: datetime | None
    monitoring_at: datetime | None
    permalink: str
    updates: list[StatusUpdate]
    components: list[str] = field(default_factory=list)

    @property
    def writeup(self) -> str | None:
        """The final root-cause write-up, if this incident has one."""
        last = self.updates[-1] if self.updates else None
        if (
            last is None
            or last.status != "resolved"
            or len(last.body) < WRITEUP_MIN_CHARS
            or self.started_at < WRITEUP_FROM
        ):
            return None
        return last.body

    @property
    def published_updates(self) -> list[StatusUpdate]:
        """The updates written as incident updates: all but a final one that is the write-up.

        The write-up is the post-mortem. Kept as an update too, it would be one of the first two
        updates a "similar incident" query is posed from whenever the incident had fewer than three
        (GitHub often posts only the write-up), and the query would give its own root cause away.
        """
        writeup = self.writeup
        if writeup is not None and self.updates and self.updates[-1].body == writeup:
            return self.updates[:-1]
        return self.updates


@dataclass(frozen=True)
class ConversionReport:
    """What a conversion read and wrote."""

    records: int
    maintenance_skipped: int
    duplicates_merged: int
    incidents: int
    updates: int
    components: int
    postmortems: int


def _text(record: Mapping[str, object], key: str) -> str | None:
    value = record.get(key)
    return value if isinstance(value, str) else None


def _time(record: Mapping[str, object], key: str) -> datetime | None:
    value = _text(record, key)
    return datetime.fromisoformat(value) if value else None


_TIMELINE = re.compile(r"\s*<ul>\s*(?:<li>.*</li>\s*)+</ul>\s*", re.DOTALL)
_ENTRY = re.compile(
    r"<li>\s*<strong>(\d{4}-\d\d-\d\d )?(\d\d?):(\d\d)(?::(\d\d))?</strong>\s*-\s*(.*?)</li>", re.DOTALL
)
_TAG = re.compile(r"<[^>]+>")


def _timeline(update: StatusUpdate, started: datetime) -> list[StatusUpdate] | None:
    """The entries of an update that lists a whole timeline, each an update at its own time.

    GitHub's incidents before 2019 were migrated to Statuspage as one "resolved" update, posted at
    the migration, whose body lists every message with its time (UTC, the page's zone; a time
    without a day is on the day it started, or the next once past midnight). Read as one update it
    is the resolution, posted years later: a query posed from the updates before the resolution
    would see nothing of the symptoms. The last entry keeps the update's status; the earlier ones
    were posted while it was being investigated. ``None`` for any other update.
    """
    if not _TIMELINE.fullmatch(update.body):
        return None
    entries = _ENTRY.findall(update.body)
    out: list[StatusUpdate] = []
    for index, (day, hour, minute, second, text) in enumerate(entries, start=1):
        midnight = datetime.fromisoformat(day.strip()) if day else started.replace(tzinfo=None)
        at = midnight.replace(hour=int(hour), minute=int(minute), second=int(second or 0), microsecond=0)
        at = at.replace(tzinfo=UTC)
        if not day and out and at < out[-1].at:
            at += timedelta(days=1)
        status = update.status if index == len(entries) else "investigating"
        body = " ".join(html.unescape(_TAG.sub("", text)).split())
        out.append(StatusUpdate(f"{update.id}-{index}", at, status, body))
    return out or None


def _records(value: object) -> list[Mapping[str, object]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _from_statuspage(incident: Mapping[str, object], descriptions: dict[str, str]) -> StatusIncident | None:
    code, name, started = _text(incident, "id"), _text(incident, "name"), _time(incident, "started_at")
    started = started or _time(incident, "created_at")
    if code is None or name is None or started is None:
        raise ValueError("incident needs id, name and created_at")
    if _text(incident, "impact") == "maintenance" or _text(incident, "scheduled_for"):
        return None
    updates: list[StatusUpdate] = []
    for raw in _records(incident.get("incident_updates")):
        at, status = _time(raw, "created_at"), _text(raw, "status") or "investigating"
        if at is not None:
            updates.append(
                StatusUpdate(
                    _text(raw, "id") or f"{code}-{len(updates)}", at, status, _text(raw, "body") or ""
                )
            )
    listed = [(update, _timeline(update, started)) for update in updates]
    updates = [entry for update, timeline in listed for entry in timeline or [update]]
    # Statuspage lists updates newest first; a stable sort keeps same-second updates in posting order.
    updates.sort(key=lambda update: update.at)
    resolved = _time(incident, "resolved_at")
    if resolved is not None and updates and any(timeline for _, timeline in listed):
        # A migrated record says it was resolved when it started; its last entry is the resolution.
        resolved = max(resolved, updates[-1].at)
    components = []
    for component in _records(incident.get("components")):
        component_name = _text(component, "name")
        if component_name:
            components.append(component_name)
            descriptions.setdefault(component_name, _text(component, "description") or "")
    return StatusIncident(
        code,
        name,
        _text(incident, "impact") or "none",
        started,
        resolved,
        _time(incident, "monitoring_at"),
        _text(incident, "shortlink") or "",
        updates,
        components,
    )


def _from_mirror(record: Mapping[str, object]) -> StatusIncident | None:
    url, name, started = _text(record, "url"), _text(record, "title"), _time(record, "started_at")
    started = started or _time(record, "published_at")
    if name is None or started is None:
        raise ValueError("record needs title and started_at")
    if _text(record, "impact") == "maintenance":
        return None
    code = url.rstrip("/").rsplit("/", 1)[-1] if url else f"{name.strip().lower()}@{started:%Y-%m-%dT%H:%M}"
    updates: list[StatusUpdate] = []
    status = "investigating"
    for raw in _records(record.get("updates")):
        at = _time(raw, "at")
        label = (_text(raw, "status") or "").lower()
        # The mirror's "Update" is a message without a status change: keep the current status.
        status = label if label in STATUS_NAMES else status
        if at is not None:
            updates.append(
                StatusUpdate(f"{code}-{len(updates) + 1}", at, status, _text(raw, "message") or "")
            )
    listed = record.get("components")
    components = [c for c in listed if isinstance(c, str)] if isinstance(listed, list) else []
    return StatusIncident(
        code,
        name,
        _text(record, "impact") or "none",
        started,
        _time(record, "resolved_at"),
        None,
        url or "",
        updates,
        components,
    )


def _is_placeholder(component: str) -> bool:
    # Statuspage's "Visit www.githubstatus.com for more information" row (truncated to "Visit www" by
    # one mirror) is a link, not a service.
    return component.startswith("Visit ")


def _richness(incident: StatusIncident) -> tuple[int, int]:
    return len(incident.updates), sum(len(update.body) for update in incident.updates)


def _named_in(title: str, components: list[str]) -> list[str]:
    """Components a title names ("Incident with Actions and Git Operations"), longest names first."""
    # Only for records with no component list: GitHub's titles name the components they affect.
    found: list[str] = []
    rest = f" {title.lower()} "
    for component in sorted(components, key=len, reverse=True):
        needle = component.lower()
        for boundary in (" ", ","):
            if f" {needle}{boundary}" in rest or f" github {needle}{boundary}" in rest:
                found.append(component)
                rest = rest.replace(needle, " ")
                break
    return sorted(found, key=components.index)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    try:
        with path.open(encoding="utf-8") as handle:
            yield from enumerate(handle, start=1)
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}; pass Statuspage JSON Lines files") from exc


def read_statuspage(paths: Iterable[Path]) -> tuple[list[StatusIncident], dict[str, str], ConversionReport]:
    """Read, normalise and de-duplicate Statuspage histories.

    Args:
        paths: JSON Lines files, earlier ones preferred on ties.

    Returns:
        Incidents in start order, component descriptions by name, and the counts so far.

    Raises:
        SourceError: If a file can't be read, or a line is not JSON or lacks the fields every incident needs.
    """
    descriptions: dict[str, str] = {}
    by_code: dict[str, StatusIncident] = {}
    records = skipped = merged = 0
    for path in paths:
        for number, line in _lines(path):
            if not line.strip():
                continue
            records += 1
            try:
                raw = json.loads(line)
                if not isinstance(raw, dict):
                    raise ValueError("line is not a JSON object")
                inner = raw.get("incident")
                incident = (
                    _from_statuspage(inner, descriptions) if isinstance(inner, dict) else _from_mirror(raw)
                )
            except ValueError as exc:
                raise SourceError(f"{path}:{number}: not a Statuspage incident ({exc})") from exc
            if incident is None:
                skipped += 1
                continue
            incident.components = [c for c in dict.fromkeys(incident.components) if not _is_placeholder(c)]
            kept = by_code.get(incident.code)
            if kept is None:
                by_code[incident.code] = incident
                continue
            merged += 1
            union = list(dict.fromkeys([*kept.components, *incident.components]))
            if _richness(incident) > _richness(kept):
                by_code[incident.code] = kept = incident
            kept.components = union
    incidents = sorted(by_code.values(), key=lambda incident: (incident.started_at, incident.code))
    for incident in incidents:
        for component in incident.components:
            descriptions.setdefault(component, "")
    names = sorted(c for c in descriptions if not _is_placeholder(c))
    for incident in incidents:
        if not incident.components:
            incident.components = _named_in(incident.name, names)
    report = ConversionReport(
        records,
        skipped,
        merged,
        len(incidents),
        sum(len(i.published_updates) for i in incidents),
        len(names),
        sum(i.writeup is not None for i in incidents),
    )
    return incidents, {name: descriptions[name] for name in names}, report
