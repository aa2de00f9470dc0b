"""`reachable`: everyone who holds a role at some units, each once, on the account they chose."""

from __future__ import annotations

from bot.services.people import people, units
from bot.services.people.reachable import account_of, by_unit, reachable
from bot.services.people.units import UnitRow
from storage.models import Identity, Person, Role

TREE = [
    UnitRow("86", "Tỉnh Vĩnh Long", "tỉnh", None),
    UnitRow("C1", "Xã Một", "xã", "86"),
    UnitRow("C2", "Xã Hai", "xã", "86"),
]


async def _someone(session, now, name: str, accounts: list[str], *, preferred: str | None = None,
                   blocked: tuple[str, ...] = ()) -> Person:
    person = Person(full_name=name, consent_at=now, created_at=now, preferred_platform=preferred)
    for platform in accounts:
        person.identities.append(Identity(
            platform=platform, external_id=f"{name}-{platform}", chat_id=f"{name}-{platform}", created_at=now,
            unreachable_at=now if platform in blocked else None,
        ))
    session.add(person)
    await session.flush()
    return person


async def test_each_person_once_on_the_chosen_reachable_account(session_factory, now):
    async with session_factory() as session, session.begin():
        await units.import_units(session, TREE, now=now)
        c1 = await units.unit_by_code(session, "C1")
        c2 = await units.unit_by_code(session, "C2")
        linked = await _someone(session, now, "linked", ["telegram", "zalo"], preferred="zalo")
        await people.grant_role(session, linked, c1, Role.OFFICER, granted_by=None, now=now)
        await people.grant_role(session, linked, c2, Role.UNIT_ADMIN, granted_by=None, now=now)
        fallback = await _someone(session, now, "fallback", ["telegram", "zalo"], preferred="zalo", blocked=("zalo",))
        await people.grant_role(session, fallback, c1, Role.OFFICER, granted_by=None, now=now)
        gone = await _someone(session, now, "gone", ["telegram"], blocked=("telegram",))
        await people.grant_role(session, gone, c1, Role.OFFICER, granted_by=None, now=now)
        citizen = await _someone(session, now, "citizen", ["zalo"])
        await people.grant_role(session, citizen, c1, Role.CITIZEN, granted_by=None, now=now)

    async with session_factory() as session:
        found = await reachable(session, roles=(Role.OFFICER, Role.UNIT_ADMIN), unit_ids=[c1.id, c2.id])
        assert sorted((r.chat_id, r.platform) for r in found) == [
            ("fallback-telegram", "telegram"), ("linked-zalo", "zalo")]
        assert next(r for r in found if r.person_id == linked.id).unit_ids == {c1.id, c2.id}
        assert {u: [r.chat_id for r in rs] for u, rs in by_unit(found).items()} == {
            c1.id: ["linked-zalo", "fallback-telegram"], c2.id: ["linked-zalo"]}

        assert [r.chat_id for r in await reachable(
            session, roles=(Role.OFFICER,), unit_ids=[c1.id], except_person=linked.id)] == ["fallback-telegram"]
        assert await reachable(session, roles=(Role.OFFICER,), unit_ids=[]) == []

        assert (await account_of(session, linked.id)).chat_id == "linked-zalo"
        assert await account_of(session, gone.id) is None
        assert await account_of(session, None) is None
