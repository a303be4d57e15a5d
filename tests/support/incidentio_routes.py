"""The fake incident.io API's routing: which records each endpoint serves, filtered and paged.

Pure functions of (fixtures, request) → (status, body); ``incidentio_server.FakeIncidentIo`` adds
auth, faults and spec validation around them. Behaviour mirrors the spec: ``after`` is the last
record's id, ``pagination_meta.after`` is only set when more records remain, required parameters
are enforced with a 422, ``/v2/schedules`` drops ``next_shifts`` above page size 25, and
``/v2/schedule_entries`` pages with an opaque cursor passed back as ``entry_window_start``.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

import httpx

if TYPE_CHECKING:
    from tests.support.incidentio_fixtures import IncidentIoFixtures

__all__ = ["BASE_URL", "decode_cursor", "encode_cursor", "route"]

BASE_URL = "https://api.incident.io"

Body = dict[str, Any]
Record = dict[str, Any]
Records = Callable[["IncidentIoFixtures", httpx.QueryParams], list[Record]]


@dataclass(frozen=True)
class Listing:
    """A list endpoint: its collection key, its records, and how it pages."""

    key: str
    records: Records
    paginated: bool = True
    total: bool = False
    required: tuple[str, ...] = ()
    max_page_size: int = 250


def _all(attr: str) -> Records:
    return lambda fx, params: list(getattr(fx, attr))


def _by(attr: str, param: str, field: str | None = None) -> Records:
    def records(fx: IncidentIoFixtures, params: httpx.QueryParams) -> list[Record]:
        wanted = params.get(param)
        return [r for r in getattr(fx, attr) if wanted is None or r[field or param] == wanted]

    return records


def _matches_time(value: str, op: str, bound: str) -> bool:
    mine = value[: len(bound)] if len(bound) == 10 else value
    if len(bound) != 10:
        return _cmp(datetime.fromisoformat(mine), op, datetime.fromisoformat(bound))
    return _cmp(mine, op, bound)


def _cmp(a: Any, op: str, b: Any) -> bool:
    return bool(a >= b) if op == "gte" else bool(a <= b)


def _incidents(fx: IncidentIoFixtures, params: httpx.QueryParams) -> list[Record]:
    modes = params.get_list("mode[one_of]") or ["standard", "retrospective"]
    found = [i for i in fx.incidents if i["mode"] in modes]
    for name in ("created_at", "updated_at"):
        for op in ("gte", "lte"):
            for bound in params.get_list(f"{name}[{op}]"):
                found = [i for i in found if _matches_time(i[name], op, bound)]
    pickers: tuple[tuple[str, Callable[[Record], Any]], ...] = (
        ("status_category", lambda i: i["incident_status"]["category"]),
        ("status", lambda i: i["incident_status"]["id"]),
        ("severity", lambda i: i.get("severity", {}).get("id")),
    )
    for key, pick in pickers:
        wanted = params.get_list(f"{key}[one_of]")
        if wanted:
            found = [i for i in found if pick(i) in wanted]
    newest_first = params.get("sort_by", "created_at_newest_first") == "created_at_newest_first"
    return sorted(found, key=lambda i: (i["created_at"], i["id"]), reverse=newest_first)


def _of_incident_modes(attr: str) -> Records:
    """Follow-ups or actions: by ``incident_id``; only standard and retrospective incidents' unless
    ``incident_mode`` names another (the spec's default)."""

    def records(fx: IncidentIoFixtures, params: httpx.QueryParams) -> list[Record]:
        modes = params.get_list("incident_mode") or ["standard", "retrospective"]
        mode_of = {i["id"]: i["mode"] for i in fx.incidents}
        return [
            r
            for r in _by(attr, "incident_id")(fx, params)
            if mode_of.get(r["incident_id"], "standard") in modes
        ]

    return records


def _relationships(fx: IncidentIoFixtures, params: httpx.QueryParams) -> list[Record]:
    return list(fx.incident_relationships.get(params["incident_id"], []))


LISTINGS: dict[str, Listing] = {
    "/v2/incidents": Listing("incidents", _incidents, total=True),
    "/v2/incident_updates": Listing("incident_updates", _by("incident_updates", "incident_id")),
    "/v1/incident_relationships": Listing(
        "incident_relationships", _relationships, required=("incident_id",)
    ),
    "/v1/postmortem_documents": Listing("postmortem_documents", _by("postmortem_documents", "incident_id")),
    "/v1/custom_field_options": Listing(
        "custom_field_options", _by("custom_field_options", "custom_field_id"), required=("custom_field_id",)
    ),
    "/v2/users": Listing("users", _all("users"), max_page_size=10000),
    "/v2/schedules": Listing("schedules", _all("schedules"), total=True, max_page_size=10000),
    "/v3/catalog_entries": Listing(
        "catalog_entries",
        _by("catalog_entries", "catalog_type_id"),
        total=True,
        required=("catalog_type_id", "page_size"),
    ),
    "/v3/teams": Listing("teams", _all("teams")),
    "/v2/follow_ups": Listing("follow_ups", _of_incident_modes("follow_ups"), paginated=False),
    "/v2/actions": Listing("actions", _of_incident_modes("actions"), paginated=False),
    "/v1/severities": Listing("severities", _all("severities"), paginated=False),
    "/v1/incident_statuses": Listing("incident_statuses", _all("incident_statuses"), paginated=False),
    "/v1/incident_types": Listing("incident_types", _all("incident_types"), paginated=False),
    "/v2/incident_roles": Listing("incident_roles", _all("incident_roles"), paginated=False),
    "/v2/incident_timestamps": Listing("incident_timestamps", _all("incident_timestamps"), paginated=False),
    "/v2/custom_fields": Listing("custom_fields", _all("custom_fields"), paginated=False),
    "/v3/catalog_types": Listing("catalog_types", _all("catalog_types"), paginated=False),
}

SHOWS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"^/v2/incidents/([^/]+)$"), "incidents", "incident"),
    (re.compile(r"^/v1/postmortem_documents/([^/]+)$"), "postmortem_documents", "postmortem_document"),
    (re.compile(r"^/v2/follow_ups/([^/]+)$"), "follow_ups", "follow_up"),
    (re.compile(r"^/v2/users/([^/]+)$"), "users", "user"),
    (re.compile(r"^/v2/schedules/([^/]+)$"), "schedules", "schedule"),
    (re.compile(r"^/v3/catalog_types/([^/]+)$"), "catalog_types", "catalog_type"),
    (re.compile(r"^/v3/teams/([^/]+)$"), "teams", "team"),
]


