"""/lienket end to end: a person registered on Telegram links their Zalo account with a one-time
code, chooses Zalo, and from then on gets each notice once, there (Telegram again if Zalo fails)."""

from __future__ import annotations

import re

from sqlalchemy import select, update

from bot.core.messages import Outgoing
from bot.services.people import linking
from storage.models import Identity, Person
from tests.integration.conftest import ADMIN_ID

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)


async def test_a_telegram_person_links_zalo_and_is_written_to_there_once(
    harness, start_app, seeded, session_factory, clock
):
    app = await start_app()
    on_telegram = harness.person(ADMIN_ID)  # registered on Telegram by `seeded`
    asked = await on_telegram.say("/lienket")
    assert "Trên Zalo, bạn nhắn cho bot Kết Nối: /lienket" in asked[0]["text"]
    code = CODE.search(asked[0]["text"]).group(1)

    on_zalo = harness.person(ADMIN_ID, platform="zalo")
    linked = await on_zalo.say(f"/lienket {code.lower()}")
    assert "Đã liên kết tài khoản Zalo này với tài khoản Kết Nối của Nguyễn Văn An" in linked[0]["text"]
    assert linked[0]["options"] == ["Telegram", "Zalo"]
    assert "Tài khoản Zalo vừa được liên kết" in on_telegram.new_messages()[-1]["text"]
    me = await on_zalo.say("/toi")
    assert f"Tài khoản Zalo: {on_zalo.user_id}" in me[0]["text"] and "Quản trị viên cấp tỉnh" in me[0]["text"]
    assert "qua Zalo" in (await on_zalo.choose("Zalo"))[-1]["text"]

    await app.notify(Outgoing("Nhắc việc thử", platform="telegram", chat_id=on_telegram.user_id))
    assert [m["text"] for m in on_zalo.new_messages()] == ["Nhắc việc thử"]
    assert on_telegram.new_messages() == []
    async with session_factory() as session:  # what a broadcast's audience query selects
        chosen = (await session.execute(
            select(Identity.platform).join(Person, Person.id == Identity.person_id)
            .where(linking.is_preferred_identity())
        )).all()
    assert chosen == [("zalo",)]

    async with session_factory() as session, session.begin():  # the person blocked the bot on Zalo
        await session.execute(update(Identity).where(Identity.platform == "zalo").values(unreachable_at=clock()))
    await app.notify(Outgoing("Nhắc việc lần hai", platform="zalo", chat_id=on_zalo.user_id))
    assert [m["text"] for m in on_telegram.new_messages()] == ["Nhắc việc lần hai"]

    stranger = harness.person(4004, "Lê Văn Cường", platform="zalo")
    assert "đã được sử dụng" in (await stranger.say(f"/lienket {code}"))[0]["text"]
