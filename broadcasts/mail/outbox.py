"""The mail outbox: each e-mail queued once in `mail_messages`, then sent, retried or failed for good.

Queuing is the once-only step: `queue()` inserts a row whose key (kind, subject, unit) is
unique, so a second tick, a restart or a second process queues nothing. Sending claims due
rows with a lease (pushing `next_attempt_at` forward), so two processes never send one row at
once and a process that dies mid-send leaves the row to be tried again when the lease ends.
A transient failure (a 4xx reply, a connection problem) is tried again later with a growing
wait; a 5xx reply, or too many tries, fails the row for good with the server's reason, and
`on_failed` tells someone (the composition root tells the province admins in chat).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.core.mail import MailSender
from bot.core.messages import Document
from bot.core.sending import SendError
from bot.services.people.reachable import Reachable, reachable
from bot.services.people.units import province_of
from storage.claims import insert_if_absent
from storage.models import MailMessage, MailStatus, Role, Unit, rows_changed

log = logging.getLogger(__name__)
NO_MAILBOX = "the unit has no mailbox any more"
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@dataclass(frozen=True)
class Letter:
    """What a feature wants mailed to a unit: its key in the ledger and the written message."""

    kind: str  # issue | digest | export
    subject_key: str  # the id, the ISO week, the period key
    subject: str
    body: str
    attachment: Document | None = None


@dataclass(frozen=True)
class FailedMail:
    """A mail that will not be sent: to which unit, what it was, and the server's reason."""

    id: int
    unit_id: int
    unit_name: str
    kind: str
    subject: str
    reason: str


@dataclass(frozen=True)
class MailConfig:
    lease: timedelta = timedelta(minutes=10)  # a claimed row is tried again after this if never recorded
    first_wait: timedelta = timedelta(minutes=5)  # after the first transient failure; doubles each time
    longest_wait: timedelta = timedelta(hours=6)
    max_attempts: int = 8
    batch: int = 50

    def wait_after(self, attempts: int) -> timedelta:
        return min(self.first_wait * 2 ** (attempts - 1), self.longest_wait)


async def queued_units(session: AsyncSession, kind: str, subject_keys: set[str]) -> set[tuple[str, int]]:
    """(subject key, unit id) of the mails of this kind already in the ledger: no need to write them."""
    if not subject_keys:
        return set()
    rows = await session.execute(
        select(MailMessage.subject_key, MailMessage.unit_id).where(
            MailMessage.kind == kind, MailMessage.subject_key.in_(subject_keys)
        )
    )
    return {(key, unit_id) for key, unit_id in rows.tuples().all()}


async def queue(session: AsyncSession, letter: Letter, unit: Unit, now: datetime) -> bool:
    """Put the letter in the unit's mailbox queue; False if it was queued before (or the unit has none)."""
    if not unit.email:
        return False
    return await insert_if_absent(
        session, MailMessage, kind=letter.kind, subject_key=letter.subject_key, unit_id=unit.id,
        address=unit.email, subject=letter.subject[:300], body=letter.body,
        attachment_name=letter.attachment.file_name if letter.attachment else None,
        attachment=letter.attachment.data if letter.attachment else None,
        status=MailStatus.PENDING, attempts=0, next_attempt_at=now, created_at=now,
    )


def build_message(row: MailMessage, mail_from: str) -> EmailMessage:
    """The e-mail as it is sent, the same on every try: one Message-ID, so a mail server or
    client that sees it twice (a crash after the server accepted it) can tell it is one mail."""
    domain = parseaddr(mail_from)[1].rpartition("@")[2] or "ketnoi.invalid"
    message = EmailMessage()
    message["From"] = mail_from
    message["To"] = row.address
    message["Subject"] = row.subject
    message["Date"] = format_datetime(row.created_at)
    message["Message-ID"] = f"<ketnoi.{row.kind}.{row.subject_key}.{row.unit_id}.{row.id}@{domain}>"
    message.set_content(row.body)
    if row.attachment is not None and row.attachment_name:
        message.add_attachment(row.attachment, maintype=XLSX[0], subtype=XLSX[1], filename=row.attachment_name)
    return message


