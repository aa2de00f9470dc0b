"""Words say what happened, on Telegram and on Zalo (issue #12, items 4, 6 and 7): a command outside
one's role says whom it is for, typed or in plain words, and what the bot does not understand points
to /trogiup, never "/help" alone; anonymous feedback says it cannot be answered; a member's consent
does not speak of reports; report periods come in one fixed order with their deadlines."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.integration.conftest import ADMIN_ID, register

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)

MEMBER = 3006


async def test_a_member_hears_whom_a_command_is_for_and_where_help_is(
    platform, harness, start_app, seeded, session_factory, clock
):
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Phạm Văn Tư",
                   unit_code="29641", role="member")
    member = harness.person(MEMBER, "Phạm Văn Tư")
    await start_app()

    typed = await member.say("/dangtin")
    assert typed[-1]["text"].startswith("Lệnh /dangtin dành cho quản trị viên cấp tỉnh.")
    said = await member.say("đăng tin")
    assert said[-1]["text"].startswith("Lệnh /dangtin dành cho quản trị viên cấp tỉnh.")
    unknown = await member.say("xin chào")
    assert unknown[-1]["text"] == "Mình chưa hiểu ý bạn. Gõ /trogiup để xem các lệnh bạn dùng được."


async def test_anonymous_feedback_says_to_sender_and_admins_that_it_cannot_be_answered(
    platform, harness, start_app, seeded
):
    await start_app()
    stranger = harness.person(987_001, "Người Dân")
    admin = harness.person(ADMIN_ID)
    await stranger.say("/phananh")
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.say("cai nhum")
    await stranger.say("Đèn đường ấp Bình Hòa hư đã lâu.")
    await stranger.choose("Bỏ qua")
    thanks = await stranger.choose("Bỏ qua")  # no tone either
    assert "ý kiến này không thể được trả lời" in thanks[-1]["text"] and thanks[-1]["options"] == []

    notice = admin.new_messages()[-1]
    assert "Người gửi: ẩn danh (không thể trả lời)" in notice["text"]
    assert "Trả lời" not in notice["options"]  # only turning it into an urgent issue is offered


async def test_a_members_consent_speaks_of_news_and_feedback_not_reports(
    platform, harness, start_app, seeded
):
    await start_app()
    admin = harness.person(ADMIN_ID)
    await admin.say("/moi")
    await admin.choose("Hội viên, đoàn viên")
    code = CODE.search((await admin.say("Cái Nhum"))[0]["text"]).group(1)
    consent = await harness.person(987_002, "Võ Thị Mai").say(f"/start {code}")
    assert "vai trò hội viên, đoàn viên của Xã Cái Nhum" in consent[0]["text"]
    assert "báo cáo" not in consent[0]["text"]


async def test_report_periods_come_in_a_fixed_order_with_their_deadlines(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 12, 16, 2, 0, tzinfo=UTC)  # 09:00 on 16 December in Vietnam
    await register(session_factory, clock, platform=platform, n=3007, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    await start_app()
    offered = await harness.person(3007, "Trần Thị Bình").say("/baocao")
    assert offered[-1]["options"] == [
        "Tháng 11/2026 (hạn 18/11, quá hạn 28 ngày)",
        "Tháng 12/2026 (hạn 18/12, còn 2 ngày)",
        "Quý IV/2026 (hạn 18/12, còn 2 ngày)",
        "6 tháng cuối năm 2026 (hạn 18/12, còn 2 ngày)",
        "Năm 2026 (hạn 18/12, còn 2 ngày)",
    ]
