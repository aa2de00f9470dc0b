"""/lienket (/link) at the dispatcher: codes, their refusals, and the choice of platform."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import AuditEntry, LinkCode, Person
from tests.support import ChatUser

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)


async def code_of(user: ChatUser) -> str:
    await user.send("/lienket")
    match = CODE.search(user.text)
    assert match, user.text
    return match.group(1)


async def test_a_code_links_a_zalo_account_to_the_same_person_with_the_same_roles(
    officer, dispatcher, session_factory
):
    code = await code_of(officer)
    assert "Trên Zalo, bạn nhắn cho bot Kết Nối: /lienket" in officer.text
    zalo = ChatUser(dispatcher, "zl-300", platform="zalo")
    await zalo.send(f"/lienket {code[:5]} {code[5:]}")  # typed with a space, still the code
    assert "Đã liên kết tài khoản Zalo này với tài khoản Kết Nối của Trần Thị Bình" in zalo.text
    assert [c.label for c in zalo.last.replies[-1].choices] == ["Telegram", "Zalo"]
    (notice,) = zalo.last.notices
    assert (notice.platform, notice.chat_id) == ("telegram", "300") and "Zalo vừa được liên kết" in notice.text
    assert "baocao" in {entry.command for entry in zalo.last.menu}
    await zalo.send("2")  # typed number on Zalo
    assert "qua Zalo" in zalo.text
    async with session_factory() as session:
        person = (await session.execute(select(Person).where(Person.full_name == "Trần Thị Bình"))).scalar_one()
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
        link = (await session.execute(select(LinkCode))).scalar_one()
    assert person.preferred_platform == "zalo"
    assert {"link.create", "identity.link", "person.preferred_platform"} <= actions
    assert code not in link.code_hash and link.used_at is not None

    await zalo.send("/baocao")  # the officer's command works on Zalo now
    assert "kỳ nào" in zalo.text or "Câu 1/10" in zalo.text

    await officer.send("/lienket")  # on both platforms: only the choice is offered
    assert "đã được liên kết" in officer.text and "hiện gửi qua Zalo" in officer.text
    await officer.choose("Telegram")
    assert "qua Telegram" in officer.text


async def test_codes_are_refused_clearly(officer, admin, dispatcher, clock):
    late = await code_of(admin)
    code = await code_of(officer)
    same_platform = ChatUser(dispatcher, "301")
    await same_platform.send(f"/lienket {code}")
    assert "nền tảng còn lại" in same_platform.text
    await admin.send(f"/lienket {code}")  # another person's account
    assert "đăng ký riêng" in admin.text

    await ChatUser(dispatcher, "zl-1", platform="zalo").send(f"/lienket {code}")
    again = ChatUser(dispatcher, "zl-2", platform="zalo")
    await again.send(f"/lienket {code}")
    assert "đã được sử dụng" in again.text

    clock.advance(minutes=31)
    expired = ChatUser(dispatcher, "zl-3", platform="zalo")
    await expired.send(f"/lienket {late}")
    assert "đã hết hạn" in expired.text
    await expired.send("/lienket ABCDEFGHJK")
    assert "không đúng" in expired.text


async def test_an_account_registered_separately_is_not_merged(officer, dispatcher, province, clock):
    code = await code_of(officer)
    citizen = ChatUser(dispatcher, "zl-9", platform="zalo")
    await citizen.send("/start")
    await citizen.choose("Đồng ý")
    await citizen.send("cai nhum")
    await citizen.send(f"/lienket {code}")
    assert "đăng ký riêng" in citizen.text and "/xoadulieu" in citizen.text


async def test_a_stranger_is_told_how_linking_works(dispatcher):
    stranger = ChatUser(dispatcher, "zl-7", platform="zalo")
    await stranger.send("liên kết")  # the plain words work as the command
    assert "gõ /lienket trên tài khoản đó để lấy mã" in stranger.text


async def test_notices_go_once_to_the_account_the_person_chose(officer, dispatcher, session_factory):
    from bot.core.messages import Outgoing
    from handlers.dispatch import _once_per_person

    code = await code_of(officer)
    zalo = ChatUser(dispatcher, "zl-300", platform="zalo")
    await zalo.send(f"/lienket {code}")
    await zalo.send("2")  # Zalo
    to_both = [Outgoing("Vụ việc đã được xử lý", platform="telegram", chat_id="300"),
               Outgoing("Vụ việc đã được xử lý", platform="zalo", chat_id="zl-300"),
               Outgoing("Tin cho nhóm", platform="telegram", chat_id="-4001")]
    async with session_factory() as session:
        routed = await _once_per_person(session, to_both)
    assert [(n.platform, n.chat_id, n.text) for n in routed] == [
        ("zalo", "zl-300", "Vụ việc đã được xử lý"), ("telegram", "-4001", "Tin cho nhóm")]
