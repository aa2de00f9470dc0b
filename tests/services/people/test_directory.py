"""Who is registered where: counts by role per unit, a unit's people, units without an officer,
invites still usable (for the printed sheet)."""

from __future__ import annotations

from datetime import timedelta

from bot.services.people import directory, invites, people, units
from bot.services.people.units import UnitRow
from storage.models import Identity, Person, Role

TREE = [
    UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None),
    UnitRow("D1", "Huyện Một", "huyện", "86"),
    UnitRow("C1", "Xã Một", "xã", "D1"),
    UnitRow("C2", "Xã Hai", "xã", "D1"),
    UnitRow("C3", "Xã Ba", "xã", "86"),
]


async def _someone(session, now, name, code, *roles, accounts=("telegram",), blocked=()):
    _someone.n = getattr(_someone, "n", 0) + 1
    person = Person(full_name=name, consent_at=now, created_at=now)
    for platform in accounts:
        person.identities.append(Identity(platform=platform, external_id=f"{_someone.n}-{platform}",
                                          chat_id=f"{_someone.n}-{platform}", created_at=now,
                                          unreachable_at=now if platform in blocked else None))
    session.add(person)
    await session.flush()
    for role in roles:
        await people.grant_role(session, person, await units.unit_by_code(session, code), role, granted_by=None,
                                now=now)
    return person


async def test_counts_roll_up_to_each_child_and_units_without_officers(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        await _someone(session, now, "An", "86", Role.PROVINCE_ADMIN)
        await _someone(session, now, "Bình", "C1", Role.OFFICER, Role.UNIT_ADMIN)
        await _someone(session, now, "Tư", "C1", Role.MEMBER)
        await _someone(session, now, "Năm", "C3", Role.MEMBER)
        await _someone(session, now, None, "C2", Role.CITIZEN)
        await _someone(session, now, "Cường", "D1", Role.UNIT_ADMIN)
    async with session_factory() as session:
        root = await units.unit_by_code(session, "86")
        found = await directory.overview(session, root)
        assert found.own.roles == {Role.PROVINCE_ADMIN: 1}
        by_name = {row.unit.name: row for row in found.rows}
        assert list(by_name) == ["Huyện Một", "Xã Ba"]  # children in name order
        assert by_name["Huyện Một"].roles == {Role.OFFICER: 1, Role.UNIT_ADMIN: 2, Role.MEMBER: 1, Role.CITIZEN: 1}
        assert (by_name["Huyện Một"].units, by_name["Huyện Một"].without_officer) == (3, 2)  # itself and Xã Hai
        assert (by_name["Xã Ba"].units, by_name["Xã Ba"].without_officer) == (1, 1)
        assert found.total[Role.MEMBER] == 2 and found.total.units == 4 and found.total.without_officer == 3

        admin = await people.actor_of_person(session, 1)
        missing = await directory.without_officer(session, admin)
        assert [(m.unit.name, m.parent_name) for m in missing] == [
            ("Huyện Một", "Tỉnh Vĩnh Long"), ("Xã Ba", "Tỉnh Vĩnh Long"), ("Xã Hai", "Huyện Một")]
        district = await units.unit_by_code(session, "D1")
        assert [m.unit.name for m in await directory.without_officer(session, admin, district)] == [
            "Huyện Một", "Xã Hai"]
        officer_only = await people.actor_of_person(session, 4)  # Năm, a member: no scope at all
        assert await directory.without_officer(session, officer_only) == []
        assert [u.name for u in await directory.trail(session, admin, await units.unit_by_code(session, "C1"))] == [
            "Tỉnh Vĩnh Long", "Huyện Một"]


async def test_a_units_people_admins_first_with_accounts_and_citizens_only_counted(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        await _someone(session, now, "Tư", "C1", Role.MEMBER, accounts=("telegram", "zalo"), blocked=("telegram",))
        await _someone(session, now, "Bình", "C1", Role.OFFICER, Role.UNIT_ADMIN)
        await _someone(session, now, "Gone", "C1", Role.OFFICER, blocked=("telegram",))
        for _ in range(3):
            await _someone(session, now, None, "C1", Role.CITIZEN)
    async with session_factory() as session:
        page = await directory.people_at(session, await units.unit_by_code(session, "C1"))
        assert [(p.full_name, p.roles) for p in page.people] == [
            ("Bình", (Role.UNIT_ADMIN, Role.OFFICER)), ("Gone", (Role.OFFICER,)), ("Tư", (Role.MEMBER,))]
        assert page.total == 3 and page.citizens == 3 and not page.has_next
        tu = page.people[2]
        assert [(a.platform, a.reachable) for a in tu.accounts] == [("telegram", False), ("zalo", True)]
        assert tu.reachable and not page.people[1].reachable


async def test_still_usable_keeps_the_order_and_leaves_out_used_expired_and_unknown_codes(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        c1 = await units.unit_by_code(session, "C1")
        fresh = await invites.create_invites(session, actor=None, unit=c1, role=Role.OFFICER, now=now,
                                             ttl=timedelta(days=14), count=3)
        old = await invites.create_invites(session, actor=None, unit=c1, role=Role.OFFICER,
                                           now=now - timedelta(days=20), ttl=timedelta(days=14))
        person = await _someone(session, now, "Bình", "C1")
        await invites.redeem(session, await invites.find_valid_invite(session, fresh[1], now), person.id, now)
    async with session_factory() as session:
        codes = [fresh[2], fresh[1], old[0], "NOTACODE", fresh[0].lower(), fresh[2]]
        usable = await invites.still_usable(session, codes, now)
        assert [(code, invite.unit.code) for code, invite in usable] == [(fresh[2], "C1"), (fresh[0], "C1")]
        assert await invites.still_usable(session, [], now) == []
