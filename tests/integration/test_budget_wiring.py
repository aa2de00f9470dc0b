"""The root builds one sending budget per token and gives it to every sender of that token."""

from __future__ import annotations

from tests.conftest import USE_POSTGRES


async def test_replies_notices_and_the_outbox_of_a_token_share_one_budget(start_app):
    app = await start_app(broadcast_limits=True)
    telegram, zalo = app.budgets["telegram"], app.budgets["zalo"]
    assert app.telegram.application.bot.rate_limiter.pacer is telegram  # replies, notices, reminders
    assert app.telegram.application.bot.rate_limiter.interactive
    assert app._outbox_bot.rate_limiter.pacer is telegram  # broadcasts
    assert not app._outbox_bot.rate_limiter.interactive
    assert app.zalo.sender.pacer is zalo
    assert app.outbox._lanes[1].sender.pacer is zalo and app.outbox._lanes[1].sender.broadcasting
    # Several processes share a budget through PostgreSQL; SQLite's stays in the process.
    assert telegram.shared is zalo.shared is USE_POSTGRES
