"""/lienketnhom (/linkchat): link a Telegram group or channel the bot sits in to a unit.

The bot records a group or channel when it is added (or made a channel admin); an admin then
links it here, in a private chat, so that the unit's broadcasts also reach that chat.
"""

from __future__ import annotations

from typing import Any

from bot.core.errors import UserFacingError
from bot.core.messages import Choice, Outgoing
from bot.services.people.people import ADMIN_ROLES
from bot.services.people.units import unit_by_code
from broadcasts import approval as service
from handlers.answers import OneOf
from handlers.flow import Context, Flow, FlowEngine, Step
from handlers.unit_answer import UnitAnswer
from storage.models import Unit

TEXTS = {
    "ask_chat": "Chọn nhóm hoặc kênh cần liên kết với đơn vị:",
    "linked_to": " (đang liên kết: {unit})",
    "ask_unit": "Liên kết “{title}” với đơn vị nào? Gõ tên hoặc mã đơn vị.",
    "done": "Đã liên kết “{title}” với {unit}. Tin gửi tới {unit} (có chọn nhóm, kênh) sẽ đến đây.",
    "none": "Bot chưa ở trong nhóm hay kênh nào. Hãy thêm bot vào nhóm (hoặc làm quản trị viên kênh) rồi thử lại.",
    "untitled": "Nhóm {chat_id}",
}


def _chat_choices(answers: dict[str, Any]) -> list[Choice]:
    return [Choice(f"chat:{chat_id}", label) for chat_id, label in answers["_chats"]]


def _title(answers: dict[str, Any]) -> str:
    return dict(answers["_titles"])[answers["chat"].removeprefix("chat:")]


async def _admin_units(ctx: Context, answers: dict[str, Any]) -> list[Unit]:
    return ctx.actor.units_with(*ADMIN_ROLES)


async def _finish(ctx: Context, answers: dict[str, Any]) -> list[Outgoing]:
    unit = await unit_by_code(ctx.session, answers["unit"])
    chat_id = answers["chat"].removeprefix("chat:")
    await service.link_chat(ctx.session, ctx.actor, platform=ctx.incoming.platform, chat_id=chat_id, unit=unit,
                            now=ctx.now)
    return [Outgoing(TEXTS["done"].format(title=_title(answers), unit=unit.name))]


LINK_CHAT = Flow(
    name="link_chat",
    steps=(
        Step("chat", TEXTS["ask_chat"], OneOf(_chat_choices)),
        Step("unit", lambda ctx, a: TEXTS["ask_unit"].format(title=_title(a)), UnitAnswer(_admin_units)),
    ),
    finish=_finish,
)


async def link_chat_command(ctx: Context, engine: FlowEngine) -> list[Outgoing]:
    if not ctx.actor.units_with(*ADMIN_ROLES):
        raise UserFacingError("not_admin")
    rows = await service.chats_to_link(ctx.session, ctx.incoming.platform)
    if not rows:
        return [Outgoing(TEXTS["none"])]
    titles = [[c.chat_id, c.title or TEXTS["untitled"].format(chat_id=c.chat_id)] for c, _ in rows]
    labels = [
        [c.chat_id, title + (TEXTS["linked_to"].format(unit=unit) if unit else "")]
        for (c, unit), (_, title) in zip(rows, titles, strict=True)
    ]
    return await engine.start(ctx, LINK_CHAT.name, {"_chats": labels, "_titles": titles})
