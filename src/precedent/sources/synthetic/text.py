"""Responder-style prose: incident names, updates, summaries and post-mortems composed from phrase pools.

Every message is assembled from several independent pools (openers, symptoms from the failure mode,
error strings, scope, next steps, sign-offs), so wording varies between incidents with the same cause.
Early updates only ever draw on symptoms; the root cause first appears in the "identified" update, which
is what a real responder knows at each point.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from precedent.sources.synthetic.failure_modes import applicable, paired_fix

if TYPE_CHECKING:
    import random

    from precedent.sources.synthetic.failure_modes import FailureMode
    from precedent.sources.synthetic.timeline import Plan

__all__ = ["Narrative", "Narrator"]

_OPENERS = (
    "We're investigating {what}.",
    "Alerts fired for {what}.",
    "Support escalated reports of {what}.",
    "On-call was paged for {what}.",
    "Looking into {what}.",
    "Synthetic checks flagged {what}.",
    "Merchants are reporting {what}.",
    "Declaring an incident for {what}.",
    "Seeing {what}.",
    "Picked up from the #alerts channel: {what}.",
)
_WHATS = (
    "problems on {svc}",
    "degradation on {svc}",
    "elevated errors around {svc}",
    "issues with {svc}",
    "customer-facing errors involving {svc}",
    "failures through {svc}",
)
_SCOPES = (
    "Impact looks limited to EU traffic so far.",
    "Affecting roughly {pct}% of requests.",
    "Mobile and web both affected.",
    "Only some merchants affected, not yet clear which.",
    "Internal tooling only at this point.",
    "Impact is intermittent.",
    "Scope unknown yet.",
    "Seems to have started around {start}.",
    "",
)
_NEXT_STEPS = (
    "Checking recent deploys.",
    "Pulling in the owning team.",
    "Looking at dashboards for dependencies.",
    "Next update in 30 minutes.",
    "Checking whether anything changed in the last hour.",
    "Comparing against last week's traffic.",
    "Will update in 15.",
    "Digging into traces.",
    "Paging the on-call for the backing services.",
    "",
)
_STILL = (
    "Still investigating.",
    "No root cause yet.",
    "Continuing to dig.",
    "Update:",
    "Status:",
    "Narrowing it down.",
    "",
)
_RULED_OUT = (
    "Ruled out the CDN.",
    "Not a network issue as far as we can tell.",
    "No recent config changes on {svc}.",
    "The provider status page is green.",
    "Rolling restart did not help.",
    "Traffic volume is normal.",
    "Errors correlate with time of day, not with deploys.",
    "",
)
_IDENTIFIED = (
    "We've identified the cause: {cause}.",
    "Root cause found: {cause}.",
    "Cause identified, {cause}.",
    "We believe the cause is {cause}.",
    "Found it: {cause}.",
)
_FIX_PLAN = (
    "Mitigation in progress.",
    "Working on a fix now.",
    "Applying mitigation.",
    "ETA for the fix ~20 minutes.",
    "Rolling out the fix.",
)
_MONITORING = (
    "We {fix}. {recovery}. Monitoring.",
    "Mitigation applied: we {fix}. {recovery}.",
    "Fix is out: we {fix}. {recovery}. Keeping an eye on it.",
    "We {fix}. {recovery}. Will monitor for an hour.",
)
_RESOLVED = (
    "Resolved. {recovery}.",
    "All clear, closing the incident.",
    "Metrics have been stable for an hour; resolving.",
    "Resolved. Follow-ups will be tracked in the post-mortem.",
    "Resolving; no recurrence since the fix.",
    "Closing this out. Thanks all.",
)
_REPEATS = (
    "This looks like a repeat of {ref}.",
    "Same failure as {ref}.",
    "We saw this before in {ref}.",
)
_ALERT_TITLES = (
    "[FIRING] HighErrorRate {svc}",
    "[FIRING] LatencySLOBurn {svc}",
    "{svc}: SLO burn rate alert",
    "Datadog: {svc} error budget burn",
)


def _cap(sentence: str) -> str:
    # Service names (payments-api) stay lower-case even at the start of a sentence.
    first = sentence.split(" ", 1)[0]
    return sentence if "-" in first else sentence[:1].upper() + sentence[1:]


@dataclass(frozen=True)
class Narrative:
    """The facts a story is told from; the same for every message of one incident."""

    mode: FailureMode
    svc: str
    root: str
    cause: str
    root_kind: str
    fix: str
    values: dict[str, str]

    def fill(self, template: str) -> str:
        """Substitute the placeholders of a phrase."""
        return template.format_map(self.values)


class Narrator:
    """Compose messages for one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        # Phrases already used in the current incident, so successive updates don't repeat themselves.
        self._used: set[str] = set()

    def narrative(self, plan: Plan, root_kind: str) -> Narrative:
        """Draw the numbers for one planned incident and return its narrative.

        Args:
            plan: what broke, where, and which deploy (if any) preceded it.
            root_kind: the kind of the faulty service, which decides the kind-specific phrases.

        Returns:
            The facts every message of the incident is told from.
        """
        rng = self._rng
        self._used.clear()
        values = {
            "pct": str(rng.randint(3, 60)),
            "p99": f"{rng.randint(12, 300) * 100:,}",
            "n": str(rng.randint(2, 40)),
            "mins": str(rng.randint(5, 90)),
            "pool": str(rng.choice((10, 20, 25, 32, 40, 50))),
            "lag": f"{rng.randint(50, 5000) * 1000:,}",
            "svc": plan.svc,
            "root": plan.root,
            "start": plan.start.strftime("%H:%M UTC"),
        }
        # Without a suspected deploy, "{version}" is whatever was running.
        if plan.deployment is not None:
            values.update(version=plan.deployment.version, prev_version=plan.prev_version)
        else:
            values.update(version=plan.prev_version, prev_version="the previous release")
        mode = plan.mode
        fix = paired_fix(mode, plan.cause) or rng.choice(applicable(mode.fixes, root_kind))
        return Narrative(mode, plan.svc, plan.root, plan.cause, root_kind, fix, values)

    def _pick(self, pool: tuple[str, ...]) -> str:
        return self._rng.choice(pool)

    def _fresh(self, pool: tuple[str, ...]) -> str:
        unused = [phrase for phrase in pool if phrase not in self._used]
        phrase = self._rng.choice(unused or pool)
        self._used.add(phrase)
        return phrase

    def _join(self, *parts: str) -> str:
        return " ".join(part for part in parts if part)

    def name(self, story: Narrative, *, from_alert: bool) -> str:
        """Return the incident name as declared (symptom-level)."""
        pool = _ALERT_TITLES if from_alert else story.mode.titles
        return _cap(story.fill(self._pick(pool)))

    def summary(self, story: Narrative) -> str:
        """Return the declared summary: what people saw, never why."""
        return self._join(
            _cap(story.fill(self._pick(story.mode.symptoms))) + ".", story.fill(self._pick(_SCOPES))
        )

    def investigating(self, story: Narrative) -> str:
        """Return the first update: symptoms, an error line, scope and what happens next."""
        opener = self._pick(_OPENERS).format(what=story.fill(self._pick(_WHATS)))
        error = ""
        if self._rng.random() < 0.6:
            error = f"Logs show `{story.fill(self._pick(applicable(story.mode.errors, story.root_kind)))}`."
        # Responders first see the service they were paged for; the faulty dependency comes later.
        seen = tuple(p for p in story.mode.symptoms if "{root}" not in p) if story.svc != story.root else ()
        return self._join(
            opener,
            _cap(story.fill(self._fresh(seen or story.mode.symptoms))) + ".",
            error,
            story.fill(self._pick(_SCOPES)),
            self._pick(_NEXT_STEPS),
        )

    def still_investigating(self, story: Narrative) -> str:
        """Return a follow-up symptom update, with what has been ruled out."""
        return self._join(
            self._fresh(_STILL),
            _cap(story.fill(self._fresh(story.mode.symptoms))) + ".",
            story.fill(self._fresh(_RULED_OUT)),
            self._fresh(_NEXT_STEPS),
        )

    def identified(self, story: Narrative, repeat_of: str | None) -> str:
        """Return the update naming the root cause (and, sometimes, the incident it repeats)."""
        cause = story.fill(story.cause)
        repeat = self._pick(_REPEATS).format(ref=repeat_of) if repeat_of and self._rng.random() < 0.4 else ""
        return self._join(self._pick(_IDENTIFIED).format(cause=cause), repeat, self._pick(_FIX_PLAN))

    def monitoring(self, story: Narrative) -> str:
        """Return the update saying what was done and how it looks now."""
        return self._pick(_MONITORING).format(
            fix=story.fill(story.fix),
            recovery=_cap(story.fill(self._pick(story.mode.recoveries))),
        )

    def resolved(self, story: Narrative) -> str:
        """Return the closing update."""
        return self._pick(_RESOLVED).format(recovery=_cap(story.fill(self._pick(story.mode.recoveries))))

    def alert_title(self, story: Narrative) -> str:
        """Return the title of the alert that opened the incident."""
        return story.fill(self._pick(_ALERT_TITLES))

    def follow_up(self, story: Narrative) -> str:
        """Return a follow-up title."""
        return story.fill(self._pick(applicable(story.mode.follow_ups, story.root_kind)))

    def action(self, story: Narrative) -> str:
        """Return an in-incident action."""
        return story.fill(self._pick(applicable(story.mode.actions, story.root_kind)))

    def postmortem(
        self,
        story: Narrative,
        *,
        title: str,
        impact: str,
        timeline: tuple[tuple[str, str], ...],
        follow_ups: tuple[str, ...],
    ) -> str:
        """Return a post-mortem: Summary, Impact, Timeline, Root cause, Resolution, Lessons, Follow-ups."""
        mode = story.mode
        cause = story.fill(story.cause)
        lines = [
            f"# {title}",
            "",
            "## Summary",
            "",
            f"{_cap(story.fill(self._pick(mode.symptoms)))}. The underlying cause was {cause}.",
            "",
            "## Impact",
            "",
            impact,
            "",
            "## Timeline",
            "",
            *(f"* [{at}] {what}" for at, what in timeline),
            "",
            "## Root cause",
            "",
            f"{_cap(cause)}.",
            "",
            "## Resolution",
            "",
            f"We {story.fill(story.fix)}. {_cap(story.fill(self._pick(mode.recoveries)))}.",
            "",
            "## Lessons",
            "",
            *(f"* {lesson}" for lesson in self._rng.sample(mode.lessons, k=min(2, len(mode.lessons)))),
            "",
            "## Follow-ups",
            "",
            *(f"* {item}" for item in follow_ups),
            "",
        ]
        return "\n".join(lines)
