"""Scripted acts of people, each delivered to the bot as the event Zalo sends.

A person writes, sends a photo or a sticker; a protected account (e.g. a minor) sends
something Zalo withholds (`message.unsupported.received`). Ids are strings, dates milliseconds.
"""

from __future__ import annotations

from bot.emulator.zalo.updates import Updates
from bot.emulator.zalo.wire import JSON
from bot.emulator.zalo.world import TINY_PNG, EmulatorError, new_id


class People(Updates):
    """The acts of people; each returns the event delivered to the bot."""

    async def send_text(self, user_id: str, text: str, *, chat_id: str | None = None) -> JSON:
        return await self._act(user_id, chat_id, "message.text.received", {"text": text}, {"text": text})

    async def send_photo(
        self, user_id: str, data: bytes = TINY_PNG, *, caption: str | None = None, chat_id: str | None = None
    ) -> JSON:
        """The photo is served by the emulator; its URL is what the bot receives (`photo`)."""
        name = f"{new_id()}.png"
        self._files[name] = data
        url = f"{self.root_url}/_emu/files/{name}"  # root_url: common.Served, mixed into ZaloEmulator
        fields: JSON = {"photo": url}
        if caption:
            fields["caption"] = caption
        return await self._act(user_id, chat_id, "message.image.received", fields,
                               {"photo_url": url, "caption": caption})

    async def send_sticker(self, user_id: str, sticker: str = "0e078a2fb66a5f34067b") -> JSON:
        url = f"https://zalo-api.zadn.vn/api/emoticon/sticker/webpc?eid={sticker}"
        return await self._act(user_id, None, "message.sticker.received", {"sticker": sticker, "url": url},
                               {"sticker": sticker})

    async def send_unsupported(self, user_id: str) -> JSON:
        """What the bot gets instead of the content when the sender's account is protected."""
        return await self._act(user_id, None, "message.unsupported.received", {}, {})

    async def add_bot_to_group(self, user_id: str, chat_id: str | None = None, *, title: str | None = None) -> JSON:
        """A group member adds the bot to a group (created if new): the bot gets `group.bot.joined`.

        ASSUMED event: the platform documents none yet (groups are in beta). Its shape is every
        other event's, `message.chat` the group, `message.from` who added the bot; the group's
        name, if Zalo sends one, is assumed to be `chat.title`.
        """
        group = self._chats.get(str(chat_id)) if chat_id else None
        if group is None:
            group = self.add_group(chat_id, title=title, with_bot=False)
        elif title:
            self._titles[group["id"]] = title
        self._bot_groups.add(group["id"])
        return await self._membership(user_id, group, "group.bot.joined")

    async def remove_bot_from_group(self, user_id: str, chat_id: str) -> JSON:
        """A member removes the bot: `group.bot.left` (assumed, like the join); sends there now fail."""
        group = self._chat(chat_id)
        self._bot_groups.discard(group["id"])
        return await self._membership(user_id, group, "group.bot.left")

    async def _membership(self, user_id: str, group: JSON, event_name: str) -> JSON:
        user = self._user(user_id)
        chat = dict(group)
        if self._titles.get(group["id"]):
            chat["title"] = self._titles[group["id"]]
        stored = await self._store(group, user, {}, event_name=event_name)
        event = {"message": {"from": dict(user), "chat": chat, "message_id": stored["message_id"],
                             "date": stored["date"]}, "event_name": event_name}
        await self._deliver(event)
        return event

    async def _act(self, user_id: str, chat_id: str | None, event_name: str, fields: JSON, shown: JSON) -> JSON:
        user = self._user(user_id)
        chat = self._chat(chat_id or user_id)
        if chat["chat_type"] == "PRIVATE" and chat["id"] != user["id"]:
            raise EmulatorError("a person can only write in their own private chat")
        if chat["chat_type"] == "GROUP" and chat["id"] not in self._bot_groups:
            raise EmulatorError("the bot is not in this group: add_bot_to_group() first")
        stored = await self._store(chat, user, shown, event_name=event_name)
        message = {
            "from": dict(user),
            "chat": dict(chat),
            **fields,
            "message_id": stored["message_id"],
            "date": stored["date"],
        }
        event = {"message": message, "event_name": event_name}
        await self._deliver(event)
        return event
