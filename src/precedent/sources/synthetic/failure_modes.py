"""Failure modes: what breaks, what responders see, what they find, and what they change afterwards.

Each pool is deliberately wide so that two incidents with the same root cause rarely share a sentence.
A phrase may start with a kind tag such as ``[search]``: it then only applies when the root service is of
that kind (Elasticsearch watermarks are no explanation for a full PostgreSQL disk). When a mode has as many
fixes as causes they are paired by position, so the fix told matches the cause found.
Placeholders are filled per incident by ``text.py``: ``{svc}`` the service where symptoms were seen,
``{root}`` the service where the fault is, ``{version}``/``{prev_version}`` a deploy, and numbers such
as ``{pct}``, ``{p99}``, ``{n}``, ``{mins}``, ``{pool}``, ``{lag}``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = ["FAILURE_MODES", "FailureMode", "applicable", "paired_fix"]

_TAG = re.compile(r"^\[(\w+)\] ")


@dataclass(frozen=True)
class FailureMode:
    """One way production fails, with the phrase pools used to narrate it."""

    key: str
    root_kinds: tuple[str, ...]
    change_driven: bool
    titles: tuple[str, ...]
    symptoms: tuple[str, ...]
    errors: tuple[str, ...]
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    recoveries: tuple[str, ...]
    lessons: tuple[str, ...]
    follow_ups: tuple[str, ...]
    actions: tuple[str, ...]


FAILURE_MODES: tuple[FailureMode, ...] = (
    FailureMode(
        key="connection_pool_exhaustion",
        root_kinds=("database",),
        change_driven=True,
        titles=(
            "{svc} requests timing out",
            "Elevated latency and 503s on {svc}",
            "{svc} degraded",
            "Intermittent timeouts from {svc}",
            "{svc}: p99 latency through the roof",
        ),
        symptoms=(
            "{svc} p99 latency is at {p99}ms against a normal of ~250ms",
            "about {pct}% of requests to {svc} are returning 503 after hanging for 30s",
            "request queueing on {svc}; worker threads are all blocked",
            "{svc} health checks are flapping and pods are being cycled by the load balancer",
            "timeouts are spreading to callers of {svc}",
        ),
        errors=(
            "FATAL: remaining connection slots are reserved for non-replication superuser connections",
            "pgbouncer: no more connections allowed (max_client_conn)",
            "HikariPool-1 - Connection is not available, request timed out after 30000ms",
            "sqlalchemy.exc.TimeoutError: QueuePool limit of size {pool} overflow 10 reached",
            "context deadline exceeded while acquiring connection",
        ),
        causes=(
            "connection pool exhaustion on {root}: {version} raised worker concurrency and each worker "
            "holds its own pool, so we blew past max_connections",
            "{root} ran out of connection slots after the {version} rollout doubled the pool size per pod",
            "pgbouncer in front of {root} hit max_client_conn; the new release opens a connection per "
            "request instead of reusing the pool",
            "long-running transactions from a batch job held connections on {root} and the pool drained",
        ),
        fixes=(
            "rolled back to {prev_version} and restarted pgbouncer",
            "reduced per-pod pool size to {pool} and restarted the deployment",
            "killed idle-in-transaction sessions on {root} and scaled down the batch workers",
            "bumped max_connections on {root} as a stopgap and rolled back {version}",
        ),
        recoveries=(
            "connections on {root} are back under {pool}0 and latency on {svc} has recovered",
            "error rate on {svc} has dropped to baseline; watching the pool gauge",
            "queue has drained and p99 on {svc} is back around 300ms",
        ),
        lessons=(
            "Pool sizes are multiplied by replica count and nobody owned the total.",
            "We had no alert on connection saturation, only on latency downstream.",
            "The deploy checklist does not mention database connection budgets.",
        ),
        follow_ups=(
            "Alert on {root} connection utilisation above 80%",
            "Add a connection budget check to the deploy pipeline",
            "Move {svc} to a shared pgbouncer pool with transaction pooling",
            "Document per-service connection limits for {root}",
        ),
        actions=(
            "Roll back {svc} to {prev_version}",
            "Check pg_stat_activity on {root}",
            "Restart pgbouncer on {root}",
            "Page the Data Platform on-call",
        ),
    ),
    FailureMode(
        key="bad_deploy_regression",
        root_kinds=("service", "gateway", "web"),
        change_driven=True,
        titles=(
            "Errors on {svc} after deploy",
            "Spike in 500s from {svc}",
            "{svc} returning errors",
            "Customers unable to complete requests on {svc}",
            "5xx alert: {svc}",
        ),
        symptoms=(
            "5xx rate on {svc} jumped to {pct}% within minutes of a rollout",
            "{svc} is throwing unhandled exceptions on a subset of endpoints",
            "Sentry shows a new error group on {svc} with {n} events in ten minutes",
            "support has {n} tickets about failed requests that go through {svc}",
        ),
        errors=(
            "NullPointerException at OrderMapper.toDto(OrderMapper.java:88)",
            "TypeError: Cannot read properties of undefined (reading 'currency')",
            "panic: runtime error: invalid memory address or nil pointer dereference",
            "KeyError: 'billing_address'",
            "json: cannot unmarshal string into Go struct field .amount of type int64",
        ),
        causes=(
            "a regression in {version} of {root}: a serializer change drops a field older clients still send",
            "{version} of {root} shipped a config default that only exists in staging",
            "the {version} release of {root} assumed a column that the migration had not yet backfilled",
            "{root} {version} changed the error handling path and now panics on an empty response",
        ),
        fixes=(
            "rolled back {root} to {prev_version}",
            "shipped a hotfix on top of {version}",
            "reverted the offending commit and redeployed {root}",
            "disabled the new code path via its flag",
        ),
        recoveries=(
            "error rate on {svc} is back to baseline since the rollback",
            "no new events in the Sentry issue for 15 minutes",
            "traffic is healthy; we are replaying the failed requests",
        ),
        lessons=(
            "Canary analysis only looked at latency, not error rate.",
            "The failing path had no integration test with production-shaped data.",
            "Rollback took longer than it should because the deploy was batched with others.",
        ),
        follow_ups=(
            "Add error-rate gate to {root} canary",
            "Add a contract test for the {svc} payload",
            "Make rollbacks one click for {root}",
            "Split batched deploys for {root}",
        ),
        actions=(
            "Roll back {root} to {prev_version}",
            "Pause the deploy pipeline",
            "Check the canary dashboard",
        ),
    ),
    FailureMode(
        key="memory_leak_oom",
        root_kinds=("service", "gateway"),
        change_driven=True,
        titles=(
            "{svc} pods restarting",
            "OOMKilled pods on {svc}",
            "{svc} latency climbing over time",
            "Instability on {svc}",
        ),
        symptoms=(
            "{svc} pods are being OOMKilled roughly every {mins} minutes",
            "memory on {svc} climbs steadily after each restart until it hits the limit",
            "restart count on {svc} is at {n} in the last hour",
            "GC pauses on {svc} are over 2s",
        ),
        errors=(
            "OOMKilled (exit code 137)",
            "java.lang.OutOfMemoryError: Java heap space",
            "fatal error: runtime: out of memory",
            "Last state: Terminated, Reason: OOMKilled",
        ),
        causes=(
            "a memory leak in {root} {version}: an unbounded in-process cache keyed by request id",
            "{root} {version} keeps every streamed response body in memory for metrics",
            "a goroutine leak in {root} after {version}: HTTP clients are created per request, never closed",
        ),
        fixes=(
            "rolled back {root} to {prev_version}",
            "raised the memory limit and scheduled rolling restarts",
            "patched the cache to be bounded and redeployed",
        ),
        recoveries=("memory on {svc} is flat for the last 30 minutes", "no OOM kills since the rollback"),
        lessons=(
            "Memory growth was visible for two days before it hit the limit.",
            "Load tests run for ten minutes, too short to see slow leaks.",
        ),
        follow_ups=(
            "Alert on memory growth slope for {root}",
            "Run soak tests for {root} before release",
            "Add heap profiling endpoint to {root}",
        ),
        actions=("Take a heap dump from a {root} pod", "Roll back {root}", "Raise memory limit temporarily"),
    ),
    FailureMode(
        key="certificate_expiry",
        root_kinds=("gateway", "web", "external"),
        change_driven=False,
        titles=(
            "TLS errors calling {svc}",
            "{svc} unreachable from clients",
            "Handshake failures on {svc}",
            "Mobile app can't connect via {svc}",
        ),
        symptoms=(
            "clients calling {svc} fail TLS handshakes",
            "all requests to {svc} fail before reaching the app",
            "synthetic checks against {svc} have been red for {mins} minutes",
        ),
        errors=(
            "x509: certificate has expired or is not yet valid",
            "SSL routines:ssl3_read_bytes:sslv3 alert certificate expired",
            "javax.net.ssl.SSLHandshakeException: PKIX path validation failed",
        ),
        causes=(
            "the TLS certificate on {root} expired; auto-renewal had been failing silently",
            "an intermediate certificate in the chain served by {root} expired",
            "cert-manager on {root} could not complete the DNS challenge after a zone change",
        ),
        fixes=(
            "issued and deployed a new certificate on {root}",
            "fixed the chain and reloaded {root}",
            "renewed the certificate manually and restarted the ingress",
        ),
        recoveries=("handshakes to {svc} succeed again", "synthetics are green"),
        lessons=(
            "Renewal failures alerted a channel nobody reads.",
            "We monitored certificate expiry on the leaf only, not the chain.",
        ),
        follow_ups=(
            "Alert 14 days before certificate expiry on {root}",
            "Route cert-manager failures to on-call",
            "Inventory every certificate we serve",
        ),
        actions=("Check certificate expiry on {root}", "Issue a new certificate", "Reload ingress"),
    ),
    FailureMode(
        key="kafka_consumer_lag",
        root_kinds=("queue",),
        change_driven=True,
        titles=(
            "Delayed events from {svc}",
            "{svc} data is stale",
            "Processing backlog on {svc}",
            "Order updates delayed",
        ),
        symptoms=(
            "consumer lag on {root} is at {lag} messages and growing",
            "{svc} is showing data that is {mins} minutes old",
            "downstream updates from {svc} are arriving late; customers see stale statuses",
            "the consumer group for {svc} keeps rebalancing",
        ),
        errors=(
            "CommitFailedException: Commit cannot be completed since the group has already rebalanced",
            "Member consumer-3 sending LeaveGroup request due to consumer poll timeout has expired",
            "org.apache.kafka.common.errors.TimeoutException: Topic not present in metadata",
        ),
        causes=(
            "a rebalance storm on {root}: {version} pushed batch processing time past max.poll.interval.ms",
            "a hot partition on {root}: a single merchant's events all hash to one key",
            "a broker in {root} lost its disk and partitions were under-replicated",
        ),
        fixes=(
            "raised max.poll.interval.ms and rolled back {version}",
            "added consumers and re-keyed the topic",
            "replaced the broker and reassigned partitions",
        ),
        recoveries=("lag on {root} is dropping, ETA to catch up ~{mins} minutes", "consumers are caught up"),
        lessons=(
            "We alert on lag in messages, which means nothing for low-volume topics.",
            "Processing time per batch was never measured.",
        ),
        follow_ups=(
            "Alert on consumer lag in seconds for {root}",
            "Add partition skew dashboard for {root}",
            "Load test consumer batch sizes",
        ),
        actions=(
            "Scale consumers for {svc}",
            "Check partition distribution on {root}",
            "Pause non-critical consumers",
        ),
    ),
    FailureMode(
        key="cache_eviction",
        root_kinds=("cache",),
        change_driven=False,
        titles=("{svc} slow", "Latency on {svc}", "Cache misses on {svc}", "Logins slow / failing"),
        symptoms=(
            "cache hit ratio for {svc} fell from 95% to {pct}%",
            "{svc} latency is up {n}x",
            "users are being logged out unexpectedly",
            "database load behind {svc} is spiking",
        ),
        errors=(
            "OOM command not allowed when used memory > 'maxmemory'",
            "READONLY You can't write against a read only replica",
            "redis: connection pool timeout",
        ),
        causes=(
            "{root} hit maxmemory and began evicting hot keys; a new key pattern had no TTL",
            "a failover on {root} promoted a replica that had not finished syncing",
            "a thundering herd on {root} after a mass key expiry at the top of the hour",
        ),
        fixes=(
            "added TTLs, flushed the orphaned keys and scaled {root}",
            "forced a resync and pinned the primary",
            "added request coalescing and jittered expiries",
        ),
        recoveries=("hit ratio on {svc} is back above 90%", "latency has normalised"),
        lessons=("Keys without TTL accumulated for months unnoticed.", "Expiry times were not jittered."),
        follow_ups=(
            "Enforce TTLs on {root} keys",
            "Alert on evictions for {root}",
            "Jitter cache expiry in {svc}",
        ),
        actions=("Check INFO memory on {root}", "Flush orphaned keys", "Scale {root}"),
    ),
    FailureMode(
        key="disk_full",
        root_kinds=("database", "search", "queue"),
        change_driven=False,
        titles=("Writes failing on {svc}", "{svc} read-only", "{svc} errors on save"),
        symptoms=(
            "writes through {svc} fail; reads still work",
            "{root} disk usage is at 100%",
            "{svc} is rejecting updates with 500s",
        ),
        errors=(
            "could not extend file: No space left on device",
            '[database] ERROR: could not write to file "pg_wal/xlogtemp"',
            "[search] flood stage disk watermark [95%] exceeded, all indices marked read-only",
            "[queue] ERROR Shutdown broker because all log dirs have failed (kafka.log.LogManager)",
        ),
        causes=(
            "[database] {root} ran out of disk: WAL archiving to object storage had been failing for days",
            "[database] a runaway log table on {root} grew by {n}GB in a day",
            "[search] {root} hit the flood-stage watermark after a reindex doubled index size",
            "[queue] a broker in {root} filled its disk: a new topic was created with 30-day retention",
        ),
        fixes=(
            "fixed archiving credentials, freed space and grew the volume",
            "truncated the log table and expanded disk",
            "cleared the read-only block and removed the old index",
            "cut retention on the topic and let the broker rejoin",
        ),
        recoveries=("writes are succeeding again", "disk on {root} is at {pct}% and stable"),
        lessons=(
            "Disk growth alerts fired at 90% overnight when nobody was on call for that cluster.",
            "Archiving failures were logged but not alerted on.",
        ),
        follow_ups=(
            "Alert on disk growth rate for {root}",
            "[database] Alert on WAL archiving failures",
            "Autoscale storage for {root}",
        ),
        actions=("Check df on {root}", "Grow the volume", "[search] Remove old index"),
    ),
    FailureMode(
        key="third_party_outage",
        root_kinds=("external",),
        change_driven=False,
        titles=(
            "{svc} errors from provider",
            "Payments failing",
            "Provider degradation affecting {svc}",
            "Emails not being delivered",
            "SMS codes not arriving",
        ),
        symptoms=(
            "{pct}% of calls from {svc} to the provider return 502",
            "the provider's status page shows degraded service",
            "{svc} requests to the provider take over {p99}ms",
            "retry queues for {svc} are growing",
        ),
        errors=(
            "upstream connect error or disconnect/reset before headers",
            "HTTP 503 Service Unavailable from api provider",
            "read tcp: i/o timeout",
        ),
        causes=(
            "an outage at the provider behind {root}",
            "the provider behind {root} rotated IP ranges and our egress allowlist blocked them",
            "the provider rate-limited {root} after we exceeded our contracted TPS",
        ),
        fixes=(
            "failed over to the secondary provider",
            "updated the egress allowlist",
            "reduced TPS and negotiated a limit increase",
        ),
        recoveries=("provider calls from {svc} are succeeding", "retry queue has drained"),
        lessons=(
            "Failover to the secondary provider is manual and nobody had practised it.",
            "We learned about the outage from customers before our alerts.",
        ),
        follow_ups=(
            "Automate failover for {root}",
            "Subscribe on-call to the provider status page",
            "Add per-provider success-rate SLO",
        ),
        actions=("Check provider status page", "Fail over {root}", "Contact provider support"),
    ),
    FailureMode(
        key="retry_storm",
        root_kinds=("gateway", "service"),
        change_driven=True,
        titles=(
            "{svc} overloaded",
            "Cascading failures through {svc}",
            "429s from {svc}",
            "Traffic spike on {svc}",
        ),
        symptoms=(
            "request rate on {svc} is {n}x normal with no matching rise in users",
            "{svc} is shedding load with 429s",
            "CPU on {svc} is pinned at 100%",
        ),
        errors=("429 Too Many Requests", "circuit breaker 'downstream' is OPEN", "upstream request timeout"),
        causes=(
            "a retry storm: {version} of {root} retries on timeout without backoff, multiplying load {n}x",
            "clients of {root} retried in lockstep after a brief blip and never let it recover",
            "a circuit breaker on {root} was misconfigured to never open",
        ),
        fixes=(
            "disabled retries via flag and shed load at the gateway",
            "rolled back {root} to {prev_version}",
            "added jittered backoff and rate limits",
        ),
        recoveries=("traffic on {svc} is back to organic levels", "breakers closed, latency normal"),
        lessons=("Retries were added at three layers independently.", "We had no retry budget."),
        follow_ups=(
            "Add retry budget to {root} client",
            "Remove retries from intermediate layers",
            "Load-shed at the gateway by priority",
        ),
        actions=("Disable retries in {root}", "Enable load shedding", "Scale {svc}"),
    ),
    FailureMode(
        key="slow_query",
        root_kinds=("database",),
        change_driven=True,
        titles=("{svc} slow", "Timeouts on {svc} endpoints", "High database CPU behind {svc}"),
        symptoms=(
            "{root} CPU is at {pct}%",
            "p99 on {svc} is {p99}ms",
            "one query dominates pg_stat_statements on {root}",
        ),
        errors=(
            "canceling statement due to statement timeout",
            "Lock wait timeout exceeded; try restarting transaction",
            "deadlock detected",
        ),
        causes=(
            "a migration in {version} dropped an index {root} still needed; order lookups became seq scans",
            "query plan flip on {root} after autovacuum updated statistics",
            "a new report query in {version} holds locks on a hot table in {root}",
        ),
        fixes=(
            "recreated the index concurrently",
            "pinned the plan and ran ANALYZE",
            "killed the query and moved it to a replica",
        ),
        recoveries=("CPU on {root} is back to 30%", "latency on {svc} is normal"),
        lessons=(
            "Migrations are not reviewed against production query plans.",
            "No statement timeout on reporting queries.",
        ),
        follow_ups=(
            "Review migrations for index drops",
            "Add statement timeout for {svc}",
            "Route reports to a replica",
        ),
        actions=("Run EXPLAIN on the top query", "Kill the long query", "Recreate index"),
    ),
    FailureMode(
        key="feature_flag_misconfig",
        root_kinds=("service", "web"),
        change_driven=False,
        titles=(
            "Some customers seeing errors on {svc}",
            "{svc} broken for a subset of users",
            "Checkout issue for EU customers",
        ),
        symptoms=(
            "errors on {svc} are limited to one region",
            "only users in the new cohort are affected",
            "about {pct}% of sessions hit an error page",
        ),
        errors=(
            "FeatureFlagError: variation 'v2' has no handler",
            "undefined is not a function",
            "403 Forbidden",
        ),
        causes=(
            "a feature flag for {root} was rolled to 100% in production instead of staging",
            "a flag targeting rule for {root} matched every EU user",
            "a flag for {root} was archived while code still read it, defaulting to the broken path",
        ),
        fixes=("turned the flag off", "fixed the targeting rule", "restored the flag with the safe default"),
        recoveries=("errors stopped as soon as the flag flipped", "affected sessions are recovering"),
        lessons=("Flag changes do not go through review.", "Flag defaults were never tested."),
        follow_ups=(
            "Require approval for production flag changes",
            "Alert on flag-linked error spikes",
            "Clean up stale flags in {root}",
        ),
        actions=("Turn off the flag", "Audit recent flag changes", "Notify support"),
    ),
    FailureMode(
        key="replication_lag",
        root_kinds=("database",),
        change_driven=False,
        titles=("Stale data in {svc}", "{svc} showing old values", "Inconsistent reads from {svc}"),
        symptoms=(
            "customers see orders that already shipped as pending",
            "{svc} reads are {lag}ms behind writes",
            "read-after-write checks on {svc} are failing",
        ),
        errors=("replica lag exceeds threshold", "canceling statement due to conflict with recovery"),
        causes=(
            "a bulk update on {root} generated WAL faster than the replicas could apply it",
            "a replica of {root} was on a degraded host with slow disks",
        ),
        fixes=("throttled the bulk job and routed reads to the primary", "replaced the replica host"),
        recoveries=("replica lag on {root} is under 1s", "reads on {svc} are consistent"),
        lessons=(
            "Bulk jobs are not throttled against replica lag.",
            "Reads that need consistency go to replicas.",
        ),
        follow_ups=("Throttle bulk jobs on replica lag", "Send critical reads to primary in {svc}"),
        actions=("Check replica lag on {root}", "Pause the bulk job"),
    ),
    FailureMode(
        key="capacity_exhaustion",
        root_kinds=("service", "gateway", "web"),
        change_driven=False,
        titles=("{svc} slow under load", "Peak traffic degrading {svc}", "{svc} at capacity"),
        symptoms=(
            "HPA for {svc} is at max replicas",
            "CPU throttling on {svc}",
            "latency on {svc} rises with traffic",
        ),
        errors=("upstream request timeout", "0/40 nodes are available: insufficient cpu"),
        causes=(
            "{root} reached its autoscaling ceiling during a marketing campaign",
            "the cluster ran out of nodes for {root}; the node pool max was too low",
        ),
        fixes=("raised the HPA ceiling and node pool max", "added nodes manually"),
        recoveries=("{svc} is scaled out and latency is normal",),
        lessons=(
            "Marketing campaigns are not shared with engineering.",
            "Capacity limits were set years ago.",
        ),
        follow_ups=("Review autoscaling limits for {root}", "Share campaign calendar with on-call"),
        actions=("Scale {root}", "Raise node pool max"),
    ),
    FailureMode(
        key="dns_failure",
        root_kinds=("gateway", "web"),
        change_driven=True,
        titles=("{svc} unreachable", "DNS resolution errors", "Intermittent connection failures to {svc}"),
        symptoms=(
            "lookups for {svc} return SERVFAIL intermittently",
            "{pct}% of connections fail to resolve",
        ),
        errors=("dial tcp: lookup payments.internal: no such host", "getaddrinfo ENOTFOUND", "SERVFAIL"),
        causes=(
            "a DNS change for {root} removed the record during a migration",
            "CoreDNS pods were overloaded after {version} removed the ndots setting",
        ),
        fixes=("restored the record", "scaled CoreDNS and restored ndots"),
        recoveries=("resolution is healthy",),
        lessons=("DNS changes are applied by hand.",),
        follow_ups=("Manage DNS for {root} as code", "Alert on CoreDNS errors"),
        actions=("Check DNS records", "Scale CoreDNS"),
    ),
    FailureMode(
        key="search_cluster_red",
        root_kinds=("search",),
        change_driven=False,
        titles=("Search results missing", "{svc} returning empty results", "Search degraded"),
        symptoms=("search on {svc} returns partial results", "cluster health for {root} is red"),
        errors=("all shards failed", "no_shard_available_action_exception"),
        causes=("unassigned primary shards on {root} after a node restart with allocation disabled",),
        fixes=("re-enabled shard allocation and rebalanced",),
        recoveries=("cluster is green", "search results are complete"),
        lessons=("Maintenance runbook left allocation disabled.",),
        follow_ups=("Automate allocation re-enable in {root} runbook", "Alert on unassigned shards"),
        actions=("Check _cluster/health on {root}", "Enable allocation"),
    ),
)


def _strip(phrase: str) -> str:
    return _TAG.sub("", phrase, count=1)


@functools.cache
def applicable(pool: tuple[str, ...], kind: str) -> tuple[str, ...]:
    """The phrases of ``pool`` that fit a root service of ``kind``, tags removed."""
    fitting = tuple(_strip(p) for p in pool if (m := _TAG.match(p)) is None or m.group(1) == kind)
    return fitting or tuple(_strip(p) for p in pool)


def paired_fix(mode: FailureMode, cause: str) -> str | None:
    """The fix written for ``cause`` when the mode pairs fixes with causes, else None."""
    if len(mode.fixes) != len(mode.causes):
        return None
    stripped = [_strip(c) for c in mode.causes]
    return _strip(mode.fixes[stripped.index(cause)]) if cause in stripped else None
