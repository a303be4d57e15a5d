"""Plan when incidents happen, what breaks, and which ones are planted recurrences or duplicates.

Incidents are spread evenly, with jitter, over the organisation's history. Two kinds of planted
events are merged into that stream in time order through a heap: recurrences (the same root cause
on the same service, weeks later, possibly surfacing on a different caller) and duplicates (a
second team declaring the same event minutes later). Only the heap, the open recurrence threads and
the deploys are held in memory; incidents themselves are yielded one at a time.
"""

from __future__ import annotations

import bisect
import heapq
import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from precedent.sources.synthetic.catalog import Deployment
from precedent.sources.synthetic.failure_modes import FAILURE_MODES, FailureMode, applicable

if TYPE_CHECKING:
    import random
    from collections.abc import Iterator

    from precedent.sources.synthetic.ids import IdFactory
    from precedent.sources.synthetic.topology import Topology

__all__ = ["Fault", "Member", "Plan", "Planner", "Thread"]

_DEPLOYABLE = ("web", "gateway", "service")
_MODE_WEIGHTS = {
    "connection_pool_exhaustion": 8,
    "bad_deploy_regression": 14,
    "memory_leak_oom": 6,
    "certificate_expiry": 2,
    "kafka_consumer_lag": 6,
    "cache_eviction": 4,
    "disk_full": 3,
    "third_party_outage": 6,
    "retry_storm": 4,
    "slow_query": 6,
    "feature_flag_misconfig": 5,
    "replication_lag": 3,
    "capacity_exhaustion": 4,
    "dns_failure": 2,
    "search_cluster_red": 2,
}
_SEVERITIES = (("Minor", 0.66), ("Major", 0.26), ("Critical", 0.08))
_MEDIAN_MINUTES = {"Minor": 40.0, "Major": 95.0, "Critical": 150.0}
_THREAD_ORIGIN_P = 0.10
_DUPLICATE_P = 0.03


@dataclass(frozen=True)
class Member:
    """An incident already written that a later one relates to."""

    id: str
    number: int
    name: str


@dataclass(frozen=True)
class Fault:
    """What breaks: a failure mode, in a service, for a cause, possibly after a deploy of ``changed``."""

    mode: FailureMode
    root: str
    cause: str
    changed: str | None


@dataclass
class Thread:
    """A planted root cause that recurs: every member shares the same fault."""

    key: int
    fault: Fault
    members: list[Member] = field(default_factory=list)


@dataclass(frozen=True)
class Plan:
    """Everything decided about one incident before its text is written."""

    id: str
    number: int
    start: datetime
    mode: FailureMode
    root: str
    svc: str
    cause: str
    severity: str
    duration: timedelta
    deployment: Deployment | None
    prev_version: str
    thread: Thread | None
    duplicate_of: Plan | None
    incident_type: str
    private: bool


