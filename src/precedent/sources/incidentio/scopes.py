"""The RBAC scope each incident.io read endpoint needs, so a 403 can name what the key lacks.

Copied from ``x-rbac-scopes`` in incident.io's OpenAPI spec (``shared/incidentio/openapi.json``,
2026-08-21) for every ``GET`` operation Precedent calls; a test keeps this table equal to the spec.
An empty tuple means the spec lists no scope for that operation.
"""

from __future__ import annotations

import re

__all__ = ["ENDPOINT_SCOPES", "required_scopes"]

ENDPOINT_SCOPES: dict[str, tuple[str, ...]] = {
    "/v1/identity": (),
    "/v1/custom_field_options": ("custom_fields.view",),
    "/v1/incident_relationships": ("incidents.view",),
    "/v1/incident_statuses": ("incident_statuses.view",),
    "/v1/incident_types": ("incident_types.view",),
    "/v1/postmortem_documents": ("incidents.view",),
    "/v1/postmortem_documents/{id}": ("incidents.view",),
    "/v1/postmortem_documents/{id}/content": ("in_app_postmortems.copy_as_markdown",),
    "/v1/severities": ("severities.view",),
    "/v2/actions": ("actions.view",),
    "/v2/custom_fields": ("custom_fields.view",),
    "/v2/follow_ups": ("actions.view",),
    "/v2/incident_participants": ("incidents.view",),
    "/v2/incident_roles": ("incident_roles.view",),
    "/v2/incident_timestamps": (),
    "/v2/incident_updates": ("incidents.view",),
    "/v2/incidents": ("incidents.view",),
    "/v2/incidents/{id}": ("incidents.view",),
    "/v2/schedule_entries": ("schedules.view",),
    "/v2/schedules": ("schedules.view",),
    "/v2/schedules/{id}": ("schedules.view",),
    "/v2/users": ("users.view",),
    "/v2/users/{id}": ("users.view",),
    "/v3/catalog_entries": ("catalog_entries.view",),
    "/v3/catalog_entries/{id}": ("catalog_entries.view",),
    "/v3/catalog_types": ("catalog_types.view",),
    "/v3/catalog_types/{id}": ("catalog_types.view",),
    "/v3/teams": ("catalog_entries.view",),
    "/v3/teams/{id}": ("catalog_entries.view",),
}

_PATTERNS = [
    (re.compile("^" + re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template)) + "$"), scopes)
    for template, scopes in ENDPOINT_SCOPES.items()
]


def required_scopes(path: str) -> tuple[str, ...]:
    """The scopes incident.io requires for ``GET path``.

    Args:
        path: A concrete request path such as ``/v2/incidents/01H...``; a query string is ignored.

    Returns:
        The scopes from the spec, or an empty tuple when the path is unknown or needs none.
    """
    bare = path.split("?", 1)[0].rstrip("/") or "/"
    for pattern, scopes in _PATTERNS:
        if pattern.match(bare):
            return scopes
    return ()
