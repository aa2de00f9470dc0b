"""What only Telegram has, end to end: its webhook secret, groups, my_chat_member, polling.

The conversations both platforms share run on both in test_registration_end_to_end.py and
test_reports_end_to_end.py; Zalo's own edges are in test_zalo_end_to_end.py.
"""

from __future__ import annotations

import json
import logging

import aiohttp
from sqlalchemy import func, select

from storage.models import Conversation, ProcessedUpdate
from tests.integration.conftest import ADMIN_ID, SECRET


async def test_webhook_refuses_a_wrong_secret_and_ignores_replays(harness, emulator, start_app, seeded):
    app = await start_app()
    url = app.settings.telegram_webhook_url
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1767225600,
              "chat": {"id": ADMIN_ID, "type": "private"}, "from": {"id": ADMIN_ID, "is_bot": False,
              "first_name": "An"}, "text": "/help", "entities": [{"type": "bot_command", "offset": 0, "length": 5}]}}
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=update, headers=headers) as response:
                assert response.status == 403
    assert emulator.messages(ADMIN_ID) == []

    admin = harness.person(ADMIN_ID)
    first = await admin.say("/toi")
    assert "Nguyễn Văn An" in first[0]["text"]
    await emulator.replay_last_update()
    assert admin.new_messages() == []  # the same update id again does nothing
    assert emulator.webhook_responses[-1] == 200


async def test_group_messages_are_not_stored_and_commands_point_to_private_chat(
    emulator, start_app, seeded, session_factory
):
    await start_app()
    emulator.add_group(-4001, "Chi hội Cái Nhum")
    await emulator.add_bot_to_chat(ADMIN_ID, -4001)
    await emulator.send_text(ADMIN_ID, "Chào cả nhà, họp lúc 8 giờ", chat_id=-4001)
    assert emulator.messages(-4001) == []
    await emulator.send_text(ADMIN_ID, "/help@ketnoi_test_bot", chat_id=-4001)
    assert "nhắn riêng" in emulator.messages(-4001)[-1]["text"]
    async with session_factory() as session:
        stored = (await session.execute(select(func.count()).select_from(ProcessedUpdate))).scalar_one()
        conversations = (await session.execute(select(func.count()).select_from(Conversation))).scalar_one()
    assert (stored, conversations) == (0, 0)


async def test_blocking_the_bot_marks_the_person_unreachable(emulator, start_app, seeded, session_factory):
    from storage.models import Identity

    await start_app()
    await emulator.block_bot(ADMIN_ID)
    async with session_factory() as session:
        identity = (await session.execute(select(Identity))).scalar_one()
    assert identity.unreachable_at is not None


async def test_polling_mode_answers_too(emulator, start_app, seeded):
    await start_app(webhook=False)
    await emulator.send_text(ADMIN_ID, "/toi")
    messages = await emulator.wait_for_messages(ADMIN_ID, 1)
    assert "Quản trị viên cấp tỉnh" in messages[0]["text"]


FORGED_PRESSES = ["rv:ok:abc", f"rv:ok:{2**63}", "pv:vote:99999999999-0", "ui:ack:", "zz:yy:1", "cmd:run:"]


async def test_forged_button_presses_get_a_plain_answer_and_the_step_is_kept(emulator, start_app, seeded, caplog):
    from handlers import texts

    caplog.set_level(logging.INFO)
    await start_app()
    await emulator.send_text(ADMIN_ID, "/moi")
    question = emulator.messages(ADMIN_ID)[-1]
    assert question["buttons"]
    for data in FORGED_PRESSES:  # a modified client sends data no button carries
        seen = len(emulator.messages(ADMIN_ID))
        await emulator.press_forged_button(ADMIN_ID, question["message_id"], data)
        answer = emulator.messages(ADMIN_ID)[seen:]
        assert len(answer) == 1, data
        assert answer[0]["text"].startswith(texts.ERRORS["stale_button"]) and question["text"] in answer[0]["text"]
        assert texts.ERRORS["internal"] not in answer[0]["text"]
    assert emulator.webhook_responses[-len(FORGED_PRESSES):] == [200] * len(FORGED_PRESSES)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and "button data" in r.getMessage()]
    assert len(warnings) == len(FORGED_PRESSES) and all(r.exc_info is None for r in warnings)
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


def _deep_update(depth: int) -> str:
    update = {"update_id": 7, "message": {"message_id": 1, "date": 1767225600, "chat": {"id": ADMIN_ID, "type": "private"},
              "from": {"id": ADMIN_ID, "is_bot": False, "first_name": "An"}, "text": "Xin chào"},
              "extra": json.loads("[" * depth + "]" * depth)}
    return json.dumps(update)


NOT_UPDATES = [
    "[]", '"x"', "null", "5", "{}", "{broken", '{"update_id": "x"}', '{"update_id": true}',
    '{"update_id": 1, "message": "x"}', '{"update_id": 1, "message": {"chat": 5}}',
    '{"update_id": 1, "callback_query": {"id": "1", "from": "x"}}',
    "[" * 10_000 + "]" * 10_000, '{"a":' * 10_000 + "1" + "}" * 10_000, _deep_update(500),
]


async def test_webhook_answers_400_to_a_body_that_is_not_an_update(emulator, start_app, seeded, caplog):
    caplog.set_level(logging.INFO)
    app = await start_app()
    url = app.settings.telegram_webhook_url
    headers = {"Content-Type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as http:
        for body in NOT_UPDATES:
            async with http.post(url, data=body, headers=headers) as response:
                assert response.status == 400, body[:40]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert emulator.messages(ADMIN_ID) == []
    await emulator.send_text(ADMIN_ID, "/toi")  # and real updates are still answered
    assert "Nguyễn Văn An" in emulator.messages(ADMIN_ID)[-1]["text"]


async def test_a_failed_reply_is_logged_without_the_persons_chat_id(emulator, start_app, seeded, caplog):
    """Logs name no person (issue #15): a chat is logged by a pseudonym, the same within a run."""
    caplog.set_level(logging.INFO)
    await start_app()
    await emulator.block_bot(ADMIN_ID)
    await emulator.send_text(ADMIN_ID, "/toi")
    await emulator.send_text(ADMIN_ID, "/trogiup")
    failed = [r.getMessage() for r in caplog.records if "reply to chat-" in r.getMessage()]
    assert len(failed) == 2 and failed[0].split()[3] == failed[1].split()[3]
    assert not [r for r in caplog.records if str(ADMIN_ID) in r.getMessage()]
