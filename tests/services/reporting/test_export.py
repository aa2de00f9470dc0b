"""The spreadsheet export on a real database, read back with openpyxl and with the csv module."""

from __future__ import annotations

import csv
import re
import threading
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from bot.core.periods import Period
from bot.services.people.units import get_unit_by_code
from bot.services.reporting import export as export_module
from bot.services.reporting.export import ExportSummary, export_reports, sheet_title
from bot.services.reporting.rollup import ReportState
from storage.models import ReportStatus
from tests.services.reporting.test_rollup import (
    FORM,
    PERIOD,
    answers_for,
    import_tra_vinh,
    import_vinh_long,
    make_report,
    seed_reports,
    units_below,
    use_old_form,
)

FIXED = ["Mã đơn vị", "Đơn vị", "Trực thuộc", "Trạng thái", "Thời gian nộp", "Phiên bản biểu mẫu"]
STATE_LABELS = {
    ReportState.ON_TIME: "Đúng hạn",
    ReportState.LATE: "Nộp muộn",
    ReportState.RETURNED: "Bị trả lại",
    ReportState.DRAFT: "Đang soạn",
    ReportState.MISSING: "Chưa nộp",
}
COUNTED_LABELS = ("Đúng hạn", "Nộp muộn")


async def run_export(session_factory, code: str, fmt: str, out: Path, period: Period = PERIOD) -> ExportSummary:
    async with session_factory() as session:
        unit = await get_unit_by_code(session, code)
        return await export_reports(session, unit, period, fmt, out)


def read_xlsx(path: Path) -> list[list[Any]]:
    book = load_workbook(path)
    return [list(row) for row in book.active.iter_rows(values_only=True)]


