"""Telegram `Update` → neutral `Incoming`. Group chatter that is not for us becomes None."""

from __future__ import annotations

import html
import re

from telegram import Chat, ChatMember, Message, MessageEntity, Update

from bot.core.messages import Attachment, Incoming
from bot.core.storable import without_lone_surrogates

PLATFORM = "telegram"


def _member_event(update: Update) -> Incoming | None:
    change = update.my_chat_member
    status = change.new_chat_member.status
    chat = change.chat
    gone = status in (ChatMember.BANNED, ChatMember.LEFT)
    if chat.type == Chat.PRIVATE:
        event = "bot_blocked" if gone else "bot_unblocked"
    else:
        event = "bot_removed" if gone else "bot_added"
    return Incoming(
        platform=PLATFORM,
        chat_id=str(chat.id),
        user_id=str(change.from_user.id),
        chat_type=chat.type,
        chat_title=chat.title,
        event=event,
        update_id=str(update.update_id),
        raw=update.to_dict() if chat.type == Chat.PRIVATE else None,
    )


def _migration(message) -> Incoming:
    """A group became a supergroup: its id changes; broadcasts must follow it (chat metadata only)."""
    return Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id) if message.from_user else "",
        chat_type=message.chat.type,
        event="chat_migrated",
        args=(str(message.migrate_to_chat_id),),
    )


def _formatted(message) -> str | None:
    """The message's formatting (bold, italic, links...) as HTML, when it has any."""
    entities = message.entities if message.text is not None else message.caption_entities
    if not entities:
        return None
    try:
        rendered = message.text_html if message.text is not None else message.caption_html
    except UnicodeEncodeError:  # a lone surrogate, which UTF-16 (Telegram's offsets) cannot encode
        return _formatted(_repaired(message))
    return _escape_attributes(rendered, entities)


def _escape_attributes(rendered: str, entities) -> str:
    """PTB escapes the text but writes a link's address (and a code block's language) into the
    attribute as it is: `&` must become `&amp;` and `"` `&quot;`, or Telegram reads another
    address (a quote ends the attribute) when the content goes out. PTB writes exactly
    `<a href="URL">` and `<code class="LANGUAGE">`, and its escaped text never contains `<`;
    one pass over every such tag, so an address already escaped is never escaped twice."""
    tags: dict[str, str] = {}
    for entity in entities:
        if entity.type == MessageEntity.TEXT_LINK and entity.url:
            tags[f'<a href="{entity.url}">'] = f'<a href="{html.escape(entity.url)}">'
        elif entity.type == MessageEntity.PRE and entity.language:
            tags[f'<code class="{entity.language}">'] = f'<code class="{html.escape(entity.language)}">'
    if not tags:
        return rendered
    pattern = re.compile("|".join(re.escape(tag) for tag in sorted(tags, key=len, reverse=True)))
    return pattern.sub(lambda match: tags[match.group(0)], rendered)


def _repaired(message: Message) -> Message:
    """The message with each lone surrogate as U+FFFD, which keeps every entity's offset."""
    data = message.to_dict()
    for name in ("text", "caption"):
        if data.get(name) is not None:
            data[name] = without_lone_surrogates(data[name])
    return Message.de_json(data, None)


def _command(text: str, message, bot_username: str) -> tuple[str | None, tuple[str, ...], bool]:
    """(command, args, addressed_to_us) from a message whose first entity is a bot command."""
    entities = message.entities or ()
    if not entities or entities[0].type != "bot_command" or entities[0].offset != 0:
        return None, (), False
    word = text[1 : entities[0].length]
    name, _, target = word.partition("@")
    if target and target.lower() != bot_username.lower():
        return None, (), False
    args = tuple(text[entities[0].length :].split())
    return name.lower(), args, True


def to_incoming(update: Update, bot_username: str) -> Incoming | None:
    """Translate one update; None when it is nothing we act on (or not ours to read)."""
    if update.my_chat_member is not None:
        return _member_event(update)
    query = update.callback_query
    if query is not None:
        chat = query.message.chat if query.message is not None else None
        return Incoming(
            platform=PLATFORM,
            chat_id=str(chat.id if chat else query.from_user.id),
            user_id=str(query.from_user.id),
            chat_type=chat.type if chat else Chat.PRIVATE,
            choice=query.data,
            update_id=str(update.update_id),
            raw=update.to_dict(),
        )
    message = update.message
    if message is not None and message.migrate_to_chat_id:
        return _migration(message)
    if message is None or message.from_user is None:
        return None  # edits, channel posts and service updates are not conversations
    text = message.text if message.text is not None else message.caption
    command, args, addressed = (None, (), False)
    if text and text.startswith("/"):
        command, args, addressed = _command(text, message, bot_username)
    private = message.chat.type == Chat.PRIVATE
    if not private and not addressed:
        return None  # group messages are never read or stored
    attachments: list[Attachment] = []
    if message.photo:
        attachments.append(Attachment("photo", message.photo[-1].file_id))
    if message.document is not None:
        attachments.append(Attachment("document", message.document.file_id, message.document.file_name))
    return Incoming(
        platform=PLATFORM,
        chat_id=str(message.chat.id),
        user_id=str(message.from_user.id),
        chat_type=message.chat.type,
        text=None if command else text,
        html=_formatted(message) if private and not command else None,
        command=command,
        args=args,
        attachments=tuple(attachments),
        update_id=str(update.update_id),
        raw=update.to_dict() if private else None,
    )
