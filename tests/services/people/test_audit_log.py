"""Reading the audit log within the reader's scope: who sees which entries, and the filters."""

from __future__ import annotations

from datetime import timedelta

from bot.services import audit
from bot.services.people import audit_log, people, units
from bot.services.people.audit_log import AuditFilter
from bot.services.people.units import UnitRow
from storage.models import Person, Role

TREE = [
    UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None),
    UnitRow("D1", "Huyện Một", "huyện", "86"),
    UnitRow("C1", "Xã Một", "xã", "D1"),
    UnitRow("C3", "Xã Ba", "xã", "86"),
]


async def _someone(session, now, name, code, role):
    person = Person(full_name=name, consent_at=now, created_at=now)
    session.add(person)
    await session.flush()
    await people.grant_role(session, person, await units.unit_by_code(session, code), role, granted_by=None, now=now)
    return person


async def test_each_admin_reads_their_subtree_and_the_province_also_the_unattributed(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        province = await _someone(session, now, "Nguyễn Văn An", "86", Role.PROVINCE_ADMIN)
        district = await _someone(session, now, "Phạm Văn Cường", "D1", Role.UNIT_ADMIN)
        here = await _someone(session, now, "Hồ Thị Gần", "C1", Role.OFFICER)
        there = await _someone(session, now, "Mai Văn Xa", "C3", Role.OFFICER)
        later = now + timedelta(days=2)
        audit.record(session, "console.sign_in", now=later, actor_id=province.id)
        audit.record(session, "report.submit", now=later, actor_id=here.id, target="report:1")
        audit.record(session, "report.submit", now=later, actor_id=there.id, target="report:2")
        audit.record(session, "invite.create", now=later, actor_id=province.id, target="unit:C1",
                     details={"role": "officer", "count": 2})
        audit.record(session, "person.forget", now=later, actor_id=None, target="person:999")
        audit.record(session, "code.lockout", now=later, actor_id=None, target="account:zalo:5a123")

    async with session_factory() as session:
        top = await people.actor_of_person(session, province.id)
        middle = await people.actor_of_person(session, district.id)

        def seen(page):
            return [(row.action, row.actor_name, row.target.kind if row.target else None) for row in page.rows]

        everything = await audit_log.entries(session, top, AuditFilter(since=now + timedelta(days=1)))
        assert len(everything.rows) == 6 and not everything.has_next
        lockout = next(r for r in everything.rows if r.action == "code.lockout")
        assert lockout.target.kind == "account" and lockout.target.key == "zalo"  # never the account's id

        mine = await audit_log.entries(session, middle, AuditFilter(since=now + timedelta(days=1)))
        assert sorted(seen(mine)) == [("invite.create", "Nguyễn Văn An", "unit"),
                                      ("report.submit", "Hồ Thị Gần", "report")]
        registrations = await audit_log.entries(session, middle, AuditFilter(action="role.grant"))
        assert {r.target.label for r in registrations.rows} == {"Phạm Văn Cường", "Hồ Thị Gần"}

        by_name = await audit_log.entries(session, top, AuditFilter(actor_name="ho thi", since=now + timedelta(days=1)))
        assert seen(by_name) == [("report.submit", "Hồ Thị Gần", "report")]
        by_id = await audit_log.entries(session, top, AuditFilter(actor_id=there.id))
        assert seen(by_id) == [("report.submit", "Mai Văn Xa", "report")]
        c3 = await units.unit_by_code(session, "C3")
        assert seen(await audit_log.entries(session, top, AuditFilter(unit=c3, action="report.submit"))) == [
            ("report.submit", "Mai Văn Xa", "report")]
        assert (await audit_log.entries(session, top, AuditFilter(until=now))).rows == []
        invite = next(r for r in everything.rows if r.action == "invite.create")
        assert invite.details == {"role": "officer", "count": 2} and invite.target.label == "Xã Một"
        forgotten = next(r for r in everything.rows if r.action == "person.forget")
        assert forgotten.actor_id is None and forgotten.target.label is None  # the person is gone


async def test_pages_of_fifty_without_counting(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        province = await _someone(session, now, "An", "86", Role.PROVINCE_ADMIN)
        for n in range(audit_log.PER_PAGE + 5):
            audit.record(session, "console.sign_in", now=now + timedelta(minutes=n), actor_id=province.id)
    async with session_factory() as session:
        actor = await people.actor_of_person(session, province.id)
        first = await audit_log.entries(session, actor, AuditFilter(action="console.sign_in"))
        second = await audit_log.entries(session, actor, AuditFilter(action="console.sign_in"), page=2)
        assert len(first.rows) == 50 and first.has_next and first.rows[0].at > first.rows[-1].at
        assert len(second.rows) == 5 and not second.has_next
