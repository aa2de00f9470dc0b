"""Words say what happened, on Telegram and on Zalo (issue #12, item 6): a command outside one's
role says whom it is for, typed or in plain words, and what the bot does not understand points to
/trogiup, never "/help" alone."""

from __future__ import annotations

from tests.integration.conftest import register

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
