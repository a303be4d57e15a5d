"""Reading similar-incident queries from arguments and JSON lines, and printing results as a table.

Kept apart from ``similar.py`` (the command) so parsing stays testable without a store or a model.
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

from rich.table import Table

from precedent.cli.terminal_text import escape
from precedent.errors import InvalidQuery
from precedent.responses import score_text
from precedent.retrieval import SIMILAR_MAX_RESULTS, DescribedQuery, IncidentQuery, SimilarOptions
from precedent.retrieval.catalog import left_out

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from precedent.model import Viewer
    from precedent.retrieval import PosedQuery, SimilarQuery, SimilarResults

__all__ = [
    "add_incident_flags",
    "left_out_note",
    "limit_flag",
    "refused_as_the_api_refuses",
    "whole_number_flag",
    "parse_limit",
    "parse_time",
    "query_from_args",
    "query_from_json",
    "refuse_both_kinds_of_query",
    "results_table",
    "similar_limit",
]

# The flags that describe an incident not in the map (``similar`` and ``investigate`` take them).
_DESCRIBING = ("name", "summary", "service", "severity", "type", "declared_at")


def add_incident_flags(parser: argparse.ArgumentParser) -> None:
    """The incident in the map, or the flags describing one: ``similar`` and ``investigate`` take both.

    Severities and types are the map's own (incident.io's names for them), not a fixed list:
    "e.g. SEV1" sent responders whose severities are Critical, Major and Minor to a refusal.
    """
    parser.add_argument("incident", nargs="?", help="an incident in the map, by id or reference (INC-123)")
    parser.add_argument("--name", help="describe an incident: its title")
    parser.add_argument("--summary", help="describe an incident: what is known so far")
    parser.add_argument("--service", action="append", help="an affected service, by name or id (repeatable)")
    parser.add_argument(
        "--severity",
        help="a severity the map knows, as incident.io names it, in any case "
        "(an unknown one is refused with the list of those the map knows)",
    )
    parser.add_argument(
        "--type", help="an incident type the map knows, in any case (an unknown one is refused, listing them)"
    )


def parse_time(value: str) -> datetime:
    """Parse an ISO 8601 time; one without a zone is taken as UTC.

    Raises:
        ValueError: if ``value`` is not ISO 8601.
    """
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        # Python's own message ("Invalid isoformat string") says neither which flag nor what to write.
        raise ValueError(
            f"{value!r} is not an ISO 8601 time: write e.g. 2026-12-03, 2026-12-03T14:05 or "
            "2026-12-03T14:05:00+01:00 (UTC when no zone is given)"
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


_Read = TypeVar("_Read")


def refused_as_the_api_refuses(parse: Callable[[str], _Read]) -> Callable[[str], _Read]:
    """A flag's type that reads it with ``parse``, whose ``InvalidQuery`` is the flag's error.

    argparse said "invalid int value: 'ten'" (or a function's name) where the API and the MCP
    tools say the project's words.
    """

    def flag(value: str) -> _Read:
        try:
            return parse(value)
        except InvalidQuery as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return flag


def whole_number_flag(name: str, most: int) -> Callable[[str], int]:
    """The type of a flag taking a whole number from 1 to ``most``, for the API's parameter ``name``.

    A word ("ten") and a number out of range are both the flag's error, in the API's words
    (``InvalidQuery.number_out_of_range``): ``investigate --similar 0`` was refused after the
    flags were read, framed and exited otherwise than ``--similar ten``.
    """
    return refused_as_the_api_refuses(lambda value: parse_limit(value, most, name=name))


def limit_flag(most: int) -> Callable[[str], int]:
    """The type of a ``--limit`` flag: a whole number from 1 to ``most``.

    Refused in the one wording of every surface (``InvalidQuery.limit_out_of_range``), a word
    ("ten") as a number out of range: each command had its own.
    """
    return whole_number_flag("limit", most)


def parse_limit(value: object, most: int, *, name: str = "limit") -> int:
    """``value`` (a flag's text, a batch line's field) as a whole number from 1 to ``most``.

    Raises:
        InvalidQuery: in the one wording of every surface (``InvalidQuery.number_out_of_range``
            for ``name``), for a word as for a number out of range; a batch line's ``"abc"``
            read "invalid literal for int()".
    """
    try:
        number = int(str(value))
    except ValueError:
        number = 0
    if not 1 <= number <= most:
        raise InvalidQuery.number_out_of_range(name, value, 1, most)
    return number


similar_limit = limit_flag(SIMILAR_MAX_RESULTS)
"""``--limit`` of ``similar`` and ``investigate``: at most ``SIMILAR_MAX_RESULTS``, as every surface."""


def _strings(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    raise ValueError(f"expected a string or a list of strings, got {value!r}")


def _optional_str(value: object) -> str | None:
    return None if value is None else str(value)


# What a batch line may hold: an incident in the map by one of _NAMING, or a described one.
_NAMING = ("id", "incident", "reference")
_DESCRIBED = ("name", "summary", "services", "service", "severity", "type", "incident_type", "declared_at")
_ANY_LINE = ("query_id", "before", "exclude", "limit")


def _refuse_unread(line: Mapping[str, object]) -> None:
    """Refuse a key no query reads, or an incident in the map given with a description of one.

    Either was dropped in silence ("servces" answered as if no service was named), where the
    flags, the API and the MCP tool refuse both.
    """
    taken = (*_NAMING, *_DESCRIBED, *_ANY_LINE)
    unread = sorted(key for key in line if key not in taken)
    if unread:
        raise ValueError(f"a query line takes no {', '.join(map(repr, unread))}; it takes {', '.join(taken)}")
    named = [key for key in _NAMING if line.get(key)]
    described = [key for key in _DESCRIBED if line.get(key)]
    if named and described:
        description = ", ".join(map(repr, described))
        raise ValueError(
            f"give an incident in the map ({named[0]!r}) or describe one ({description}), "
            "not both: the description is not used for an incident the map holds"
        )


def query_from_json(
    line: Mapping[str, object], defaults: SimilarOptions
) -> tuple[SimilarQuery, SimilarOptions]:
    """Build a query from one batch line: ``{"id": "INC-1"}`` or a described incident.

    Described lines have ``name`` and optionally ``summary``, ``services``, ``severity``,
    ``type``, ``declared_at``; any line may set ``before``, ``exclude``, ``limit``.

    Raises:
        ValueError: if the line has neither ``id`` nor ``name``, both, a key no query reads, or a
            malformed field.
    """
    _refuse_unread(line)
    before = line.get("before")
    limit = line.get("limit", defaults.limit)
    options = SimilarOptions(
        before=parse_time(str(before)) if before else defaults.before,
        exclude=defaults.exclude | frozenset(_strings(line.get("exclude"))),
        limit=parse_limit(limit, SIMILAR_MAX_RESULTS),
        viewer=defaults.viewer,
    )
    for key in _NAMING:
        if line.get(key):
            return IncidentQuery(str(line[key])), options
    if not line.get("name"):
        raise ValueError('a query line needs "id" (an incident in the map) or "name" (a described incident)')
    declared = line.get("declared_at")
    query = DescribedQuery(
        name=str(line["name"]),
        summary=str(line.get("summary") or ""),
        services=_strings(line.get("services") or line.get("service")),
        severity=_optional_str(line.get("severity")),
        incident_type=_optional_str(line.get("type") or line.get("incident_type")),
        declared_at=parse_time(str(declared)) if declared else None,
    )
    return query, options


def refuse_both_kinds_of_query(args: argparse.Namespace) -> None:
    """Refuse an incident in the map given together with flags describing one.

    The description would be dropped in silence, and the answer would not be about it (the MCP
    tool ``find_similar_incidents`` refuses the same mix).

    Raises:
        ValueError: naming the flags, if ``args`` has an incident and any describing flag.
    """
    flags = [f"--{name.replace('_', '-')}" for name in _DESCRIBING if getattr(args, name, None)]
    if args.incident and flags:
        raise ValueError(
            f"give an incident in the map ({args.incident}) or describe one ({', '.join(flags)}), "
            "not both: the description is not used for an incident the map holds"
        )


def refuse_a_blank_name(args: argparse.Namespace) -> None:
    """Refuse ``--name`` given blank with no ``--summary``: there are no words to match.

    Told "describe one with --name", a responder who had given it (a script's unset variable) was
    sent to do what they had done.

    Raises:
        ValueError: if ``--name`` is given, blank, and ``--summary`` is not given words.
    """
    if args.name is not None and not args.name.strip() and not (args.summary or "").strip():
        raise ValueError(
            f"--name is blank ({args.name!r}): give the incident's title in words, e.g. "
            '--name "Checkout 500s", or a --summary of what is known'
        )


def query_from_args(args: argparse.Namespace, viewer: Viewer) -> tuple[SimilarQuery, SimilarOptions]:
    """Build a query and options from ``precedent similar`` arguments.

    Raises:
        ValueError: if neither an incident nor ``--name`` is given, or both an incident and a
            description are, or ``--name`` is blank.
    """
    refuse_both_kinds_of_query(args)
    options = SimilarOptions(
        before=parse_time(args.before) if args.before else None,
        exclude=frozenset(args.exclude or ()),
        limit=args.limit,
        viewer=viewer,
    )
    if args.incident:
        return IncidentQuery(args.incident), options
    refuse_a_blank_name(args)
    if args.name is None:
        raise ValueError("give an incident (INC-123) or describe one with --name")
    query = DescribedQuery(
        name=args.name,
        summary=args.summary or "",
        services=tuple(args.service or ()),
        severity=args.severity,
        incident_type=args.type,
        declared_at=parse_time(args.declared_at) if args.declared_at else None,
    )
    return query, options


def left_out_note(query: PosedQuery) -> str | None:
    """The services named that the map does not hold, with those meant; ``None`` when none.

    Printed before the table: a caption came after it, below the fold of a long answer, so a
    responder read results ranked without the service they meant and never saw why.
    """
    if not query.unknown_services:
        return None
    note = left_out(query.unknown_services, query.services_meant, incident_id=query.incident_id)
    return f"[yellow]{escape(note)}[/yellow]"


def results_table(answer: SimilarResults) -> Table:
    """A readable table: rank, incident, score and the reasons behind it."""
    query = answer.query
    # Escaped: titles and lessons are incident.io text ("[prod] ..."), not rich markup.
    title = escape(f"Similar to {query.label}: {query.name}")
    if query.before:
        # To the second, in UTC: the cutoff is an incident's start, stored to the microsecond.
        title += f" (before {query.before.astimezone(UTC).strftime('%Y-%m-%d %H:%M:%S')} UTC)"
    table = Table("#", "incident", "score", "why", "what it teaches", title=title, show_lines=True)
    for rank, result in enumerate(answer.results, start=1):
        explanation = result.explanation
        said = explanation.reasons()
        why = ["; ".join(said)]
        if explanation.path:
            why.append(str(explanation.path))
        if explanation.matched_terms and not any(r.startswith("shares words") for r in said):
            why.append("terms: " + ", ".join(explanation.matched_terms[:8]))
        lesson = explanation.lesson
        teaches = [f"{lesson.cause_said}: {lesson.root_cause}"] if lesson.root_cause else []
        if lesson.resolution:
            teaches.append(f"{lesson.fix_said}: {lesson.resolution}")
        if lesson.open_follow_ups:
            teaches.append(f"{lesson.open_follow_ups} open follow-up(s)")
        started = result.started_at.date().isoformat() if result.started_at else "?"
        label = f"{result.reference or result.incident_id}\n{result.name}\n{started}"
        reasons, lessons = escape("\n".join(why)), escape("\n".join(teaches))
        table.add_row(str(rank), escape(label), score_text(result.score), reasons, lessons)
    return table
