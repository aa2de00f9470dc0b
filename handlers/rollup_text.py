"""The `/tiendo` message: a roll-up's figures in words (the feature computes, this writes).

Rates, totals, each sub-area's rate, and the units that need a reminder, capped at
`LIST_LIMIT` names so a province-wide view stays one readable message.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.forms import Form, all_forms, current_form
from bot.services.reporting.rollup import ATTENTION, ChildRow, ReportState, RollUp, Tally, number, percent
from handlers.report_texts import ROLLUP, STATE_NAMES

LIST_LIMIT = 30  # names listed in the chat text; the rest are counted ("… và N đơn vị khác")


def format_rollup(r: RollUp, tz_name: str, limit: int = LIST_LIMIT) -> str:
    """The `/tiendo` message: rates, totals, each sub-area's rate, and who needs a reminder."""
    blocks = [ROLLUP["title"].format(period=r.period.label, unit=r.unit_name)]
    if r.expected == 0:
        blocks[0] += "\n" + ROLLUP["none_expected"]
        return blocks[0]
    blocks[0] += "\n" + _summary_lines(r)
    blocks.append(_totals_block(r))
    with_subtree = [child for child in r.children if child.subtree is not None]
    if with_subtree:
        lines = [_child_rate_line(child) for child in with_subtree]
        blocks.append("\n".join([ROLLUP["by_child"], *_capped(lines, limit)]))
    blocks.append(_attention_block(r.children, tz_name, limit))
    if r.counts[ReportState.ON_TIME] == r.expected:
        blocks.append(ROLLUP["all_on_time"])
    return "\n\n".join(block for block in blocks if block)


def _summary_lines(r: RollUp) -> str:
    line = ROLLUP["submitted"].format(
        submitted=number(r.submitted), expected=number(r.expected), rate=percent(r.reporting_rate),
        on_time=number(r.counts[ReportState.ON_TIME]), late=number(r.counts[ReportState.LATE]),
        returned=number(r.counts[ReportState.RETURNED]), not_sent=number(r.not_submitted),
    )
    if r.counts[ReportState.DRAFT]:
        line += ROLLUP["drafts"].format(drafts=number(r.counts[ReportState.DRAFT]))
    return line + "\n" + ROLLUP["on_time_rate"].format(rate=percent(r.on_time_rate))


def _totals_block(r: RollUp) -> str:
    if not r.submitted:
        return ROLLUP["no_totals"]
    lines = [ROLLUP["totals"].format(count=number(r.submitted))]
    lines += [
        ROLLUP["total_line"].format(label=label, value=number(r.totals.get(key, 0)))
        for key, label in total_labels(r.totals, current_form())
    ]
    return "\n".join(lines)


def total_labels(totals: dict[str, int], form: Form) -> list[tuple[str, str]]:
    """(key, label) of every total: the current form's numbers in its order, then older forms' extras."""
    labelled = [(key, form.question(key).label) for key in form.summable_keys]
    known = set(form.summable_keys)
    for key in sorted(set(totals) - known):
        labelled.append((key, _old_label(key)))
    return labelled


def _old_label(key: str) -> str:
    """The label of a question that only an older form version has, marked with that version."""
    newest_first = sorted(all_forms().values(), key=lambda form: _version_key(form.version), reverse=True)
    for form in newest_first:
        for question in form.questions:
            if question.key == key:
                return ROLLUP["old_form"].format(label=question.label, version=form.version)
    return key


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _child_rate_line(child: ChildRow) -> str:
    tally = child.subtree or Tally()
    return ROLLUP["child_rate"].format(
        name=child.name, submitted=number(tally.submitted), expected=number(tally.expected),
        rate=percent(tally.reporting_rate), on_time=number(tally.counts[ReportState.ON_TIME]),
    )


def _attention_block(children: list[ChildRow], tz_name: str, limit: int) -> str:
    flagged = sorted(
        (child for child in children if child.state in ATTENTION),
        key=lambda child: ATTENTION.index(child.state),  # stable: name order within a state
    )
    if not flagged:
        return ""
    lines = [
        ROLLUP["attention_line"].format(name=child.name, state=_state_text(child, tz_name)) for child in flagged
    ]
    return "\n".join([ROLLUP["attention"], *_capped(lines, limit)])


def _state_text(child: ChildRow, tz_name: str) -> str:
    if child.state == ReportState.LATE and child.submitted_at is not None:
        local = child.submitted_at.astimezone(ZoneInfo(tz_name))
        return ROLLUP["late_at"].format(time=f"{local:%H:%M %d/%m/%Y}")
    return STATE_NAMES[child.state]


def _capped(lines: list[str], limit: int) -> list[str]:
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], ROLLUP["more"].format(count=len(lines) - limit)]
