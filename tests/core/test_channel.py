"""Both chat channels are one `Channel` to the root, and neither routes notices itself."""

from __future__ import annotations

import inspect

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker

from bot.channels.telegram.channel import TelegramChannel
from bot.channels.zalo.channel import ZaloChannel
from bot.channels.zalo.client import ZaloClient
from bot.channels.zalo.inbox import SharedInbox
from bot.channels.zalo.offers import SharedOffers
from bot.core.channel import Channel
from bot.core.messages import Incoming, Outgoing, Response

TOKEN = "123:abc"


async def _ignore(incoming: Incoming, deliver) -> None:
    return None


def _channels() -> list[object]:
    sessions = async_sessionmaker()  # never opened: nothing here reaches the database
    return [
        TelegramChannel(token=TOKEN, base_url="http://127.0.0.1:9/bot", handle=_ignore),
        ZaloChannel(client=ZaloClient(TOKEN, "http://127.0.0.1:9"), handle=_ignore,
                    inbox=SharedInbox(sessions), offers=SharedOffers(sessions)),
    ]


def test_both_channels_implement_the_channel_protocol():
    assert all(isinstance(channel, Channel) for channel in _channels())


@pytest.mark.parametrize("channel_type", [TelegramChannel, ZaloChannel])
def test_a_channel_takes_the_roots_handle_not_the_dispatcher_or_a_notify_callback(channel_type):
    parameters = inspect.signature(channel_type.__init__).parameters
    assert "handle" in parameters and not {"dispatcher", "notify"} & set(parameters)


async def test_deliver_sends_no_notice():
    """Notices are the root's to route: a channel given a response with notices only sends nothing."""
    zalo = _channels()[1]
    sent: list[tuple[str, Outgoing]] = []

    async def record(chat_id: str, message: Outgoing) -> str:
        sent.append((chat_id, message))
        return "1"

    zalo.sender.send = record
    await zalo.deliver("chat", Response(replies=[Outgoing("trả lời")], notices=[Outgoing("thông báo", chat_id="x")]))
    assert [m.text for _, m in sent] == ["trả lời"]
