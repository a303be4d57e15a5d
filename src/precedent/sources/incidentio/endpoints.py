"""The one registry of the incident.io endpoints Precedent knows: path, body key, paging, scope, file.

Everything else reads it: the client's page-size caps (``pagination.py``), the scope named in a
403 (:func:`required_scopes`, used by ``failures.py``), what ``precedent sync`` fetches and how
(``ingest/sync.py``, ``ingest/incident_parts.py``), and which export file ``precedent import``
reads each resource from (``ingest/files.py``). The facts come from incident.io's OpenAPI spec
(``shared/incidentio/openapi.json``, 2026-08-21) and ``shared/incidentio/NOTES.md``; a test checks
every entry against the spec (path, body key, scope, paging and parent parameters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ENDPOINTS", "Endpoint", "endpoint_for", "required_scopes"]


@dataclass(frozen=True)
class Endpoint:
    """One ``GET`` endpoint of incident.io's API.

    Attributes:
        name: Precedent's name for the resource (``incident_updates``); also the load resource.
        path: The path template (``/v2/incident_updates``, ``/v2/incidents/{id}``).
        key: The top-level key of the 200 body holding the objects (or the one object).
        scopes: The RBAC scopes the spec lists in ``x-rbac-scopes`` (empty: none listed).
        title: How messages name it (``incident updates``).
        paginated: Whether the body carries ``pagination_meta`` with a cursor to follow.
        page_size: The largest ``page_size`` accepted, sent by default; ``None``: no page size.
        page_size_required: The endpoint rejects a request without ``page_size``.
        cursor_param: The query parameter the ``pagination_meta.after`` cursor goes back in.
        parent: The query parameter that narrows the list to one parent (``incident_id``).
        parent_required: The list cannot be read without ``parent``.
        export_file: The file of an export directory holding it (docs/export-format.md).
        export_keyed: The export file is an object keyed by parent id rather than a body.
    """

    name: str
    path: str
    key: str
    scopes: tuple[str, ...]
    title: str
    paginated: bool = False
    page_size: int | None = None
    page_size_required: bool = False
    cursor_param: str = "after"
    parent: str | None = None
    parent_required: bool = False
    export_file: str | None = None
    export_keyed: bool = False

    @property
    def per_incident(self) -> bool:
        """Whether the list can be read for one incident at a time (``incident_id=``)."""
        return self.parent == "incident_id"

    def of_parent(self, parent_id: str) -> dict[str, str]:
        """The query parameters narrowing this list to one parent (``{"incident_id": ...}``).

        Raises:
            ValueError: If the list has no parent parameter.
        """
        if self.parent is None:
            raise ValueError(f"{self.path} cannot be narrowed to a parent")
        return {self.parent: parent_id}

    def url(self, **ids: str) -> str:
        """The concrete path, with ``{id}``-style placeholders filled in.

        Raises:
            KeyError: If a placeholder has no value.
        """
        return self.path.format(**ids)


_INCIDENTS_VIEW = ("incidents.view",)

_ALL = (
    # Reference data, in the order an export is read (types before the entries that use them).
    Endpoint("severities", "/v1/severities", "severities", ("severities.view",), "severities",
             export_file="v1_severities.json"),
    Endpoint("incident_statuses", "/v1/incident_statuses", "incident_statuses", ("incident_statuses.view",),
             "incident statuses", export_file="v1_incident_statuses.json"),
    Endpoint("incident_types", "/v1/incident_types", "incident_types", ("incident_types.view",),
             "incident types", export_file="v1_incident_types.json"),
    Endpoint("incident_roles", "/v2/incident_roles", "incident_roles", ("incident_roles.view",),
             "incident roles", export_file="v2_incident_roles.json"),
    Endpoint("incident_timestamps", "/v2/incident_timestamps", "incident_timestamps", (),
             "incident timestamps", export_file="v2_incident_timestamps.json"),
    Endpoint("custom_fields", "/v2/custom_fields", "custom_fields", ("custom_fields.view",), "custom fields",
             export_file="v2_custom_fields.json"),
    Endpoint("users", "/v2/users", "users", ("users.view",), "users", paginated=True, page_size=10000,
             export_file="v2_users.json"),
    Endpoint("catalog_types", "/v3/catalog_types", "catalog_types", ("catalog_types.view",), "catalog types",
             export_file="v3_catalog_types.json"),
    Endpoint("catalog_entries", "/v3/catalog_entries", "catalog_entries", ("catalog_entries.view",),
             "catalog entries", paginated=True, page_size=250, page_size_required=True,
             parent="catalog_type_id", parent_required=True, export_file="v3_catalog_entries.json"),
    Endpoint("teams", "/v3/teams", "teams", ("catalog_entries.view",), "teams", paginated=True,
             page_size=250, export_file="v3_teams.json"),
    # The spec allows 10000, but next_shifts is only returned when page_size <= 25.
    Endpoint("schedules", "/v2/schedules", "schedules", ("schedules.view",), "schedules", paginated=True,
             page_size=25, export_file="v2_schedules.json"),
    Endpoint("schedule_entries", "/v2/schedule_entries", "schedule_entries", ("schedules.view",),
             "schedule entries", paginated=True, cursor_param="entry_window_start", parent="schedule_id",
             parent_required=True, export_file="v2_schedule_entries.json", export_keyed=True),
    # The spec's schema says 500, but the endpoint's description says 250.
    Endpoint("incidents", "/v2/incidents", "incidents", _INCIDENTS_VIEW, "incidents", paginated=True,
             page_size=250, export_file="v2_incidents.json"),
    Endpoint("incident_updates", "/v2/incident_updates", "incident_updates", _INCIDENTS_VIEW,
             "incident updates", paginated=True, page_size=250, parent="incident_id",
             export_file="v2_incident_updates.json"),
    Endpoint("postmortem_documents", "/v1/postmortem_documents", "postmortem_documents", _INCIDENTS_VIEW,
             "post-mortems", paginated=True, page_size=250, parent="incident_id",
             export_file="v1_postmortem_documents.json"),
    Endpoint("follow_ups", "/v2/follow_ups", "follow_ups", ("actions.view",), "follow-ups",
             parent="incident_id", export_file="v2_follow_ups.json"),
    Endpoint("actions", "/v2/actions", "actions", ("actions.view",), "actions", parent="incident_id",
             export_file="v2_actions.json"),
    Endpoint("incident_relationships", "/v1/incident_relationships", "incident_relationships",
             _INCIDENTS_VIEW, "incident relationships", paginated=True, page_size=250, parent="incident_id",
             parent_required=True, export_file="v1_incident_relationships.json", export_keyed=True),
    Endpoint("postmortem_content", "/v1/postmortem_documents/{id}/content", "markdown",
             ("in_app_postmortems.copy_as_markdown",), "post-mortem content",
             export_file="v1_postmortem_documents_content.json", export_keyed=True),
    # Known but not synced: one object by id, and lists Precedent does not map (yet).
    Endpoint("identity", "/v1/identity", "identity", (), "the API key's identity"),
    Endpoint("incident", "/v2/incidents/{id}", "incident", _INCIDENTS_VIEW, "an incident"),
    Endpoint("postmortem_document", "/v1/postmortem_documents/{id}", "postmortem_document", _INCIDENTS_VIEW,
             "a post-mortem"),
    Endpoint("user", "/v2/users/{id}", "user", ("users.view",), "a user"),
    Endpoint("schedule", "/v2/schedules/{id}", "schedule", ("schedules.view",), "a schedule"),
    Endpoint("catalog_type", "/v3/catalog_types/{id}", "catalog_type", ("catalog_types.view",),
             "a catalog type"),
    Endpoint("catalog_entry", "/v3/catalog_entries/{id}", "catalog_entry", ("catalog_entries.view",),
             "a catalog entry"),
    Endpoint("team", "/v3/teams/{id}", "team", ("catalog_entries.view",), "a team"),
    Endpoint("incident_participants", "/v2/incident_participants", "incident_participants", _INCIDENTS_VIEW,
             "incident participants", parent="incident_id", parent_required=True),
    Endpoint("custom_field_options", "/v1/custom_field_options", "custom_field_options",
             ("custom_fields.view",), "custom field options", paginated=True, page_size=250,
             parent="custom_field_id", parent_required=True),
    Endpoint("schedule_overrides", "/v2/schedule_overrides", "overrides", ("schedules.view",),
             "schedule overrides", paginated=True, page_size=250, parent="schedule_id", parent_required=True),
    Endpoint("alerts", "/v2/alerts", "alerts", ("alerts.view",), "alerts", paginated=True, page_size=50,
             page_size_required=True),
    Endpoint("escalations", "/v2/escalations", "escalations", ("escalations.view",), "escalations",
             paginated=True, page_size=50),
)  # fmt: skip

ENDPOINTS: dict[str, Endpoint] = {endpoint.name: endpoint for endpoint in _ALL}
"""Every known endpoint by name, reference data first in export read order."""

# Literal paths before templates, so /v2/incidents/{id} never shadows a literal sibling.
_PATTERNS = sorted(
    ((re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(e.path)) + "$"), e) for e in _ALL),
    key=lambda item: item[1].path.count("{"),
)


def endpoint_for(path: str) -> Endpoint | None:
    """The endpoint a concrete request path belongs to.

    Args:
        path: A request path such as ``/v2/incidents/01H...``; a query string is ignored.

    Returns:
        The registry entry, or ``None`` when the path is not one Precedent knows.
    """
    bare = path.split("?", 1)[0].rstrip("/") or "/"
    for pattern, endpoint in _PATTERNS:
        if pattern.match(bare):
            return endpoint
    return None


def required_scopes(path: str) -> tuple[str, ...]:
    """The scopes incident.io requires for ``GET path``, for the message of a 403.

    Args:
        path: A concrete request path; a query string is ignored.

    Returns:
        The scopes from the spec, or an empty tuple when the path is unknown or needs none.
    """
    endpoint = endpoint_for(path)
    return endpoint.scopes if endpoint is not None else ()
