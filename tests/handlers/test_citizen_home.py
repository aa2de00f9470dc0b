"""Citizens say where they live: chosen after consent, kept as their citizen role's unit, changeable."""

from __future__ import annotations

from sqlalchemy import select

from broadcasts.audience import Audience, count
from storage.models import RoleAssignment, Unit
from tests.support import ChatUser


async def citizen_units(session_factory) -> list[str]:
    async with session_factory() as session:
        stmt = select(Unit.name).join(RoleAssignment, RoleAssignment.unit_id == Unit.id).where(
            RoleAssignment.role == "citizen")
        return list((await session.execute(stmt)).scalars())


async def test_a_citizen_chooses_their_commune_after_consent(stranger, province, session_factory):
    await stranger.send("/start")
    await stranger.choose("Đồng ý")
    assert "Bạn sống ở xã, phường nào?" in stranger.text and "không lưu địa chỉ" in stranger.text
    await stranger.send("không có xã này")
    assert "Không tìm thấy đơn vị" in stranger.text and "Bạn sống ở xã, phường nào?" in stranger.text
    await stranger.send("86")  # the province itself is not a place to live
    assert "Không tìm thấy đơn vị" in stranger.text
    await stranger.send("cai nhum")
    assert "Đăng ký thành công" in stranger.text and "Bạn đã chọn Xã Cái Nhum" in stranger.text
    assert await citizen_units(session_factory) == ["Xã Cái Nhum"]


async def test_several_matches_come_as_buttons(stranger, province, session_factory):
    await stranger.send("/start")
    await stranger.choose("Đồng ý")
    await stranger.send("xã")
    assert "Có nhiều đơn vị khớp" in stranger.text
    first = stranger.last.replies[-1].choices[0]
    await stranger.send(choice=first.value)
    assert f"Bạn đã chọn {first.label}" in stranger.text
    assert await citizen_units(session_factory) == [first.label]


async def test_me_shows_the_place_and_offers_to_change_it(stranger, province, session_factory):
    await stranger.send("/start")
    await stranger.choose("Đồng ý")
    await stranger.send("cai nhum")
    await stranger.send("/toi")
    assert "Người dân – Xã Cái Nhum" in stranger.text
    await stranger.choose("Đổi nơi ở")
    assert "Bạn sống ở xã, phường nào?" in stranger.text
    await stranger.send("29653")  # by GSO code
    assert "Bạn đã chọn" in stranger.text
    (name,) = await citizen_units(session_factory)
    assert name != "Xã Cái Nhum" and name in stranger.text
    await stranger.send("đổi nơi ở")  # the plain words work too
    await stranger.send("cai nhum")
    assert await citizen_units(session_factory) == ["Xã Cái Nhum"]


async def test_only_citizens_change_their_place(officer):
    await officer.send("/noio")
    assert officer.text.startswith("Lệnh /noio dành cho người dân.")
    await officer.send("/toi")
    assert not officer.last.replies[0].choices


async def test_the_citizens_audience_of_a_commune_holds_those_who_chose_it(dispatcher, province, session_factory):
    here, there = ChatUser(dispatcher, "401"), ChatUser(dispatcher, "402")
    for person, place in ((here, "cai nhum"), (there, "29653")):
        await person.send("/start")
        await person.choose("Đồng ý")
        await person.send(place)
    async with session_factory() as session:
        assert await count(session, Audience(units=("29641",), roles=("citizen",))) == 1
        assert await count(session, Audience(units=("29653",), roles=("citizen",))) == 1
        assert await count(session, Audience(units=("86",), roles=("citizen",))) == 2


async def test_feedback_offers_the_citizens_commune(dispatcher, province, admin, session_factory):
    citizen = ChatUser(dispatcher, "403")
    await citizen.send("/start")
    await citizen.choose("Đồng ý")
    await citizen.send("cai nhum")
    await citizen.send("/phananh")
    await citizen.choose("Gửi có tên")
    await citizen.choose("Môi trường")
    assert "Chọn “Xã Cái Nhum” (nơi bạn ở)" in citizen.text
    await citizen.choose("Xã Cái Nhum")
    await citizen.send("Đèn đường ấp 2 hỏng.")
    await citizen.choose("Bỏ qua")
    await citizen.choose("Bỏ qua")
    (notice,) = citizen.last.notices
    assert "– Xã Cái Nhum" in notice.text and "Người gửi: Người dân (không lưu tên) – Xã Cái Nhum" in notice.text
