"""A period's reports of a subtree as a spreadsheet: one row per reporting unit, then the totals.

The province works in Excel, so the file must open there as-is: Vietnamese headers, numbers
as numbers, a frozen header row, CSV with a BOM. The whole country (3,321 rows) must neither
block the bot nor take much memory, so rows are read from the database in chunks on the
event loop and each chunk is converted and written in a worker thread; openpyxl's write-only
mode streams the rows to disk instead of building the sheet in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import csv
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql import ColumnElement, Select

from bot.core.forms import Form, Question, current_form, form_for
from bot.core.messages import Document
from bot.core.periods import Period, period_bounds
from bot.services.listening.feedback import load_config as load_feedback_config
from bot.services.listening.sentiment import items_in
from bot.services.reporting.rollup import ReportState, below, in_period, state_of
from storage.models import Report, Unit

Format = Literal["xlsx", "csv"]
FORMATS = ("xlsx", "csv")
CHUNK = 500  # rows fetched and written at a time

STATE_LABELS = {
    ReportState.ON_TIME: "Đúng hạn",
    ReportState.LATE: "Nộp muộn",
    ReportState.RETURNED: "Bị trả lại",
    ReportState.DRAFT: "Đang soạn",
    ReportState.MISSING: "Chưa nộp",
}
TEXTS = {
    "code": "Mã đơn vị",
    "name": "Đơn vị",
    "parent": "Trực thuộc",
    "state": "Trạng thái",
    "submitted_at": "Thời gian nộp",
    "version": "Phiên bản biểu mẫu",
    "total": "Tổng cộng",
    "counted": "{count} báo cáo đã nộp",
    "old_form": "{label} (mẫu {version})",
    "sheet": "Báo cáo {period}",
    "yes": "Có",
    "no": "Không",
}
FIXED = (("code", 12), ("name", 30), ("parent", 30), ("state", 12), ("submitted_at", 17), ("version", 10))
SENT = (ReportState.ON_TIME, ReportState.LATE, ReportState.RETURNED)  # states that have a sending time
COUNTED = (ReportState.ON_TIME, ReportState.LATE)


@dataclass(frozen=True)
class ExportSummary:
    rows: int  # reporting units written (the totals row not included)
    path: Path


@dataclass(frozen=True)
class Column:
    """One answer column: the current form's question, or one only an older version has."""

    question: Question
    header: str

    @property
    def summable(self) -> bool:
        return self.question.summable

    @property
    def width(self) -> float:
        if self.question.type == "text":
            return 45
        return min(30, max(10, len(self.header) * 0.6))


def answer_columns(current: Form, older: Sequence[Form]) -> list[Column]:
    """The current form's questions, then, by key, those only older versions have, newest first."""
    columns = [Column(question, question.label) for question in current.questions]
    seen = {question.key for question in current.questions}
    for form in older:
        for question in form.questions:
            if question.key not in seen:
                seen.add(question.key)
                header = TEXTS["old_form"].format(label=question.label, version=form.version)
                columns.append(Column(question, header))
    return columns


# --------------------------------------------------------------------------- cells


class _Sheet:
    """Turns database rows into cells and keeps the totals; used from one thread at a time."""

    def __init__(self, columns: list[Column], tz_name: str) -> None:
        self.columns = columns
        self.tz = ZoneInfo(tz_name)
        self.rows = 0
        self.counted = 0
        self.totals = [0] * len(columns)
        self._questions: dict[tuple[str, str], dict[str, Question]] = {}

    @property
    def headers(self) -> list[str]:
        return [TEXTS[key] for key, _ in FIXED] + [column.header for column in self.columns]

    @property
    def widths(self) -> list[float]:
        return [width for _, width in FIXED] + [column.width for column in self.columns]

    def cells(self, row: Sequence[Any]) -> list[Any]:
        code, name, parent, status, late, submitted_at, form_id, version, answers = row
        state = state_of(status, bool(late))
        self.rows += 1
        counted = state in COUNTED
        self.counted += counted
        when = self._local(submitted_at) if state in SENT and submitted_at else None
        cells: list[Any] = [code, name, parent, STATE_LABELS[state], when, version]
        questions = self._questions_of(form_id, version) if status is not None else {}
        for index, column in enumerate(self.columns):
            question = questions.get(column.question.key, column.question)
            value = _cell_value(question, (answers or {}).get(column.question.key))
            if counted and column.summable and _is_int(value):
                self.totals[index] += value
            cells.append(value)
        return cells

    def total_row(self) -> list[Any]:
        counted = TEXTS["counted"].format(count=self.counted)
        fixed: list[Any] = [TEXTS["total"], None, None, counted, None, None]
        sums = zip(self.columns, self.totals, strict=True)
        return fixed + [total if column.summable else None for column, total in sums]

    def _questions_of(self, form_id: str, version: str) -> dict[str, Question]:
        """The questions of the version a report was filled with: its types and option labels."""
        if (form_id, version) not in self._questions:
            self._questions[form_id, version] = {q.key: q for q in form_for(form_id, version).questions}
        return self._questions[form_id, version]

    def _local(self, moment: datetime) -> str:
        return f"{moment.astimezone(self.tz):%d/%m/%Y %H:%M}"


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _cell_value(question: Question, value: Any) -> Any:
    """An answer as a spreadsheet shows it: numbers stay numbers, choices become their labels."""
    if value is None:
        return None
    kind = question.type
    if kind == "integer":
        return value if _is_int(value) else str(value)
    if kind in ("multi_choice", "choice"):
        labels = {option.value: option.label for option in question.options}
        chosen = value if isinstance(value, list) else [value]
        return "; ".join(labels.get(str(item), str(item)) for item in chosen)
    if kind == "photos":
        return len(value) if isinstance(value, list) else value
    if kind == "yes_no" and isinstance(value, bool):
        return TEXTS["yes"] if value else TEXTS["no"]
    return value if isinstance(value, str | int | float) else str(value)


