"""Sending to Zalo: options as a numbered list, long texts cut between paragraphs, our images as
URLs under /media/, and Zalo's errors mapped onto the one send-error taxonomy."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.channels.zalo.client import ZaloClient, ZaloError
from bot.channels.zalo.media import SharedMedia
from bot.channels.zalo.offers import SharedOffers
from bot.channels.zalo.render import render_text
from bot.channels.zalo.sender import ZaloSender, map_error
from bot.core.messages import Choice, Document, Outgoing, Photo
from bot.core.sending import RecipientGone, Rejected, Throttled, Transient
from bot.emulator.zalo import TINY_PNG, ZaloEmulator
from broadcasts.limits import Limits, SendBudget
from storage.models import ServedFile

TOKEN = "1234567:zalo-sender-test"
USER = "u1"
YES_NO = (Choice("yes", "Đồng ý"), Choice("no", "Không đồng ý"))


@pytest.fixture
async def emu() -> AsyncIterator[ZaloEmulator]:
    async with ZaloEmulator(TOKEN) as emulator:
        emulator.add_user(USER, "Lan")
        yield emulator


@pytest.fixture
def new_offers(session_factory):
    """Makes a keeper of offers (in the database); a second one is a restart."""
    return lambda: SharedOffers(session_factory)


@pytest.fixture
async def client(emu) -> AsyncIterator[ZaloClient]:
    async with ZaloClient(TOKEN, emu.base_url) as zalo:
        yield zalo


def test_choices_become_a_numbered_list_or_words_where_a_number_is_an_answer():
    assert render_text(Outgoing("Bạn có đồng ý không?", choices=YES_NO)) == (
        "Bạn có đồng ý không?\n\n1. Đồng ý\n2. Không đồng ý\nGõ số để chọn."
    )
    numbered = (Choice("a", "1. Số buổi"), Choice("b", "2. Số người"))
    assert render_text(Outgoing("Sửa mục nào?", choices=numbered)).splitlines()[2:4] == ["1. Số buổi", "2. Số người"]
    free = render_text(Outgoing("Bao nhiêu cuộc?", choices=(Choice("keep", "Giữ nguyên: 3"),), free_input=True))
    assert "• Giữ nguyên: 3" in free and "1." not in free


async def test_a_2500_character_text_arrives_as_two_messages_cut_between_paragraphs(emu, client):
    first, second = "Một câu dài. " * 115, "Câu khác. " * 100  # 1,495 and 1,000 characters
    text = f"{first.strip()}\n\n{second.strip()}"
    assert 2400 < len(text) < 2600
    await ZaloSender(client).send(USER, Outgoing(text, choices=YES_NO))
    sent = emu.texts(USER)
    assert sent[0] == first.strip()
    assert sent[1].startswith(second.strip()) and sent[1].endswith("Gõ số để chọn.")  # the options end it


async def test_our_images_are_sent_by_url_and_files_as_links(emu, client, session_factory):
    media = SharedMedia(session_factory)
    sender = ZaloSender(client, media=media, public_base_url="https://ketnoi.example.vn/")
    await sender.send(USER, Outgoing("Mã QR", photo=Photo(TINY_PNG, "moi.png")))
    await sender.send(USER, Outgoing("Lại mã QR", photo=Photo(TINY_PNG, "moi.png")))
    await sender.send(USER, Outgoing("Báo cáo tháng", document=Document(b"PK\x03\x04", "bao-cao.xlsx")))
    first, again, document = emu.messages(USER)
    assert first["photo_url"].startswith("https://ketnoi.example.vn/media/") and first["caption"] == "Mã QR"
    assert again["photo_url"] == first["photo_url"]  # the same picture is stored once
    name = first["photo_url"].rsplit("/", 1)[1]
    async with session_factory() as session:
        kept = await session.scalar(select(ServedFile.data).where(ServedFile.name == name))
    assert name.endswith(".png") and len(name) > 30 and kept == TINY_PNG
    assert "📎 Tải tệp bao-cao.xlsx: https://ketnoi.example.vn/media/" in document["text"]


async def test_without_a_public_url_the_text_goes_alone_with_a_note(emu, client, session_factory):
    await ZaloSender(client, media=SharedMedia(session_factory)).send(USER, Outgoing("Biểu đồ", photo=Photo(TINY_PNG)))
    (message,) = emu.messages(USER)
    assert message["photo_url"] is None and message["text"].startswith("Biểu đồ\n\n(Ảnh kèm theo chưa gửi được")


async def test_a_long_text_with_a_photo_sends_the_photo_last(emu, client, session_factory):
    sender = ZaloSender(client, media=SharedMedia(session_factory), public_base_url="https://k.vn")
    await sender.send(USER, Outgoing("Chữ. " * 500, photo=Photo(TINY_PNG)))
    kinds = ["photo" if m["photo_url"] else "text" for m in emu.messages(USER)]
    assert kinds == ["text", "text", "photo"]


async def test_errors_follow_the_taxonomy(emu, client):
    sender = ZaloSender(client, throttle_seconds=45)
    emu.fail_next("sendMessage", 429, "Quota exceeded")
    with pytest.raises(Throttled) as throttled:
        await sender.send(USER, Outgoing("a"))
    assert throttled.value.retry_after == 45 and throttled.value.retryable
    emu.block_bot(USER)
    with pytest.raises(RecipientGone):
        await sender.send(USER, Outgoing("b"))
    with pytest.raises(RecipientGone):
        await sender.send("nobody", Outgoing("c"))


@pytest.mark.parametrize(("status", "description", "expected"), [
    (429, "Quota exceeded", Throttled),
    (None, "timed out", Transient),
    (502, "Bad gateway", Transient),
    (408, "Request timeout", Transient),
    (401, "Unauthorized", Rejected),
    (403, "Internal server error", Rejected),
    (403, "User has blocked the bot", RecipientGone),
    (400, "Bad request: text must be 1-2000 characters", Rejected),
    (404, "User not found", RecipientGone),
])
def test_every_zalo_error_has_its_place(status, description, expected):
    error = map_error(ZaloError("sendMessage", status, description))
    assert type(error) is expected and description in error.reason


async def test_the_outbox_sender_is_paced_per_call(emu, client):
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    pacer = SendBudget(Limits.zalo(5), clock=lambda: now[0], sleep=sleep)
    paced = ZaloSender(client).paced(pacer)
    await paced.send(USER, Outgoing("Đoạn một. " * 150 + "\n\n" + "Đoạn hai. " * 100))
    assert len(emu.messages(USER)) == 2 and waits == [1.0]  # one message a second to one person
    assert await paced.set_commands(USER, []) is None


async def test_replies_and_the_outbox_share_the_tokens_budget_replies_first(emu, client):
    now = [0.0]

    async def sleep(seconds: float) -> None:
        now[0] += seconds

    budget = SendBudget(Limits.zalo(5), clock=lambda: now[0], sleep=sleep)
    replies = ZaloSender(client, pacer=budget)  # the channel's sender, as the root builds it
    outbox = replies.paced(budget)
    emu.add_user("u2", "Minh")
    await replies.send(USER, Outgoing("Câu trả lời"))
    await outbox.send("u2", Outgoing("Tin tuyên truyền"))
    assert budget.granted == {True: 1, False: 1}
    assert emu.texts(USER) == ["Câu trả lời"] and emu.texts("u2") == ["Tin tuyên truyền"]


async def test_options_are_remembered_until_a_message_without_them(emu, client, new_offers):
    offers = new_offers()
    sender = ZaloSender(client, offers=offers)
    await sender.send(USER, Outgoing("Đồng ý không?", choices=YES_NO))
    assert await offers.resolve(USER, "2") == "no" and await offers.resolve(USER, "dong y") == "yes"
    assert await new_offers().resolve(USER, "1") == "yes"  # a restart (or another process) remembers
    assert await offers.resolve(USER, "3") is None and await offers.resolve(USER, "có") is None
    await sender.send(USER, Outgoing("Cảm ơn bạn."))
    assert await offers.resolve(USER, "1") is None and await new_offers().resolve(USER, "1") is None


async def test_a_notice_keeps_the_numbers_of_an_open_question_and_takes_them_when_none_is_open(emu, client, new_offers):
    """Issue #12: "1" answers the question the person has open, never a notice that came later."""
    from bot.channels.zalo.texts import ZALO

    offers = new_offers()
    sender = ZaloSender(client, offers=offers)
    await sender.send(USER, Outgoing("Báo cáo mới", choices=YES_NO), notice=True)  # nothing open: it is the question
    assert await offers.resolve(USER, "1") == "yes"
    await sender.send(USER, Outgoing("Phản ánh mới", choices=(Choice("fb", "Chuyển thành vụ việc khẩn"),)), notice=True)
    assert emu.texts(USER)[-1] == f"Phản ánh mới\n\n{ZALO['notice_waits']}"
    assert await offers.resolve(USER, "1") == "yes"
    await sender.send(USER, Outgoing("Tin tức"), notice=True)  # a notice without options closes nothing
    assert await offers.resolve(USER, "1") == "yes"
    await sender.send(USER, Outgoing("Đã chấp nhận."))  # a reply without options: the question is answered
    assert await offers.resolve(USER, "1") is None


