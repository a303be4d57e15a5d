"""The summary of an investigation in CommonMark: at most 15 lines, most useful first.

CommonMark so that every reader renders it alike (the CLI's ``--markdown``, MCP clients, web
pages); ``precedent.notify`` converts it to Slack's mrkdwn. Text from the map (names, root
causes) is escaped so a ``*`` or ``[`` in it is shown, not read as markup.
"""

from __future__ import annotations

import re
from itertools import zip_longest
from typing import TYPE_CHECKING

from precedent.investigation.hypotheses import age_before, age_text
from precedent.retrieval.catalog import left_out
from precedent.retrieval.shortening import shortened

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from precedent.investigation.results import (
        Change,
        Hypothesis,
        IncidentBrief,
        InvestigatedIncident,
        Precedent,
        ServiceContext,
    )

__all__ = ["summary_markdown"]

_LINE = 220
_MOST_LINES = 15
# Slack is read at a glance: five precedents at most, even with room for more.
_MOST_PRECEDENTS = 5
_SPECIAL = frozenset("\\`*_[]<>~")
_QUOTES = frozenset("'\"")
_QUOTE_SEPARATORS = " ,;:("


def _esc(text: str) -> str:
    """Backslash-escape CommonMark's inline markup characters in text from the map."""
    return "".join("\\" + c if c in _SPECIAL else c for c in text)


def _open_quote(text: str) -> int | None:
    """Where a quotation ``text`` opens and never closes starts, if one does.

    A quote opens at the start of a word ("again, 'refunds-service: SLO"), so the apostrophe
    of "can't" opens none; it closes where a word ends.
    """
    start: int | None = None
    for at, char in enumerate(text):
        if char not in _QUOTES:
            continue
        if start is None and (at == 0 or not text[at - 1].isalnum()):
            start = at
        elif (
            start is not None and char == text[start] and (at + 1 == len(text) or not text[at + 1].isalnum())
        ):
            start = None
    return start


def _cut_between_words(text: str, limit: int) -> str:
    cut = shortened(text, limit)
    if cut == " ".join(text.split()):
        return cut
    # Never end on half an escape ("\\" + the character that was cut off).
    body = cut.removesuffix("…")
    trailing = len(body) - len(body.rstrip("\\"))
    return (body[:-1] if trailing % 2 else body) + "…"


def _open_brackets(text: str) -> int:
    """How many parentheses ``text`` opens and does not close."""
    depth = 0
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")" and depth:
            depth -= 1
    return depth


def _out_of_quotes(text: str, limit: int) -> str:
    cut = _cut_between_words(text, limit)
    start = _open_quote(cut.removesuffix("…")) if cut.endswith("…") else None
    if start is None:
        return cut
    # Never end inside a quotation: "again, 'refunds-service: SLO…; apply" read as a quote that
    # ran on into the advice. It goes whole (the precedents list names it) unless little else
    # would be left, when it is closed after the ellipsis, in the same limit.
    before = cut[:start].rstrip(_QUOTE_SEPARATORS)
    if len(before) >= limit // 3:
        return before + "…"
    shorter = _cut_between_words(text, limit - 1)
    return shorter + cut[start] if _open_quote(shorter.removesuffix("…")) == start else shorter


def _cut(text: str, limit: int = _LINE) -> str:
    cut = _out_of_quotes(text, limit)
    if cut == " ".join(text.split()):
        return cut
    # A cut inside parentheses closes them after the ellipsis: "apply its fix again (resolved
    # by: We added TTLs… (25%)" left the fix's parenthesis open into the confidence.
    closing = ")" * _open_brackets(cut)
    if len(cut) + len(closing) > limit and limit > 2 * len(closing):
        return _cut(text, limit - len(closing))
    return cut + closing


def _linked(text: str, labels: Sequence[str], page_of: Callable[[str], str] | None) -> str:
    """Link each of ``labels`` (incidents, teams) in ``text`` to its page, once cut (no cut splits a link)."""
    if page_of is None or not labels:
        return text
    pattern = re.compile(
        r"(?<![\w-])(" + "|".join(re.escape(x) for x in sorted(set(labels), key=len)[::-1]) + r")(?![\w-])"
    )
    return pattern.sub(lambda m: f"[{m.group(1)}]({page_of(m.group(1))})", text)


