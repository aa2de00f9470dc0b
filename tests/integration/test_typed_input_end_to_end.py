"""Over real HTTP, on Telegram and on Zalo: characters no database holds (NUL, half an emoji)
do not reach a step, and numbers typed the Vietnamese way keep their magnitude."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Observation, UrgentIssue
from tests.integration.conftest import ADMIN_ID, register

OFFICER = 3003


async def test_unstorable_characters_are_cleaned_on_both_platforms(
    platform, harness, start_app, seeded, session_factory, clock
):
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    await start_app()
    officer = harness.person(OFFICER, "Trần Thị Bình")
    admin = harness.person(ADMIN_ID)
    await officer.say("/khancap")
    await officer.choose("Thiên tai, dịch bệnh")
    await officer.say("Lốc xoáy\x00 tốc mái 12 nhà \ud83d")  # Zalo keeps it on disk first: it must fit there too
    raised = await officer.choose("Gửi ngay")
    assert "Đã gửi vụ việc khẩn KC-" in raised[-1]["text"]
    assert "Lốc xoáy tốc mái 12 nhà \ufffd" in admin.new_messages()[-1]["text"]

    await admin.choose("Trả lời")
    await admin.say("Đã cử\x00 đoàn hỗ trợ.")
    assert "Đã cử đoàn hỗ trợ." in officer.new_messages()[-1]["text"]
    async with session_factory() as session:
        issue = (await session.execute(select(UrgentIssue))).scalar_one()
    assert issue.text == "Lốc xoáy tốc mái 12 nhà \ufffd"


async def test_a_count_typed_with_a_thousands_dot_is_stored_as_typed(
    platform, harness, start_app, seeded, session_factory, clock
):
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role="officer")
    await start_app()
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await officer.say("/ghinhan")
    await officer.choose("Giá cả")
    await officer.choose("Trung lập")
    await officer.say("Bà con hỏi giá lúa.")
    refused = await officer.say("1,5")
    assert "Câu này cần một số nguyên" in refused[-1]["text"]
    saved = await officer.say("1.250")
    assert "Đã ghi nhận tình hình dư luận" in saved[-1]["text"]
    async with session_factory() as session:
        assert (await session.execute(select(Observation.people_count))).scalar_one() == 1250
