"""People: users, the teams they belong to, and each team's weekly on-call rotation."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from precedent.sources.synthetic.ids import iso

if TYPE_CHECKING:
    import random

    from precedent.sources.synthetic.ids import IdFactory

__all__ = [
    "Person",
    "Team",
    "build_people",
    "schedule_entries",
    "schedule_object",
    "team_object",
    "user_object",
]

Json = dict[str, object]

_FIRST = (
    "Amara",
    "Ben",
    "Chloe",
    "Dmitri",
    "Elif",
    "Farah",
    "Gus",
    "Hana",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tomas",
    "Uma",
    "Viktor",
    "Wen",
    "Yusuf",
    "Zoe",
    "Aoife",
    "Bruno",
    "Carmen",
    "Deepak",
    "Esme",
    "Felix",
    "Greta",
    "Hiro",
    "Isla",
    "Jamal",
    "Kasia",
)
_LAST = (
    "Okafor",
    "Lindqvist",
    "Moreau",
    "Petrov",
    "Yilmaz",
    "Haddad",
    "Brennan",
    "Sato",
    "Ferreira",
    "Weber",
    "Mensah",
    "Novak",
    "Alvarez",
    "Adeyemi",
    "Berg",
    "Iyer",
    "Laurent",
    "Costa",
    "Rahman",
    "Dvorak",
    "Kaur",
    "Ivanov",
    "Zhang",
    "Demir",
    "Walsh",
    "Murphy",
    "Rossi",
    "Ortiz",
    "Nair",
    "Clarke",
)


@dataclass(frozen=True)
class Person:
    """A user of the organisation."""

    id: str
    name: str
    email: str
    slack_user_id: str
    is_active: bool

    def embedded(self) -> Json:
        """Return the ``UserV2`` shape embedded in incidents, updates and shifts."""
        return {
            "email": self.email,
            "id": self.id,
            "name": self.name,
            "role": "responder",
            "slack_user_id": self.slack_user_id,
        }


@dataclass(frozen=True)
class Team:
    """A team: its members, its catalog entry and its on-call schedule."""

    id: str
    name: str
    entry_id: str
    schedule_id: str
    rotation_id: str
    layer_id: str
    members: tuple[Person, ...]


def build_people(
    rng: random.Random, ids: IdFactory, team_names: tuple[str, ...], at: datetime
) -> tuple[Team, ...]:
    """Create each team with five to eight unique people.

    Args:
        rng: the seeded stream for names and sizes.
        ids: the id factory.
        team_names: teams in a stable order.
        at: when the accounts were created.

    Returns:
        The teams, in the order given.
    """
    taken: set[str] = set()
    teams = []
    for team_name in team_names:
        members = []
        for _ in range(rng.randint(5, 8)):
            while True:
                name = f"{rng.choice(_FIRST)} {rng.choice(_LAST)}"
                if name not in taken:
                    taken.add(name)
                    break
            email = name.lower().replace(" ", ".") + "@acme.example"
            members.append(Person(ids.new(at), name, email, ids.slack("U"), rng.random() > 0.05))
        teams.append(
            Team(ids.new(at), team_name, ids.new(at), ids.new(at), ids.new(at), ids.new(at), tuple(members))
        )
    return tuple(teams)


def user_object(person: Person) -> Json:
    """Return the ``UserWithRolesV2`` shape listed by ``GET /v2/users``."""
    return {
        "base_role": {
            "description": "Can respond to incidents",
            "id": "01HBASEROLERESPONDER0000000",
            "name": "Responder",
            "slug": "responder",
        },
        "custom_roles": [],
        "email": person.email,
        "id": person.id,
        "is_active": person.is_active,
        "name": person.name,
        "role": "responder",
        "seats": {"on_call": "full_access", "response": "full_access"},
        "slack_user_id": person.slack_user_id,
    }


def team_object(team: Team) -> Json:
    """Return the ``TeamV3`` shape listed by ``GET /v3/teams``."""
    return {
        "catalog_entry": {
            "external_id": team.name.lower().replace(" & ", "-").replace(" ", "-"),
            "id": team.entry_id,
            "name": team.name,
        },
        "id": team.id,
        "members": [
            {"email": p.email, "id": p.id, "name": p.name, "slack_user_id": p.slack_user_id}
            for p in team.members
        ],
        "name": team.name,
    }


def _shift(team: Team, start: datetime, index: int) -> Json:
    person = team.members[index % len(team.members)]
    return {
        "end_at": iso(start + timedelta(weeks=1)),
        "fingerprint": f"{team.rotation_id}-{iso(start)}",
        "layer_id": team.layer_id,
        "rotation_id": team.rotation_id,
        "start_at": iso(start),
        "user": person.embedded(),
    }


def _current_week(handover: datetime, now: datetime) -> tuple[datetime, int]:
    weeks = max(0, (now - handover) // timedelta(weeks=1))
    return handover + timedelta(weeks=weeks), weeks


def schedule_object(team: Team, created: datetime, now: datetime) -> Json:
    """Return the ``ScheduleV2`` for a team: one weekly rotation handing over every seven days."""
    handover = created  # the rotation starts when the org does; Org.on_call uses the same origin
    current_start, index = _current_week(handover, now)
    return {
        "annotations": {},
        "config": {
            "rotations": [
                {
                    "handover_start_at": iso(handover),
                    "handovers": [{"interval": 1, "interval_type": "weekly"}],
                    "id": team.rotation_id,
                    "layers": [{"id": team.layer_id, "name": "Primary"}],
                    "name": f"{team.name} primary",
                    "users": [person.embedded() for person in team.members],
                    "working_intervals": [],
                }
            ]
        },
        "created_at": iso(created),
        "current_shifts": [_shift(team, current_start, index)],
        "id": team.schedule_id,
        "name": f"{team.name} on-call",
        "next_shifts": [_shift(team, current_start + timedelta(weeks=1), index + 1)],
        "permalink": f"https://app.incident.io/acme/on-call/schedules/{team.schedule_id}",
        "team_ids": [team.id],
        "timezone": "Europe/London",
        "updated_at": iso(created),
    }


def schedule_entries(team: Team, created: datetime, now: datetime) -> Json:
    """Return ``GET /v2/schedule_entries`` for the current and next shift."""
    handover = created  # the rotation starts when the org does; Org.on_call uses the same origin
    current_start, index = _current_week(handover, now)
    shifts = [_shift(team, current_start, index), _shift(team, current_start + timedelta(weeks=1), index + 1)]
    return {"schedule_entries": {"final": shifts, "overrides": [], "scheduled": shifts}}