# --------------------------------------------------------------------------- files


class _XlsxSink:
    """openpyxl write-only: rows go to a temporary file as they come, not into memory."""

    def __init__(self, path: Path, title: str, headers: list[str], widths: list[float]) -> None:
        self.path = path
        self.book = Workbook(write_only=True)
        self.sheet = self.book.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"  # write-only mode: before the first row
        bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
        self.sheet.append([self._styled(header, bold, wrap) for header in headers])

    def write(self, rows: list[list[Any]]) -> None:
        for row in rows:
            self.sheet.append([self._safe(value) for value in row])

    def write_total(self, row: list[Any]) -> None:
        bold = Font(bold=True)
        self.sheet.append([self._styled(value, bold) if value is not None else None for value in row])

    def add_sheet(self, title: str, headers: list[str], widths: Sequence[float], rows: list[list[Any]]) -> None:
        """A further sheet (e.g. public sentiment), written after the reports."""
        self.sheet = self.book.create_sheet(title)
        for index, width in enumerate(widths, start=1):
            self.sheet.column_dimensions[get_column_letter(index)].width = width
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        self.sheet.append([self._styled(header, bold) for header in headers])
        self.write(rows)

    def close(self) -> None:
        self.book.save(self.path)

    def _styled(self, value: Any, font: Font, alignment: Alignment | None = None) -> Cell:
        cell = self._safe(value)
        if not isinstance(cell, Cell):
            cell = WriteOnlyCell(self.sheet, cell)
        cell.font = font
        if alignment is not None:
            cell.alignment = alignment
        return cell

    def _safe(self, value: Any) -> Any:
        """Text stays text: no formula from a typed '=...', no control character Excel rejects."""
        if not isinstance(value, str):
            return value
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
        if value.startswith("="):
            cell = WriteOnlyCell(self.sheet, value)
            cell.data_type = "s"
            return cell
        return value


class _CsvSink:
    """UTF-8 with a BOM, so Excel reads the Vietnamese correctly."""

    def __init__(self, path: Path, headers: list[str]) -> None:
        self.handle = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.handle)
        self.writer.writerow(headers)

    def write(self, rows: list[list[Any]]) -> None:
        self.writer.writerows([[self._safe(value) for value in row] for row in rows])

    def write_total(self, row: list[Any]) -> None:
        self.write([row])

    def close(self) -> None:
        self.handle.close()

    @staticmethod
    def _safe(value: Any) -> Any:
        """A typed answer that a spreadsheet would run as a formula is quoted (OWASP CSV injection)."""
        if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
            return "'" + value
        return "" if value is None else value


SENTIMENT_SHEET = "Dư luận"
SENTIMENT_HEADERS = ["Thời gian", "Đơn vị", "Nguồn", "Lĩnh vực", "Thái độ", "Nội dung"]
SENTIMENT_WIDTHS = [18, 28, 16, 30, 28, 80]


async def sentiment_rows(session: AsyncSession, unit: Unit, period: Period, tz_name: str) -> list[list[Any]]:
    """Feedback and observations of the period in the subtree (no sender, ever)."""
    start, end = period_bounds(period, tz_name)
    items = await items_in(session, unit, start, end)
    item_units = {i.unit_id for i in items}
    names: dict[int, str] = dict(
        (await session.execute(select(Unit.id, Unit.name).where(Unit.id.in_(item_units)))).tuples().all()
    )
    config = load_feedback_config()
    tz = ZoneInfo(tz_name)
    return [
        [
            item.created_at.astimezone(tz).strftime("%d/%m/%Y %H:%M"),
            names.get(item.unit_id, ""),
            "Cán bộ ghi nhận" if item.kind == "observation" else "Ý kiến gửi về",
            config.category_label(item.category),
            config.tone_label(item.tone),
            item.text,
        ]
        for item in reversed(items)
    ]


