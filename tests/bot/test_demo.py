"""The demo as a browser uses it: the page, the personas, and chatting through the control API."""

from __future__ import annotations

import re

import aiohttp

from bot.core.clock import utc_now
from bot.demo import start_demo
from bot.settings import Settings
from tests.integration.conftest import free_port

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)


async def test_a_newcomer_registers_in_the_demo_with_an_invite_and_sees_help(tmp_path):
    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=port)
    app, emulator = await start_demo(settings)
    base = f"http://127.0.0.1:{port}"
    try:
        async with aiohttp.ClientSession(base) as http:

            async def say(user_id: int, text: str) -> list[dict]:
                async with http.get(f"/tg/_emu/chats/{user_id}/messages") as r:
                    after = max([m["message_id"] for m in (await r.json())["messages"]], default=0)
                async with http.post(f"/tg/_emu/users/{user_id}/send", json={"text": text}) as r:
                    assert r.status == 200
                await emulator.wait_for(lambda: any(
                    m["message_id"] > after for m in emulator.messages(user_id)))
                async with http.get(f"/tg/_emu/chats/{user_id}/messages", params={"after": after}) as r:
                    return [m for m in (await r.json())["messages"] if m["from_bot"]]

            async def press(user_id: int, label: str) -> None:
                message = next(m for m in reversed(emulator.messages(user_id)) if m["buttons"])
                data = next(b["data"] for row in message["buttons"] for b in row if b["text"] == label)
                async with http.post(f"/tg/_emu/users/{user_id}/press",
                                     json={"message_id": message["message_id"], "data": data}) as r:
                    assert r.status == 200

            async with http.get("/") as r:
                assert r.status == 200 and "<html" in await r.text()
            async with http.get("/demo/personas") as r:
                personas = await r.json()
            assert personas[0]["role"] == "Quản trị viên cấp tỉnh"
            assert {p["unit"] for p in personas} >= {"Tỉnh Vĩnh Long", "Xã Cái Nhum"}

            await say(9001, "/moi")
            await press(9001, "Hội viên, đoàn viên")
            await emulator.wait_for(lambda: "đơn vị nào" in emulator.messages(9001)[-1]["text"])
            created = await say(9001, "29641")
            await emulator.wait_for(lambda: emulator.messages(9001)[-1]["photo"] is not None)
            code = CODE.search(created[0]["text"]).group(1)

            async with http.post("/tg/_emu/users", json={"id": 9100, "first_name": "Minh"}) as r:
                assert r.status == 200
            await say(9100, f"/start {code}")
            await press(9100, "Đồng ý")
            await emulator.wait_for(lambda: "họ và tên" in emulator.messages(9100)[-1]["text"])
            welcome = await say(9100, "Phan Văn Minh")
            assert "hội viên, đoàn viên của Xã Cái Nhum" in welcome[0]["text"]
            help_text = (await say(9100, "/trogiup"))[0]["text"]
            assert "/toi" in help_text and "/moi" not in help_text
    finally:
        await app.stop()
        await emulator.stop()


async def test_the_demo_province_has_last_months_reports_to_look_at(tmp_path):
    from sqlalchemy import func, select

    from storage.models import Report

    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=port)
    app, emulator = await start_demo(settings)
    try:
        from bot.demo import seed

        await seed(app.session_factory)  # a second start seeds nothing twice
        async with app.session_factory() as session:
            reports = await session.scalar(select(func.count()).select_from(Report))
            periods = await session.scalar(select(func.count(func.distinct(Report.period_key))))
        assert 80 < reports < 124 and periods == 1
    finally:
        await app.stop()
        await emulator.stop()


