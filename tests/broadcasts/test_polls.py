"""A poll goes out through the outbox with its buttons; votes count once per person."""

from __future__ import annotations

from bot.services import people, polls
from bot.services.audience import Audience
from bot.services.broadcasts import approve, send_now, submit
from bot.services.charts import poll_chart, poll_chart_data
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Role
from tests.broadcasts.conftest import APPROVER, AUTHOR
from tests.support import ChatUser

MEMBERS = [7001, 7002, 7003]
OPTIONS = ["Đồng tình", "Không đồng tình", "Chưa rõ"]


async def test_poll_buttons_votes_changes_results_and_chart(community, make_worker, emu, session_factory, clock):
    await community.people(MEMBERS, "C1", Role.MEMBER)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        poll = await polls.create(session, author, question="Bà con có đồng tình làm đường liên ấp?",
                                  options=OPTIONS, audience=Audience(units=("86",), roles=(Role.MEMBER,)),
                                  now=clock())
        poll_id, broadcast_id = poll.id, poll.broadcast_id
        await submit(session, author, broadcast_id, now=clock())

    dispatcher = build_dispatcher(session_factory, HandlerConfig(), clock)
    early = ChatUser(dispatcher, str(MEMBERS[0]))
    await early.send(choice=f"pv:vote:{poll_id}-0")
    assert "đã kết thúc hoặc chưa được gửi" in early.text  # not approved, not sent: no votes

    async with session_factory() as session, session.begin():
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        await approve(session, approver, broadcast_id, now=clock())
        await send_now(session, approver, broadcast_id, now=clock())
    await (await make_worker()).drain()
    for member in MEMBERS:
        (message,) = emu.messages(member)
        assert [b["text"] for row in message["buttons"] for b in row] == OPTIONS

    voters = [ChatUser(dispatcher, str(m)) for m in MEMBERS]
    await voters[0].send(choice=f"pv:vote:{poll_id}-0")
    assert "Đã ghi nhận lựa chọn của bạn: “Đồng tình”" in voters[0].text
    await voters[0].send(choice=f"pv:vote:{poll_id}-1")  # changed: still one vote
    await voters[1].send(choice=f"pv:vote:{poll_id}-1")
    await voters[2].send(choice=f"pv:vote:{poll_id}-2")
    await voters[2].send(choice=f"pv:vote:{poll_id}-2")  # the same again: still one vote

    async with session_factory() as session:
        results = await polls.results(session, poll_id)
    assert results.counts == [0, 2, 1] and results.total == 3
    assert poll_chart_data(results.poll.question, OPTIONS, results.counts) == list(zip(OPTIONS, [0, 2, 1], strict=True))
    assert poll_chart(results.poll.question, OPTIONS, results.counts).startswith(b"\x89PNG")

    admin = ChatUser(dispatcher, str(AUTHOR))
    await admin.send(f"/ketqua {poll_id}")
    text, chart = admin.last.replies
    assert "- Không đồng tình: 2 (66,6%)" in text.text and "Tổng số lượt trả lời: 3" in text.text
    assert chart.photo.data.startswith(b"\x89PNG")
    await admin.send(f"/dongthamdo {poll_id}")
    clock.advance(minutes=1)
    await voters[1].send(choice=f"pv:vote:{poll_id}-0")
    assert "đã kết thúc" in voters[1].text
    async with session_factory() as session:
        assert (await polls.results(session, poll_id)).counts == [0, 2, 1]