async def test_a_broadcast_without_options_leaves_an_open_question_open(emu, client, new_offers):
    offers = new_offers()
    sender = ZaloSender(client, offers=offers)
    await sender.send(USER, Outgoing("Câu 4/10: Kênh?", choices=YES_NO))
    await sender.paced(SendBudget(Limits.zalo(5).without_pacing())).send(USER, Outgoing("Tin tuyên truyền"))
    assert emu.texts(USER)[-1] == "Tin tuyên truyền"
    assert await offers.resolve(USER, "1") == "yes"  # "1" still answers the question, not lost


async def test_a_reminder_that_comes_while_a_question_is_open_says_which_command_to_type(emu, client, new_offers):
    offers = new_offers()
    sender = ZaloSender(client, offers=offers)
    # A figure is typed: the question has no options, yet it is open (`asks`).
    await sender.send(USER, Outgoing("Câu 1/10: Số buổi?", free_input=True, asks=True))
    reminder = Outgoing("Nhắc hạn", choices=(Choice("cmd:run:baocao 2026-11", "Làm báo cáo ngay"),))
    await sender.send(USER, reminder, notice=True)
    assert emu.texts(USER)[-1] == "Nhắc hạn\n\nLàm báo cáo ngay: trả lời xong câu hỏi đang dở, gõ /baocao 2026-11"
    assert await offers.is_open(USER) and await offers.resolve(USER, "1") is None  # "1" is the answer 1


