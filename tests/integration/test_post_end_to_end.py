"""Content end to end on Telegram: a group is linked and migrates, an admin drafts, another
approves from the button, and the running service's outbox delivers to members and the group."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import LinkedChat, Role
from tests.integration.conftest import ADMIN_ID, register

APPROVER, MEMBERS, GROUP, SUPERGROUP = 1002, (5001, 5002), -4001, -1004001
TEXT = "Mời hội viên dự hội nghị học tập Nghị quyết lúc 8 giờ sáng thứ Hai tại hội trường xã."


async def test_draft_approve_and_deliver_to_members_and_a_migrated_group(
    harness, emulator, start_app, seeded, session_factory, clock
):
    await start_app()
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    for n in MEMBERS:
        await register(session_factory, clock, platform="telegram", n=n, name=f"Hội viên {n}",
                       unit_code="29641", role=Role.MEMBER)
        emulator.add_user(n, f"Hội viên {n}")
    emulator.add_user(APPROVER, "Hoa")
    admin, approver = harness.person(ADMIN_ID), harness.person(APPROVER)

    emulator.add_group(GROUP, "Chi hội Cái Nhum")
    await emulator.add_bot_to_chat(ADMIN_ID, GROUP)
    await admin.say("/lienketnhom")
    await admin.choose("Chi hội Cái Nhum")
    linked = await admin.say("cai nhum")
    assert "Đã liên kết “Chi hội Cái Nhum” với Xã Cái Nhum" in linked[-1]["text"]
    await emulator.migrate_group(GROUP, SUPERGROUP)
    async with session_factory() as session:
        chat = (await session.execute(select(LinkedChat))).scalar_one()
    assert chat.chat_id == str(SUPERGROUP)

    await admin.say("/dangtin")
    await admin.say(TEXT)
    await admin.choose("Không kèm")
    await admin.choose("Trọng tâm")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Hội viên, đoàn viên")
    await admin.choose("Các nhóm, kênh đã liên kết")
    content, preview = (await admin.choose("Xong"))[-2:]
    assert content["text"] == TEXT and "Số người/nhóm sẽ nhận: 3." in preview["text"]
    await admin.choose("Gửi duyệt")
    assert all(emulator.messages(n) == [] for n in MEMBERS)  # nothing before approval

    await approver.choose("Duyệt và phát ngay")
    every_one = [*MEMBERS, SUPERGROUP]
    assert await emulator.wait_for(lambda: all(emulator.messages(c) for c in every_one))
    assert await emulator.wait_for(
        lambda: any("đã gửi xong" in (m["text"] or "") for m in emulator.messages(ADMIN_ID))
    )
    for chat_id in every_one:
        assert [m["text"] for m in emulator.messages(chat_id)] == [TEXT]
    assert emulator.messages(GROUP) == []  # the old group id is never written to


async def test_a_scheduled_broadcast_is_released_once_by_the_scheduler_job(
    harness, emulator, start_app, seeded, session_factory, clock
):
    from datetime import timedelta

    from bot.scheduler import RELEASE_JOB
    from bot.services.people import people
    from broadcasts import approval as broadcasts
    from broadcasts.audience import Audience

    app = await start_app()
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await register(session_factory, clock, platform="telegram", n=MEMBERS[0], name="Hội viên", unit_code="29641",
                   role=Role.MEMBER)
    emulator.add_user(MEMBERS[0], "Hội viên")
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(ADMIN_ID))
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        item = await broadcasts.create(session, author, text=TEXT, now=clock(),
                                       audience=Audience(units=("86",), roles=(Role.MEMBER,)))
        await broadcasts.submit(session, author, item.id, now=clock())
        await broadcasts.approve(session, approver, item.id, now=clock())
        await broadcasts.schedule(session, approver, item.id, clock() + timedelta(hours=2), now=clock())

    await app.scheduler.run_now(RELEASE_JOB)
    assert emulator.messages(MEMBERS[0]) == []  # not yet
    clock.advance(hours=2, minutes=1)
    await app.scheduler.run_now(RELEASE_JOB)
    await app.scheduler.run_now(RELEASE_JOB)  # a second run finds nothing more to release
    assert await emulator.wait_for(lambda: emulator.messages(MEMBERS[0]))
    assert [m["text"] for m in emulator.messages(MEMBERS[0])] == [TEXT]


async def test_formatting_and_a_photo_reach_recipients_as_the_author_made_them(
    harness, emulator, start_app, seeded, session_factory, clock
):
    await start_app()
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await register(session_factory, clock, platform="telegram", n=MEMBERS[0], name="Hội viên", unit_code="29641",
                   role=Role.MEMBER)
    emulator.add_user(MEMBERS[0], "Hội viên")
    emulator.add_user(APPROVER, "Hoa")
    admin, approver = harness.person(ADMIN_ID), harness.person(APPROVER)

    await admin.say("/dangtin")
    await emulator.push_update({"message": {
        "message_id": 900, "date": 1795651200, "chat": {"id": ADMIN_ID, "type": "private", "first_name": "An"},
        "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "An"},
        "text": "Hội nghị quan trọng vào thứ Hai",
        "entities": [{"type": "bold", "offset": 0, "length": 19}]}})
    await emulator.send_photo(ADMIN_ID, caption=None)
    await admin.choose("Thường xuyên")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Hội viên, đoàn viên")
    content, _ = (await admin.choose("Xong"))[-2:]
    assert content["photo"] is not None and content["text"] == "Hội nghị quan trọng vào thứ Hai"
    await admin.choose("Gửi duyệt")
    await approver.choose("Duyệt và phát ngay")
    assert await emulator.wait_for(lambda: emulator.messages(MEMBERS[0]))
    (received,) = emulator.messages(MEMBERS[0])
    assert received["photo"] is not None and received["caption"] == "Hội nghị quan trọng vào thứ Hai"
    sent = [params for method, params in emulator.calls if method == "sendPhoto"
            and str(params.get("chat_id")) == str(MEMBERS[0])]
    assert sent[-1].get("parse_mode") == "HTML" and "<b>Hội nghị quan trọng</b>" in sent[-1]["caption"]


async def test_a_link_whose_address_has_ampersands_and_quotes_opens_that_very_address(
    harness, emulator, start_app, seeded, session_factory, clock
):
    search = 'https://www.google.com/search?q="Mặt trận Tổ quốc"&hl=vi&lt;=1'
    form = "https://mttq.vinhlong.gov.vn/gop-y?a=1&b=2"
    await start_app()
    await register(session_factory, clock, platform="telegram", n=APPROVER, name="Lê Thị Hoa", unit_code="86",
                   role=Role.PROVINCE_ADMIN)
    await register(session_factory, clock, platform="telegram", n=MEMBERS[0], name="Hội viên", unit_code="29641",
                   role=Role.MEMBER)
    emulator.add_user(MEMBERS[0], "Hội viên")
    emulator.add_user(APPROVER, "Hoa")
    admin, approver = harness.person(ADMIN_ID), harness.person(APPROVER)

    text = "Tìm hiểu thêm và góp ý tại đây"
    await admin.say("/dangtin")
    await emulator.push_update({"message": {
        "message_id": 901, "date": 1795651200, "chat": {"id": ADMIN_ID, "type": "private", "first_name": "An"},
        "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "An"},
        "text": text,
        "entities": [{"type": "text_link", "offset": 0, "length": 13, "url": search},
                     {"type": "text_link", "offset": 17, "length": 13, "url": form}]}})
    await admin.choose("Không kèm")
    await admin.choose("Thường xuyên")
    await admin.choose("Tỉnh Vĩnh Long")
    await admin.choose("Hội viên, đoàn viên")
    await admin.choose("Xong")
    content = emulator.messages(ADMIN_ID)[-2]  # the preview: the content itself, then the audience
    expected = [{"text": "Tìm hiểu thêm", "url": search}, {"text": "góp ý tại đây", "url": form}]
    assert content["text"] == text and content["links"] == expected
    await admin.choose("Gửi duyệt")
    await approver.choose("Duyệt và phát ngay")
    assert await emulator.wait_for(lambda: emulator.messages(MEMBERS[0]))
    (received,) = emulator.messages(MEMBERS[0])
    assert received["text"] == text and received["links"] == expected
    sent = [params["text"] for method, params in emulator.calls if method == "sendMessage"
            and str(params.get("chat_id")) == str(MEMBERS[0])]
    assert 'href="https://mttq.vinhlong.gov.vn/gop-y?a=1&amp;b=2"' in sent[-1]
