"""Issue #14.2, the share loop, end to end through the emulators on both platforms.

Content sent to officers offers "Đã chia sẻ vào nhóm Zalo" (a button on Telegram, a number on
Zalo); the officer says into how many groups; a second answer changes the count instead of
adding one; /trangthai counts it per unit; and the month's report suggests it for "Số tin, bài
trên mạng xã hội", which the officer keeps or changes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from broadcasts import approval as broadcasts
from storage.models import GroupShare, Report, Role
from tests.integration.conftest import ADMIN_ID, register
from tests.integration.drivers import approve_and_send

APPROVER, OFFICER, MEMBER = 1002, 3003, 5001
NOV_10_0931 = datetime(2026, 11, 10, 2, 31, tzinfo=UTC)
TEXT = "Mời cán bộ, hội viên dự hội nghị học tập Nghị quyết lúc 8 giờ sáng thứ Hai tại hội trường xã."
OFFER = "Đã chia sẻ vào nhóm Zalo"


async def release_content(harness, session_factory, clock, *, roles=(Role.OFFICER, Role.MEMBER)) -> int:
    """Content to the province's officers and members, approved and released; the outbox is woken."""
    await register(session_factory, clock, platform=harness.platform, n=APPROVER, name="Lê Thị Hoa",
                   unit_code="86", role=Role.PROVINCE_ADMIN)
    broadcast_id = await approve_and_send(
        session_factory, platform=harness.platform, author=harness.id_of(ADMIN_ID), approver=harness.id_of(APPROVER),
        audience=broadcasts.Audience(units=("86",), roles=roles), text=TEXT, now=clock(),
    )
    harness.app._wake_outbox()
    return broadcast_id


async def arrived(harness, person) -> dict:
    emulator = harness.zalo if person.platform == "zalo" else harness.telegram
    assert await emulator.wait_for(lambda: any(TEXT in m["text"] for m in person.transcript()))
    (message,) = [m for m in person.new_messages() if TEXT in m["text"]]
    return message


async def shares_of(session_factory) -> list[tuple[int, int]]:
    async with session_factory() as session:
        rows = await session.execute(select(GroupShare.unit_id, GroupShare.groups))
        return [tuple(row) for row in rows]


async def test_a_share_is_confirmed_changed_counted_per_unit_and_prefills_the_report(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    await register(session_factory, clock, platform=platform, n=MEMBER, name="Hội viên Năm",
                   unit_code="29641", role=Role.MEMBER)
    officer, member = harness.person(OFFICER, "Trần Thị Bình"), harness.person(MEMBER, "Hội viên Năm")
    admin = harness.person(ADMIN_ID)
    await start_app(broadcast_limits=False)
    broadcast_id = await release_content(harness, session_factory, clock)

    assert (await arrived(harness, officer))["options"] == [OFFER]
    assert (await arrived(harness, member))["options"] == []  # members are not asked

    asked = await officer.choose(OFFER)
    assert asked[-1]["text"].startswith(f"Tin số {broadcast_id}: bạn đã chia sẻ vào bao nhiêu nhóm Zalo (của Xã Cái Nhum)?")
    assert asked[-1]["options"] == ["1 nhóm", "2 nhóm", "3 nhóm", "4 nhóm", "5 nhóm"]
    refused = await officer.say("nhiều lắm")  # not a number: said so, and the same question again
    assert refused[-1]["text"].startswith("“nhiều lắm” không phải là một số.")
    assert refused[-1]["options"] == ["1 nhóm", "2 nhóm", "3 nhóm", "4 nhóm", "5 nhóm"]
    too_many = await officer.say("500")
    assert too_many[-1]["text"].startswith("Số không được lớn hơn 200.") and too_many[-1]["options"]
    done = await officer.choose("3 nhóm")
    assert done[-1]["text"] == (f"Đã ghi nhận: tin số {broadcast_id} được chia sẻ vào 3 nhóm Zalo. Cảm ơn bạn! "
                                f"Nếu chia sẻ thêm, gõ /chiase {broadcast_id} để sửa số nhóm.")

    again = await officer.say(f"/chiase {broadcast_id}")
    assert "Bạn đã báo 3 nhóm" in again[-1]["text"]
    changed = await officer.say("7")  # typed: more than the options offer
    assert changed[-1]["text"] == f"Đã sửa: tin số {broadcast_id} được chia sẻ vào 7 nhóm Zalo (trước đó 3 nhóm)."
    assert [groups for _, groups in await shares_of(session_factory)] == [7]  # changed, not added

    status = officer.text(await admin.say(f"/trangthai {broadcast_id}"))
    assert "Chia sẻ vào nhóm Zalo: 7 nhóm, 1/1 cán bộ đã báo" in status
    assert "– Xã Cái Nhum: 7 nhóm (1 cán bộ)" in status
    summary = next(m["text"] for m in admin.transcript() if "đã gửi xong" in m["text"])
    assert "Chia sẻ vào nhóm Zalo" in summary  # the author's summary has the line too (told at the end)

    await officer.say("/baocao")
    await officer.choose(next(o for o in officer.options() if o.startswith("Tháng 11/2026")))
    await officer.say("12")
    await officer.say("350")
    await officer.choose("Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp")
    await officer.choose("Xong")
    posts = await officer.say("1, 2")
    assert posts[-1]["text"].startswith("Câu 5/10. Đơn vị đã đăng bao nhiêu tin, bài trên mạng xã hội")
    assert "Hiện tại: 7" in posts[-1]["text"] and "7 nhóm Zalo trong kỳ" in posts[-1]["text"]
    assert "Giữ nguyên: 7" in posts[-1]["options"]
    await officer.choose("Giữ nguyên: 7")
    async with session_factory() as session:
        report = (await session.execute(select(Report))).scalar_one()
    assert report.answers["posts"] == 7


@pytest.mark.parametrize("platform", ["zalo"])  # Telegram has buttons: no number is typed
async def test_on_zalo_a_copy_in_the_middle_of_a_report_leaves_1_to_the_report_and_names_chiase(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app(broadcast_limits=False)
    assert (await officer.say("/baocao"))[-1]["options"][0].startswith("Tháng 10/2026")
    broadcast_id = await release_content(harness, session_factory, clock, roles=(Role.OFFICER,))

    copy = await arrived(harness, officer)
    assert copy["options"] == []  # the report's question keeps the numbers
    hint = re.search(r"gõ (/chiase \d+)", copy["text"])
    assert hint is not None and hint.group(1) == f"/chiase {broadcast_id}"
    step = await officer.say("1")  # answers the report (its first period), not the share
    assert step[-1]["text"].startswith("Câu 1/10.")
    assert await shares_of(session_factory) == []

    await officer.say(hint.group(1))
    done = await officer.say("2")
    assert done[-1]["text"] == (f"Đã ghi nhận: tin số {broadcast_id} được chia sẻ vào 2 nhóm Zalo. Cảm ơn bạn! "
                                f"Nếu chia sẻ thêm, gõ /chiase {broadcast_id} để sửa số nhóm.")
    assert [groups for _, groups in await shares_of(session_factory)] == [2]
