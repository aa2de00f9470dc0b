"""The `Meter` the service runs with: prometheus-client counters in a registry of its own.

Each `KetNoiApp` gets its own `CollectorRegistry` (never the library's global one), so tests
and several apps in one process never count into each other. `GET /metrics` (`bot.web`)
renders it in Prometheus' text format; the outbox's backlog is read from the database at
scrape time (one grouped count), so every process of a deployment reports the same backlog.

Label values come from short fixed lists (platforms, outcomes, reasons, kinds): never a chat
id, a name or any text a person wrote.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Mapping

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from bot.core.meter import Meter

THROTTLED = "throttled"  # the outbox's reason for a platform's 429 (`broadcasts.outbox`)
# Seconds from the start of handling an event to its replies delivered: a chat answer is expected in well
# under a second; the tail shows a slow database or a platform that makes us wait.
LATENCY_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
PendingCounts = Callable[[], Awaitable[Mapping[str, int]]]
PENDING_TIMEOUT_SECONDS = 5.0  # a scrape answers even when the database hangs


class _Backlog(Collector):
    """The outbox's pending deliveries per platform, as read at the last scrape."""

    def __init__(self, platforms: Iterable[str]) -> None:
        self.platforms = tuple(platforms)
        self.counts: dict[str, int] | None = None  # None: the database did not answer

    def collect(self) -> Iterable[Metric]:
        family = GaugeMetricFamily(
            "ketnoi_outbox_pending", "Broadcast deliveries waiting to be sent, by platform.", labels=["platform"]
        )
        if self.counts is not None:
            for platform in sorted(set(self.platforms) | self.counts.keys()):
                family.add_metric([platform], self.counts.get(platform, 0))
        yield family


class PrometheusMeter(Meter):
    """Counts into a registry of its own; `render()` is the body of `GET /metrics`."""

    content_type = CONTENT_TYPE_LATEST

    def __init__(self, platforms: Iterable[str] = (), pending: PendingCounts | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._pending = pending
        r = self.registry
        self.updates = Counter(
            "ketnoi_updates", "Incoming events handled, by platform and outcome.", ["platform", "outcome"], registry=r
        )
        self.latency = Histogram(
            "ketnoi_reply_seconds", "Seconds from handling an event to its replies delivered (not time queued before).", ["platform"],
            buckets=LATENCY_BUCKETS, registry=r,
        )
        self.outbox = Counter(
            "ketnoi_outbox_deliveries",
            "Broadcast delivery attempts recorded, by platform, result (sent, failed, unreachable, retry, "
            "defer, migrated) and reason.",
            ["platform", "result", "reason"], registry=r,
        )
        self.throttled_total = Counter(
            "ketnoi_throttled", "429 answers (slow down) a platform gave, to replies and to the outbox.", ["platform"],
            registry=r,
        )
        self.reminders = Counter(
            "ketnoi_reminders_sent", "Reminders handed to a channel, by kind (remind, escalate, digest).", ["kind"],
            registry=r,
        )
        self.database_errors = Counter(
            "ketnoi_database_errors", "Database operations that failed, by part of the service.", ["where"],
            registry=r,
        )
        self._backlog = _Backlog(platforms)
        r.register(self._backlog)

    def update_handled(self, platform: str, outcome: str) -> None:
        self.updates.labels(platform, outcome).inc()

    def reply_latency(self, platform: str, seconds: float) -> None:
        self.latency.labels(platform).observe(seconds)

    def outbox_result(self, platform: str, result: str, reason: str | None) -> None:
        self.outbox.labels(platform, result, reason or "").inc()
        if reason == THROTTLED:
            self.throttled_total.labels(platform).inc()

    def throttled(self, platform: str) -> None:
        self.throttled_total.labels(platform).inc()

    def reminder_sent(self, kind: str) -> None:
        self.reminders.labels(kind).inc()

    def database_error(self, where: str) -> None:
        self.database_errors.labels(where).inc()

    async def render(self) -> bytes:
        """The text exposition, with the backlog read from the database just now."""
        if self._pending is not None:
            try:
                async with asyncio.timeout(PENDING_TIMEOUT_SECONDS):
                    self._backlog.counts = dict(await self._pending())
            except Exception:
                self._backlog.counts = None  # the gauge is left out rather than stale
                self.database_error("metrics")
        return generate_latest(self.registry)
