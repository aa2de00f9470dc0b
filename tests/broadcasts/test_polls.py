"""A poll goes out through the outbox with its buttons; votes count once per person."""

from __future__ import annotations

from sqlalchemy import select

from bot.services.people import people
from bot.services.reporting.charts import poll_chart, poll_chart_data
from broadcasts import polls
from broadcasts.approval import approve, send_now, submit
from broadcasts.audience import Audience
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Identity, PollVote, Role
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


async def _released_poll(session_factory, clock, audience: Audience) -> int:
    """A poll written by AUTHOR, approved by APPROVER and released: its deliveries are pending."""
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        approver = await people.load_actor(session, "telegram", str(APPROVER))
        poll = await polls.create(session, author, question="Bà con muốn họp vào buổi nào?", options=OPTIONS,
                                  audience=audience, now=clock())
        await submit(session, author, poll.broadcast_id, now=clock())
        await approve(session, approver, poll.broadcast_id, now=clock())
        await send_now(session, approver, poll.broadcast_id, now=clock())
        return poll.id


async def _link_zalo_account(session_factory, clock, telegram_id: int, zalo_id: str) -> None:
    """The person behind this Telegram account also has a Zalo account (as /lienket makes)."""
    async with session_factory() as session, session.begin():
        identity = await people.find_identity(session, "telegram", str(telegram_id))
        session.add(Identity(person_id=identity.person_id, platform="zalo", external_id=zalo_id, chat_id=zalo_id,
                             created_at=clock()))


async def _votes(session_factory, poll_id: int) -> list[PollVote]:
    async with session_factory() as session:
        return list(await session.scalars(select(PollVote).where(PollVote.poll_id == poll_id)))


async def test_only_the_polls_audience_can_vote(community, session_factory, clock):
    """Vote buttons carry guessable data; a forged press from outside the audience counts nothing."""
    insiders, outsider_member, outsider_officer = [7101, 7102], 7201, 7301
    await community.people(insiders, "C1", Role.MEMBER)
    await community.people([outsider_member], "C3", Role.MEMBER)  # a member, but of another district
    await community.people([outsider_officer], "C1", Role.OFFICER)  # the right commune, not a member
    await _link_zalo_account(session_factory, clock, insiders[1], "zalo-7102")
    poll_id = await _released_poll(session_factory, clock, Audience(units=("D1",), roles=(Role.MEMBER,)))
    dispatcher = build_dispatcher(session_factory, HandlerConfig(), clock)

    # Nobody has been sent the message yet (the outbox has not run): being in the audience is enough.
    await ChatUser(dispatcher, str(insiders[0])).send(choice=f"pv:vote:{poll_id}-0")
    # The same person on their other, linked account.
    await ChatUser(dispatcher, "zalo-7102", platform="zalo").send(choice=f"pv:vote:{poll_id}-1")
    admin = ChatUser(dispatcher, str(AUTHOR))
    await admin.send(f"/ketqua {poll_id}")
    before = admin.last.replies[0].text
    assert "Tổng số lượt trả lời: 2" in before

    for outsider in (outsider_member, outsider_officer, AUTHOR):
        forger = ChatUser(dispatcher, str(outsider))
        await forger.send(choice=f"pv:vote:{poll_id}-2")
        assert forger.text == "Khảo sát này không được gửi tới bạn nên lựa chọn của bạn không được ghi nhận."

    assert sorted(vote.option for vote in await _votes(session_factory, poll_id)) == [0, 1]
    await admin.send(f"/ketqua {poll_id}")
    assert admin.last.replies[0].text == before


QUESTION = "Bà con muốn họp vào buổi nào?"  # `_released_poll`'s


async def test_khaosat_shows_a_poll_again_with_its_options_to_those_it_was_sent_to(community, session_factory, clock):
    """Issue #12: where a poll came without its numbers (Zalo, a question open), /khaosat N answers it."""
    await community.people([7401], "C1", Role.MEMBER)
    poll_id = await _released_poll(session_factory, clock, Audience(units=("D1",), roles=(Role.MEMBER,)))
    member = ChatUser(build_dispatcher(session_factory, HandlerConfig(), clock), "7401")

    (shown,) = await member.send(f"/khaosat {poll_id}")
    assert shown.text == f"Khảo sát số {poll_id}: {QUESTION}"
    assert [c.label for c in shown.choices] == OPTIONS
    await member.choose("Chưa rõ")
    assert member.text == "Đã ghi nhận lựa chọn của bạn: “Chưa rõ”. Bạn có thể chọn lại để đổi ý trước khi khảo sát kết thúc."
    assert [v.option for v in await _votes(session_factory, poll_id)] == [2]

    (shown,) = await member.send(f"/vote {poll_id}")  # the English name; what they chose is said
    assert shown.text.endswith("Bạn đã chọn “Chưa rõ”. Bạn có thể chọn lại để đổi ý trước khi khảo sát kết thúc.")
    await member.choose("Đồng tình")
    assert [v.option for v in await _votes(session_factory, poll_id)] == [0]

    (listed,) = await member.send("khảo sát")  # the plain words list the polls still open for them
    assert listed.text == "Các khảo sát đang mở gửi tới bạn. Chọn một khảo sát để xem và trả lời:"
    assert [c.label for c in listed.choices] == [f"Số {poll_id}: {QUESTION}"]
    (opened,) = await member.choose(f"Số {poll_id}: {QUESTION}")
    assert opened.text.startswith(f"Khảo sát số {poll_id}: ") and [c.label for c in opened.choices] == OPTIONS