async def test_a_persona_switches_to_zalo_and_is_the_same_person_there(tmp_path):
    from bot.demo import ZALO_EMULATOR, zalo_id

    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=port)
    app, emulator = await start_demo(settings)
    zalo = app.web.app[ZALO_EMULATOR]
    officer = zalo_id(9002)
    try:
        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            async with http.get("/") as r:
                page = await r.text()
            assert 'data-platform="zalo"' in page and "/zl/_emu" in page
            async with http.get("/demo/personas") as r:
                assert (await r.json())[1]["zalo_id"] == officer
            async with http.post(f"/zl/_emu/users/{officer}/send", json={"text": "thông tin của tôi"}) as r:
                assert r.status == 200
            assert await zalo.wait_for(lambda: zalo.messages(officer))
            me = zalo.messages(officer)[0]["text"]
            assert f"Tài khoản Zalo: {officer}" in me and "Tài khoản Telegram: 9002" in me and "Cán bộ" in me
            async with http.post(f"/zl/_emu/users/{officer}/sticker") as r:
                assert r.status == 200
            assert await zalo.wait_for(lambda: len(zalo.messages(officer)) == 2)
            assert "chỉ đọc được tin nhắn chữ" in zalo.messages(officer)[1]["text"]
            async with http.get(f"/zl/_emu/chats/{officer}/messages", params={"after": 0}) as r:
                assert [m["from_bot"] for m in (await r.json())["messages"]] == [False, True, False, True]
    finally:
        await app.stop()
        await emulator.stop()


async def test_the_demo_run_again_on_its_file_still_answers(tmp_path):
    """Telegram numbers updates for the bot's whole life; the demo's emulator restarts at 1, so a
    second `make run` on the same database must go on after the ids that database has handled."""
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=free_port())
    assert "/moi" in await help_for_the_admin(settings)
    assert "/moi" in await help_for_the_admin(settings), "the second run ignored the first message as a replay"


async def help_for_the_admin(settings: Settings) -> str:
    app, emulator = await start_demo(settings)
    try:
        await emulator.send_text(9001, "/trogiup")
        (answer,) = await emulator.wait_for_messages(9001, 1)
        return answer["text"]
    finally:
        await app.stop()
        await emulator.stop()


async def test_the_seeded_personas_have_their_roles_menus_and_the_sidebar_reads_roles_live(tmp_path):
    """Without /start the seeded people would see a stranger's menu; and a registration made in the
    chat shows in the sidebar (`/demo/registrations`), on whichever platform it was made."""
    from bot.demo import zalo_id

    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=port)
    app, emulator = await start_demo(settings)
    try:
        admin = [c["command"] for c in emulator.menu_shown(9001)]
        member = [c["command"] for c in emulator.menu_shown(9004)]
        stranger = [c["command"] for c in emulator.menu_shown(9007)]
        assert "moi" in admin and "moi" not in member and "phananh" in member
        assert "toi" in member and "toi" not in stranger

        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            async with http.get("/demo/registrations", params=[("user", "9001"), ("user", "9100")]) as r:
                assert await r.json() == [
                    {"user_id": 9001, "role": "Quản trị viên cấp tỉnh", "unit": "Tỉnh Vĩnh Long", "admin": True},
                    {"user_id": 9100, "role": "Chưa đăng ký", "unit": "", "admin": False},
                ]
            async with http.get("/demo/registrations", params={"user": "x"}) as r:
                assert r.status == 400
            from bot.services.people import people, units

            async with app.session_factory() as session, session.begin():  # as /start CODE on Zalo does
                person = await people.register(session, platform="zalo", external_id=zalo_id(9100),
                                               chat_id=zalo_id(9100), full_name="Phan Văn Minh", now=utc_now())
                await people.grant_role(session, person, await units.get_unit_by_code(session, "29653"), "officer",
                                        granted_by=None, now=utc_now())
            async with http.get("/demo/registrations", params={"user": "9100"}) as r:
                assert await r.json() == [{"user_id": 9100, "role": "Cán bộ", "unit": "Xã Tân Long Hội", "admin": False}]
    finally:
        await app.stop()
        await emulator.stop()
