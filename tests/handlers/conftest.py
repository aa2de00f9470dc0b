"""Domain-level fixtures: the dispatcher over a real database, driven with neutral events."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.people import people, units
from handlers.dispatch import Dispatcher
from handlers.flow import HandlerConfig
from handlers.registry import build_dispatcher
from storage.models import Identity, Person
from tests.support import ChatUser, FakeClock


@pytest.fixture
def clock(now) -> FakeClock:
    return FakeClock(now)


@pytest.fixture
def dispatcher(session_factory, clock) -> Dispatcher:
    return build_dispatcher(session_factory, HandlerConfig(), clock)


@pytest.fixture
async def province(session_factory, clock):
    """Vĩnh Long (86) and its 124 communes."""
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=clock())


@pytest.fixture
async def admin(province, session_factory, clock, dispatcher) -> ChatUser:
    """A province admin of Vĩnh Long, registered the way `admin add` does it."""
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, "86")
        person = await people.register(
            session, platform="telegram", external_id="100", chat_id="100",
            full_name="Nguyễn Văn An", now=clock(),
        )
        await people.grant_role(session, person, unit, "province_admin", granted_by=None, now=clock())
    return ChatUser(dispatcher, "100")


@pytest.fixture
def stranger(dispatcher) -> ChatUser:
    return ChatUser(dispatcher, "200")


async def register_person(session_factory, clock, user_id: str, name: str, unit_code: str, role: str) -> None:
    async with session_factory() as session, session.begin():
        unit = await units.get_unit_by_code(session, unit_code)
        person = await people.register(
            session, platform="telegram", external_id=user_id, chat_id=user_id,
            full_name=name, now=clock(),
        )
        await people.grant_role(session, person, unit, role, granted_by=None, now=clock())


@pytest.fixture
async def officer(admin, session_factory, clock, dispatcher) -> ChatUser:
    """An officer of Xã Cái Nhum (29641), whose reports go up to the province."""
    await register_person(session_factory, clock, "300", "Trần Thị Bình", "29641", "officer")
    return ChatUser(dispatcher, "300")


async def prefer_a_zalo_account(session_factory, clock, user_id: str) -> None:
    """The person on Telegram chat `user_id` also links Zalo account "z<user_id>" and chooses it."""
    async with session_factory() as session, session.begin():
        identity = (await session.execute(select(Identity).where(Identity.chat_id == user_id))).scalar_one()
        person = await session.get_one(Person, identity.person_id)
        session.add(Identity(person_id=person.id, platform="zalo", external_id=f"z{user_id}",
                             chat_id=f"z{user_id}", created_at=clock()))
        person.preferred_platform = "zalo"
