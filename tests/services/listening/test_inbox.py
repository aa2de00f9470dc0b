"""The desk's reading of listening: the feedback inbox (scope, filters, pages) and the board."""

from __future__ import annotations

from datetime import timedelta

from bot.services.listening import feedback as listening
from bot.services.listening import inbox
from bot.services.people import people, units
from bot.services.people.units import UnitRow
from storage.models import Person, Role

TREE = [
    UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None),
    UnitRow("D1", "Huyện Một", "huyện", "86"),
    UnitRow("C1", "Xã Một", "xã", "D1"),
    UnitRow("C2", "Xã Hai", "xã", "D1"),
    UnitRow("C3", "Xã Ba", "xã", "86"),
]


async def _person(session, now, name, unit_code, role) -> people.Actor:
    person = Person(full_name=name, consent_at=now, created_at=now)
    session.add(person)
    await session.flush()
    await people.grant_role(session, person, await units.unit_by_code(session, unit_code), role, granted_by=None,
                            now=now)
    return await people.actor_of_person(session, person.id)


async def _feedback(session, now, code, category="khac", tone=None, text="Ý kiến.", person_id=None, days_ago=0):
    unit = await units.unit_by_code(session, code)
    return await listening.submit_feedback(session, unit=unit, category=category, tone=tone, text=text, photos=[],
                                           person_id=person_id, now=now - timedelta(days=days_ago))


async def test_the_inbox_reads_the_readers_scope_with_filters_newest_first(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        member = await _person(session, now, "Lê Văn Tư", "C1", Role.MEMBER)
        await _feedback(session, now, "C1", "moitruong", "negative", "Rác thải ven kênh 100%_", days_ago=2,
                        person_id=member.person_id)
        answered = await _feedback(session, now, "C2", "yte", "positive", "Trạm y tế tốt.", days_ago=1,
                                   person_id=member.person_id)
        answered.answered_at = now
        await _feedback(session, now, "C3", "giaoduc", None, "Thiếu phòng học.")
        province = await _person(session, now, "An", "86", Role.PROVINCE_ADMIN)
        district = await _person(session, now, "Cường", "D1", Role.UNIT_ADMIN)
        nobody = await _person(session, now, "Năm", "C1", Role.OFFICER)

    async with session_factory() as session:
        everything = await inbox.inbox(session, province, inbox.InboxFilter())
        assert [r.text for r in everything.rows] == ["Thiếu phòng học.", "Trạm y tế tốt.", "Rác thải ven kênh 100%_"]
        assert everything.total == 3 and not everything.has_next
        mine = await inbox.inbox(session, district, inbox.InboxFilter())
        assert {r.unit_name for r in mine.rows} == {"Xã Một", "Xã Hai"}
        assert (await inbox.inbox(session, nobody, inbox.InboxFilter())).total == 0  # not an admin

        def texts(page):
            return [r.text for r in page.rows]

        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(category="yte"))) == ["Trạm y tế tốt."]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(tone="negative"))) == [
            "Rác thải ven kênh 100%_"]
        c3 = await units.unit_by_code(session, "C3")
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(unit=c3))) == ["Thiếu phòng học."]
        assert texts(await inbox.inbox(session, district, inbox.InboxFilter(unit=c3))) == []  # outside their scope
        window = inbox.InboxFilter(since=now - timedelta(days=1, hours=1), until=now - timedelta(hours=1))
        assert texts(await inbox.inbox(session, province, window)) == ["Trạm y tế tốt."]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(text="PHÒNG"))) == ["Thiếu phòng học."]
        for typed in ("phong hoc", "thieu  PHONG", "Phòng Học"):  # as staff type it: diacritics or not
            assert texts(await inbox.inbox(session, province, inbox.InboxFilter(text=typed))) == ["Thiếu phòng học."]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(text="100%_"))) == [
            "Rác thải ven kênh 100%_"]  # LIKE's wildcards are searched as themselves
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(text="%"))) == [
            "Rác thải ven kênh 100%_"]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(state=inbox.WAITING))) == [
            "Rác thải ven kênh 100%_"]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(state=inbox.ANSWERED))) == [
            "Trạm y tế tốt."]
        assert texts(await inbox.inbox(session, province, inbox.InboxFilter(state=inbox.ANONYMOUS))) == [
            "Thiếu phòng học."]


async def test_pages_of_fifty(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        for n in range(inbox.PER_PAGE + 3):
            await _feedback(session, now - timedelta(minutes=n), "C3", text=f"Số {n}.")
        province = await _person(session, now, "An", "86", Role.PROVINCE_ADMIN)
    async with session_factory() as session:
        first = await inbox.inbox(session, province, inbox.InboxFilter())
        second = await inbox.inbox(session, province, inbox.InboxFilter(), page=2)
        assert len(first.rows) == 50 and first.has_next and first.pages == 2 and first.rows[0].text == "Số 0."
        assert [r.text for r in second.rows] == ["Số 50.", "Số 51.", "Số 52."] and not second.has_next


async def test_detail_names_the_sender_but_never_a_citizen_or_an_anonymous_one(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        member = await _person(session, now, "Lê Văn Tư", "C1", Role.MEMBER)
        citizen = await _person(session, now, None, "C2", Role.CITIZEN)
        named = await _feedback(session, now, "C3", person_id=member.person_id)
        from_citizen = await _feedback(session, now, "C2", person_id=citizen.person_id)
        anonymous = await _feedback(session, now, "C2")
    async with session_factory() as session:
        detail = await inbox.feedback_detail(session, named.id)
        assert detail.sender == inbox.Sender("Lê Văn Tư", "Xã Một") and detail.unit.code == "C3"
        assert (await inbox.feedback_detail(session, from_citizen.id)).sender == inbox.Sender(None, "Xã Hai")
        assert (await inbox.feedback_detail(session, anonymous.id)).sender is None
        assert await inbox.feedback_detail(session, 10**6) is None


async def test_the_board_in_scope_by_status_with_who_may_act(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        province = await _person(session, now, "An", "86", Role.PROVINCE_ADMIN)
        district = await _person(session, now, "Cường", "D1", Role.UNIT_ADMIN)
        commune = await _person(session, now, "Bình", "C1", Role.UNIT_ADMIN)
        c1, c3 = await units.unit_by_code(session, "C1"), await units.unit_by_code(session, "C3")
        here = await listening.raise_issue(session, province, c1, category="khac", text="Ở Xã Một.", now=now)
        there = await listening.raise_issue(session, province, c3, category="khac", text="Ở Xã Ba.", now=now)
        done = await listening.raise_issue(session, province, c3, category="khac", text="Xong.", now=now)
        await listening.change_status(session, there, province, listening.ACKNOWLEDGED, now)
        await listening.change_status(session, done, province, listening.RESOLVED, now)
    async with session_factory() as session:
        board = await inbox.issue_board(session, province)
        assert board.counts == {"open": 1, "acknowledged": 1, "resolved": 1}
        assert [c.issue.text for c in board.columns["acknowledged"]] == ["Ở Xã Ba."]
        assert board.columns["resolved"][0].resolved_by == "An" and board.columns["open"][0].raised_by == "An"
        theirs = await inbox.issue_board(session, district)
        assert theirs.counts == {"open": 1, "acknowledged": 0, "resolved": 0}
        assert theirs.columns["open"][0].can_act  # the district is above the commune
        own = await inbox.issue_board(session, commune)
        assert [c.issue.id for c in own.columns["open"]] == [here.id] and not own.columns["open"][0].can_act
        assert (await inbox.issue_of_feedback(session, 1)) is None
