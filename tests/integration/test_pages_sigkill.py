"""`python -m bot run` killed with SIGKILL while publishing on Facebook Pages posts nothing twice.

The Graph emulator makes the posts on two of the three Pages but holds Facebook's answers, so the
kill lands after the posts exist and before the service learnt their ids: the worst case, since the
Graph API has no idempotency key. The second start takes the deliveries over once their lease
runs out; the journal (`bot.services.pages.journal`) shows an attempt without a post id, so it
reads the Pages' recent posts and records the post it finds instead of posting again.
"""

from __future__ import annotations

import signal
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.core.clock import utc_now
from bot.emulator.facebook import FacebookEmulator
from bot.services.pages import links
from bot.services.pages.sealing import TokenBox, new_key
from bot.services.people import people, units
from broadcasts.audience import Audience
from handlers.broadcast_texts import SUMMARY
from storage.models import Broadcast, BroadcastStatus, Delivery, DeliveryStatus, Role
from tests.integration.drivers import approve_and_send
from tests.integration.test_run_sigkill import Service, service_env

AUTHOR, APPROVER = 11, 12
PAGES = {"200000000000001": "86", "200000000000002": "29641", "200000000000003": "29653"}
HELD = {"200000000000002", "200000000000003"}
TEXT = "Ủy ban MTTQ tỉnh thông báo: ngày hội Đại đoàn kết toàn dân tộc tổ chức vào Chủ nhật."


@pytest.fixture
async def fb() -> AsyncIterator[FacebookEmulator]:
    emulator = FacebookEmulator()
    await emulator.start()
    yield emulator
    await emulator.stop()


async def seed(session_factory, emulator, fb, key: str) -> int:
    now = utc_now()
    box = TokenBox(key)
    async with session_factory() as session, session.begin():
        await units.import_units(session, units.rows_from_vietnam_provinces(86), now=now)
        province = await units.get_unit_by_code(session, "86")
        for user_id in (AUTHOR, APPROVER):
            emulator.add_user(user_id, f"Người {user_id}")
            person = await people.register(session, platform="telegram", external_id=str(user_id),
                                           chat_id=str(user_id), full_name=f"Người {user_id}", now=now)
            await people.grant_role(session, person, province, Role.PROVINCE_ADMIN, granted_by=None, now=now)
        for page_id, code in PAGES.items():
            fb.add_page(page_id, f"Trang {code}", f"EAAG-{page_id}")
            unit = await units.get_unit_by_code(session, code)
            await links.link_page(session, unit=unit, page_id=page_id, token=f"EAAG-{page_id}", box=box, now=now)
    return await approve_and_send(
        session_factory, platform="telegram", author=str(AUTHOR), approver=str(APPROVER),
        audience=Audience(units=("86",), roles=(Role.MEMBER,), include_pages=True), text=TEXT, now=now,
    )


@pytest.mark.timeout(300)  # two service start-ups on a busy machine
async def test_run_killed_with_sigkill_while_posting_on_pages_posts_nothing_twice(
    db_url, session_factory, emulator, fb, tmp_path
):
    key = new_key()
    broadcast_id = await seed(session_factory, emulator, fb, key)
    fb.hold(HELD)
    env = service_env(db_url, emulator.base_url) | {
        "PAGE_TOKEN_KEY": key, "FACEBOOK_GRAPH_API_BASE_URL": fb.base_url,
    }
    finished = SUMMARY["finished"].format(id=broadcast_id)

    def posts() -> dict[str, int]:
        return {page_id: len(fb.posts(page_id)) for page_id in PAGES}

    services: list[Service] = []
    try:
        first = await Service.start(env, tmp_path)
        services.append(first)
        assert await fb.wait_for(lambda: fb.held == len(HELD) and min(posts().values()) == 1), first.log()
        assert await first.stop(signal.SIGKILL) == -signal.SIGKILL
        async with session_factory() as session:
            unrecorded = set(await session.scalars(
                select(Delivery.chat_id).where(Delivery.broadcast_id == broadcast_id,
                                               Delivery.status == DeliveryStatus.PENDING)
            ))
        assert unrecorded >= HELD  # posted, but the dead service never learnt it
        fb.release()

        second = await Service.start(env, tmp_path)
        services.append(second)
        assert await emulator.wait_for(
            lambda: any(finished in (m["text"] or "") for m in emulator.messages(AUTHOR))
        ), second.log()

        assert posts() == dict.fromkeys(PAGES, 1)  # each Page once: nothing posted twice
        async with session_factory() as session:
            rows = list(await session.scalars(select(Delivery).where(Delivery.broadcast_id == broadcast_id)))
            assert (await session.get(Broadcast, broadcast_id)).status == BroadcastStatus.COMPLETED
        assert {row.chat_id: (row.status, row.message_id) for row in rows} == {
            page_id: (DeliveryStatus.SENT, fb.posts(page_id)[0].id) for page_id in PAGES
        }
        summary = next(m["text"] for m in emulator.messages(AUTHOR) if finished in (m["text"] or ""))
        assert all(fb.posts(page_id)[0].id in summary for page_id in PAGES)
        assert "EAAG" not in "\n".join(first.lines + second.lines)  # no token in any log line
        assert await second.stop(signal.SIGTERM) == 0, second.log()
    finally:
        fb.release()
        for number, service in enumerate(services, 1):
            if service.process.returncode is None:
                await service.stop(signal.SIGKILL)
            print(f"--- service {number}:\n{service.log()}")
