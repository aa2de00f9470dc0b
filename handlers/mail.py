"""How the e-mails to units' mailboxes read, and the chat notice when one cannot be sent.

`broadcasts.mail` decides what is mailed to whom and hands over neutral notices; the composition
root gives it a `MailWording` so the words stay on the conversations floor, next to the chat's.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.formatting import local_time
from bot.core.messages import Outgoing
from bot.services.people.reachable import Reachable
from broadcasts.mail.outbox import FailedMail
from broadcasts.mail.produce import IssueMail, PeriodExport
from broadcasts.reminders.send import WeeklyDigest
from handlers import todo
from handlers.mail_texts import MAIL
from handlers.reminders import digest_text


@dataclass(frozen=True)
class MailWording:
    """Subjects and bodies in Vietnamese; times in the configured time zone."""

    tz_name: str

    def issue(self, notice: IssueMail) -> tuple[str, str]:
        subject = MAIL["issue_subject"].format(reference=notice.reference, unit=notice.unit_name)
        body = MAIL["issue_body"].format(
            reference=notice.reference, unit=notice.unit_name, category=notice.category,
            time=local_time(notice.created_at, self.tz_name), text=notice.text, todo=todo.COMMAND,
        )
        return subject, body + MAIL["signature"]

    def digest(self, notice: WeeklyDigest) -> tuple[str, str]:
        subject = MAIL["digest_subject"].format(week=notice.week, unit=notice.unit_name)
        return subject, MAIL["digest_body"].format(digest=digest_text(notice)) + MAIL["signature"]

    def export(self, notice: PeriodExport) -> tuple[str, str]:
        subject = MAIL["export_subject"].format(period=notice.period.label, unit=notice.unit_name)
        body = MAIL["export_body"].format(
            period=notice.period.label, deadline=local_time(notice.deadline, self.tz_name),
            rows=notice.rows, unit=notice.unit_name,
        )
        return subject, body + MAIL["signature"]

    @staticmethod
    def failed(person: Reachable, failed: FailedMail) -> Outgoing:
        """To a province admin: which unit's mail, what it was, and the server's reason."""
        text = MAIL["failed"].format(unit=failed.unit_name, what=MAIL.get(f"kind_{failed.kind}", failed.kind),
                                     reason=failed.reason)
        return Outgoing(text, chat_id=person.chat_id, platform=person.platform)
