"""Plain-word commands ("báo cáo", "hủy") for people who do not type slashes, and the answer to
messages with nothing to read (stickers, voice messages)."""

from __future__ import annotations

import pytest

from handlers.registry import build_catalogue
from tests.support import ChatUser


@pytest.mark.parametrize("typed", ["báo cáo", "Báo Cáo", "bao cao", "BAO CAO.", "  báo   cáo  "])
def test_phrases_are_found_whatever_the_case_and_diacritics(typed):
    assert build_catalogue().find_phrase(typed).name == "report"


def test_no_phrase_is_claimed_twice_and_none_is_a_number():
    catalogue = build_catalogue()
    phrases = [p for c in catalogue.commands for p in c.phrases]
    assert len({catalogue.find_phrase(p).name for p in phrases}) == len({c.name for c in catalogue.commands if c.phrases})
    assert not any(p.strip().isdigit() for p in phrases)
    assert catalogue.find_phrase("báo cáo tháng 11") is None  # only the exact words


async def test_words_run_commands_when_no_question_waits(officer):
    await officer.send("báo cáo")
    assert "kỳ nào" in officer.text or "Câu 1/10" in officer.text


async def test_inside_a_flow_words_are_answers_except_cancel_and_back(admin):
    await admin.send("/moi")
    await admin.choose("Cán bộ")
    await admin.send("quay lại")
    assert "Quay lại bước trước" in admin.text and "vai trò nào" in admin.text
    await admin.send("Hủy")
    assert "Đã hủy" in admin.text
    await admin.send("hủy")
    assert "không có việc gì đang làm dở" in admin.text


async def test_a_message_with_nothing_to_read_gets_a_helpful_answer(stranger, officer):
    await stranger.send(None)
    assert "chỉ đọc được tin nhắn chữ" in stranger.text
    await officer.send(None)
    assert "chỉ đọc được tin nhắn chữ" in officer.text
    await officer.send("/baocao")
    await officer.send(None)  # inside a flow, the step says what it needs
    assert "chỉ đọc được" not in officer.text


async def test_zalo_group_commands_point_to_a_private_chat(dispatcher):
    group = ChatUser(dispatcher, "g-1", platform="zalo")
    await group.send("/trogiup", chat_type="group")
    assert group.text == "Bạn vui lòng nhắn riêng cho bot để đăng ký và sử dụng."


async def test_words_of_a_command_one_may_not_use_say_whom_it_is_for(officer):
    await officer.send("tiến độ")  # for admins only: we say so, rather than "Mình chưa hiểu"
    assert officer.text.startswith("Lệnh /tiendo dành cho quản trị viên cấp tỉnh và quản trị viên đơn vị.")
    assert "chưa hiểu" not in officer.text and "/trogiup" in officer.text


async def test_words_of_a_command_one_may_not_use_answer_a_waiting_question(officer):
    await officer.send("/phananh")
    await officer.choose("Gửi có tên")
    await officer.send("tiến độ")  # a waiting question takes them as words: no refusal
    assert "dành cho" not in officer.text
