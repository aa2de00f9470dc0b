"""The `/tiendo` message: a roll-up's figures in words (the feature computes, this writes).

Read on a phone, so short: the summary first, each sub-area's rate (at most `LIST_LIMIT`,
the lowest first when there are more), then the units that need a reminder grouped by
state, at most `GROUP_LIMIT` names a group, pointing to `/xuat` for the full list; the
summed answers last.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.core.forms import Form, all_forms, current_form
from bot.services.reporting.rollup import ATTENTION, ChildRow, ReportState, RollUp, Tally, number, percent
from handlers.report_texts import ROLLUP, STATE_NAMES

LIST_LIMIT = 10  # sub-areas listed; the rest are counted ("… và N đơn vị khác")
GROUP_LIMIT = 5  # names per state in the units to chase; the rest are counted, the full list is /xuat


def format_rollup(r: RollUp, tz_name: str, limit: int = LIST_LIMIT) -> str:
    """The `/tiendo` message: rates, totals, each sub-area's rate, and who needs a reminder."""
    blocks = [ROLLUP["title"].format(period=r.period.label, unit=r.unit_name)]
    if r.expected == 0:
        blocks[0] += "\n" + ROLLUP["none_expected"]
        return blocks[0]
    blocks[0] += "\n" + _summary_lines(r)
    blocks.append(_by_child_block(r.children, limit))
    blocks.append(_attention_block(r, tz_name))
    blocks.append(_totals_block(r))
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


def _by_child_block(children: list[ChildRow], limit: int) -> str:
    """Each sub-area's rate in the roll-up's order, or the `limit` lowest when there are more."""
    with_subtree = [child for child in children if child.subtree is not None]
    if not with_subtree:
        return ""
    if len(with_subtree) > limit:
        shown = sorted(with_subtree, key=lambda child: (child.subtree or Tally()).reporting_rate)[:limit]
        lines = [ROLLUP["by_child_worst"].format(shown=limit, count=len(with_subtree))]
        lines += [_child_rate_line(child) for child in shown]
        return "\n".join([*lines, ROLLUP["more"].format(count=len(with_subtree) - limit)])
    return "\n".join([ROLLUP["by_child"], *(_child_rate_line(child) for child in with_subtree)])


def _child_rate_line(child: ChildRow) -> str:
    tally = child.subtree or Tally()
    return ROLLUP["child_rate"].format(
        name=child.name, submitted=number(tally.submitted), expected=number(tally.expected),
        rate=percent(tally.reporting_rate), on_time=number(tally.counts[ReportState.ON_TIME]),
    )


def _attention_block(r: RollUp, tz_name: str) -> str:
    """Who to chase, one line per state (missing first), a few names each; `/xuat` lists them all."""
    groups = [[child for child in r.children if child.state == state] for state in ATTENTION]
    groups = [group for group in groups if group]
    if not groups:
        return ""
    lines = [ROLLUP["attention"].format(count=number(sum(len(group) for group in groups)))]
    lines += [_group_line(group, tz_name) for group in groups]
    if any(len(group) > GROUP_LIMIT for group in groups):
        lines.append(ROLLUP["full_list"].format(period=r.period.key))
    return "\n".join(lines)


def _group_line(group: list[ChildRow], tz_name: str) -> str:
    names = ", ".join(_name(child, tz_name) for child in group[:GROUP_LIMIT])
    if len(group) > GROUP_LIMIT:
        names = ROLLUP["more_names"].format(names=names, count=number(len(group) - GROUP_LIMIT))
    state = STATE_NAMES[group[0].state]
    return ROLLUP["attention_group"].format(state=state[:1].upper() + state[1:], count=number(len(group)),
                                            names=names)


def _name(child: ChildRow, tz_name: str) -> str:
    """A unit's name; a late one with when it came in."""
    if child.state == ReportState.LATE and child.submitted_at is not None:
        local = child.submitted_at.astimezone(ZoneInfo(tz_name))
        return ROLLUP["late_name"].format(name=child.name, time=f"{local:%H:%M %d/%m}")
    return child.name
