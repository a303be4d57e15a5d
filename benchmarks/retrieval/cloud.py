"""Convert the AWS, Azure and GCP public incident reports into the export format.

Reads ``../shared/eval/raw/cloud-incident-reports/1_raw_data/{gcp,azure,aws}_provider.parquet``
in place (the text belongs to the vendors: it is never copied into the repository) and writes one
export directory per vendor through ``precedent.sources.statuspage.write_export``, the writer
GitHub's status history goes through, so every shape is imported by the path users take.

How each vendor maps (the query is posed from the name and the first two updates, so only what
was said when the incident was declared may go there):

- **GCP** (status dashboard, about 1,100 incidents after de-duplication): one record per
  (start time, service); the copy with the most updates wins. Name: the first sentence of
  ``external_desc``; services: ``affected_products`` titles, else ``service_name``; updates: the
  timestamped updates. The longest update naming a root cause ("ISSUE SUMMARY", "ROOT CAUSE")
  becomes the post-mortem and is removed from the updates.
- **Azure** (127 post-incident reviews, long write-ups): name from the heading (without
  "Post Incident Review (PIR) -" and the tracking id); start from the first date and time in
  "What happened?"; services from the bolded list of impacted services, else "Azure X" names in
  the heading; one update, the first paragraph of "What happened?" (the impact statement); the
  rest of the review is the post-mortem.
- **AWS** (Service Health Dashboard, 774 events): name from ``summary`` without "[RESOLVED]";
  service from ``service_name`` without its region (a catalog of products); updates parsed from
  the timestamped ``<div>`` lines of ``description`` (times of day, rolled over midnight,
  anchored at ``date``); no post-mortem (the judge reads updates after the first two).

Run: ``uv run python benchmarks/retrieval/cloud.py OUT_DIR [--raw PATH] [--vendors gcp azure aws]
[--since YYYY-MM-DD] [--until YYYY-MM-DD] [--name FOLDER]``
(``prepare.py`` calls it for ``DIR/{gcp,azure,aws}/export``).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import html
import re
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import pyarrow.parquet as pq  # type: ignore[import-untyped]

from precedent.sources.statuspage import StatusIncident, StatusUpdate, read_statuspage, write_export

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

REPO = Path(__file__).resolve().parents[2]
DEFAULT_RAW = REPO.parent / "shared" / "eval" / "raw" / "cloud-incident-reports"
VENDORS = ("gcp", "azure", "aws")
_CAUSE = re.compile(r"ISSUE SUMMARY|ROOT CAUSE|root cause", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_BLOCK_END = re.compile(r"</(p|li|h\d|div|ul)>|<br\s*/?>", re.IGNORECASE)
_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|"
    r"Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_MONTH_NUMBER = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), start=1
    )
}
_DATE = re.compile(rf"\b(\d{{1,2}}) ({_MONTHS}),? (\d{{4}})\b")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})\b")
_AZURE_NAME = re.compile(r"\b((?:Azure|Microsoft) [A-Z][\w.-]*(?: [A-Z][\w.-]*){0,3})")


@dataclass
class CloudIncident(StatusIncident):
    """A status-page-shaped incident whose write-up is given, not inferred from the last update."""

    report: str | None = None

    @property
    def writeup(self) -> str | None:
        """The root-cause write-up, if the vendor published one."""
        return self.report


def _text(fragment: str) -> str:
    text = html.unescape(_TAG.sub("", _BLOCK_END.sub("\n", fragment)))
    return "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())


def _code(vendor: str, *parts: str) -> str:
    return f"{vendor}-" + hashlib.sha1("|".join(parts).encode()).hexdigest()[:12]


def _listish(value: object) -> list[Mapping[str, object]]:
    if isinstance(value, str):
        value = ast.literal_eval(value) if value.strip() not in ("", "None") else None
    return [v for v in value or [] if isinstance(v, dict)] if isinstance(value, list | None) else []


def _time(value: object) -> datetime | None:
    if not value or str(value) == "None":
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _first_sentence(text: str, limit: int = 200) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0]
    return sentence[:limit].strip()


def gcp(rows: list[dict[str, object]]) -> list[StatusIncident]:
    """GCP status records -> incidents (see the module docstring)."""
    best: dict[tuple[str, str], CloudIncident] = {}
    for row in rows:
        started = _time(row.get("event_start_time"))
        if started is None:
            continue
        service = str(row.get("service_name") or "Google Cloud")
        products = [str(p["title"]) for p in _listish(row.get("affected_products")) if p.get("title")]
        code = _code("gcp", started.isoformat(), service)
        raw = sorted(
            (
                (_time(u.get("when") or u.get("created")), str(u.get("text") or ""))
                for u in _listish(row["updates"])
            ),
            key=lambda u: (u[0] is None, u[0] or started),
        )
        updates = [u for u in raw if u[0] is not None and u[1].strip()]
        causes = [u for u in updates if _CAUSE.search(u[1]) and len(u[1]) >= 250]
        report = max(causes, key=lambda u: len(u[1])) if causes else None
        kept = [u for u in updates if u is not report]
        if not kept:
            continue
        incident = CloudIncident(
            code=code,
            name=_first_sentence(str(row.get("external_desc") or service)),
            impact={"low": "minor", "medium": "major", "high": "critical"}.get(
                str(row.get("severity")), "minor"
            ),
            started_at=started,
            resolved_at=_time(row.get("event_end_time")),
            monitoring_at=None,
            permalink="",
            updates=[
                StatusUpdate(f"{code}-u{i}", at, "resolved" if i == len(kept) - 1 else "investigating", body)
                for i, (at, body) in enumerate(kept)
                if at is not None
            ],
            components=sorted(set(products or [service])),
            report=report[1] if report else None,
        )
        key = (started.isoformat(), service)
        if key not in best or len(incident.updates) > len(best[key].updates):
            best[key] = incident
    return list(best.values())


def _azure_parts(page: str) -> tuple[str, str, str]:
    """(heading, tracking id, review HTML) of either page layout (``<h3>`` or the history list)."""
    title = re.search(r"<h3[^>]*>(.*?)</h3>", page, re.DOTALL) or re.search(
        r'incident-history-title">(.*?)</div>', page, re.DOTALL
    )
    heading = _text(title.group(1)) if title else ""
    tracking = re.search(r"Tracking ID:?\s*([A-Z0-9]{3,5}-[A-Z0-9]{2,4})", page)
    marker = 'card-body">' if 'card-body">' in page else "</h3>"
    return heading, tracking.group(1) if tracking else "", page.split(marker, 1)[-1]


def _azure_start(first: str, page: str) -> datetime | None:
    date = _DATE.search(first) or _DATE.search(_text(page))
    if date is not None:
        month = _MONTH_NUMBER[date.group(2)[:3].lower()]
        day = datetime(int(date.group(3)), month, int(date.group(1)), tzinfo=UTC)
    else:
        listed = re.search(r"(\d{2})/(\d{2})/(\d{4})", page)
        if listed is None:
            return None
        day = datetime(int(listed.group(3)), int(listed.group(1)), int(listed.group(2)), tzinfo=UTC)
    clock = _CLOCK.search(first)
    return day + (
        timedelta(hours=int(clock.group(1)) % 24, minutes=int(clock.group(2))) if clock else timedelta()
    )


def azure(rows: list[dict[str, object]]) -> list[StatusIncident]:
    """Azure post-incident reviews -> incidents (see the module docstring)."""
    incidents = []
    for row in rows:
        heading, tracking, body = _azure_parts(str(row["description"]))
        name = re.sub(r"\s*\(Tracking ID [^)]*\)", "", heading)
        name = re.sub(
            r"^(Post Incident Review \(PIR\)|Preliminary PIR|PIR|Mitigated|RCA)\s*[-\u2013:]\s*", "", name
        )
        lines = _text(body).splitlines()
        first = ""
        for i, line in enumerate(lines):
            if line.lower().startswith("what happened") and i + 1 < len(lines):
                first = lines[i + 1]
                break
            if line.lower().startswith("summary of impact"):
                first = line.split(":", 1)[-1].strip() or (lines[i + 1] if i + 1 < len(lines) else "")
                break
        first = first or next((line for line in lines if _DATE.search(line)), lines[0] if lines else name)
        started = _azure_start(first, body)
        if started is None or not name.strip():
            continue
        happened = re.split(r"What went wrong|Root Cause", body, maxsplit=1)[0]
        listed = [
            _text(m).strip(" -\u2013:")
            for m in re.findall(r"<li>\s*<strong[^>]*>(.*?)</strong>", happened, re.DOTALL)
        ]
        services = [s for s in listed if s and len(s) < 60 and not s.lower().startswith("other")]
        services = services or _AZURE_NAME.findall(name) or _AZURE_NAME.findall(first)[:1] or ["Azure"]
        code = "azure-" + (tracking or _code("x", heading))
        rest = "\n".join(line for line in lines if line != first)
        incidents.append(
            CloudIncident(
                code=code,
                name=name.strip(),
                impact="major",
                started_at=started,
                resolved_at=None,
                monitoring_at=None,
                permalink="",
                updates=[StatusUpdate(f"{code}-u0", started, "investigating", first)],
                components=sorted({s.strip() for s in services}),
                report=rest.strip() or None,
            )
        )
    return list({i.code: i for i in incidents}.values())


_AWS_LINE = re.compile(
    r'<span class="yellowfg">\s*(\d{1,2}):(\d{2}) (AM|PM)[^<]*</span>(.*?)</div>', re.DOTALL
)


def aws(rows: list[dict[str, object]]) -> list[StatusIncident]:
    """AWS Service Health Dashboard events -> incidents (see the module docstring)."""
    seen: dict[str, StatusIncident] = {}
    for row in rows:
        started = row.get("date")
        if not isinstance(started, datetime):
            continue
        started = started.replace(tzinfo=UTC)
        service = re.sub(r"\s*\([^)]*\)\s*$", "", str(row.get("service_name") or "AWS")).strip()
        code = _code("aws", started.isoformat(), str(row.get("service_name")))
        lines = _AWS_LINE.findall(str(row.get("description") or ""))
        updates: list[tuple[datetime, str, int]] = []
        previous, offset = None, timedelta()
        for hour, minute, half, content in lines:
            minutes = (int(hour) % 12 + (12 if half == "PM" else 0)) * 60 + int(minute)
            if previous is not None and minutes < previous:
                offset += timedelta(days=1)  # past midnight
            first = updates[0][2] if updates else minutes
            updates.append((started + offset + timedelta(minutes=minutes - first), _text(content), minutes))
            previous = minutes
        if not updates:
            continue
        name = re.sub(r"^\[[A-Z ]+\]\s*", "", str(row.get("summary") or service)).strip()
        seen[code] = CloudIncident(
            code=code,
            name=f"{name} ({service})" if service.lower() not in name.lower() else name,
            impact={"1": "minor", "2": "major", "3": "critical"}.get(str(row.get("status")), "minor"),
            started_at=started,
            resolved_at=updates[-1][0],
            monitoring_at=None,
            permalink="",
            updates=[
                StatusUpdate(
                    f"{code}-u{i}", at, "resolved" if i == len(updates) - 1 else "investigating", body
                )
                for i, (at, body, _) in enumerate(updates)
            ],
            components=[service],
        )
    return list(seen.values())


READERS: dict[str, Callable[[list[dict[str, object]]], list[StatusIncident]]] = {
    "gcp": gcp,
    "azure": azure,
    "aws": aws,
}


def convert(
    vendor: str, raw: Path, out: Path, since: datetime | None = None, until: datetime | None = None
) -> int:
    """Convert one vendor's reports started in ``[since, until)`` into ``out``; returns how many."""
    rows = pq.read_table(raw / "1_raw_data" / f"{vendor}_provider.parquet").to_pylist()
    incidents = sorted(
        (
            i
            for i in READERS[vendor](rows)
            if (since is None or i.started_at >= since) and (until is None or i.started_at < until)
        ),
        key=lambda i: (i.started_at, i.code),
    )
    components = sorted({c for i in incidents for c in i.components})
    write_export(incidents, dict.fromkeys(components, ""), out)
    return len(incidents)