def _statement_in(hypothesis: Hypothesis, limit: int) -> str:
    """The statement, escaped, in ``limit`` characters: what precedes its advice is cut first.

    Cut at its end, a recurrence lost "apply the fix that worked last time (INC-194: ...)" or the
    follow-ups still open, which a responder reading Slack needs more than the whole cause.
    The advice keeps up to two thirds of the line, so the line still says what it is about.
    """
    statement = _esc(" ".join(hypothesis.statement.split()))
    if len(statement) <= limit or not hypothesis.advice:
        return _cut(statement, limit)
    advice = _esc(" ".join(hypothesis.advice.split()))
    before = statement.removesuffix(".").removesuffix(advice)
    said = before.rstrip(" ;:")
    advice = _cut(before[len(said) :] + advice + ".", max(limit - len(said), limit * 2 // 3))
    return _whole_clauses(said, limit - len(advice)) + advice


def _whole_clauses(text: str, limit: int) -> str:
    """``text`` cut to ``limit``, after its last whole clause when that keeps half the room.

    Cut between words only, Slack read "'Writes failing on auth-api'; root…; if it is, apply"
    and "the cluster ran out of nodes for auth-api; the node pool…; apply": a clause's first
    word or two say nothing, and read as if they did.
    """
    cut = _cut(text, limit)
    if not cut.endswith("…"):
        return cut
    clause = cut.rfind("; ")
    # Not a "; " inside a parenthesis or a quotation ("(on it: INC-105, INC-194; causes ..."):
    # cut there, the line would leave it open.
    kept = cut[:clause]
    if clause < limit // 2 or _open_brackets(kept) or _open_quote(kept) is not None:
        return cut
    return kept + "…"


def _hypothesis_line(rank: int, hypothesis: Hypothesis, incident_page: Callable[[str], str] | None) -> str:
    # The statement is cut, never the confidence after it: a cause without its number cannot be weighed.
    head, tail = f"{rank}. ", f" ({round(hypothesis.confidence * 100)}%)"
    cut = _statement_in(hypothesis, _LINE - len(head) - len(tail))
    # The incidents it cites open from Slack, from the line itself: an incident open nearby or
    # upstream is no precedent, and a precedent is listed lower down (``_precedents_shown``).
    # Found by the names as the line shows them (escaped: gh\_9), each page by the name itself.
    cited = {_esc(e.name): e.name for e in hypothesis.evidence if e.kind == "incident"}
    page_of = (lambda shown: incident_page(cited[shown])) if incident_page else None
    return head + _linked(cut, list(cited), page_of) + tail


def _precedent_line(
    p: Precedent, incident: InvestigatedIncident, incident_page: Callable[[str], str] | None
) -> str:
    age = age_before(incident, p)  # counted back from the declaration, as the changes are
    when = f" ({age} before)" if age else ""
    lesson = "; ".join(
        x
        for x in (
            # Worded as the hypotheses, the CLI, MCP and the pages word them ("cause:" and "fix:" were
            # a fifth wording). "...still send.; resolved by" read as a typo: the full stop gives way.
            f"{p.cause_said}: {_esc(p.root_cause.rstrip().rstrip('.'))}" if p.root_cause else "",
            f"{p.fix_said}: {_esc(p.resolution)}" if p.resolution else "",
        )
        if x
    )
    line = _cut(f"- **{_esc(p.label)}**{when} {_esc(p.name)}" + (f": {lesson}" if lesson else ""))
    if incident_page is None:
        return line
    return line.replace(f"**{_esc(p.label)}**", f"**[{_esc(p.label)}]({incident_page(p.label)})**", 1)


def _precedents_shown(
    precedents: Sequence[Precedent], causes: Sequence[tuple[Hypothesis, str]], elsewhere: set[str], room: int
) -> tuple[list[Precedent], list[Precedent]]:
    """The precedents listed, in ``room`` lines, and those the causes name that it leaves out.

    Listed: the closest, every one a cause's line names, and the closest others up to three. A cause naming
    a precedent the list left out ("Check whether this is INC-37 again" under INC-105, INC-194
    and INC-39) sent the responder to look for it: its cause and fix are what the cause rests
    on, and the list is where they are read. Causes keep citing it rather than only the three
    closest: a precedent whose cause is known is the one worth checking, and the closest may
    have none. Only the incidents a line still names once cut count; they stay in similarity
    order. One in ``elsewhere`` (ids the "Active when declared" line shows, as an upstream
    incident a dependency cause names) is found there, and takes no precedent's place.

    Three causes may name seven: the list takes at most ``room`` lines, so the owners, on-call,
    incidents nearby and changes after it are never cut off. When the cited ones do not fit,
    each cause's first is kept before any cause's second, and the others are returned to be named
    on a line of their own; the closest uncited ones give way first, unnamed as before.
    """
    order = {p.incident_id: n for n, p in enumerate(precedents)}
    cites = [
        [
            e.id
            for e in hypothesis.evidence
            if e.kind == "incident" and e.id in order and e.id not in elsewhere and _names(line, _esc(e.name))
        ]
        for hypothesis, line in causes
    ]
    # Each cause's first, then each one's second...: the top causes' precedents are read first.
    named = list(dict.fromkeys(x for round_ in zip_longest(*cites) for x in round_ if x is not None))
    # The closest comes first whatever the causes name: "this looks like INC-105" is the line a
    # responder reads first, and the demo's top precedent was missing from the list beside it.
    top = [precedents[0].incident_id] if precedents else []
    closest = [p.incident_id for p in precedents if p.incident_id not in named][: max(0, 3 - len(named))]
    wanted = list(dict.fromkeys([*top, *named, *closest]))
    kept = wanted[:room]
    if any(x not in kept for x in named):  # a line is kept to name the cited ones left out
        kept = wanted[: max(0, room - 1)]
    by_order = sorted(kept, key=order.__getitem__)
    left = sorted((x for x in named if x not in kept), key=order.__getitem__)
    return [precedents[order[x]] for x in by_order], [precedents[order[x]] for x in left]


def _names(line: str, shown: str) -> bool:
    """Whether ``line`` names ``shown`` (an incident's label as lines show it), as a whole word."""
    return re.search(rf"(?<![\w-]){re.escape(shown)}(?![\w-])", line) is not None


def _more_line(
    left: Sequence[Precedent], page: str | None, incident_page: Callable[[str], str] | None
) -> str:
    """The precedents the causes name that the list had no room for, and where to read them."""
    labels = {_esc(p.label): p.label for p in left}  # linked by the names shown, each page by its own
    where = f" (listed on [the investigation's page]({page}))" if page else ""
    line = _cut(f"- and {len(left)} more the causes name: " + ", ".join(labels), _LINE - len(where)) + where
    page_of = (lambda shown: incident_page(labels[shown])) if incident_page else None
    return _linked(line, list(labels), page_of)


def _people_line(services: Sequence[ServiceContext], team_page: Callable[[str], str] | None) -> str | None:
    """Owners and on-call of the first three services that have any; the others named, not dropped.

    An incident on eight services used to show three "no owner in the map" and say nothing of
    the other five. Each owning team links to its page when ``team_page`` is given: "who do I
    call?" is answered there, with the team's on-call, services and open follow-ups.
    """
    parts = []
    known = [s for s in services if s.teams or s.on_call]
    for service in known[:3]:
        teams = ", ".join(_esc(t.name) for t in service.teams) or "no owner in the map"
        on_call = ", ".join(dict.fromkeys(_esc(o.person.name) for o in service.on_call))
        parts.append(f"{_esc(service.name)}: {teams}" + (f" (on call: {on_call})" if on_call else ""))
    # Said once for the line: every stored entry is as fresh as the same sync or export.
    parts += [f"on call {p}" for p in dict.fromkeys(o.provenance for s in known[:3] for o in s.on_call) if p]
    if len(known) > 3:
        parts.append(f"{len(known) - 3} more services with owners")
    unowned = [_esc(s.name) for s in services if not (s.teams or s.on_call)]
    if unowned:
        shown = ", ".join(unowned[:3]) + (f" and {len(unowned) - 3} more" if len(unowned) > 3 else "")
        parts.append(f"no owner or on-call in the map for {shown}")
    if not parts:
        return None
    # Linked by their escaped names, as the line shows them; each page by the team's own name.
    names = {_esc(t.name): t.name for s in known[:3] for t in s.teams}
    page = (lambda shown: team_page(names[shown])) if team_page else None
    return _linked(_cut("**Owners**: " + "; ".join(parts), 300), list(names), page)


def _left_out_line(incident: InvestigatedIncident, services: Sequence[ServiceContext]) -> str | None:
    """The services the incident names that the map does not hold, said before the owners.

    Without it, an incident declared on a service added to incident.io's catalog since the last
    sync showed no owner, no on-call and no change, and no word of why. One naming no service
    says so: owners and changes are read around the affected services, and a summary without
    them read as "nothing deployed, nobody to call".
    """
    if not incident.unknown_services:
        return None if services else "**Services**: none named, so no owners, on-call or changes near it"
    note = left_out(incident.unknown_services, incident.services_meant, incident_id=incident.id)
    return _cut(f"**Services**: {_esc(note)}", 300)


def _active_line(
    incident: InvestigatedIncident,
    services: Sequence[ServiceContext],
    incident_page: Callable[[str], str] | None,
) -> str | None:
    """Other incidents open on the affected services or their dependencies when it was declared.

    The same failure reported twice, or its cause upstream: the responders of both want to know,
    and it was only in the services' details, never in the message they read first.
    """
    active = _active_nearby(incident, services)
    if not active:
        return None
    # One open on an affected service itself is likely this failure, not a neighbour's: said so.
    affected = {s.name for s in services}
    shown = [
        f"{_esc(b.reference or b.id)} {_esc(b.name)} (on {_esc(b.service)}"
        + (" itself)" if b.service in affected else ")")
        for b in active[:3]
    ]
    more = f" and {len(active) - 3} more" if len(active) > 3 else ""
    line = _cut("**Active when declared**: " + ", ".join(shown) + more, 300)
    return _linked(line, [b.reference or b.id for b in active[:3]], incident_page)


def _active_nearby(incident: InvestigatedIncident, services: Sequence[ServiceContext]) -> list[IncidentBrief]:
    """Other incidents open on the affected services or their dependencies, each once."""
    return list({b.id: b for s in services for b in s.active_incidents if b.id != incident.id}.values())


def _changes_line(changes: Sequence[Change]) -> str | None:
    if not changes:
        return None
    shown = [
        _esc(c.title) + (f" ({age_text(c.minutes_before)} before)" if c.minutes_before is not None else "")
        for c in changes[:3]
    ]
    more = f" and {len(changes) - 3} more" if len(changes) > 3 else ""
    return _cut("**Recent changes**: " + ", ".join(shown) + more, 300)


# A trailing backslash is CommonMark's hard line break.
_HARD_BREAK = " \\"


def summary_markdown(
    incident: InvestigatedIncident,
    hypotheses: Sequence[Hypothesis],
    precedents: Sequence[Precedent],
    services: Sequence[ServiceContext],
    changes: Sequence[Change],
    *,
    page: str | None = None,
    incident_page: Callable[[str], str] | None = None,
    team_page: Callable[[str], str] | None = None,
) -> str:
    """Render the top causes, the precedents they cite, owners, incidents nearby, changes.

    Args:
        incident: The incident as declared.
        hypotheses: Ranked best first.
        precedents: Similar past incidents, best first.
        services: The affected services' contexts.
        changes: Changes near the incident, newest first.
        page: The investigation's web page, linked on the last line when given.
        incident_page: An incident's web page by its label; when given, every incident the
            causes cite and every precedent listed is a link.
        team_page: A team's web page by its name; when given, every owning team named is a link.

    Returns:
        CommonMark, at most 15 lines: blocks apart by blank lines; owners, incidents open nearby
        and changes one line each, never cut for precedents: the list takes the lines they leave
        (five at most), and names the cited ones it has no room for.
    """
    name = _esc(incident.name)
    title = f"**{_esc(incident.label)}: {name}**" if incident.reference else f"**{name}**"
    blocks = [[_cut(title + (f" ({_esc(incident.severity)})" if incident.severity else ""))]]
    causes = [(h, _hypothesis_line(n, h, incident_page)) for n, h in enumerate(hypotheses[:3], 1)]
    if causes:
        blocks.append(["**Likely causes**", *(line for _, line in causes)])
    else:
        blocks.append(["_No hypothesis: the map holds no change, precedent or dependency incident near it._"])
    active = _active_line(incident, services, incident_page)
    lines_after = (_left_out_line(incident, services), _people_line(services, team_page), active)
    tail = [x for x in (*lines_after, _changes_line(changes)) if x]
    if precedents:
        # The lines left once the title, causes, the list's heading and the closing lines are in
        # (blank lines between blocks included), so the list never pushes those past the cut.
        room = _MOST_LINES - sum(len(block) + 1 for block in blocks) - 1 - (len(tail) + 1 if tail else 0)
        # Those the "Active when declared" line still names once cut: three long names leave
        # the third out of it, and it is then listed here.
        around = _active_nearby(incident, services)
        nearby = {b.id for b in around if active and _names(active, _esc(b.reference or b.id))}
        shown, left = _precedents_shown(precedents, causes, nearby, min(room, _MOST_PRECEDENTS))
        listed = [_precedent_line(p, incident, incident_page) for p in shown]
        blocks.append(["**Precedents**", *listed, *([_more_line(left, page, incident_page)] if left else [])])
    if tail:
        # A trailing backslash is a hard line break: two lines, one paragraph.
        blocks.append([f"{_HARD_BREAK}\n".join(tail)])
    lines = "\n\n".join("\n".join(block) for block in blocks).split("\n")
    if page:
        link = f"[Read the whole investigation]({page})"
        if len(lines) <= _MOST_LINES - 2:
            return "\n".join([*lines, "", link])
        # No room for a line of its own: the link ends the last line kept (minus its hard break).
        kept = lines[:_MOST_LINES]
        kept[-1] = kept[-1].removesuffix(_HARD_BREAK) + f" · {link}"
        return "\n".join(kept)
    return "\n".join(lines[:_MOST_LINES])
