"""Issue #12, the poll: a number answers exactly one question, end to end through the emulators.

A poll the outbox delivers while nothing is open is answered with its buttons (Telegram) or its
numbers (Zalo). On Zalo, a poll that arrives while the person is in the middle of something
comes without numbers, so "1" still answers what they were doing; the poll says to type
/khaosat N, which shows it again, numbered, and then "1" votes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from bot.services.people import people
from broadcasts import approval as broadcasts
from broadcasts import polls
from storage.models import Role
from tests.integration.conftest import ADMIN_ID, register

APPROVER, OFFICER = 1002, 3003
NOV_10_0931 = datetime(2026, 11, 10, 2, 31, tzinfo=UTC)
QUESTION = "Bà con muốn họp tổ dân phố vào buổi nào?"
OPTIONS = ["Buổi sáng", "Buổi chiều"]


async def release_poll(harness, session_factory, clock) -> int:
    """A poll to the province's officers, approved and released; the outbox is woken to send it."""
    await register(session_factory, clock, platform=harness.platform, n=APPROVER, name="Lê Thị Hoa",
                   unit_code="86", role=Role.PROVINCE_ADMIN)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, harness.platform, harness.id_of(ADMIN_ID))
        approver = await people.load_actor(session, harness.platform, harness.id_of(APPROVER))
        poll = await polls.create(session, author, question=QUESTION, options=OPTIONS,
                                  audience=broadcasts.Audience(units=("86",), roles=(Role.OFFICER,)), now=clock())
        await broadcasts.submit(session, author, poll.broadcast_id, now=clock())
        await broadcasts.approve(session, approver, poll.broadcast_id, now=clock())
        await broadcasts.send_now(session, approver, poll.broadcast_id, now=clock())
    harness.app._wake_outbox()
    return poll.id


async def arrived(harness, person) -> dict:
    """The poll's message, once the outbox has delivered it."""
    emulator = harness.zalo if person.platform == "zalo" else harness.telegram
    assert await emulator.wait_for(lambda: any(QUESTION in m["text"] for m in person.transcript()))
    (message,) = [m for m in person.new_messages() if QUESTION in m["text"]]
    return message


async def votes(session_factory, poll_id: int) -> list[int]:
    async with session_factory() as session:
        return (await polls.results(session, poll_id)).counts


async def test_a_poll_that_comes_while_nothing_is_open_is_answered_by_its_option(
    platform, harness, start_app, seeded, session_factory, clock
):
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app(broadcast_limits=False)
    poll_id = await release_poll(harness, session_factory, clock)

    assert (await arrived(harness, officer))["options"] == OPTIONS
    voted = await officer.choose("Buổi chiều")
    assert voted[0]["text"].startswith("Đã ghi nhận lựa chọn của bạn: “Buổi chiều”")
    assert await votes(session_factory, poll_id) == [0, 1]

    listed = await officer.say("/khaosat")
    assert listed[-1]["options"] == [f"Số {poll_id}: {QUESTION}"]
    shown = await officer.choose(f"Số {poll_id}: {QUESTION}")
    assert "Bạn đã chọn “Buổi chiều”" in shown[-1]["text"] and shown[-1]["options"] == OPTIONS


@pytest.mark.parametrize("platform", ["zalo"])  # Telegram has buttons: no number is typed
async def test_on_zalo_a_poll_in_the_middle_of_a_report_leaves_1_to_the_report_then_khaosat_takes_the_vote(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = NOV_10_0931
    await register(session_factory, clock, platform=platform, n=OFFICER, name="Trần Thị Bình",
                   unit_code="29641", role=Role.OFFICER)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app(broadcast_limits=False)
    assert (await officer.say("/baocao"))[-1]["options"][0].startswith("Tháng 10/2026")
    poll_id = await release_poll(harness, session_factory, clock)

    poll = await arrived(harness, officer)
    assert poll["options"] == []  # the report's question keeps the numbers
    hint = re.search(r"gõ (/khaosat \d+)", poll["text"])
    assert hint is not None and hint.group(1) == f"/khaosat {poll_id}"

    step = await officer.say("1")  # answers the report: its first period offered, and on to question 1
    assert [m["text"] for m in step] == ["Câu 1/10. Trong kỳ, đơn vị đã tổ chức bao nhiêu buổi (cuộc) tuyên truyền?"]
    assert await votes(session_factory, poll_id) == [0, 0]

    shown = await officer.say(hint.group(1))
    assert [m["text"] for m in shown] == [f"Khảo sát số {poll_id}: {QUESTION}\n\n1. Buổi sáng\n2. Buổi chiều\nGõ số để chọn."]
    voted, asked_again = await officer.say("1")  # now "1" is the poll's
    assert voted["text"].startswith("Đã ghi nhận lựa chọn của bạn: “Buổi sáng”")
    assert await votes(session_factory, poll_id) == [1, 0]
    assert asked_again["text"].startswith("Bạn vẫn đang ở bước này") and "Câu 1/10." in asked_again["text"]

    step = await officer.say("12")  # and the report goes on where it was
    assert step[-1]["text"].startswith("Câu 2/10.")
    assert await votes(session_factory, poll_id) == [1, 0]
