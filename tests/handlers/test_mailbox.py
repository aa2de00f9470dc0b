"""/hopthu: a province admin lists and sets the units' mailboxes in the chat; others may not."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.people import units
from storage.models import AuditEntry


async def email_of(session_factory, code: str) -> str | None:
    async with session_factory() as session:
        return (await units.unit_by_code(session, code)).email


async def test_a_province_admin_sets_lists_and_clears_a_units_mailbox(admin, session_factory):
    await admin.send("/hopthu")
    assert admin.text.startswith("Chưa đơn vị nào có hộp thư điện tử.")
    assert "Đặt hộp thư: /hopthu <mã đơn vị> <địa chỉ thư>" in admin.text

    await admin.send("/hopthu 86 VanPhong@MTTQ.VinhLong.gov.vn")
    assert admin.text == (
        "Đã đặt hộp thư của Tỉnh Vĩnh Long (86): VanPhong@mttq.vinhlong.gov.vn. Vụ việc khẩn, tổng hợp tuần "
        "và báo cáo cuối kỳ sẽ được gửi cả đến địa chỉ này."
    )
    await admin.send("/hopthu 29641 xa-cainhum@mttq.vinhlong.gov.vn")
    await admin.send("/hopthu")
    assert admin.text.splitlines()[:3] == [
        "Hộp thư điện tử của các đơn vị:",
        "- Tỉnh Vĩnh Long (86): VanPhong@mttq.vinhlong.gov.vn",
        "- Xã Cái Nhum (29641): xa-cainhum@mttq.vinhlong.gov.vn",
    ]

    await admin.send("/hopthu 29641 không phải địa chỉ")
    assert admin.text.startswith("“không phải địa chỉ” không phải là địa chỉ thư điện tử hợp lệ")
    await admin.send("/hopthu 99999 a@mttq.vn")
    assert admin.text.startswith("Không tìm thấy đơn vị có mã 99999 trong phạm vi của bạn.")
    assert await email_of(session_factory, "29641") == "xa-cainhum@mttq.vinhlong.gov.vn"

    await admin.send("/hopthu 29641 xóa")
    assert admin.text == "Đã bỏ hộp thư của Xã Cái Nhum (29641); đơn vị không nhận thư điện tử nữa."
    assert await email_of(session_factory, "29641") is None
    async with session_factory() as session:
        actions = (await session.execute(select(AuditEntry.target).where(AuditEntry.action == "unit.email"))).scalars()
        assert list(actions) == ["unit:86", "unit:29641", "unit:29641"]


async def test_an_officer_cannot_set_a_mailbox(officer, session_factory):
    await officer.send("/hopthu 29641 a@mttq.vinhlong.gov.vn")
    assert officer.text.startswith("Lệnh /hopthu dành cho quản trị viên cấp tỉnh.")
    assert await email_of(session_factory, "29641") is None
