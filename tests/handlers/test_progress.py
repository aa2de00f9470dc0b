"""/tiendo and /xuat for admins, after a commune has filed."""

from __future__ import annotations

import io

import openpyxl

from tests.handlers.test_reports import NOV_10
from tests.support import fill_report, open_report


async def file_november(officer, clock) -> None:
    clock.now = NOV_10
    await open_report(officer)
    await fill_report(officer, sessions="12")
    await officer.choose("Gửi báo cáo")


async def test_progress_shows_rates_totals_and_a_chart(officer, admin, clock):
    await file_november(officer, clock)
    await admin.send("/tiendo")
    labels = [c.label for c in admin.last.replies[0].choices]
    assert "Tháng 11/2026" in labels and "Quý IV/2026" in labels
    await admin.choose("Tháng 11/2026")
    text, chart = admin.last.replies
    assert "1/124" in text.text
    assert "12" in text.text  # the commune's 12 sessions in the totals
    assert chart.photo is not None and chart.photo.data.startswith(b"\x89PNG")


async def test_export_sends_an_excel_file_whose_totals_match(officer, admin, clock):
    await file_november(officer, clock)
    await admin.send("/xuat 2026-11")
    (reply,) = admin.last.replies
    assert reply.document is not None and reply.document.file_name == "bao-cao-86-2026-11.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(reply.document.data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    assert header[0] == "Mã đơn vị" and len(body) == 124
    column = header.index("Số buổi tuyên truyền")
    cell = lambda row: row[column] if len(row) > column else None  # noqa: E731 (empty cells are not stored)
    assert cell(totals) == sum(cell(row) or 0 for row in body) == 12


async def test_officers_cannot_see_progress_and_bad_periods_are_explained(officer, admin):
    await officer.send("/tiendo")
    assert "Lệnh /tiendo dành cho quản trị viên cấp tỉnh và quản trị viên đơn vị." in officer.text
    await admin.send("/xuat thang-muoi")
    assert "không phải là một kỳ báo cáo" in admin.text


async def test_deadlines_for_an_officer_and_for_the_province(officer, admin, clock):
    clock.now = NOV_10
    await officer.send("/hannop")
    assert "Hạn nộp báo cáo của Xã Cái Nhum:" in officer.text
    assert "- Tháng 10/2026: hạn 23:59 ngày 18/10/2026 – chưa làm (quá hạn 23 ngày)" in officer.text
    assert "- Tháng 11/2026: hạn 23:59 ngày 18/11/2026 – chưa làm (còn 8 ngày)" in officer.text
    await file_november(officer, clock)
    await officer.send("/hannop")
    assert "- Tháng 11/2026: hạn 23:59 ngày 18/11/2026 – đã gửi" in officer.text
    await admin.send("/hannop")
    assert "- Tháng 11/2026: hạn 23:59 ngày 18/11/2026 – đã nộp 1/124, chưa nộp 123" in admin.text