def convert_github(inputs: list[Path], out: Path, since: datetime | None, until: datetime | None) -> int:
    """GitHub's status history (``precedent convert statuspage``'s reader) cut to ``[since, until)``."""
    incidents, descriptions, _ = read_statuspage(inputs)
    kept = [
        i
        for i in incidents
        if (since is None or i.started_at >= since) and (until is None or i.started_at < until)
    ]
    write_export(kept, descriptions, out)
    return len(kept)


def _day(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def main(argv: list[str] | None = None) -> int:
    """Parse arguments and convert."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="writes OUT/<vendor>/export")
    parser.add_argument("--raw", type=Path, default=DEFAULT_RAW)
    parser.add_argument("--vendors", nargs="+", choices=VENDORS, default=list(VENDORS))
    parser.add_argument("--github", nargs="+", type=Path, help="convert these Statuspage files instead")
    parser.add_argument("--since", type=_day, help="only incidents started from this day (YYYY-MM-DD)")
    parser.add_argument("--until", type=_day, help="only incidents started before this day")
    parser.add_argument("--name", help="dataset folder name (default: the vendor)")
    args = parser.parse_args(argv)
    if args.github:
        out = args.out / (args.name or "github") / "export"
        print(f"github: {convert_github(args.github, out, args.since, args.until)} incidents -> {out}")
        return 0
    for vendor in args.vendors:
        out = args.out / (args.name or vendor) / "export"
        count = convert(vendor, args.raw, out, args.since, args.until)
        print(f"{vendor}: {count} incidents -> {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