def read_csv(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def integer_columns(header: list[str]) -> list[int]:
    labels = {FORM.question(key).label for key in FORM.summable_keys}
    return [index for index, name in enumerate(header) if name in labels]


def assert_totals_are_sums(rows: list[list[Any]], as_number=lambda v: v) -> None:
    """The last row sums every integer column over the counted rows, and only those."""
    header, body, total = rows[0], rows[1:-1], rows[-1]
    assert total[0] == "Tổng cộng"
    counted = [row for row in body if row[3] in COUNTED_LABELS]
    assert total[3] == f"{len(counted)} báo cáo đã nộp"
    columns = integer_columns(header)
    assert len(columns) == len(FORM.summable_keys)
    for index in columns:
        assert as_number(total[index]) == sum(as_number(row[index]) for row in counted if row[index] not in (None, ""))


# --------------------------------------------------------------------------- xlsx


async def test_xlsx_one_row_per_unit_vietnamese_frozen_header_and_totals(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    out = tmp_path / "bao-cao.xlsx"
    summary = await run_export(session_factory, "86", "xlsx", out)

    assert summary == ExportSummary(rows=124, path=out)
    assert not list(tmp_path.glob("*.part"))
    book = load_workbook(out)
    sheet = book.active
    assert sheet.title == "Báo cáo tháng 10-2026"
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.b for cell in sheet[1])
    assert sheet.column_dimensions["B"].width == 30
    rows = read_xlsx(out)
    assert rows[0] == FIXED + [question.label for question in FORM.questions]
    assert len(rows) == 1 + 124 + 1
    assert [row[0] for row in rows[1:-1]] == [p.code for p in planned]  # path order
    assert [row[3] for row in rows[1:-1]] == [STATE_LABELS[p.state] for p in planned]
    assert {row[2] for row in rows[1:-1]} == {"Tỉnh Vĩnh Long"}
    assert_totals_are_sums(rows)


async def test_xlsx_cells_numbers_labels_photo_counts_and_local_time(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    planned = await seed_reports(session_factory, "86", now)
    out = tmp_path / "bao-cao.xlsx"
    await run_export(session_factory, "86", "xlsx", out)
    rows = read_xlsx(out)
    header = rows[0]
    column = {name: header.index(name) for name in header}

    first = rows[1]  # position 0 of the plan: submitted on time
    assert planned[0].state == ReportState.ON_TIME
    assert first[column["Số buổi tuyên truyền"]] == answers_for(0)["sessions"]
    assert isinstance(first[column["Số lượt người dự"]], int)
    assert first[column["Nội dung đã tuyên truyền"]] == "Nội dung khác"
    assert rows[2][column["Nội dung đã tuyên truyền"]] == (
        "Trọng tâm: Kết luận 21-KL/TW, xây dựng, chỉnh đốn Đảng; Trọng tâm: Bảo vệ nền tảng tư tưởng (Nghị quyết 35)"
    )
    assert first[column["Hình thức tuyên truyền"]] == "Hội nghị, họp dân; Nhóm Zalo"
    assert rows[3][column["Số ảnh kèm theo"]] == 2
    assert first[column["Phiên bản biểu mẫu"]] == FORM.version
    assert re.fullmatch(r"\d{2}/\d{2}/2026 \d{2}:\d{2}", first[column["Thời gian nộp"]])
    missing = rows[10]  # position 9 of the plan: no report
    assert missing[3] == "Chưa nộp"
    assert missing[4:] == [None] * (len(header) - 4)
    draft = rows[8]
    assert draft[3] == "Đang soạn" and draft[4] is None


async def test_xlsx_submission_time_is_local(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        unit = (await units_below(session, "86"))[0]
        report = make_report(unit, ReportStatus.SUBMITTED, False, answers_for(0), now)
        report.submitted_at = report.submitted_at.replace(year=2026, month=10, day=14, hour=18, minute=5)
        session.add(report)
        await session.commit()
    out = tmp_path / "t.xlsx"
    await run_export(session_factory, "86", "xlsx", out)
    assert read_xlsx(out)[1][4] == "15/10/2026 01:05"


# --------------------------------------------------------------------------- csv


async def test_csv_has_a_bom_and_the_same_rows_and_totals(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    await seed_reports(session_factory, "86", now)
    xlsx, csv_path = tmp_path / "a.xlsx", tmp_path / "a.csv"
    await run_export(session_factory, "86", "xlsx", xlsx)
    summary = await run_export(session_factory, "86", "csv", csv_path)

    assert summary.rows == 124
    assert csv_path.read_bytes().startswith(b"\xef\xbb\xbf")
    rows = read_csv(csv_path)
    as_text = [["" if value is None else str(value) for value in row] for row in read_xlsx(xlsx)]
    assert rows == as_text
    assert_totals_are_sums(rows, as_number=int)


# --------------------------------------------------------------------------- trees and versions


async def test_three_tiers_list_districts_with_their_communes_in_path_order(session_factory, now, tmp_path):
    await import_tra_vinh(session_factory, now)
    await seed_reports(session_factory, "84", now)
    out = tmp_path / "tv.xlsx"
    summary = await run_export(session_factory, "84", "xlsx", out)
    rows = read_xlsx(out)[1:-1]

    assert summary.rows == len(rows) == 113
    async with session_factory() as session:
        below = await units_below(session, "84")
        names = {unit.id: unit.name for unit in below} | {(await get_unit_by_code(session, "84")).id: "Tỉnh Trà Vinh"}
    assert [row[0] for row in rows] == [unit.code for unit in below]
    assert [row[2] for row in rows] == [names[unit.parent_id] for unit in below]
    assert rows[0][:3] == ["842", "Thành phố Trà Vinh", "Tỉnh Trà Vinh"]
    assert rows[1][2] == "Thành phố Trà Vinh"
    assert_totals_are_sums(read_xlsx(out))


async def test_a_report_on_an_older_form_version_is_placed_by_question_key(
    session_factory, now, tmp_path, monkeypatch
):
    use_old_form(monkeypatch)
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        first, second, third = (await units_below(session, "86"))[:3]
        old = {"sessions": 3, "meetings": 4, "topics": ["cu2"]}
        session.add_all([
            make_report(first, ReportStatus.ACCEPTED, False, old, now, version="2025.1"),
            make_report(second, ReportStatus.SUBMITTED, False, answers_for(1), now),
            make_report(third, ReportStatus.SUBMITTED, False, {"sessions": 2}, now, version="2024.9"),  # file gone
        ])
        await session.commit()
    for fmt in ("xlsx", "csv"):
        out = tmp_path / f"old.{fmt}"
        await run_export(session_factory, "86", fmt, out)
        rows = read_xlsx(out) if fmt == "xlsx" else [
            [int(v) if v.isdigit() else (v or None) for v in row] for row in read_csv(out)
        ]
        header = rows[0]
        assert header[-1] == "Số cuộc họp dân (mẫu 2025.1)"
        assert header[: len(FIXED) + len(FORM.questions)] == FIXED + [q.label for q in FORM.questions]
        first_row = rows[1]
        assert first_row[5] == "2025.1"
        assert first_row[header.index("Số buổi tuyên truyền")] == 3
        assert first_row[header.index("Nội dung đã tuyên truyền")] == "Chủ đề cũ hai"
        assert first_row[-1] == 4
        assert rows[3][header.index("Số buổi tuyên truyền")] == 2
        total = rows[-1]
        assert total[header.index("Số buổi tuyên truyền")] == 3 + answers_for(1)["sessions"] + 2
        assert total[-1] == 4


# --------------------------------------------------------------------------- safety


async def test_typed_formulas_stay_text(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    async with session_factory() as session:
        unit = (await units_below(session, "86"))[0]
        answers = {**answers_for(0), "sentiment": "=HYPERLINK(\"http://x\")", "difficulties": "+1\x0b ok"}
        session.add(make_report(unit, ReportStatus.SUBMITTED, False, answers, now))
        await session.commit()
    xlsx, csv_path = tmp_path / "f.xlsx", tmp_path / "f.csv"
    await run_export(session_factory, "86", "xlsx", xlsx)
    await run_export(session_factory, "86", "csv", csv_path)

    sheet = load_workbook(xlsx).active
    column = [cell.value for cell in sheet[1]].index("Tình hình tư tưởng, tâm tư, nguyện vọng") + 1
    cell = sheet.cell(row=2, column=column)
    assert (cell.value, cell.data_type) == ("=HYPERLINK(\"http://x\")", "s")
    assert sheet.cell(row=2, column=column + 1).value == "+1 ok"
    row = read_csv(csv_path)[1]
    assert row[column - 1] == "'=HYPERLINK(\"http://x\")"
    assert row[column] == "'+1\x0b ok"


async def test_files_are_written_in_a_worker_thread(session_factory, now, tmp_path, monkeypatch):
    await import_vinh_long(session_factory, now)
    await seed_reports(session_factory, "86", now)
    threads: set[int] = set()
    original = export_module._write_chunk

    def spy(*args):
        threads.add(threading.get_ident())
        original(*args)

    monkeypatch.setattr(export_module, "_write_chunk", spy)
    await run_export(session_factory, "86", "xlsx", tmp_path / "t.xlsx")
    assert threads
    assert threading.get_ident() not in threads


async def test_unknown_format_is_refused_before_writing(session_factory, now, tmp_path):
    await import_vinh_long(session_factory, now)
    folder = tmp_path / "out"
    folder.mkdir()
    with pytest.raises(ValueError, match="unknown export format"):
        await run_export(session_factory, "86", "pdf", folder / "x.pdf")
    assert list(folder.iterdir()) == []


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
async def test_a_failure_midway_leaves_no_file(session_factory, now, tmp_path, monkeypatch, fmt):
    await import_vinh_long(session_factory, now)
    folder = tmp_path / "out"
    folder.mkdir()

    def broken(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export_module, "_write_chunk", broken)
    with pytest.raises(OSError, match="No space left"):
        await run_export(session_factory, "86", fmt, folder / f"x.{fmt}")
    assert list(folder.iterdir()) == []


def test_sheet_titles_are_valid_for_excel():
    titles = [sheet_title(Period.parse(key)) for key in ("2026-10", "2026-Q4", "2026-H1", "2026")]
    assert titles == ["Báo cáo tháng 10-2026", "Báo cáo quý IV-2026", "Báo cáo 6 tháng đầu năm 2026", "Báo cáo năm 2026"]
    assert all(len(title) <= 31 and "/" not in title for title in titles)