class MailOutbox:
    """Sends what is due; the scheduler calls `send_due` after queuing."""

    def __init__(
        self,
        session_factory: async_sessionmaker[AsyncSession],
        sender: MailSender,
        clock: Callable[[], datetime],
        mail_from: str,
        *,
        on_failed: Callable[[FailedMail], Awaitable[None]] | None = None,
        config: MailConfig | None = None,
    ) -> None:
        self.session_factory = session_factory
        self.sender = sender
        self.clock = clock
        self.mail_from = mail_from
        self.on_failed = on_failed
        self.config = config or MailConfig()

    async def send_due(self) -> int:
        """Claim, send and record every due mail, a batch at a time; returns how many were sent."""
        sent = 0
        while True:
            claimed = await self._claim()
            if not claimed:
                return sent
            for row in claimed:
                sent += await self._send(row)

    async def _claim(self) -> list[MailMessage]:
        """Due rows, each leased to this process; a mail goes to the unit's mailbox as it is now
        (an address corrected after a refusal is used by `mail retry`), none if it was taken away."""
        now = self.clock()
        async with self.session_factory() as session, session.begin():
            candidates = (await session.execute(
                select(MailMessage, Unit.email).join(Unit, Unit.id == MailMessage.unit_id)
                .where(MailMessage.status == MailStatus.PENDING, MailMessage.next_attempt_at <= now)
                .order_by(MailMessage.next_attempt_at, MailMessage.id)
                .limit(self.config.batch)
            )).tuples().all()
            claimed = []
            for row, address in candidates:
                values: dict[str, object] = (
                    {"next_attempt_at": now + self.config.lease, "attempts": MailMessage.attempts + 1,
                     "address": address}
                    if address else {"status": MailStatus.FAILED, "last_error": NO_MAILBOX}
                )
                result = await session.execute(
                    update(MailMessage)
                    .where(MailMessage.id == row.id, MailMessage.status == MailStatus.PENDING,
                           MailMessage.next_attempt_at == row.next_attempt_at)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
                if rows_changed(result) == 1 and address:
                    row.attempts, row.address = row.attempts + 1, address
                    claimed.append(row)
            session.expunge_all()
        return claimed

    async def _send(self, row: MailMessage) -> int:
        try:
            await self.sender.send(build_message(row, self.mail_from))
        except SendError as exc:
            await self._failed(row, exc)
            return 0
        async with self.session_factory() as session, session.begin():
            await session.execute(
                update(MailMessage).where(MailMessage.id == row.id)
                .values(status=MailStatus.SENT, sent_at=self.clock(), last_error=None)
            )
        log.info("mail %s sent (%s %s to unit %s)", row.id, row.kind, row.subject_key, row.unit_id)
        return 1

    async def _failed(self, row: MailMessage, exc: SendError) -> None:
        """Try again later, or give up (a 5xx reply, or the last try) and say so."""
        for_good = not exc.retryable or row.attempts >= self.config.max_attempts
        values: dict[str, object] = {"last_error": exc.reason[:300]}
        if for_good:
            values["status"] = MailStatus.FAILED
        else:
            values["next_attempt_at"] = self.clock() + self.config.wait_after(row.attempts)
        async with self.session_factory() as session, session.begin():
            await session.execute(update(MailMessage).where(MailMessage.id == row.id).values(**values))
            unit_name = await session.scalar(select(Unit.name).where(Unit.id == row.unit_id)) or ""
        # The unit and the row name the mail; the address is not needed in the log to find it.
        log.warning("mail %s (%s %s to unit %s) %s after %s tries: %s", row.id, row.kind, row.subject_key,
                    row.unit_id, "failed" if for_good else "will be tried again", row.attempts, exc.reason)
        if for_good and self.on_failed is not None:
            failed = FailedMail(row.id, row.unit_id, unit_name, row.kind, row.subject, exc.reason)
            try:
                await self.on_failed(failed)
            except Exception:
                log.exception("telling about the failed mail %s failed", row.id)


async def failure_recipients(session: AsyncSession, unit_id: int) -> list[Reachable]:
    """Who is told that a unit's mail failed for good: the admins of its province."""
    unit = await session.get(Unit, unit_id)
    province = await province_of(session, unit) if unit is not None else None
    return await reachable(session, roles=(Role.PROVINCE_ADMIN,), unit_ids=[province.id] if province else [])


async def retry_failed(session: AsyncSession, now: datetime, unit_id: int | None = None) -> int:
    """Failed mails (of one unit, or all) go back to the queue, to be sent at the next tick to the
    unit's mailbox as it is then: after an operator corrected an address or the server's settings."""
    query = (
        update(MailMessage).where(MailMessage.status == MailStatus.FAILED)
        .values(status=MailStatus.PENDING, attempts=0, next_attempt_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    if unit_id is not None:
        query = query.where(MailMessage.unit_id == unit_id)
    return rows_changed(await session.execute(query))


@dataclass(frozen=True)
class FailedRow:
    """A failed mail as `python -m bot mail status` lists it (no address: the unit names the mailbox)."""

    created_at: datetime
    unit_code: str
    kind: str
    subject_key: str
    attempts: int
    reason: str


async def mail_status(session: AsyncSession, limit: int = 20) -> tuple[dict[str, int], list[FailedRow]]:
    """How many mails are pending, sent and failed, and the latest failed ones, newest first."""
    counts = dict((await session.execute(
        select(MailMessage.status, func.count()).group_by(MailMessage.status)
    )).tuples().all())
    failed = (await session.execute(
        select(MailMessage.created_at, Unit.code, MailMessage.kind, MailMessage.subject_key, MailMessage.attempts,
               MailMessage.last_error)
        .join(Unit, Unit.id == MailMessage.unit_id)
        .where(MailMessage.status == MailStatus.FAILED)
        .order_by(MailMessage.id.desc()).limit(limit)
    )).tuples().all()
    return counts, [FailedRow(*row[:5], reason=row[5] or "") for row in failed]
