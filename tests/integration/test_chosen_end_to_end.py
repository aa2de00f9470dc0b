"""What was chosen stays visible (issue #12, item 3), on Telegram and on Zalo.

Telegram: a press edits its question once, to the question plus "✓ <label>" with the buttons
gone, and a multi-choice question ticks its options in its own message instead of sending a
copy per tick. The press is answered in the webhook's response, so it costs no call of its own.
Zalo has no edits: each answer brings the next message, and nothing is lost.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.integration.test_reports_end_to_end import OFFICER, add_officer

TOPIC = "Trọng tâm: Nghị quyết Đại hội XIII và đại hội các cấp"


def _period(officer) -> str:
    return next(o for o in officer.options() if o.startswith("Tháng 11/2026"))


async def test_a_press_shows_the_chosen_answer_and_ticks_stay_in_one_message(
    platform, harness, start_app, seeded, session_factory, clock
):
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await add_officer(session_factory, clock, platform)
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app()

    await officer.say("/baocao")
    period = _period(officer)
    asked_at = len(officer.transcript()) - 1
    question = officer.transcript()[asked_at]
    after_press = await officer.choose(period)
    assert "Câu 1/10" in after_press[-1]["text"]  # the next question comes as its own message
    await officer.say("12")
    await officer.say("350")
    topics = await officer.choose(TOPIC)
    assert any(o.startswith("✓ Trọng tâm") for o in officer.options())

    if platform == "telegram":
        pressed = officer.transcript()[asked_at]
        assert pressed["text"] == f"{question['text']}\n\n✓ {period}"
        assert pressed["options"] == []
        assert topics == []  # the tick changed the question's own message, no new copy
        tick_again = await officer.choose("Nội dung khác")
        assert tick_again == []
        ticked = officer.transcript()[-1]["options"]
        assert "✓ Nội dung khác" in ticked and any(o.startswith("✓ Trọng tâm") for o in ticked)
    else:
        assert len(topics) == 1 and "Câu 3/10" in topics[0]["text"]  # Zalo: the list again, typed numbers

    done = await officer.choose("Xong")
    assert "Câu 4/10" in done[-1]["text"]
    if platform == "telegram":  # the finished question names what was ticked, not "Xong"
        topics_question = officer.transcript()[-2]
        assert topics_question["text"].endswith(f"✓ {TOPIC}; Nội dung khác") and not topics_question["options"]


async def test_a_press_costs_one_edit_and_no_separate_answer_on_telegram(
    harness, start_app, seeded, session_factory, clock, emulator
):
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await add_officer(session_factory, clock, "telegram")
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app()
    await officer.say("/baocao")

    before = len(emulator.api_calls())
    await officer.choose(_period(officer))
    assert emulator.api_calls()[before:] == ["editMessageText", "sendMessage"]
    assert [name for name, _ in emulator.webhook_replies] == ["answerCallbackQuery"]
    assert len(emulator.callback_answers) == 1  # the spinner stopped
    await officer.say("12")
    await officer.say("350")
    before = len(emulator.api_calls())
    await officer.choose(TOPIC)
    assert emulator.api_calls()[before:] == ["editMessageText"]
    assert "editMessageReplyMarkup" not in emulator.api_calls()


async def test_a_small_mix_costs_at_most_1_3_calls_per_update_on_telegram(
    harness, start_app, seeded, session_factory, clock, emulator
):
    """The mix of bench/bench_inbound.py, for one officer: half of the updates are presses."""
    clock.now = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)
    await add_officer(session_factory, clock, "telegram")
    officer = harness.person(OFFICER, "Trần Thị Bình")
    await start_app()
    before = len(emulator.api_calls())

    await officer.say("/trogiup")
    await officer.say("/baocao")
    period = _period(officer)
    await officer.choose(period)
    await officer.say("12")
    await officer.say("350")
    await officer.choose(TOPIC)
    await officer.choose("Nội dung khác")
    await officer.choose("Xong")
    await officer.choose(officer.options()[0])
    await officer.say("/huy")

    calls = emulator.api_calls()[before:]
    assert len(calls) / 10 <= 1.3, calls
    assert any(m["text"].endswith(f"✓ {period}") and not m["options"] for m in officer.transcript())
