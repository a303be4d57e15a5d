"""The catalog: Service, Team and Deployment types, their entries, and the custom fields over them.

Services reference their owning team (``owner``) and what they call (``depends_on``); deployments
reference the service they changed. Incidents point at services through the "Affected services" field
and at deployments through "Suspected change", which is how the importer draws AFFECTS and CAUSED_BY.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.sources.synthetic.ids import iso

if TYPE_CHECKING:
    from datetime import datetime

    from precedent.sources.synthetic.ids import IdFactory
    from precedent.sources.synthetic.people import Team
    from precedent.sources.synthetic.topology import Topology

__all__ = ["Catalog", "Deployment", "build_catalog", "deployment_entry", "service_entries", "team_entries"]

Json = dict[str, object]


@dataclass(frozen=True)
class Deployment:
    """One change event: a version of a service going out."""

    id: str
    service: str
    version: str
    deployed_at: datetime
    external_id: str

    @property
    def name(self) -> str:
        """Display name, e.g. ``payments-api 2024.03.05-1a2b3c4``."""
        return f"{self.service} {self.version}"


@dataclass(frozen=True)
class Catalog:
    """Catalog types, entry ids and custom fields for one organisation."""

    service_type: Json
    team_type: Json
    deployment_type: Json
    service_ids: dict[str, str]
    attributes: dict[str, str]
    affected_field: Json
    change_field: Json

    def service_entry(self, name: str) -> Json:
        """Return the ``EmbeddedCatalogEntryV2`` for a service."""
        return {"aliases": [name], "external_id": name, "id": self.service_ids[name], "name": name}

    def field_info(self, field: Json) -> Json:
        """Return the ``CustomFieldTypeInfoV2`` embedded in incidents."""
        return {
            "description": field["description"],
            "field_type": field["field_type"],
            "id": field["id"],
            "name": field["name"],
            "options": [],
        }


def _attribute(ids: IdFactory, at: datetime, name: str, kind: str, *, array: bool = False) -> Json:
    return {"array": array, "id": ids.new(at), "mode": "api", "name": name, "type": kind}


# name -> (type_name, categories, description, icon). The type with category "team" is the team type.
_TYPES: dict[str, tuple[str, list[str], str, str]] = {
    "Service": ('Custom["Service"]', ["service"], "Everything we run in production", "server"),
    "Team": ('Custom["Team"]', ["team"], "Engineering teams", "users"),
    "Deployment": ('Custom["Deployment"]', [], "Production deploys and config changes", "bolt"),
}


def _type(ids: IdFactory, at: datetime, name: str, attributes: list[Json]) -> Json:
    type_name, categories, description, icon = _TYPES[name]
    return {
        "annotations": {},
        "categories": categories,
        "color": "blue",
        "created_at": iso(at),
        "description": description,
        "engine_resource_type": f'CatalogEntry["{type_name}"]',
        "icon": icon,
        "id": ids.new(at),
        "is_editable": True,
        "is_team_type": "team" in categories,
        "name": name,
        "ranked": False,
        "schema": {"attributes": attributes, "version": 1},
        "type_name": type_name,
        "updated_at": iso(at),
        "use_name_as_identifier": True,
    }


def build_catalog(ids: IdFactory, topology: Topology, at: datetime) -> Catalog:
    """Create the three catalog types and the two catalog custom fields.

    Args:
        ids: the id factory.
        topology: the services whose entry ids are allocated here.
        at: when the catalog was set up.

    Returns:
        The catalog description used to write entries and to tag incidents.
    """
    service_attrs = [
        _attribute(ids, at, "owner", 'Custom["Team"]'),
        _attribute(ids, at, "depends_on", 'Custom["Service"]', array=True),
        _attribute(ids, at, "tier", "String"),
        _attribute(ids, at, "description", "Text"),
    ]
    team_attrs = [_attribute(ids, at, "slack_channel", "String")]
    deploy_attrs = [
        _attribute(ids, at, "service", 'Custom["Service"]'),
        _attribute(ids, at, "version", "String"),
        _attribute(ids, at, "deployed_at", "String"),
    ]
    service_type = _type(ids, at, "Service", service_attrs)
    team_type = _type(ids, at, "Team", team_attrs)
    deployment_type = _type(ids, at, "Deployment", deploy_attrs)
    attributes = {f"service.{a['name']}": str(a["id"]) for a in service_attrs}
    attributes.update({f"team.{a['name']}": str(a["id"]) for a in team_attrs})
    attributes.update({f"deployment.{a['name']}": str(a["id"]) for a in deploy_attrs})
    created = iso(at)
    affected = {
        "catalog_type_id": service_type["id"],
        "created_at": created,
        "description": "Which services were affected by this incident?",
        "field_type": "multi_select",
        "id": ids.new(at),
        "name": "Affected services",
        "updated_at": created,
    }
    change = {
        "catalog_type_id": deployment_type["id"],
        "created_at": created,
        "description": "The deploy or change we suspect triggered this incident",
        "field_type": "single_select",
        "id": ids.new(at),
        "name": "Suspected change",
        "updated_at": created,
    }
    service_ids = {name: ids.new(at) for name in topology.services}
    return Catalog(service_type, team_type, deployment_type, service_ids, attributes, affected, change)


def service_entries(catalog: Catalog, topology: Topology, teams: dict[str, Team], at: datetime) -> list[Json]:
    """Return one ``CatalogEntryV3`` per service, with owner and dependencies as references."""
    entries = []
    for rank, service in enumerate(topology.services.values()):
        team = teams[service.team]
        attrs = catalog.attributes
        entries.append(
            {
                "aliases": [service.name],
                "attribute_values": {
                    attrs["service.owner"]: {"value": {"label": team.name, "literal": team.entry_id}},
                    attrs["service.depends_on"]: {
                        "array_value": [
                            {"label": dep, "literal": catalog.service_ids[dep]} for dep in service.depends_on
                        ]
                    },
                    attrs["service.tier"]: {"value": {"label": service.kind, "literal": service.kind}},
                    attrs["service.description"]: {
                        "value": {"label": service.description, "literal": service.description}
                    },
                },
                "catalog_type_id": catalog.service_type["id"],
                "created_at": iso(at),
                "external_id": service.name,
                "id": catalog.service_ids[service.name],
                "name": service.name,
                "rank": rank,
                "updated_at": iso(at),
            }
        )
    return entries


def team_entries(catalog: Catalog, teams: list[Team], at: datetime) -> list[Json]:
    """Return one ``CatalogEntryV3`` per team."""
    slack = catalog.attributes["team.slack_channel"]
    return [
        {
            "aliases": [team.name.lower()],
            "attribute_values": {slack: {"value": {"label": f"#team-{rank}", "literal": f"#team-{rank}"}}},
            "catalog_type_id": catalog.team_type["id"],
            "created_at": iso(at),
            "external_id": team.name.lower().replace(" & ", "-").replace(" ", "-"),
            "id": team.entry_id,
            "name": team.name,
            "rank": rank,
            "updated_at": iso(at),
        }
        for rank, team in enumerate(teams)
    ]


def deployment_entry(catalog: Catalog, deployment: Deployment) -> Json:
    """Return the ``CatalogEntryV3`` for one deployment."""
    attrs = catalog.attributes
    at = iso(deployment.deployed_at)
    return {
        "aliases": [],
        "attribute_values": {
            attrs["deployment.service"]: {
                "value": {"label": deployment.service, "literal": catalog.service_ids[deployment.service]}
            },
            attrs["deployment.version"]: {
                "value": {"label": deployment.version, "literal": deployment.version}
            },
            attrs["deployment.deployed_at"]: {"value": {"label": at, "literal": at}},
        },
        "catalog_type_id": catalog.deployment_type["id"],
        "created_at": at,
        "external_id": deployment.external_id,
        "id": deployment.id,
        "name": deployment.name,
        "rank": 0,
        "updated_at": at,
    }