def _invalid(field: str, message: str) -> tuple[int, Body]:
    return 422, {
        "type": "validation_error",
        "status": 422,
        "request_id": "fake-request-id",
        "errors": [{"code": "invalid_value", "message": message, "source": {"field": field}}],
    }


def _not_found(what: str) -> tuple[int, Body]:
    return 404, {
        "type": "not_found",
        "status": 404,
        "request_id": "fake-request-id",
        "errors": [{"code": "not_found", "message": f"{what} not found"}],
    }


def route(fx: IncidentIoFixtures, request: httpx.Request, *, schedule_page_size: int = 3) -> tuple[int, Body]:
    """Answer one GET: ``(200, body)`` or ``(4xx, error body)``."""
    path, params = request.url.path, request.url.params
    if path == "/v1/identity":
        return 200, {"identity": fx.identity}
    if path == "/v2/schedule_entries":
        return _schedule_entries(fx, params, schedule_page_size)
    if (match := re.fullmatch(r"/v1/postmortem_documents/([^/]+)/content", path)) is not None:
        markdown = fx.postmortem_content.get(match[1])
        return (200, {"markdown": markdown}) if markdown is not None else _not_found("post-mortem document")
    if (match := re.fullmatch(r"/v3/catalog_entries/([^/]+)", path)) is not None:
        entry = next((e for e in fx.catalog_entries if e["id"] == match[1]), None)
        if entry is None:
            return _not_found("catalog entry")
        kind = next(t for t in fx.catalog_types if t["id"] == entry["catalog_type_id"])
        return 200, {"catalog_entry": entry, "catalog_type": kind}
    listing = LISTINGS.get(path)
    if listing is not None:
        return _list(fx, path, listing, params)
    for pattern, attr, key in SHOWS:
        if (match := pattern.match(path)) is not None:
            ident = match[1]
            found = next(
                (r for r in getattr(fx, attr) if ident in (r["id"], r.get("reference", "")[4:])), None
            )
            return (200, {key: found}) if found is not None else _not_found(key.replace("_", " "))
    return _not_found(f"route {path}")


