"""Reports seen end to end: a quarter pre-filled from its months and bad input (both platforms),
the province's progress view as a phone shows it (both platforms), and the Excel export as
received over Telegram."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import aiohttp
import openpyxl
from PIL import Image

from bot.core.periods import Period, Schedule
from bot.services.people import units
from bot.services.reporting import reports
from storage.models import Role
from tests.integration.conftest import ADMIN_ID, register
from tests.services.reporting.test_rollup import seed_reports

OFFICER, MEMBER = 3003, 3004
ANSWERS = {"attendance": 100, "posts": 2, "supervisions": 1, "criticisms": 0, "topics": ["kl21"],
           "channels": ["hop"], "sentiment": "Ổn định", "difficulties": None, "photos": []}


async def file_month(session_factory, key: str, sessions: int, now: datetime) -> None:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "29641")
        report = await reports.get_or_create(session, unit, Period.parse(key), Schedule.load(), now)
        report.answers = {**ANSWERS, "sessions": sessions}
        await reports.submit(session, report, actor_id=None, now=now)


async def test_a_quarter_starts_from_its_months_and_bad_input_is_explained(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 12, 6, 2, 0, tzinfo=UTC)
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Phạm Văn Tư",
                   unit_code="29641", role=Role.MEMBER)
    for key, sessions in (("2026-10", 3), ("2026-11", 4), ("2026-12", 5)):
        await file_month(session_factory, key, sessions, clock.now)
    officer, member = harness.person(OFFICER, "Trần Thị Bình"), harness.person(MEMBER, "Phạm Văn Tư")
    await start_app()

    refused = await member.say("/baocao")
    assert "Lệnh /baocao dành cho quản trị viên đơn vị và cán bộ." in refused[-1]["text"]
    closed = await officer.say("/baocao 2025-01")
    assert "Kỳ Tháng 1/2025 hiện không mở" in closed[-1]["text"]

    await officer.say("/baocao")
    started = await officer.choose(next(o for o in officer.options() if o.startswith("Quý IV/2026")))
    assert "cộng sẵn từ 3 báo cáo tháng" in started[-1]["text"] and "Hiện tại: 12" in started[-1]["text"]
    for bad, answer in (("mười hai", "không phải là một số"), ("-1", "Số phải từ 0 trở lên"),
                        ("99999", "không được lớn hơn 10.000"), ("1,5", "Câu này cần một số nguyên")):
        reply = await officer.say(bad)
        assert answer in reply[-1]["text"] and "Câu 1/10" in reply[-1]["text"]
    following = await officer.choose("Giữ nguyên: 12")
    assert "Câu 2/10" in following[-1]["text"] and "Hiện tại: 300" in following[-1]["text"]
    await officer.choose("Giữ nguyên: 300")
    wrong = await officer.say("Chủ đề không có")
    assert "không có trong danh sách" in wrong[-1]["text"]
    async with session_factory() as session:
        quarter = await reports.find(session, await units.get_unit_by_code(session, "29641"),
                                     Period.parse("2026-Q4"))
    assert quarter.answers == {"sessions": 12, "attendance": 300}  # kept through every refusal


async def test_progress_and_export_as_the_province_receives_them(
    emulator, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    await file_month(session_factory, "2026-11", 7, datetime(2026, 11, 10, tzinfo=UTC))
    await start_app()

    await emulator.send_text(ADMIN_ID, "/tiendo 2026-11")
    text, chart = emulator.messages(ADMIN_ID)[-2:]
    assert "1/124" in text["text"] and chart["photo"] is not None
    assert emulator.file_bytes(chart["photo"]).startswith(b"\x89PNG")
    assert emulator.file_name(chart["photo"]) == "tien-do.png"  # not "application.octet-stream"

    await emulator.send_text(ADMIN_ID, "/xuat 2026-11")
    document = emulator.messages(ADMIN_ID)[-1]["document"]
    assert document["file_name"] == "bao-cao-86-2026-11.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(emulator.file_bytes(document["file_id"])), read_only=True).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    header, body, totals = rows[0], rows[1:-1], rows[-1]
    column = header.index("Số buổi tuyên truyền")
    cell = lambda row: row[column] if len(row) > column else None  # noqa: E731 (empty trailing cells)
    assert len(body) == 124 and cell(totals) == sum(cell(r) or 0 for r in body) == 7
    status = header.index("Trạng thái")
    assert sum(1 for r in body if len(r) > status and r[status] == "Đúng hạn") == 1


async def photo_bytes(harness, photo: str) -> bytes:
    """The picture as the person's phone gets it: Telegram's upload, or the URL Zalo fetches."""
    if harness.platform == "telegram":
        return harness.telegram.file_bytes(photo)
    async with aiohttp.ClientSession() as http, http.get(photo) as response:
        assert response.status == 200
        return await response.read()


async def test_progress_fits_a_phone_screen(platform, harness, start_app, seeded, session_factory, clock):
    clock.now = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)
    planned = await seed_reports(session_factory, "86", clock.now)  # 124 communes, 60 of them to chase
    await start_app()
    admin = harness.person(ADMIN_ID)

    text, chart = await admin.say("/tiendo 2026-10")
    assert text["text"].startswith("📊 Tiến độ báo cáo Tháng 10/2026 – Tỉnh Vĩnh Long\nĐã nộp: 88/124")
    assert "Cần nhắc 60 đơn vị:\n• Chưa nộp (12): " in text["text"]
    assert "Danh sách đầy đủ: gõ /xuat 2026-10 để nhận tệp Excel." in text["text"]
    names = {p.name for p in planned if p.name in text["text"]}
    assert len(names) <= 20 and len(text["text"]) < 1200
    with Image.open(io.BytesIO(await photo_bytes(harness, chart["photo"]))) as image:
        assert image.format == "PNG" and image.width <= 800 and image.height <= 1000