class Planner:
    """Yield ``count`` plans in start-time order."""

    def __init__(
        self,
        rng: random.Random,
        ids: IdFactory,
        topology: Topology,
        *,
        start: datetime,
        days: int,
        decoys: tuple[random.Random, IdFactory] | None = None,
    ) -> None:
        self._rng = rng
        self._ids = ids
        # Decoys draw from their own stream: planting them leaves every other byte unchanged.
        self._decoy_rng, self._decoy_ids = decoys or (rng, ids)
        self.decoys: list[Deployment] = []
        self.decoys_of: dict[str, str] = {}
        self._deployable = sorted(s.name for s in topology.services.values() if s.kind in _DEPLOYABLE)
        self._topology = topology
        self._start = start
        self._end = start + timedelta(days=days)
        self._modes = FAILURE_MODES
        self._weights = [_MODE_WEIGHTS[m.key] for m in FAILURE_MODES]
        self.deployments: list[Deployment] = []
        self._deploy_times: dict[str, list[datetime]] = {}
        self._deploy_versions: dict[str, list[str]] = {}
        self.threads = 0
        self._roots = {
            mode.key: [s.name for s in topology.services.values() if s.kind in mode.root_kinds]
            for mode in FAILURE_MODES
        }

    def _version(self, at: datetime) -> str:
        return f"{at:%Y.%m.%d}-{self._rng.getrandbits(28):07x}"

    def _deploy(self, service: str, at: datetime) -> Deployment:
        deployment = Deployment(
            self._ids.new(at), service, self._version(at), at, f"deploy-{len(self.deployments) + 1:06d}"
        )
        self.deployments.append(deployment)
        return deployment

    def plan_background_deploys(self) -> None:
        """Create the routine deploys that cause nothing: every few days per deployable service."""
        for service in self._topology.services.values():
            mean_days = 3.0 if service.kind in _DEPLOYABLE else 30.0
            at = self._start
            times: list[datetime] = []
            versions: list[str] = []
            while True:
                at += timedelta(days=self._rng.expovariate(1 / mean_days))
                if at >= self._end:
                    break
                deployment = self._deploy(service.name, at)
                times.append(at)
                versions.append(deployment.version)
            self._deploy_times[service.name] = times
            self._deploy_versions[service.name] = versions

    def _previous_version(self, service: str, at: datetime) -> str:
        times = self._deploy_times.get(service, [])
        index = bisect.bisect_left(times, at)
        return self._deploy_versions[service][index - 1] if index else self._version(self._start)

    def _pick_root(self, mode: FailureMode) -> str:
        return self._rng.choice(self._roots[mode.key])

    def _surface(self, root: str) -> str:
        callers = self._topology.upstream(root)
        return root if not callers or self._rng.random() < 0.4 else self._rng.choice(callers)

    def _cause(self, mode: FailureMode, root: str) -> str:
        return self._rng.choice(applicable(mode.causes, self._topology.services[root].kind))

    def _changed_service(self, mode: FailureMode, root: str) -> str | None:
        if not mode.change_driven:
            return None
        if self._topology.services[root].kind in _DEPLOYABLE:
            return root
        callers = [
            c
            for c in self._topology.upstream(root, depth=1)
            if self._topology.services[c].kind in _DEPLOYABLE
        ]
        return self._rng.choice(callers) if callers else None

    def _severity(self) -> str:
        roll = self._rng.random()
        for name, share in _SEVERITIES:
            roll -= share
            if roll < 0:
                return name
        return _SEVERITIES[0][0]

    def _duration(self, severity: str) -> timedelta:
        minutes = self._rng.lognormvariate(math.log(_MEDIAN_MINUTES[severity]), 0.8)
        return timedelta(minutes=min(max(minutes, 6.0), 3 * 24 * 60))

    def _decoy(self, deployment: Deployment, near: tuple[str, ...]) -> None:
        """Plant a deploy of an unrelated service minutes from a causal one (a benchmark's distractor).

        Drawn from its own random stream and id factory, so the rest of the history is the same
        bytes with or without decoys.
        """
        # Unrelated: more than two hops either way from the root and the changed service. Some
        # decoys still fall within an investigation's reach, which is the test: they must rank lower.
        nearby = set(near)
        frontier = set(near)
        for _ in range(2):
            frontier = {
                other
                for name in frontier
                for other in (
                    *self._topology.services[name].depends_on,
                    *self._topology.dependants.get(name, ()),
                )
            } - nearby
            nearby |= frontier
        candidates = [s for s in self._deployable if s not in nearby]
        if not candidates:
            return
        service = self._decoy_rng.choice(candidates)
        at = deployment.deployed_at + timedelta(minutes=self._decoy_rng.uniform(-10, 10))
        version = f"{at:%Y.%m.%d}-{self._decoy_rng.getrandbits(28):07x}"
        decoy = Deployment(
            self._decoy_ids.new(at), service, version, at, f"deploy-decoy-{len(self.decoys) + 1:06d}"
        )
        self.decoys.append(decoy)
        self.decoys_of[deployment.id] = decoy.id

    def _plan(
        self, number: int, at: datetime, fault: Fault, *, thread: Thread | None, duplicate_of: Plan | None
    ) -> Plan:
        rng = self._rng
        deployment = None
        if fault.changed is not None and rng.random() < 0.75:
            deployment = self._deploy(fault.changed, at - timedelta(minutes=rng.uniform(4, 90)))
            self._decoy(deployment, (fault.root, fault.changed))
        version_service = fault.changed or fault.root
        security = rng.random() < 0.02
        severity = duplicate_of.severity if duplicate_of else self._severity()
        return Plan(
            id=self._ids.new(at),
            number=number,
            start=at,
            mode=fault.mode,
            root=fault.root,
            svc=self._surface(fault.root),
            cause=fault.cause,
            severity=severity,
            duration=self._duration(severity),
            deployment=deployment,
            prev_version=self._previous_version(version_service, at),
            thread=thread,
            duplicate_of=duplicate_of,
            incident_type="Security" if security else "Production Outage",
            private=security or rng.random() < 0.03,
        )

    @property
    def end(self) -> datetime:
        """When the history ends: the last incident starts shortly before."""
        return self._end

    def plans(self, count: int) -> Iterator[Plan]:
        """Yield ``count`` plans in start order, with recurrences and duplicates merged in.

        Slot ``i`` sits at a jittered point ``(i - u) / count`` of the history, so the last incident
        always lands just before ``end`` and "now" is known before anything is written. A slot is taken
        by a planted event when one is due, otherwise by a fresh incident.
        """
        rng = self._rng
        span = self._end - self._start
        # (due time, tiebreak, thread or original plan) for planted events not yet emitted.
        heap: list[tuple[datetime, int, Thread | Plan]] = []
        tiebreak = 0
        last = self._start
        for number in range(1, count + 1):
            slot = self._start + span * ((number - rng.random()) / count)
            if heap and heap[0][0] <= slot:
                due, _, planted = heapq.heappop(heap)
                last = at = max(due, last + timedelta(seconds=1))
                if isinstance(planted, Thread):
                    yield self._plan(number, at, planted.fault, thread=planted, duplicate_of=None)
                else:
                    # A duplicate is the same fault seen by another team; only the original has the deploy.
                    fault = Fault(planted.mode, planted.root, planted.cause, None)
                    yield self._plan(number, at, fault, thread=None, duplicate_of=planted)
                continue
            last = at = max(slot, last + timedelta(seconds=1))
            mode = rng.choices(self._modes, weights=self._weights)[0]
            root = self._pick_root(mode)
            fault = Fault(mode, root, self._cause(mode, root), self._changed_service(mode, root))
            thread = None
            if rng.random() < _THREAD_ORIGIN_P:
                self.threads += 1
                thread = Thread(self.threads, fault)
                due = at
                for _ in range(rng.randint(1, 3)):
                    due += timedelta(days=rng.uniform(14, 56))
                    tiebreak += 1
                    heapq.heappush(heap, (due, tiebreak, thread))
            plan = self._plan(number, at, fault, thread=thread, duplicate_of=None)
            if rng.random() < _DUPLICATE_P:
                tiebreak += 1
                heapq.heappush(heap, (at + timedelta(minutes=rng.uniform(3, 25)), tiebreak, plan))
            yield plan
