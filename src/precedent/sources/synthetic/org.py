"""The organisation as a whole: topology, people, configuration and catalog, built once per seed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from precedent.sources.synthetic.catalog import Catalog, build_catalog
from precedent.sources.synthetic.ids import IdFactory, stream
from precedent.sources.synthetic.people import Person, Team, build_people
from precedent.sources.synthetic.reference import Reference, build_reference
from precedent.sources.synthetic.topology import Topology, build_topology

__all__ = ["ORG_START", "Org", "build_org", "history_days"]

# A fixed epoch rather than "now", so the same seed writes the same bytes on any day.
ORG_START = datetime(2023, 1, 2, 8, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Org:
    """Everything incidents point at."""

    seed: int
    topology: Topology
    teams: tuple[Team, ...]
    reference: Reference
    catalog: Catalog
    created: datetime
    teams_by_name: dict[str, Team]

    def team(self, name: str) -> Team:
        """Return a team by name."""
        return self.teams_by_name[name]

    def owner(self, service: str) -> Team:
        """Return the team owning a service."""
        return self.team(self.topology.services[service].team)

    def on_call(self, team: Team, at: datetime) -> Person:
        """Return who was on call for ``team`` at ``at`` (weekly rotation from the org's first Monday)."""
        weeks = max(0, (at - self.created) // timedelta(weeks=1))
        return team.members[weeks % len(team.members)]


def history_days(incidents: int) -> int:
    """How many days of history ``incidents`` incidents are spread over (four months to four years)."""
    return max(120, min(1460, incidents // 3))


def build_org(seed: int, created: datetime = ORG_START) -> Org:
    """Build the organisation for a seed; each part draws from its own stream so they vary independently.

    Args:
        seed: The seed.
        created: When the organisation set incident.io up (a fixed epoch unless a caller anchors
            the history to end at a given time).
    """
    ids = IdFactory(stream(seed, "ids:org"))
    topology = build_topology(stream(seed, "topology"))
    teams = build_people(stream(seed, "people"), ids, topology.teams, created)
    return Org(
        seed,
        topology,
        teams,
        build_reference(ids, created),
        build_catalog(ids, topology, created),
        created,
        {team.name: team for team in teams},
    )