async def test_a_poll_that_comes_while_a_question_is_open_leaves_its_numbers_and_says_how_to_answer(
    emu, client, new_offers
):
    """Issue #12: the outbox's poll does not take over the numbers of the person's open question."""
    from bot.channels.zalo.texts import ZALO
    from broadcasts.polls import vote_choices

    offers = new_offers()
    sender = ZaloSender(client, offers=offers)
    outbox = sender.paced(SendBudget(Limits.zalo(5).without_pacing()))
    poll = Outgoing("Bà con muốn họp vào buổi nào?", choices=vote_choices(7, ["Buổi sáng", "Buổi chiều"]))
    await sender.send(USER, Outgoing("Câu 4/10: Kênh?", choices=YES_NO))
    await outbox.send(USER, poll)
    assert emu.texts(USER)[-1] == (
        "Bà con muốn họp vào buổi nào?\n\n"
        "Bạn đang trả lời dở một câu hỏi khác. Để trả lời khảo sát này, gõ /khaosat 7"
    )
    assert ZALO["poll_waits"].format(poll=7) in emu.texts(USER)[-1]
    assert await offers.resolve(USER, "1") == "yes" and await offers.resolve(USER, "2") == "no"  # still the question's
    assert await offers.resolve(USER, "Buổi sáng") is None

    await sender.send(USER, Outgoing("Đã lưu câu trả lời."))  # the question is answered: nothing open
    await outbox.send(USER, poll)
    assert emu.texts(USER)[-1] == "Bà con muốn họp vào buổi nào?\n\n1. Buổi sáng\n2. Buổi chiều\nGõ số để chọn."
    assert await offers.resolve(USER, "2") == "pv:vote:7-1"
