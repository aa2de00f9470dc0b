"""Registration end to end, on Telegram and on Zalo: invite, consent, a restart mid-flow, help.

Each test runs once per platform (the `platform` fixture): the same conversation, by buttons on
Telegram and by typed numbers on Zalo.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy import select

from storage.models import Person
from tests.integration.conftest import ADMIN_ID, SECRET, TOKEN, ZALO_SECRET, ZALO_TOKEN

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)
NEWCOMER = 2002


async def create_invite_in_chat(admin) -> str:
    await admin.say("/moi")
    await admin.choose("Cán bộ")
    messages = await admin.say("Cái Nhum")
    match = CODE.search(messages[0]["text"])
    assert match, messages
    assert messages[1]["photo"]  # the QR code to print
    return match.group(1)


async def test_invite_join_restart_mid_flow_and_continue(
    platform, harness, emulator, start_app, seeded, session_factory, caplog
):
    caplog.set_level(logging.DEBUG)
    app = await start_app()
    admin = harness.person(ADMIN_ID)
    code = await create_invite_in_chat(admin)

    newcomer = harness.person(NEWCOMER, "Trần Thị Lan")
    consent = await newcomer.say(f"/start {code}")
    assert "Nghị định 13/2023" in consent[0]["text"]
    assert consent[0]["options"] == ["Đồng ý", "Không đồng ý"]
    asked = await newcomer.choose("Đồng ý")
    assert "họ và tên" in asked[-1]["text"]

    await app.stop()  # the service goes down in the middle of the flow ...
    await start_app()  # ... and comes back

    welcome = await newcomer.say("Trần Thị Lan")
    assert "Bạn là cán bộ của Xã Cái Nhum" in welcome[0]["text"]
    help_text = newcomer.text(await newcomer.say("/help"))
    assert "/toi" in help_text and "/moi" not in help_text

    async with session_factory() as session:
        person = (await session.execute(select(Person).where(Person.full_name == "Trần Thị Lan"))).scalar_one()
        assert person.consent_at is not None
    for secret in (TOKEN, SECRET, ZALO_TOKEN, ZALO_SECRET):
        assert secret not in caplog.text
    if platform == "telegram":
        link = f"https://t.me/ketnoi_test_bot?start={code}"
        assert link in admin.transcript()[-2]["text"]
        assert emulator.messages(NEWCOMER)[0]["buttons"] == []  # pressed buttons are taken away
        menu = {c["command"] for c in emulator.commands_for({"type": "chat", "chat_id": NEWCOMER})}
        assert {"baocao", "hannop", "toi", "lienket"} <= menu and "moi" not in menu
        assert "moi" not in {c["command"] for c in emulator.commands_for(None)}  # the default is a stranger's
        assert "/bot«redacted»/sendMessage" in caplog.text  # the URLs were logged, without the token


async def test_plain_words_work_like_commands(platform, harness, start_app, seeded):
    await start_app()
    newcomer = harness.person(NEWCOMER, "Trần Thị Lan")
    assert "Nghị định 13/2023" in (await newcomer.say("Bắt đầu"))[0]["text"]
    assert "Đã hủy" in (await newcomer.say("huỷ"))[0]["text"]  # works inside a flow, any diacritics
    assert "/trogiup" in (await newcomer.say("tro giup"))[0]["text"]


async def test_a_crash_in_a_handler_keeps_the_step_and_apologises(
    platform, harness, start_app, seeded, session_factory, monkeypatch
):
    from bot.services.people import invites

    await start_app()
    admin = harness.person(ADMIN_ID)
    await admin.say("/moi")
    await admin.choose("Cán bộ")

    def broken(*args, **kwargs):
        raise RuntimeError("database on fire: token 424242:TEST-token")

    monkeypatch.setattr(invites, "grantable_roles", broken)
    reply = await admin.say("Cái Nhum")
    assert "Xin lỗi, hệ thống gặp trục trặc" in reply[0]["text"]
    assert "database on fire" not in reply[0]["text"]
    assert "đơn vị nào" in reply[0]["text"]  # still on the unit step
    monkeypatch.undo()
    reply = await admin.say("Cái Nhum")
    assert CODE.search(reply[0]["text"])


async def test_guessing_invite_codes_is_throttled(platform, harness, start_app, seeded):
    """After CODE_TRIES_PER_HOUR wrong codes (5) even the right code is refused until later."""
    await start_app()
    admin = harness.person(ADMIN_ID)
    code = await create_invite_in_chat(admin)
    guesser = harness.person(NEWCOMER, "Trần Thị Lan")
    for guess in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD"):
        answer = await guesser.say(f"/start {guess}")
        assert "quá nhiều lần" not in guesser.text(answer)
    answer = await guesser.say("/start EEEEEEEEEE")
    assert "Mã không đúng. Bạn đã nhập sai mã quá nhiều lần" in guesser.text(answer)
    answer = await guesser.say(f"/start {code}")
    assert "Bạn đã nhập sai mã quá nhiều lần. Bạn vui lòng thử lại sau" in guesser.text(answer)
    assert "Nghị định 13/2023" not in guesser.text(answer)