def _open_sink(fmt: Format, path: Path, title: str, sheet: _Sheet) -> _XlsxSink | _CsvSink:
    if fmt == "xlsx":
        return _XlsxSink(path, title, sheet.headers, sheet.widths)
    return _CsvSink(path, sheet.headers)


def _write_chunk(sink: _XlsxSink | _CsvSink, sheet: _Sheet, chunk: Sequence[Sequence[Any]]) -> None:
    sink.write([sheet.cells(row) for row in chunk])


def _finish(sink: _XlsxSink | _CsvSink, sheet: _Sheet, extra: list[list[Any]] | None = None) -> None:
    """The totals row, then (XLSX only) the sentiment sheet, then the file is saved."""
    sink.write_total(sheet.total_row())
    if isinstance(sink, _XlsxSink) and extra is not None:
        sink.add_sheet(SENTIMENT_SHEET, SENTIMENT_HEADERS, SENTIMENT_WIDTHS, extra)
    sink.close()


def _discard(sink: _XlsxSink | _CsvSink | None, part: Path) -> None:
    """After a failure: close the file (openpyxl then drops its temporary one) and remove it."""
    if sink is not None:
        with contextlib.suppress(Exception):  # the original error is the one worth raising
            sink.close()
    part.unlink(missing_ok=True)


def sheet_title(period: Period) -> str:
    """'Báo cáo tháng 10-2026': Excel forbids '/' in sheet names and allows 31 characters."""
    label = period.label[0].lower() + period.label[1:]
    return TEXTS["sheet"].format(period=label).replace("/", "-")[:31]


# --------------------------------------------------------------------------- queries


def _rows_query(session: AsyncSession, unit: Unit, period: Period) -> Select:
    """Every unit below `unit` in path order, its parent's name, and its report if it has one."""
    parent = aliased(Unit)
    joined = and_(Report.unit_id == Unit.id, in_period(period))
    return (
        select(
            Unit.code, Unit.name, parent.name, Report.status, Report.late, Report.submitted_at,
            Report.form_id, Report.form_version, Report.answers,
        )
        .join(parent, parent.id == Unit.parent_id)
        .outerjoin(Report, joined)
        .where(below(unit))
        .order_by(_path_order(session))
        .execution_options(yield_per=CHUNK)
    )


def _path_order(session: AsyncSession) -> ColumnElement[str] | InstrumentedAttribute[str]:
    """Byte order of paths, so a parent comes right before its subtree on both backends.

    PostgreSQL's linguistic collations skip the '/' separators when comparing; "C" does not.
    """
    if session.get_bind().dialect.name == "postgresql":
        return Unit.path.collate("C")
    return Unit.path


async def _older_forms(session: AsyncSession, unit: Unit, period: Period, current: Form) -> list[Form]:
    """The other form versions the period's reports were filled with, newest first."""
    result = await session.execute(
        select(Report.form_id, Report.form_version)
        .join(Unit, Unit.id == Report.unit_id)
        .where(below(unit), in_period(period))
        .distinct()
    )
    forms = {form_for(form_id, version) for form_id, version in result}
    forms.discard(current)
    return sorted(forms, key=lambda form: _version_key(form.version), reverse=True)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


# --------------------------------------------------------------------------- entry point


async def export_reports(
    session: AsyncSession,
    unit: Unit,
    period: Period,
    fmt: Format,
    out: Path,
    tz_name: str = "Asia/Ho_Chi_Minh",
) -> ExportSummary:
    """Write the period's reports of the units below `unit` to `out` (written whole or not at all)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")
    current = current_form()
    sheet = _Sheet(answer_columns(current, await _older_forms(session, unit, period, current)), tz_name)
    part = out.with_name(out.name + ".part")
    sink = None
    try:
        sink = await asyncio.to_thread(_open_sink, fmt, part, sheet_title(period), sheet)
        result = await session.stream(_rows_query(session, unit, period))
        async for chunk in result.partitions():
            await asyncio.to_thread(_write_chunk, sink, sheet, chunk)
        mood = await sentiment_rows(session, unit, period, tz_name) if fmt == "xlsx" else None
        await asyncio.to_thread(_finish, sink, sheet, mood)
        await asyncio.to_thread(part.replace, out)
    except BaseException:
        await asyncio.shield(asyncio.to_thread(_discard, sink, part))
        raise
    return ExportSummary(rows=sheet.rows, path=out)


async def workbook(session: AsyncSession, unit: Unit, period: Period, tz_name: str) -> tuple[Document, int]:
    """The period's Excel file of the units below `unit`, named as /xuat sends it and the web
    console downloads it, and how many units it lists."""
    file_name = f"bao-cao-{unit.code}-{period.key}.xlsx"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file_name
        summary = await export_reports(session, unit, period, "xlsx", path, tz_name)
        data = await asyncio.to_thread(path.read_bytes)
    return Document(data, file_name), summary.rows
