"""The demo publishes on its two emulated Facebook Pages and shows the posts on /demo/fanpage."""

from __future__ import annotations

import aiohttp

from bot.core.clock import utc_now
from bot.demo import DEMO_PAGES, FACEBOOK_EMULATOR, start_demo
from bot.services.people import people
from bot.settings import Settings
from broadcasts import approval as broadcasts
from broadcasts.audience import Audience
from tests.integration.conftest import free_port

TEXT = "Thư ngỏ của Ủy ban MTTQ tỉnh gửi đồng bào nhân dịp ngày hội Đại đoàn kết."


async def test_an_approved_broadcast_with_pages_shows_on_the_demo_fanpage(tmp_path):
    port = free_port()
    settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{tmp_path}/demo.db", web_port=port,
                        allow_self_approval=True)
    app, emulator = await start_demo(settings)
    facebook = app.web.app[FACEBOOK_EMULATOR]
    try:
        async with app.session_factory() as session, session.begin():
            admin = await people.load_actor(session, "telegram", "9001")
            audience = Audience(units=("86",), roles=(), include_pages=True)
            item = await broadcasts.create(session, admin, text=TEXT, audience=audience, now=utc_now())
            await broadcasts.submit(session, admin, item.id, now=utc_now())
            await broadcasts.approve(session, admin, item.id, now=utc_now(), allow_self_approval=True)
            await broadcasts.send_now(session, admin, item.id, now=utc_now())
        app._wake_outbox()
        assert await facebook.wait_for(lambda: all(facebook.posts(page_id) for page_id, *_ in DEMO_PAGES))

        async with aiohttp.ClientSession(f"http://127.0.0.1:{port}") as http:
            async with http.get("/demo/fanpage") as r:
                assert r.status == 200 and "Trang Facebook (mô phỏng)" in await r.text()
            async with http.get("/fb/_fb/posts") as r:
                pages = (await r.json())["pages"]
            async with http.get("/") as r:
                assert "/demo/fanpage" in await r.text()
        assert {page["name"]: [post["message"] for post in page["posts"]] for page in pages} == {
            name: [TEXT] for _, _, name, _ in DEMO_PAGES
        }
    finally:
        await app.stop()
        await emulator.stop()
