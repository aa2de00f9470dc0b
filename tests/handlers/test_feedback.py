"""Feedback, officers' observations, urgent issues and the sentiment summary."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from bot.logs import NOISY, quiet_noisy_loggers
from bot.services.listening.feedback import SenderLimit
from bot.services.listening.issue_alerts import IssueAlerts
from bot.services.people import units
from handlers.feedback import FeedbackDeps, issue_realert
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Feedback, UrgentIssue
from tests.conftest import TRA_VINH_CSV
from tests.handlers.conftest import prefer_a_zalo_account, register_person
from tests.support import ChatUser, fill_report

STRANGER = "987654321"


async def send_feedback(person: ChatUser, *, mode: str, text_: str, place: str | None = "cai nhum",
                        category: str = "Môi trường", tone: str = "Bỏ qua") -> None:
    await person.send("/phananh")
    await person.choose(mode)
    await person.choose(category)
    if place is not None:
        await person.send(place)
    await person.send(text_)
    await person.choose("Bỏ qua")
    await person.choose(tone)


async def every_value_in_the_database(engine) -> list[str]:
    async with engine.connect() as conn:
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        values = []
        for table in tables:
            for row in (await conn.execute(text(f'SELECT * FROM "{table}"'))).all():
                values += [str(v) for v in row]
    return values


@pytest.fixture
def service_logging(caplog):
    """The service's logging set-up at DEBUG, undone afterwards so other tests see every logger."""
    caplog.set_level(logging.DEBUG)
    quiet_noisy_loggers()
    yield caplog
    for name in NOISY:
        logging.getLogger(name).setLevel(logging.NOTSET)


async def test_anonymous_feedback_leaves_no_identity_anywhere(dispatcher, engine, admin, service_logging):
    caplog = service_logging
    stranger = ChatUser(dispatcher, STRANGER)
    await stranger.send("/phananh")
    assert "Gửi ẩn danh" in stranger.text and "Nghị định" not in stranger.text
    assert [c.label for c in stranger.last.replies[0].choices] == ["Gửi ẩn danh", "Không gửi"]  # not registered
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.send("cai nhum")
    await stranger.send("Kênh nội đồng bị ô nhiễm, cá chết nhiều.")
    await stranger.choose("Bỏ qua")
    await stranger.choose("Tiêu cực (lo lắng, bức xúc)")
    assert "ghi nhận ẩn danh với số tham chiếu PA-" in stranger.text
    (notice,) = stranger.last.notices
    assert notice.chat_id == "100" and "Người gửi: ẩn danh" in notice.text

    values = await every_value_in_the_database(engine)
    assert not any(STRANGER in value for value in values)
    assert STRANGER not in caplog.text
    async with engine.connect() as conn:
        row = (await conn.execute(select(Feedback.person_id, Feedback.tone, Feedback.category))).one()
    assert row == (None, "negative", "moitruong")


async def test_named_feedback_uses_the_persons_unit_and_can_become_an_urgent_issue(officer, admin, session_factory):
    await send_feedback(officer, mode="Gửi có tên", text_="Đường liên ấp sạt lở", place=None)
    assert "ghi nhận với số tham chiếu" in officer.text
    (notice,) = officer.last.notices
    assert "Người gửi: Trần Thị Bình – Xã Cái Nhum" in notice.text
    to_urgent = next(c for c in notice.choices if c.label == "Chuyển thành vụ việc khẩn")
    await admin.send(choice=to_urgent.value)
    await admin.choose("Gửi ngay")
    assert "Đã gửi vụ việc khẩn KC-" in admin.text
    async with session_factory() as session:
        item = (await session.execute(select(Feedback))).scalar_one()
        issue = (await session.execute(select(UrgentIssue))).scalar_one()
    assert item.person_id is not None and item.status == "escalated"
    assert issue.feedback_id == item.id and "Đường liên ấp sạt lở" in issue.text


