"""How reminders, escalations and the weekly digest read.

`broadcasts.reminders.send` decides who is told what and hands over neutral notices; the
composition root gives it a `ReminderWording` so the words stay on the conversations floor.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.buttons import command_button
from bot.core.formatting import local_time
from bot.core.messages import Choice, Outgoing
from bot.services.people.reachable import Reachable
from bot.services.reporting.rollup import ReportState, RollUp, percent
from broadcasts.reminders.send import DeadlineReminder, Escalation, WeeklyDigest
from handlers.reminder_texts import REMINDER

NAMES_SHOWN = 30  # units listed in an escalation; the rest are counted
REPORT_COMMAND = "baocao"


@dataclass(frozen=True)
class ReminderWording:
    """Renders each notice for one account; deadlines in the configured time zone."""

    tz_name: str

    def remind(self, person: Reachable, notice: DeadlineReminder) -> Outgoing:
        """The officer's reminder, with a button that opens the period's report."""
        button = Choice(command_button(f"{REPORT_COMMAND} {notice.period.key}"), REMINDER["button"])
        return _to(person, self._remind_text(notice), (button,))

    def escalate(self, person: Reachable, notice: Escalation) -> Outgoing:
        shown = [f"- {name}" for name in notice.missing[:NAMES_SHOWN]]
        if len(notice.missing) > NAMES_SHOWN:
            shown.append(REMINDER["more"].format(count=len(notice.missing) - NAMES_SHOWN))
        text = REMINDER["escalate"].format(
            unit=notice.unit_name,
            period=notice.period.label,
            deadline=local_time(notice.deadline, self.tz_name),
            names="\n".join(shown),
        )
        return _to(person, text)

    def digest(self, person: Reachable, notice: WeeklyDigest) -> Outgoing:
        return _to(person, digest_text(notice))

    def _remind_text(self, notice: DeadlineReminder) -> str:
        common = {
            "period": notice.period.label,
            "unit": notice.unit_name,
            "deadline": local_time(notice.deadline, self.tz_name),
        }
        if notice.days_left is None:
            return REMINDER["overdue"].format(**common)
        if notice.days_left == 0:
            return REMINDER["today"].format(**common)
        return REMINDER["before"].format(days=notice.days_left, **common)


def digest_text(notice: WeeklyDigest) -> str:
    """Per open period: the province's rates, then each child unit with units below it."""
    lines = [REMINDER["digest_title"].format(week=notice.week, unit=notice.unit_name)]
    if not notice.rollups:
        lines.append(REMINDER["digest_none"])
    for result in notice.rollups:
        lines.append(_tally_line(result))
        with_subtree = [c for c in result.children if c.subtree is not None]
        if with_subtree:
            lines.append(REMINDER["digest_children"].format(period=result.period.label))
            lines += [
                REMINDER["digest_child"].format(name=c.name, reported=c.area.submitted, expected=c.area.expected)
                for c in with_subtree
            ]
    lines += [
        REMINDER["digest_heard"].format(count=notice.heard, negative=notice.negative),
        REMINDER["digest_issues"].format(count=notice.open_issues),
    ]
    return "\n".join(lines)


def _tally_line(result: RollUp) -> str:
    return REMINDER["digest_line"].format(
        period=result.period.label,
        reported=result.submitted,
        expected=result.expected,
        rate=percent(result.reporting_rate),
        on_time=result.counts[ReportState.ON_TIME],
        late=result.counts[ReportState.LATE],
        missing=result.not_submitted + result.counts[ReportState.RETURNED],
    )


def _to(person: Reachable, text: str, choices: tuple[Choice, ...] = ()) -> Outgoing:
    return Outgoing(text, choices=choices, chat_id=person.chat_id, platform=person.platform)
