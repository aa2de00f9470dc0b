"""Scripted acts of the fake world's people, each delivered to the bot as the Update Telegram sends.

A person writes, sends a photo or taps a button; blocks or unblocks the bot; adds it to or removes it
from a group or channel; upgrades a group to a supergroup. Acts the bot could not hear of (an unknown
user, a chat the bot is not in, a button that is not shown) raise ``EmulatorError``.
"""

from __future__ import annotations

import re

from bot.emulator.telegram.updates import Updates
from bot.emulator.telegram.wire import JSON
from bot.emulator.telegram.world import TINY_PNG, EmulatorError, Stored, buttons, is_from, now

_COMMAND_TOKEN_RE = re.compile(r"/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]+)?")
# What ChatMemberAdministrator requires in PTB 22.8, plus the channel rights a posting bot needs.
_BOT_ADMIN_RIGHTS = {
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": True,
    "can_restrict_members": True,
    "can_change_info": True,
    "can_invite_users": True,
    "can_post_messages": True,
    "can_edit_messages": True,
    "can_pin_messages": True,
    "can_be_edited": False,
    "is_anonymous": False,
    "can_promote_members": False,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


class People(Updates):
    """The acts of people; each returns the Update delivered to the bot."""

    async def send_text(self, user_id: int, text: str, *, chat_id: int | None = None) -> JSON:
        """The person writes ``text``; a leading /command gets its bot_command entity, as PTB requires."""
        user, chat = self._speaker(user_id, chat_id)
        content: JSON = {"text": text}
        token = text.split(maxsplit=1)[0] if text.startswith("/") else ""
        if _COMMAND_TOKEN_RE.fullmatch(token):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": _utf16_len(token)}]
        message = await self._store(chat, user, content)
        return await self._push("channel_post" if chat["type"] == "channel" else "message", message)

    async def send_photo(
        self,
        user_id: int,
        data: bytes = TINY_PNG,
        *,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> JSON:
        user, chat = self._speaker(user_id, chat_id)
        file_id = self._save_file(data, "photo", "photo.png", None)
        message = await self._store(chat, user, {"photo": self._photo_sizes(file_id), "caption": caption})
        return await self._push("message", message)

    async def press_button(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> JSON:
        """The person taps an inline button of a bot message; only buttons really shown can be tapped."""
        user, stored = self._bot_message(user_id, message_id, chat_id)
        offered = [b["data"] for row in buttons(stored.message) for b in row]
        if data not in offered:
            raise EmulatorError(f"message {message_id} has no button with data {data!r}; it offers {offered}")
        return await self._callback(user, stored.message, data)

    async def press_forged_button(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> JSON:
        """A modified client sends callback data of its own under a bot message: Telegram passes it on
        as it came, so a bot has to treat callback data as untrusted input."""
        user, stored = self._bot_message(user_id, message_id, chat_id)
        return await self._callback(user, stored.message, data)

    def _bot_message(self, user_id: int, message_id: int, chat_id: int | None) -> tuple[JSON, Stored]:
        user, chat = self._speaker(user_id, chat_id)
        stored = self._log.get(chat["id"], {}).get(message_id)
        if stored is None or not is_from(stored.message, self.bot_user["id"]):
            raise EmulatorError(f"no bot message {message_id} in chat {chat['id']}")
        return user, stored

    async def _callback(self, user: JSON, message: JSON, data: str) -> JSON:
        self._callback_seq += 1
        query_id = f"{self.bot_user['id']}{self._callback_seq:06d}"
        self._open_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{message['chat']['id']}",
            "data": data,
            "message": message,
        }
        return await self._push("callback_query", query)

    async def block_bot(self, user_id: int) -> JSON:
        """Later sends to the person fail with 403 "bot was blocked by the user"."""
        user, chat = self._user(user_id), self._chat(user_id)
        old = "kicked" if user_id in self._blocked else "member"
        self._blocked.add(user_id)
        return await self._push("my_chat_member", self._member_update(chat, user, old, "kicked"))

    async def unblock_bot(self, user_id: int) -> JSON:
        user, chat = self._user(user_id), self._chat(user_id)
        old = "kicked" if user_id in self._blocked else "member"
        self._blocked.discard(user_id)
        return await self._push("my_chat_member", self._member_update(chat, user, old, "member"))

    async def add_bot_to_chat(self, by_user_id: int, chat_id: int, *, as_admin: bool = False) -> JSON:
        """In channels bots can only be administrators, so there the bot always becomes one."""
        user, chat = self._user(by_user_id), self._chat(chat_id)
        if chat["type"] == "private":
            raise EmulatorError("the bot cannot be added to a private chat")
        new = "administrator" if as_admin or chat["type"] == "channel" else "member"
        old = self._bot_status.get(chat_id, "left")
        self._bot_status[chat_id] = new
        return await self._push("my_chat_member", self._member_update(chat, user, old, new))

    async def remove_bot_from_chat(self, by_user_id: int, chat_id: int) -> JSON:
        """Later sends fail with 403 "bot was kicked from the group chat" (or supergroup/channel)."""
        user, chat = self._user(by_user_id), self._chat(chat_id)
        old = self._bot_status.get(chat_id, "left")
        self._bot_status[chat_id] = "kicked"
        return await self._push("my_chat_member", self._member_update(chat, user, old, "kicked"))

    async def migrate_group(self, chat_id: int, new_chat_id: int) -> JSON:
        """Upgrade a group to a supergroup, delivering both service messages Telegram sends.

        Later sends to the old id fail with 400 and ``parameters.migrate_to_chat_id``. Returns the update
        carrying ``migrate_to_chat_id``.
        """
        old_chat = self._chat(chat_id)
        if old_chat["type"] != "group":
            raise EmulatorError(f"only basic groups migrate; chat {chat_id} is a {old_chat['type']}")
        new_chat = self._add_chat(new_chat_id, "supergroup", old_chat["title"])
        self._bot_status[new_chat_id] = self._bot_status.get(chat_id, "left")
        self._migrated[chat_id] = new_chat_id
        to_message = await self._store(old_chat, None, {"migrate_to_chat_id": new_chat_id})
        first = await self._push("message", to_message)
        from_message = await self._store(
            new_chat, None, {"sender_chat": new_chat, "migrate_from_chat_id": chat_id}
        )
        await self._push("message", from_message)
        return first

    def _member_update(self, chat: JSON, actor: JSON, old: str, new: str) -> JSON:
        return {
            "chat": chat,
            "from": actor,
            "date": now(),
            "old_chat_member": self._bot_member(old),
            "new_chat_member": self._bot_member(new),
        }

    def _bot_member(self, status: str) -> JSON:
        member: JSON = {"status": status, "user": self.bot_user}
        if status == "kicked":
            member["until_date"] = 0
        if status == "administrator":
            member.update(_BOT_ADMIN_RIGHTS)
        return member


def _utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
