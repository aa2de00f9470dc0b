"""Registration, invites and the Decree 13 rights, through the neutral dispatcher."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from bot.services import notices
from storage.models import AuditEntry, Conversation, Identity, Invite, NoticeMessage, Person, RoleAssignment
from tests.support import ChatUser

CODE = re.compile(r"^([A-Z2-9]{10})$", re.MULTILINE)


async def make_invite(admin: ChatUser, role_label: str = "Cán bộ", unit: str = "cai nhum") -> str:
    await admin.send("/moi")
    await admin.choose(role_label)
    replies = await admin.send(unit)
    match = CODE.search(replies[0].text)
    assert match, replies[0].text
    return match.group(1)


async def count_rows(session_factory, model) -> int:
    async with session_factory() as session:
        return (await session.execute(select(func.count()).select_from(model))).scalar_one()


async def test_admin_invites_an_officer_who_consents_and_registers(admin, stranger, session_factory):
    await admin.send("/moi")
    await admin.choose("Cán bộ")
    replies = await admin.send("cai nhum")
    assert "Xã Cái Nhum" in replies[0].text
    code = CODE.search(replies[0].text).group(1)
    assert f"https://t.me/ketnoi_bot?start={code}" in replies[0].text
    assert replies[1].photo is not None and replies[1].photo.data.startswith(b"\x89PNG")

    replies = await stranger.send(f"/start {code}")
    assert "Nghị định 13/2023" in replies[0].text
    assert "cán bộ của Xã Cái Nhum" in replies[0].text
    await stranger.choose("Đồng ý")
    assert "họ và tên" in stranger.text
    await stranger.send("Trần Thị Lan")
    assert "Bạn là cán bộ của Xã Cái Nhum" in stranger.text
    assert "/baocao" in stranger.text and "/toi" in stranger.text
    assert "/moi" not in stranger.text  # officers do not invite
    assert stranger.last.menu is not None
    assert {e.command for e in stranger.last.menu} >= {"baocao", "toi", "xoadulieu", "trogiup"}

    async with session_factory() as session:
        person = (await session.execute(select(Person).where(Person.full_name == "Trần Thị Lan"))).scalar_one()
        roles = (await session.execute(select(RoleAssignment).where(RoleAssignment.person_id == person.id))).scalars()
        assert [r.role for r in roles] == ["officer"]
        invite = (await session.execute(select(Invite))).scalar_one()
        assert invite.used_by == person.id
        assert code not in invite.code_hash  # only the hash is stored
        actions = set((await session.execute(select(AuditEntry.action))).scalars())
        assert {"invite.create", "invite.redeem", "person.register", "role.grant"} <= actions


async def test_used_expired_and_unknown_codes_get_clear_answers(admin, stranger, dispatcher, clock):
    code = await make_invite(admin)
    await stranger.send(f"/start {code}")
    await stranger.choose("Đồng ý")
    await stranger.send("Trần Thị Lan")

    other = ChatUser(dispatcher, "300")
    await other.send(f"/start {code}")
    assert "đã được sử dụng" in other.text

    late = await make_invite(admin)
    clock.advance(days=15)
    await other.send(f"/start {late}")
    assert "đã hết hạn" in other.text

    await other.send("/start ABCDEFGHJK")
    assert "Mã mời không đúng" in other.text


async def test_code_expiring_during_consent_is_refused_at_the_end(admin, stranger, clock, session_factory):
    code = await make_invite(admin)
    await stranger.send(f"/start {code}")
    await stranger.choose("Đồng ý")
    clock.advance(days=15)
    await stranger.send("Trần Thị Lan")
    assert "đã hết hạn" in stranger.text
    assert await count_rows(session_factory, Person) == 1  # only the admin


async def test_too_long_name_keeps_the_step_and_earlier_answers(admin, stranger, session_factory):
    code = await make_invite(admin)
    await stranger.send(f"/start {code}")
    await stranger.choose("Đồng ý")
    await stranger.send("A" * 81)
    assert "vượt quá 80 ký tự" in stranger.text
    assert "họ và tên" in stranger.text  # asked again
    async with session_factory() as session:
        conv = (await session.execute(select(Conversation).where(Conversation.user_id == "200"))).scalar_one()
        assert conv.step == "full_name" and conv.answers["consent"] == "yes"
    await stranger.send("Trần Thị Lan")
    assert "Đăng ký thành công" in stranger.text


async def test_typed_answers_work_like_buttons(admin, stranger):
    code = await make_invite(admin)
    await stranger.send(code.lower())  # typed on Zalo, no /start
    assert "Nghị định 13/2023" in stranger.text
    await stranger.send("dong y")  # without diacritics
    assert "họ và tên" in stranger.text

    await stranger.send("/quaylai")
    assert "Quay lại bước trước" in stranger.text and "Bạn có đồng ý không?" in stranger.text
    await stranger.send("1")  # the first option's number
    assert "họ và tên" in stranger.text
    await stranger.send("Lê Thị Tư")
    assert "Đăng ký thành công" in stranger.text


async def test_unknown_choice_stays_on_step(stranger, province):
    await stranger.send("/start")
    await stranger.send(choice="maybe")
    assert "không có trong danh sách" in stranger.text
    assert stranger.last.replies[0].choices  # the buttons come again


async def test_citizen_registers_without_a_name(stranger, session_factory, province):
    await stranger.send("/start")
    assert "không lưu họ tên" in stranger.text
    await stranger.choose("Đồng ý")
    await stranger.send("cai nhum")
    assert "Đăng ký thành công" in stranger.text
    async with session_factory() as session:
        person = (await session.execute(select(Person))).scalar_one()
        assert person.full_name is None
        roles = (await session.execute(select(RoleAssignment.role))).scalars().all()
        assert roles == ["citizen"]


async def test_declining_consent_stores_nothing(stranger, session_factory, province):
    await stranger.send("/start")
    await stranger.choose("Không đồng ý")
    assert "không lưu thông tin nào" in stranger.text
    assert await count_rows(session_factory, Person) == 0
    assert await count_rows(session_factory, Identity) == 0


async def test_cancel_ends_the_flow(stranger, session_factory, province):
    await stranger.send("/start")
    await stranger.send("/huy")
    assert "Đã hủy" in stranger.text
    await stranger.send("/huy")
    assert "không có việc gì đang làm dở" in stranger.text


async def test_help_during_a_flow_reminds_the_current_step(stranger, province):
    await stranger.send("/start")
    await stranger.send("/trogiup")
    assert "/batdau" in stranger.text
    assert "Bạn vẫn đang ở bước này" in stranger.text and "Bạn có đồng ý không?" in stranger.text


async def test_roles_are_enforced(admin, stranger, dispatcher):
    await stranger.send("/moi")
    assert "Bạn chưa đăng ký" in stranger.text
    code = await make_invite(admin, "Hội viên, đoàn viên")
    await stranger.send(f"/start {code}")
    await stranger.choose("Đồng ý")
    await stranger.send("Lê Văn Tám")
    await stranger.send("/invite")
    assert "Lệnh /moi dành cho quản trị viên cấp tỉnh và quản trị viên đơn vị." in stranger.text
    await stranger.send("/khonglenh")
    assert "Không có lệnh /khonglenh" in stranger.text


async def test_admin_cannot_invite_outside_its_subtree(admin, dispatcher, session_factory, clock):
    from bot.services.people import people, units

    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "29641")
        person = await people.register(session, platform="telegram", external_id="400", chat_id="400",
                                       full_name="Cán bộ xã", now=clock())
        await people.grant_role(session, person, unit, "unit_admin", granted_by=None, now=clock())
    commune_admin = ChatUser(dispatcher, "400")
    await commune_admin.send("/moi")
    await commune_admin.choose("Cán bộ")
    await commune_admin.send("29653")  # Xã Tân Long Hội, a neighbouring commune
    assert "Không tìm thấy đơn vị" in commune_admin.text
    await commune_admin.send("29641")
    assert CODE.search(commune_admin.last.replies[0].text)


async def test_ambiguous_unit_offers_the_matches(admin):
    await admin.send("/moi")
    await admin.choose("Hội viên, đoàn viên")
    await admin.send("phường")
    assert "Có nhiều đơn vị khớp" in admin.text
    options = admin.last.replies[0].choices
    assert 1 < len(options) <= 8
    await admin.choose(options[0].label)
    assert options[0].label in admin.text and CODE.search(admin.last.replies[0].text)


async def test_replayed_update_is_ignored(stranger, province, session_factory):
    await stranger.send("/start", update_id="u-1")
    replies = await stranger.send("/start", update_id="u-1")
    assert replies == []
    assert await count_rows(session_factory, Conversation) == 1


async def test_me_shows_and_forget_deletes_personal_data(admin, session_factory, clock):
    async with session_factory() as session, session.begin():  # a report notice this admin was sent
        identity = (await session.execute(select(Identity))).scalar_one()
        notices.record(session, ("report", 1), identity.platform, identity.chat_id, "77", clock())
    await admin.send("/toi")
    assert "Nguyễn Văn An" in admin.text and "Quản trị viên cấp tỉnh – Tỉnh Vĩnh Long" in admin.text
    await admin.send("/xoadulieu")
    await admin.choose("Giữ lại")
    assert "giữ nguyên" in admin.text
    await admin.send("/xoadulieu")
    await admin.choose("Xóa dữ liệu của tôi")
    assert "Đã xóa toàn bộ" in admin.text
    for model in (Person, Identity, RoleAssignment, Conversation, NoticeMessage):
        assert await count_rows(session_factory, model) == 0
    async with session_factory() as session:
        notes = (await session.execute(select(AuditEntry.target, AuditEntry.details))).all()
    assert all("Nguyễn" not in str(note) for note in notes)
    await admin.send("/toi")
    assert "Bạn chưa đăng ký" in admin.text


async def test_abandoned_conversation_expires(stranger, clock, province):
    await stranger.send("/start")
    clock.advance(hours=73)
    await stranger.send("đồng ý")
    assert "đã hết hạn" in stranger.text


async def test_over_long_message_is_refused_without_losing_the_step(stranger, province):
    await stranger.send("/start")
    await stranger.send("x" * 5000)
    assert "Tin nhắn quá dài" in stranger.text and "Bạn có đồng ý không?" in stranger.text
    await stranger.choose("Đồng ý")
    await stranger.send("cai nhum")
    assert "Đăng ký thành công" in stranger.text


async def test_blocking_marks_the_identity_unreachable_and_writing_again_clears_it(admin, session_factory):
    await admin.send(event="bot_blocked")
    async with session_factory() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
        assert identity.unreachable_at is not None
    await admin.send("/trogiup")
    async with session_factory() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
        assert identity.unreachable_at is None


async def test_a_zalo_only_service_gives_no_telegram_link(admin, session_factory, clock):
    from dataclasses import replace

    from handlers.flow import HandlerConfig
    from handlers.registry import build_dispatcher

    zalo_admin = ChatUser(build_dispatcher(session_factory, replace(HandlerConfig(), platforms=("zalo",)), clock), "100")
    await zalo_admin.send("/moi")
    await zalo_admin.choose("Cán bộ")
    text, qr = (await zalo_admin.send("cai nhum"))
    assert "t.me" not in text.text and "Trên Zalo, người được mời gõ mã" in text.text
    assert "rồi gõ mã khi nhắn tin cho bot" in qr.text and qr.photo is not None