async def test_khaosat_refuses_as_a_vote_would(community, session_factory, clock):
    """Not sent to you, unknown, not a number, closed: a sentence each, and never the options."""
    await community.people([7501], "C1", Role.MEMBER)
    await community.people([7502], "C3", Role.MEMBER)  # another district: not in the audience
    poll_id = await _released_poll(session_factory, clock, Audience(units=("D1",), roles=(Role.MEMBER,)))
    dispatcher = build_dispatcher(session_factory, HandlerConfig(), clock)
    member, outsider, admin = (ChatUser(dispatcher, user) for user in ("7501", "7502", str(AUTHOR)))

    answers = [
        (outsider, f"/khaosat {poll_id}", "Khảo sát này không được gửi tới bạn nên lựa chọn của bạn không được ghi nhận."),
        (outsider, "/khaosat", "Hiện không có khảo sát nào đang mở gửi tới bạn."),
        (member, f"/khaosat {poll_id + 1}", "Không tìm thấy khảo sát này."),
        (member, "/khaosat 99999999999", "Không tìm thấy khảo sát này."),
        (member, "/khaosat ba", "Không tìm thấy khảo sát này."),
        (admin, f"/khaosat {poll_id}", "Lệnh /khaosat dành cho quản trị viên đơn vị, cán bộ, hội viên, đoàn viên và "
                                       "người dân. Gõ /trogiup để xem các lệnh bạn dùng được."),
    ]
    for person, typed, answer in answers:
        replies = await person.send(typed)
        assert (person.text, [r.choices for r in replies]) == (answer, [()]), typed

    await admin.send(f"/dongthamdo {poll_id}")
    clock.advance(minutes=1)
    await member.send(f"/khaosat {poll_id}")
    assert member.text == "Khảo sát này đã kết thúc hoặc chưa được gửi."
    await member.send("/khaosat")
    assert member.text == "Hiện không có khảo sát nào đang mở gửi tới bạn."


async def test_a_poll_not_yet_released_is_not_listed_nor_shown(community, session_factory, clock):
    await community.people([7601], "C1", Role.MEMBER)
    async with session_factory() as session, session.begin():
        author = await people.load_actor(session, "telegram", str(AUTHOR))
        poll = await polls.create(session, author, question=QUESTION, options=OPTIONS,
                                  audience=Audience(units=("D1",), roles=(Role.MEMBER,)), now=clock())
        await submit(session, author, poll.broadcast_id, now=clock())
    member = ChatUser(build_dispatcher(session_factory, HandlerConfig(), clock), "7601")
    await member.send(f"/khaosat {poll.id}")
    assert member.text == "Khảo sát này đã kết thúc hoặc chưa được gửi."
    await member.send("/khaosat")
    assert member.text == "Hiện không có khảo sát nào đang mở gửi tới bạn."


async def test_in_the_middle_of_a_flow_the_shown_poll_is_the_question_until_it_is_answered(
    community, session_factory, clock
):
    """The step in progress is not asked again under the poll (on Zalo it would take the numbers);
    once the poll is answered, it is."""
    await community.people([7701], "C1", Role.MEMBER)
    poll_id = await _released_poll(session_factory, clock, Audience(units=("D1",), roles=(Role.MEMBER,)))
    member = ChatUser(build_dispatcher(session_factory, HandlerConfig(), clock), "7701")
    (step,) = await member.send("/phananh")
    assert step.choices

    (shown,) = await member.send(f"/khaosat {poll_id}")
    assert [c.label for c in shown.choices] == OPTIONS
    voted, asked_again = await member.choose("Không đồng tình")
    assert voted.text.startswith("Đã ghi nhận lựa chọn của bạn: “Không đồng tình”")
    assert asked_again.text.startswith("Bạn vẫn đang ở bước này") and asked_again.choices == step.choices

    (refused,) = await member.send(f"/khaosat {poll_id + 1}")  # a refusal asks the step again under it
    assert refused.text.startswith("Không tìm thấy khảo sát này.") and refused.choices == step.choices