def _list(fx: IncidentIoFixtures, path: str, listing: Listing, params: httpx.QueryParams) -> tuple[int, Body]:
    for name in listing.required:
        if name not in params:
            return _invalid(name, f"{name} is required")
    records = listing.records(fx, params)
    if not listing.paginated:
        return 200, {listing.key: records}
    raw_size = params.get("page_size", "25")
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= listing.max_page_size:
        return _invalid("page_size", f"page_size must be between 1 and {listing.max_page_size}")
    size = int(raw_size)
    start = 0
    if (after := params.get("after")) is not None:
        ids = [r["id"] for r in records]
        if after not in ids:
            return _invalid("after", f"no record {after} to page after")
        start = ids.index(after) + 1
    page = records[start : start + size]
    meta: Body = {"page_size": size}
    if start + size < len(records):
        meta["after"] = page[-1]["id"]
    if listing.total:
        meta["total_record_count"] = len(records)
    body: Body = {listing.key: page, "pagination_meta": meta}
    if path == "/v3/catalog_entries":
        kind = next((t for t in fx.catalog_types if t["id"] == params["catalog_type_id"]), None)
        if kind is None:
            return _not_found("catalog type")
        body["catalog_type"] = kind
    if path == "/v2/schedules" and size > 25:  # the spec: next_shifts only when page_size <= 25
        body["schedules"] = [{k: v for k, v in s.items() if k != "next_shifts"} for s in page]
    return 200, body


def encode_cursor(index: int, window_start: str | None) -> str:
    """An opaque schedule-entries cursor carrying the original window start and an offset."""
    return base64.urlsafe_b64encode(f"entries|{index}|{window_start or ''}".encode()).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[int, str | None] | None:
    """``(offset, window_start)`` from an :func:`encode_cursor` token; ``None`` for a timestamp."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    parts = text.split("|")
    if len(parts) != 3 or parts[0] != "entries" or not parts[1].isdigit():
        return None
    return int(parts[1]), parts[2] or None


def _schedule_entries(fx: IncidentIoFixtures, params: httpx.QueryParams, size: int) -> tuple[int, Body]:
    if "schedule_id" not in params:
        return _invalid("schedule_id", "schedule_id is required")
    entries = fx.schedule_entries.get(params["schedule_id"])
    if entries is None:
        return _not_found("schedule")
    start_param = params.get("entry_window_start")
    cursor = decode_cursor(start_param) if start_param else None
    offset, window_start = cursor if cursor is not None else (0, start_param)
    window_end = params.get("entry_window_end")
    overlapping = [
        e
        for e in entries
        if (
            window_start is None or datetime.fromisoformat(e["end_at"]) > datetime.fromisoformat(window_start)
        )
        and (window_end is None or datetime.fromisoformat(e["start_at"]) < datetime.fromisoformat(window_end))
    ]
    page = overlapping[offset : offset + size]
    body: Body = {"schedule_entries": {"scheduled": page, "overrides": [], "final": page}}
    if offset + size < len(overlapping):
        token = encode_cursor(offset + size, window_start)
        query = {"schedule_id": params["schedule_id"], "entry_window_start": token}
        if window_end is not None:
            query["entry_window_end"] = window_end
        body["pagination_meta"] = {
            "after": token,
            "after_url": str(httpx.URL(BASE_URL + "/v2/schedule_entries", params=query)),
        }
    return 200, body
