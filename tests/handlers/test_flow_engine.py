"""The flow engine itself (handlers/flow.py), with a small flow of its own: a number, a choice,
a question asked only for one choice, and free text. Through the real Dispatcher on a real
database, so what is checked is what a person sees and what the conversation row keeps."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.messages import Choice, Outgoing
from handlers import texts
from handlers.answers import Number, OneOf, Text
from handlers.catalogue import EVERYONE, Catalogue, Command
from handlers.dispatch import Dispatcher
from handlers.flow import Context, Flow, FlowEngine, HandlerConfig, Step
from handlers.registry import build_catalogue, build_flows
from storage.models import Conversation, ConversationStatus
from tests.support import ChatUser

ASK_COUNT = "Có bao nhiêu hộ tham gia?"
ASK_KIND = "Hình thức nào?"
ASK_OTHER = "Hình thức khác là gì?"
ASK_NOTE = "Ghi chú thêm?"
KINDS = (Choice("meeting", "Họp dân"), Choice("visit", "Đến nhà"), Choice("other", "Khác"))
TTL = timedelta(hours=72)


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    shown = ", ".join(f"{key}={answers[key]}" for key in ("count", "kind", "other", "note") if key in answers)
    return [Outgoing(f"Xong: {shown}")]


SURVEY = Flow(
    name="survey",
    steps=(
        Step("count", ASK_COUNT, Number(1, 100)),
        Step("kind", ASK_KIND, OneOf(KINDS)),
        Step("other", ASK_OTHER, Text(maximum=50, minimum=3), when=lambda a: a.get("kind") == "other"),
        Step("note", ASK_NOTE, Text(maximum=200, minimum=3)),
    ),
    finish=_finish,
)


async def _survey_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    return await engine.start(ctx, SURVEY.name)


def survey_dispatcher(session_factory, clock) -> Dispatcher:
    """The real dispatcher, with the real /huy and /quaylai, and one more command: /khaosat."""
    commands = [*build_catalogue().commands,
                Command("survey", "khaosat", EVERYONE, _survey_command, "Khảo sát", manages_flow=True)]
    return Dispatcher(session_factory, FlowEngine([*build_flows(), SURVEY]), Catalogue(commands),
                      HandlerConfig(conversation_ttl=TTL), clock)


@pytest.fixture
def person(session_factory, clock) -> ChatUser:
    return ChatUser(survey_dispatcher(session_factory, clock), "700")


async def the_conversation(session_factory) -> Conversation:
    async with session_factory() as session:
        return (await session.execute(select(Conversation).order_by(Conversation.id.desc()).limit(1))).scalar_one()


async def test_steps_are_asked_by_name_and_answers_saved_as_they_come(person, session_factory):
    await person.send("/khaosat")
    assert person.text == ASK_COUNT
    await person.send("12")
    assert person.text == ASK_KIND and [c.label for c in person.last.replies[0].choices] == ["Họp dân", "Đến nhà", "Khác"]
    conv = await the_conversation(session_factory)
    assert (conv.step, conv.answers, conv.status) == ("kind", {"count": 12}, ConversationStatus.WAITING)
    await person.choose("Đến nhà")
    assert person.text == ASK_NOTE  # "other" is asked only for "Khác"
    conv = await the_conversation(session_factory)
    assert (conv.step, conv.answers, conv.history) == ("note", {"count": 12, "kind": "visit"}, ["count", "kind"])
    await person.send("Bà con đồng tình.")
    assert person.text == "Xong: count=12, kind=visit, note=Bà con đồng tình."
    conv = await the_conversation(session_factory)
    assert (conv.status, conv.answers, conv.history) == (ConversationStatus.COMPLETED, {}, [])  # nothing kept


async def test_a_conditional_step_is_asked_when_its_condition_holds(person):
    await person.send("/khaosat")
    await person.send("3")
    await person.choose("Khác")
    assert person.text == ASK_OTHER
    await person.send("Loa phát thanh")
    await person.send("Không có")
    assert person.text == "Xong: count=3, kind=other, other=Loa phát thanh, note=Không có"


async def test_a_bad_answer_keeps_the_step_and_the_earlier_answers(person, session_factory):
    await person.send("/khaosat")
    await person.send("12")
    await person.send("chưa biết")  # neither a button nor one of the options' words
    assert person.text.endswith(ASK_KIND) and person.text != ASK_KIND  # an explanation, then the question
    await person.choose("Họp dân")
    await person.send("ab")  # too short
    assert person.text.endswith(ASK_NOTE) and person.text != ASK_NOTE
    conv = await the_conversation(session_factory)
    assert (conv.step, conv.answers) == ("note", {"count": 12, "kind": "meeting"})
    await person.send("200")  # a number is text here
    assert person.text == "Xong: count=12, kind=meeting, note=200"


async def test_a_number_out_of_bounds_is_refused_in_words(person):
    await person.send("/khaosat")
    await person.send("101")
    assert person.text == texts.ANSWER_ERRORS["too_large"].format(maximum=100) + "\n\n" + ASK_COUNT


async def test_back_returns_to_the_step_asked_before_and_keeps_the_answers(person, session_factory):
    await person.send("/khaosat")
    await person.send("/quaylai")
    assert person.text == texts.FLOW["nothing_to_go_back"] + "\n\n" + ASK_COUNT
    await person.send("12")
    await person.choose("Đến nhà")
    await person.send("/quaylai")  # from "note" back to "kind": "other" was never asked
    assert person.text == texts.FLOW["back"] + "\n\n" + ASK_KIND
    conv = await the_conversation(session_factory)
    assert (conv.step, conv.answers) == ("kind", {"count": 12, "kind": "visit"})
    await person.send("quay lại")  # the words work too
    assert person.text == texts.FLOW["back"] + "\n\n" + ASK_COUNT
    await person.send("15")  # an answer replaces the earlier one; the later ones stay until replaced
    await person.choose("Họp dân")
    await person.send("Tốt")
    assert person.text == "Xong: count=15, kind=meeting, note=Tốt"


async def test_cancel_ends_the_flow_and_keeps_nothing(person, session_factory):
    await person.send("/khaosat")
    await person.send("12")
    await person.send("/huy")
    assert person.text == texts.FLOW["cancelled"]
    conv = await the_conversation(session_factory)
    assert (conv.status, conv.answers) == (ConversationStatus.CANCELLED, {})
    await person.send("/huy")
    assert person.text == texts.FLOW["nothing_to_cancel"]


async def test_an_untouched_conversation_expires_after_the_ttl(person, clock, session_factory):
    await person.send("/khaosat")
    await person.send("12")
    clock.advance(hours=71, minutes=59)
    await person.choose("Họp dân")  # just in time: answering resets the clock
    clock.advance(hours=72)
    await person.send("Tốt")
    assert person.text.startswith(texts.FLOW["expired"])
    assert "Xong" not in person.text
    conv = await the_conversation(session_factory)
    assert (conv.status, conv.answers) == (ConversationStatus.EXPIRED, {})


async def test_after_a_restart_the_person_continues_at_the_same_step(person, session_factory, clock):
    await person.send("/khaosat")
    await person.send("12")
    await person.choose("Khác")
    restarted = ChatUser(survey_dispatcher(session_factory, clock), "700")  # a new process, the same database
    await restarted.send("Loa phát thanh")
    assert restarted.text == ASK_NOTE
    await restarted.send("Tốt")
    assert restarted.text == "Xong: count=12, kind=other, other=Loa phát thanh, note=Tốt"


async def test_starting_again_replaces_the_flow_in_progress(person):
    await person.send("/khaosat")
    await person.send("12")
    await person.send("/khaosat")
    assert person.text == texts.FLOW["replaced"] + "\n---\n" + ASK_COUNT
