"""What the service counts about itself, as a small interface the features call.

The dispatcher, the outbox and the reminders count what happened through a `Meter`; the
composition root hands in one backed by prometheus-client (`bot.metrics`), tests and tools
that build a part alone get `NO_METER`. Features never import a metrics library, and every
label value is a word from a short fixed list (a platform, an outcome, a reason, a kind),
never a chat id, a name or a message's text.
"""

from __future__ import annotations

from typing import Protocol


class Meter(Protocol):
    """Counters and timings of one running KetNoi."""

    def update_handled(self, platform: str, outcome: str) -> None:
        """An incoming event was handled: answered, refused, stale_button, failed, replayed or group."""

    def reply_latency(self, platform: str, seconds: float) -> None:
        """From the start of handling an event to its replies being delivered (time queued before, e.g. in Zalo's inbox, is not in it)."""

    def outbox_result(self, platform: str, result: str, reason: str | None) -> None:
        """One delivery's outcome was recorded (`broadcasts.store.Kind`, with its reason class)."""

    def throttled(self, platform: str) -> None:
        """A platform answered 429 to a reply, notice or reminder (the outbox's 429s are counted
        with its results, `outbox_result`)."""

    def reminder_sent(self, kind: str) -> None:
        """A reminder, escalation or digest was handed to its channel."""

    def database_error(self, where: str) -> None:
        """A database operation failed in this part of the service."""


class NoMeter:
    """Counts nothing: for parts built alone (tests, the command line)."""

    def update_handled(self, platform: str, outcome: str) -> None:
        pass

    def reply_latency(self, platform: str, seconds: float) -> None:
        pass

    def outbox_result(self, platform: str, result: str, reason: str | None) -> None:
        pass

    def throttled(self, platform: str) -> None:
        pass

    def reminder_sent(self, kind: str) -> None:
        pass

    def database_error(self, where: str) -> None:
        pass


NO_METER: Meter = NoMeter()
