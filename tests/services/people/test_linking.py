"""Where a person with two accounts is written to: the SQL used for audiences and the Python used
for notices must always pick the same single account."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from bot.core.errors import UserFacingError
from bot.services.people import linking
from storage.models import Identity, Person


async def _person(session, now, accounts: list[tuple[str, bool]], preferred: str | None) -> Person:
    person = Person(full_name="Người thử", consent_at=now, created_at=now, preferred_platform=preferred)
    for number, (platform, reachable) in enumerate(accounts):
        person.identities.append(Identity(
            platform=platform, external_id=f"{id(person)}-{number}", chat_id=f"{id(person)}-{number}",
            created_at=now, unreachable_at=None if reachable else now,
        ))
    session.add(person)
    await session.flush()
    return person


CASES = [
    (accounts, preferred)
    for accounts in (
        [("telegram", True)],
        [("telegram", True), ("zalo", True)],
        [("zalo", True), ("telegram", True)],
        [("telegram", False), ("zalo", True)],
        [("telegram", True), ("zalo", False)],
        [("telegram", False), ("zalo", False)],
    )
    for preferred in (None, "telegram", "zalo")
]


def _with_person(clause):
    return lambda query: query.join(Person, Person.id == Identity.person_id).where(clause())


async def test_sql_and_python_choose_the_same_account(session_factory, now):
    where = _with_person(linking.is_preferred_identity)
    async with session_factory() as session, session.begin():
        people = [await _person(session, now, accounts, preferred) for accounts, preferred in CASES]
    async with session_factory() as session:
        chosen = set((await session.execute(
            where(select(Identity.id).where(Identity.unreachable_at.is_(None)))
        )).scalars())
        loaded = (await session.execute(select(Person).options(selectinload(Person.identities)))).scalars().all()
    expected = set()
    for person in loaded:
        best = linking.preferred_identity(person.identities, person.preferred_platform)
        if best is not None:
            expected.add(best.id)
    assert chosen == expected
    assert len(people) == len(CASES)
    by_person = {i.person_id for p in loaded for i in p.identities if i.id in chosen}
    assert len(by_person) == len(chosen)  # never two accounts of one person


async def test_a_preferred_account_that_became_unreachable_falls_back(session_factory, now):
    async with session_factory() as session, session.begin():
        person = await _person(session, now, [("telegram", True), ("zalo", True)], "zalo")
        zalo = next(i for i in person.identities if i.platform == "zalo")
    async with session_factory() as session:
        assert await linking.preferred_chat(session, "telegram", person.identities[0].chat_id) == ("zalo", zalo.chat_id)
        assert await linking.preferred_chat(session, "telegram", person.identities[0].chat_id, ["telegram"]) == (
            "telegram", person.identities[0].chat_id)
        assert await linking.preferred_chat(session, "zalo", "a-group") == ("zalo", "a-group")
    async with session_factory() as session, session.begin():
        await session.execute(update(Identity).where(Identity.id == zalo.id).values(unreachable_at=now))
    async with session_factory() as session:
        assert (await linking.preferred_chat(session, "zalo", zalo.chat_id))[0] == "telegram"


async def test_codes_work_once_and_only_for_a_new_platform(session_factory, now):
    async with session_factory() as session, session.begin():
        person = await _person(session, now, [("telegram", True)], None)
        code = await linking.create_code(session, person, now=now)
    async with session_factory() as session, session.begin():
        linked = await linking.redeem(session, code, platform="zalo", external_id="z1", chat_id="z1", now=now)
        assert linked.preferred_platform == "telegram"  # nothing changes until the person chooses
        assert sorted(i.platform for i in linked.identities) == ["telegram", "zalo"]
    for platform, user in itertools.product(("zalo",), ("z2",)):
        async with session_factory() as session, session.begin():
            with pytest.raises(UserFacingError, match="link_used"):
                await linking.redeem(session, code, platform=platform, external_id=user, chat_id=user, now=now)
