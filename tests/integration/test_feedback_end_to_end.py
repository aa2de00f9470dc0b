"""Feedback end to end, on Telegram and on Zalo: a stranger writes in anonymously, the admins
hear of it, and nothing in the database or on disk leads back to the stranger."""

from __future__ import annotations

from sqlalchemy import inspect, text

from tests.integration.conftest import ADMIN_ID

STRANGER = 987654


async def every_value_in_the_database(session_factory) -> list[str]:
    async with session_factory() as session:
        conn = await session.connection()
        tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        values = []
        for table in tables:
            for row in (await conn.execute(text(f'SELECT * FROM "{table}"'))).all():
                values += [str(v) for v in row]
    return values


async def test_anonymous_feedback_reaches_the_admins_and_leaves_no_trace(
    platform, harness, start_app, seeded, session_factory
):
    app = await start_app()
    stranger = harness.person(STRANGER, "Người Dân")
    admin = harness.person(ADMIN_ID)
    await stranger.say("phản ánh")  # plain words work as /phananh
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    asked = await stranger.say("cai nhum")
    assert "Nơi xảy ra: Xã Cái Nhum." in asked[-1]["text"]
    await stranger.say("Kênh nội đồng bị ô nhiễm, cá chết nhiều.")
    await stranger.choose("Bỏ qua")
    thanks = await stranger.choose("Tiêu cực (lo lắng, bức xúc)")
    assert "Ý kiến về việc tại Xã Cái Nhum đã được ghi nhận ẩn danh với số tham chiếu PA-" in thanks[-1]["text"]

    notice = admin.new_messages()[-1]
    assert "Người gửi: ẩn danh" in notice["text"] and "Kênh nội đồng bị ô nhiễm" in notice["text"]
    assert notice["options"]  # the button that turns it into an urgent issue

    stranger_id = harness.id_of(STRANGER)
    assert not any(stranger_id in value for value in await every_value_in_the_database(session_factory))
    state = app.settings.zalo_state_dir  # Zalo's inbox and offers live in the database (checked above)
    assert not state.exists() or not [p for p in state.rglob("*") if p.is_file()]


async def test_an_urgent_issue_alerts_the_province_which_acknowledges_and_replies(
    platform, harness, start_app, seeded, session_factory, clock
):
    from tests.integration.conftest import register

    await register(session_factory, clock, platform=platform, n=3003, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    await start_app()
    officer = harness.person(3003, "Trần Thị Bình")
    admin = harness.person(ADMIN_ID)
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Lốc xoáy làm tốc mái 12 nhà ở ấp 3.")
    raised = await officer.choose("Gửi ngay")
    assert "Đã gửi vụ việc khẩn KC-" in raised[-1]["text"]

    alert = admin.new_messages()[-1]
    assert "VỤ VIỆC KHẨN" in alert["text"] and "Lốc xoáy" in alert["text"]
    assert alert["options"][:3] == ["Đã tiếp nhận", "Trả lời", "Đã giải quyết"]
    await admin.choose("Đã tiếp nhận")
    assert "đã được Nguyễn Văn An tiếp nhận" in officer.new_messages()[-1]["text"]
    await admin.choose("Trả lời")
    await admin.say("Huyện đã cử đoàn hỗ trợ.")
    assert "Huyện đã cử đoàn hỗ trợ." in officer.new_messages()[-1]["text"]
