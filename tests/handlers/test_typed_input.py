"""What a person types is what is stored: numbers keep their magnitude, text its storable form.

Through the dispatcher, on a real database (SQLite, and PostgreSQL with KETNOI_TEST_DB=postgres).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from storage.models import Feedback, Observation, Report, Unit
from tests.support import ChatUser, open_report

NOV_10 = datetime(2026, 11, 10, 2, 0, tzinfo=UTC)  # November is open for filing
# Invisible characters a copy-paste can bring, and half an emoji: what no database here can hold.
NUL_TEXT = "Nhân dân\x00 phấn khởi\x07, đồng tình."
BROKEN_EMOJI = "Bà con vui mừng \ud83d"


async def start_november(officer: ChatUser, clock) -> None:
    clock.now = NOV_10
    await open_report(officer)
    assert "Câu 1/10" in officer.text


async def stored(session_factory, model):
    async with session_factory() as session:
        return (await session.execute(select(model))).scalar_one()


async def test_a_decimal_comma_is_refused_where_a_whole_number_is_asked(officer, clock, session_factory):
    await start_november(officer, clock)
    await officer.send("1,5")
    assert "Câu này cần một số nguyên, còn “1,5” là số thập phân" in officer.text
    assert "Câu 1/10" in officer.text  # the same question again
    await officer.send("12.50")
    assert "Chưa rõ “12.50” là số nào" in officer.text and "Câu 1/10" in officer.text
    await officer.send("1.2.3.4")
    assert "“1.2.3.4” không phải là một số" in officer.text and "Câu 1/10" in officer.text
    await officer.send("12")
    assert "Câu 2/10" in officer.text
    assert (await stored(session_factory, Report)).answers == {"sessions": 12}


async def test_thousands_are_grouped_by_dots_or_spaces(officer, clock, session_factory):
    await start_november(officer, clock)
    await officer.send("1.250")
    await officer.send("12 000")
    assert "Câu 3/10" in officer.text
    assert (await stored(session_factory, Report)).answers == {"sessions": 1250, "attendance": 12000}
    await officer.send("/quaylai")
    assert "Giữ nguyên: 12.000" in [c.label for c in officer.last.replies[0].choices]  # shown as it is read


async def test_bounds_are_written_the_way_numbers_are_read(officer, clock):
    await start_november(officer, clock)
    await officer.send("12")
    await officer.send("20.000.000")
    assert "Số không được lớn hơn 10.000.000." in officer.text and "Câu 2/10" in officer.text


async def test_an_observation_counts_people_as_typed(officer, session_factory):
    await officer.send("/ghinhan")
    await officer.choose("Giá cả")
    await officer.choose("Trung lập")
    await officer.send("Bà con hỏi giá lúa.")
    await officer.send("2,5")
    assert "số nguyên" in officer.text
    await officer.send("1.250")
    assert "Đã ghi nhận tình hình dư luận" in officer.text
    assert (await stored(session_factory, Observation)).people_count == 1250


async def test_unstorable_characters_in_a_report_text_do_not_block_submitting(officer, clock, session_factory):
    await start_november(officer, clock)
    for answer in ("3", "40", "1", "2", "1", "0", "0"):
        await officer.send(answer)
    assert "Câu 8/10" in officer.text
    await officer.send(NUL_TEXT)
    assert "Câu 9/10" in officer.text
    await officer.send(BROKEN_EMOJI)
    await officer.choose("Bỏ qua")
    await officer.choose("Gửi báo cáo")
    assert "Đã gửi báo cáo Tháng 11/2026 của Xã Cái Nhum" in officer.text
    report = await stored(session_factory, Report)
    assert report.status == "submitted"
    assert report.answers["sentiment"] == "Nhân dân phấn khởi, đồng tình."
    assert report.answers["difficulties"] == "Bà con vui mừng \ufffd"  # shown as a broken character is


async def test_unstorable_characters_in_feedback_do_not_block_sending(dispatcher, admin, session_factory):
    stranger = ChatUser(dispatcher, "700")
    await stranger.send("/phananh")
    await stranger.choose("Gửi ẩn danh")
    await stranger.choose("Môi trường")
    await stranger.send("cai\x00 nhum")  # the unit search reads the same cleaned text
    assert "viết nội dung ý kiến" in stranger.text and "Không tìm thấy" not in stranger.text
    await stranger.send(f"Kênh\x00 nội đồng ô nhiễm {BROKEN_EMOJI}")
    await stranger.choose("Bỏ qua")
    await stranger.choose("Bỏ qua")
    assert "số tham chiếu PA-" in stranger.text
    item = await stored(session_factory, Feedback)
    assert item.text == "Kênh nội đồng ô nhiễm Bà con vui mừng \ufffd"
    async with session_factory() as session:
        assert (await session.get(Unit, item.unit_id)).code == "29641"  # Xã Cái Nhum


async def test_an_id_typed_with_odd_digits_gets_an_answer_not_an_apology(admin):
    await admin.send("/ketqua ²")
    assert "Không tìm thấy khảo sát này" in admin.text
    await admin.send("/trangthai ²")
    assert "Không tìm thấy tin số ²" in admin.text


async def test_an_id_larger_than_any_key_gets_an_answer_not_an_apology(admin):
    """PostgreSQL refuses to compare an INTEGER key with 99999999999: such an id must not reach SQL."""
    for command in ("/ketqua", "/dongthamdo"):
        await admin.send(f"{command} 99999999999")
        assert "Không tìm thấy khảo sát này" in admin.text
    for command in ("/trangthai", "/dungtin", "/huytin"):
        await admin.send(f"{command} 99999999999")
        assert "Không tìm thấy tin số 99999999999" in admin.text