async def test_urgent_issue_alerts_exactly_the_right_admins_and_again_until_acknowledged(
    officer, admin, session_factory, clock, dispatcher
):
    await register_person(session_factory, clock, "101", "Trần Văn Hai", "86", "province_admin")
    await register_person(session_factory, clock, "102", "Admin xã khác", "29653", "unit_admin")
    await register_person(session_factory, clock, "103", "Admin xã mình", "29641", "unit_admin")
    await officer.send("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.send("Lốc xoáy làm tốc mái 12 nhà ở ấp 3, chưa có thương vong.")
    await officer.choose("Gửi ngay")
    alerted = sorted(n.chat_id for n in officer.last.notices)
    assert alerted == ["100", "101"]  # the province's admins (the commune's parent); not other communes
    assert all("VỤ VIỆC KHẨN" in n.text for n in officer.last.notices)

    sent = []

    async def notify(message):
        sent.append(message)

    alerts = IssueAlerts(session_factory, notify, clock, timedelta(minutes=120), render=issue_realert)
    clock.advance(minutes=119)
    assert await alerts.tick() == 0
    clock.advance(minutes=2)
    assert await alerts.tick() == 2 and await alerts.tick() == 0  # once per window
    assert "NHẮC LẠI (lần 2)" in sent[0].text

    ack = next(c.value for c in officer.last.notices[0].choices if c.label == "Đã tiếp nhận")
    await admin.send(choice=ack)
    assert "bạn tiếp nhận vụ việc KC-" in admin.text
    (to_officer,) = admin.last.notices
    assert to_officer.chat_id == "300" and "đã được Nguyễn Văn An tiếp nhận" in to_officer.text
    clock.advance(hours=5)
    assert await alerts.tick() == 0  # acknowledged: no more alerts

    reply = next(c.value for c in officer.last.notices[0].choices if c.label == "Trả lời")
    await admin.send(choice=reply)
    await admin.send("Huyện đã cử đoàn hỗ trợ, xã báo cáo tiếp số hộ cần giúp.")
    assert "Trả lời về vụ việc khẩn" in admin.last.notices[0].text
    await officer.send(choice=ack)
    assert "không có quyền" in officer.text  # officers cannot handle tickets


async def test_feedback_is_limited_per_person_per_hour(session_factory, clock, admin):
    limit = SenderLimit(5)
    dispatcher = build_dispatcher(session_factory, HandlerConfig(), clock, FeedbackDeps(limit))
    person = ChatUser(dispatcher, "555")
    for n in range(5):
        await send_feedback(person, mode="Gửi ẩn danh", text_=f"Ý kiến số {n}")
        assert "Cảm ơn bạn" in person.text
    await person.send("/phananh")
    assert "đã gửi 5 ý kiến trong một giờ qua" in person.text
    clock.advance(minutes=61)
    await send_feedback(person, mode="Gửi ẩn danh", text_="Ý kiến sau một giờ")
    assert "Cảm ơn bạn" in person.text


async def test_markup_in_feedback_reaches_admins_as_plain_text(admin, dispatcher):
    person = ChatUser(dispatcher, "556")
    raw = "<b>Khẩn</b> *đường* [bấm](http://x.vn) <script>alert(1)</script>"
    await send_feedback(person, mode="Gửi ẩn danh", text_=raw)
    assert raw in person.last.notices[0].text


@pytest.mark.parametrize("empty", [{"text": None}, {"text": "   "}])
async def test_a_sticker_or_empty_message_gets_a_helpful_answer(dispatcher, admin, empty):
    person = ChatUser(dispatcher, "557")
    await person.send("/phananh")
    await person.choose("Gửi ẩn danh")
    await person.choose("Y tế")
    await person.send("cai nhum")
    await person.send(**empty)
    assert "nội dung ý kiến" in person.text
    assert "cần bạn gõ chữ" in person.text or "chưa nhập nội dung" in person.text


async def test_sentiment_summary_matches_what_was_stored(officer, admin, dispatcher, clock):
    for n, category in enumerate(["Môi trường", "Môi trường", "Y tế"]):
        await send_feedback(ChatUser(dispatcher, f"60{n}"), mode="Gửi ẩn danh", text_=f"Ý kiến {n}",
                            category=category)
    await officer.send("/ghinhan")
    await officer.choose("Giá cả")
    await officer.choose("Tiêu cực (lo lắng, bức xúc)")
    await officer.send("Giá phân bón tăng, bà con lo lắng.")
    await officer.send("200")
    assert "Đã ghi nhận tình hình dư luận tại Xã Cái Nhum" in officer.text
    await admin.send("/duluan")
    summary = admin.text
    assert "Tổng số ý kiến, ghi nhận: 4 (kỳ trước: 0" in summary
    assert "- Môi trường: 2" in summary and "- Y tế: 1" in summary and "- Giá cả: 1" in summary
    assert "- Xã Cái Nhum: 4" in summary
    assert "Giá phân bón tăng" in summary


async def test_observations_pre_fill_the_mood_question_of_the_monthly_report(officer, session_factory):
    await officer.send("/ghinhan")
    await officer.choose("Đất đai")
    await officer.choose("Trung lập")
    await officer.send("Bà con quan tâm việc cấp sổ đỏ.")
    await officer.send("30")
    await officer.send("/baocao")
    await fill_report(officer, questions=7)
    assert "Câu 8/10" in officer.text and "Hiện tại: Bà con quan tâm việc cấp sổ đỏ." in officer.text
    await officer.choose("Giữ nguyên: Bà con quan tâm việc cấp sổ đỏ.")
    assert "Câu 9/10" in officer.text


async def test_the_excel_export_has_a_sentiment_sheet(officer, admin, dispatcher, clock):
    import io

    import openpyxl

    await send_feedback(ChatUser(dispatcher, "700"), mode="Gửi ẩn danh", text_="Nước sinh hoạt bị đục")
    await admin.send(f"/xuat {clock.now:%Y-%m}")
    book = openpyxl.load_workbook(io.BytesIO(admin.last.replies[0].document.data), read_only=True)
    assert book.sheetnames[1] == "Dư luận"
    rows = list(book["Dư luận"].iter_rows(values_only=True))
    assert rows[0] == ("Thời gian", "Đơn vị", "Nguồn", "Lĩnh vực", "Thái độ", "Nội dung")
    assert rows[1][1:] == ("Xã Cái Nhum", "Ý kiến gửi về", "Môi trường", "—", "Nước sinh hoạt bị đục")


async def test_an_admin_with_two_accounts_is_re_alerted_once_on_the_one_they_chose(
    officer, admin, session_factory, clock
):
    await prefer_a_zalo_account(session_factory, clock, "100")
    await officer.send("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.send("Lốc xoáy làm tốc mái 12 nhà ở ấp 3, chưa có thương vong.")
    await officer.choose("Gửi ngay")
    assert [(n.platform, n.chat_id) for n in officer.last.notices] == [("zalo", "z100")]

    sent = []

    async def notify(message):
        sent.append(message)

    alerts = IssueAlerts(session_factory, notify, clock, timedelta(minutes=120), render=issue_realert)
    clock.advance(minutes=121)
    assert await alerts.tick() == 1
    assert (sent[0].platform, sent[0].chat_id) == ("zalo", "z100") and "NHẮC LẠI (lần 2)" in sent[0].text


async def test_the_place_recorded_is_said_back_before_the_text_and_in_the_thanks(dispatcher, admin):
    stranger = ChatUser(dispatcher, STRANGER)
    await stranger.send("/phananh")
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.send("29653")  # a code: which commune is that?
    assert "Nơi xảy ra: Xã Tân Long Hội." in stranger.text and "viết nội dung ý kiến" in stranger.text
    await stranger.send("/quaylai")  # not the right one: choose again
    await stranger.send("cai nhum")
    assert "Nơi xảy ra: Xã Cái Nhum." in stranger.text
    await stranger.send("Kênh nội đồng bị ô nhiễm.")
    await stranger.choose("Bỏ qua")
    await stranger.choose("Bỏ qua")
    assert "Ý kiến về việc tại Xã Cái Nhum đã được ghi nhận ẩn danh với số tham chiếu PA-" in stranger.text


async def test_a_commune_under_a_district_is_named_with_its_district(dispatcher, session_factory, clock):
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_csv(TRA_VINH_CSV), now=clock())
    stranger = ChatUser(dispatcher, STRANGER)
    await send_feedback(stranger, mode="Gửi ẩn danh", text_="Đường vào ấp bị sạt lở.", place="29269")
    assert "Ý kiến về việc tại Xã Mỹ Cẩm, huyện Càng Long đã được ghi nhận" in stranger.text


async def test_a_too_short_text_is_told_how_many_characters_are_needed_and_nothing_is_not(dispatcher, admin):
    stranger = ChatUser(dispatcher, STRANGER)
    await stranger.send("/phananh")
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.send("cai nhum")
    await stranger.send("ok")  # the text needs 3 characters
    assert stranger.text.startswith("Nội dung quá ngắn: cần ít nhất 3 ký tự. Bạn vui lòng gõ lại.")
    assert "chưa nhập" not in stranger.text and "viết nội dung ý kiến" in stranger.text
    await stranger.send("   ")
    assert stranger.text.startswith("Bạn chưa nhập nội dung.")
    await stranger.send("Cống bị tắc.")
    assert "Gửi ảnh kèm theo" in stranger.text
