"""On Telegram and on Zalo: a citizen says where they live and gets that commune's broadcasts (not
another's); their named feedback is answered by the province admin, and they look it up."""

from __future__ import annotations

import re

from broadcasts import approval as broadcasts
from storage.models import Role
from tests.integration.conftest import ADMIN_ID, register
from tests.integration.drivers import approve_and_send

APPROVER = 1002
HERE, THERE = 6001, 6002
REFERENCE = re.compile(r"PA-\d{4}-\w{4}")


async def become_citizen(person, place: str) -> str:
    await person.say("/start")
    await person.choose("Đồng ý")
    return (await person.say(place))[-1]["text"]


async def test_a_broadcast_to_one_communes_citizens_reaches_those_who_chose_it(
    platform, harness, start_app, seeded, session_factory, clock
):
    app = await start_app(broadcast_limits=False)
    here, there = harness.person(HERE, "Người Ở Đây"), harness.person(THERE, "Người Ở Kia")
    assert "Bạn đã chọn Xã Cái Nhum" in await become_citizen(here, "cai nhum")
    assert "Bạn đã chọn" in await become_citizen(there, "29653")

    await register(session_factory, clock, platform=platform, n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await approve_and_send(
        session_factory, platform=platform, author=harness.id_of(ADMIN_ID), approver=harness.id_of(APPROVER),
        audience=broadcasts.Audience(units=("29641",), roles=(Role.CITIZEN,)), text="Lịch tiếp công dân xã Cái Nhum.", now=clock(),
    )
    here.new_messages(), there.new_messages()
    app._wake_outbox()
    emulator = harness.zalo if platform == "zalo" else harness.telegram
    assert await emulator.wait_for(lambda: any("Lịch tiếp công dân" in m["text"] for m in here.transcript()))
    await harness.settle()
    assert not any("Lịch tiếp công dân" in m["text"] for m in there.transcript())


async def test_named_feedback_is_answered_and_looked_up(platform, harness, start_app, seeded):
    await start_app()
    citizen, admin = harness.person(HERE, "Người Ở Đây"), harness.person(ADMIN_ID)
    await become_citizen(citizen, "cai nhum")
    await citizen.say("/phananh")
    await citizen.choose("Gửi có tên")
    await citizen.choose("Môi trường")
    asked = (await citizen.choose("Xã Cái Nhum"))[-1]["text"]  # the place they live, offered
    assert asked.startswith("Nơi xảy ra: Xã Cái Nhum.")  # said back before the text is asked
    await citizen.say("Đèn đường ấp 2 hỏng cả tháng nay.")
    await citizen.choose("Bỏ qua")
    thanks = (await citizen.choose("Bỏ qua"))[-1]["text"]
    reference = REFERENCE.search(thanks).group(0)
    assert f"Ý kiến về việc tại Xã Cái Nhum đã được ghi nhận với số tham chiếu {reference}" in thanks

    notice = admin.new_messages()[-1]
    assert "Người gửi: Người dân (không lưu tên) – Xã Cái Nhum" in notice["text"]
    assert notice["options"][:2] == ["Trả lời", "Chuyển thành vụ việc khẩn"]
    await admin.choose("Trả lời")
    await admin.say("Xã đã thay bóng đèn, cảm ơn bạn.")
    done = await admin.choose("Gửi trả lời")
    assert f"Đã gửi câu trả lời tới người gửi ý kiến {reference}" in done[-1]["text"]
    answer = citizen.new_messages()[-1]["text"]
    assert f"trả lời ý kiến {reference}" in answer and "Xã đã thay bóng đèn" in answer

    status = (await citizen.say(f"/phananh {reference}"))[-1]["text"]
    assert "đã trả lời lúc" in status and "Xã đã thay bóng đèn" in status
