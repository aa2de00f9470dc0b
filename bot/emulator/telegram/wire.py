"""The Bot API wire format PTB 22.8 speaks: decoding requests, enveloping replies, the server's checks.

Requests are ``/bot<token>/<method>``, GET or POST, with parameters from the query string,
form-urlencoded, multipart (uploads) or JSON bodies. PTB json-encodes every non-string value, so
parameters are decoded back (ints, booleans, objects) except those that are text by nature. Replies are
``{"ok": true, "result": ...}`` or an ``ApiError`` whose HTTP status equals its ``error_code``. The checks
the server makes on texts and inline keyboards live here too, with Telegram's exact error strings.
"""

from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_REQUEST_BYTES = 60 * 1024 * 1024  # documents may be up to 50 MB

# PTB sends str values raw and json.dumps everything else; these parameters are text by nature and must
# never be JSON-decoded (a message text "42" stays a string).
_TEXT_PARAMS = frozenset(
    [
        "text",
        "caption",
        "parse_mode",
        "url",
        "secret_token",
        "callback_query_id",
        "action",
        "language_code",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "ip_address",
        "photo",
        "document",
        "thumbnail",
        "description",
        "short_description",
        "name",
        "title",
    ]
)
_HTML_TAGS = frozenset(
    [
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "a",
        "code",
        "pre",
        "span",
        "tg-spoiler",
        "tg-emoji",
        "blockquote",
    ]
)
_HTML_TAG_RE = re.compile(r"<(/?)([A-Za-z][\w-]*)[^>]*>|<")


class ApiError(Exception):
    """A Bot API error reply. The HTTP status must equal error_code: PTB maps exceptions from it."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters or {}

    def response(self) -> web.Response:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        headers = {}
        if self.parameters:
            body["parameters"] = self.parameters
        if "retry_after" in self.parameters:
            headers["Retry-After"] = str(self.parameters["retry_after"])
        return web.json_response(body, status=self.status, headers=headers)


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


def ok_response(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request, as PTB sends bytes / InputFile arguments."""

    file_name: str | None
    content_type: str | None
    data: bytes = field(repr=False)


async def read_params(request: web.Request) -> JSON:
    """Query string plus the body (form, multipart or JSON), decoded the way PTB encoded it."""
    items: list[tuple[str, Any]] = list(request.query.items())
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json()
        except ValueError:
            raise bad_request("can't parse JSON encoded request body") from None
        if not isinstance(body, dict):
            raise bad_request("JSON request body must be an object")
        items += body.items()
    elif request.method == "POST":
        items += (await request.post()).items()
    params: JSON = {}
    for key, value in items:
        if isinstance(value, web.FileField):
            with value.file:
                params[key] = Upload(value.filename, value.content_type, value.file.read())
        elif isinstance(value, bytes | bytearray):
            params[key] = _decode_value(key, bytes(value).decode())
        else:
            params[key] = _decode_value(key, value)
    return params


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str) or key in _TEXT_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. "@channelname"


def int_param(params: JSON, key: str, default: int | None = None) -> int:
    value = params.get(key)
    if value is None or value == "":
        if default is None:
            raise bad_request(f"{key} is empty")
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise bad_request(f"invalid {key} specified") from None


def rendered_text(params: JSON, key: str, *, required: bool) -> str | None:
    """The text a Telegram client would show (HTML markup removed) after the server's checks."""
    raw = params.get(key)
    text = None if raw is None or raw == "" else _plain_text(str(raw), params.get("parse_mode"))
    if required and (text is None or not text.strip()):
        raise bad_request("message text is empty")
    limit, too_long = (
        (MAX_TEXT, "message is too long") if key == "text" else (MAX_CAPTION, "message caption is too long")
    )
    if text is not None and len(text) > limit:
        raise bad_request(too_long)
    return text


def _plain_text(text: str, parse_mode: Any) -> str:
    """HTML mode: reject unsupported or unbalanced tags like Telegram does, then strip them.

    Other parse modes are accepted as they are (the emulator does not render Markdown).
    """
    if str(parse_mode or "").lower() != "html":
        return text
    stack: list[str] = []
    pieces: list[str] = []
    position = 0
    for match in _HTML_TAG_RE.finditer(text):
        pieces.append(text[position : match.start()])
        position = match.end()
        offset = len(text[: match.start()].encode())
        name = (match.group(2) or "").lower()
        if name not in _HTML_TAGS:
            raise bad_request(
                f'can\'t parse entities: Unsupported start tag "{name}" at byte offset {offset}'
            )
        if not match.group(1):
            stack.append(name)
        elif not stack or stack.pop() != name:
            raise bad_request(f'can\'t parse entities: Unmatched end tag at byte offset {offset}, "{name}"')
    if stack:
        raise bad_request(
            f"can't parse entities: Can't find end tag corresponding to start tag \"{stack[-1]}\""
        )
    pieces.append(text[position:])
    return html.unescape("".join(pieces))


def inline_markup(params: JSON) -> JSON | None:
    """Only inline keyboards become part of the Message; reply keyboards live on the client side."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad_request("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise bad_request(
                    "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA_BYTES:
                raise bad_request("BUTTON_DATA_INVALID")
    return markup


# In HTML mode Telegram decodes only these character references (Bot API, "HTML style").
_TELEGRAM_REFERENCE_RE = re.compile(r"&(?:(lt|gt|amp|quot)|#(\d+)|#[xX]([0-9a-fA-F]+));")
_NAMED_REFERENCES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HREF_RE = re.compile(r"""\bhref\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def html_links(params: JSON, key: str) -> list[JSON] | None:
    """The ``text_link`` entities Telegram makes of ``<a href>`` tags in HTML mode (UTF-16 offsets).

    The address is what the tag's attribute says, decoded the way Telegram decodes it: a raw quote
    ends the attribute and only ``&lt; &gt; &amp; &quot;`` and numeric references are understood,
    so a recipient's link shows exactly what careless escaping would break.
    """
    raw = params.get(key)
    if not raw or str(params.get("parse_mode") or "").lower() != "html":
        return None
    text = str(raw)
    links: list[JSON] = []
    open_links: list[tuple[int, str]] = []
    plain_length, position = 0, 0
    for match in _HTML_TAG_RE.finditer(text):
        plain_length += _utf16_len(html.unescape(text[position : match.start()]))
        position = match.end()
        name = (match.group(2) or "").lower()
        if name != "a":
            continue
        if not match.group(1):
            href = _HREF_RE.search(match.group(0))
            address = next((g for g in href.groups() if g is not None), "") if href else ""
            open_links.append((plain_length, _decode_references(address)))
        elif open_links:
            offset, url = open_links.pop()
            links.append({"type": "text_link", "offset": offset, "length": plain_length - offset, "url": url})
    return sorted(links, key=lambda link: link["offset"]) or None


def _decode_references(value: str) -> str:
    def decode(match: re.Match[str]) -> str:
        named, decimal, hexadecimal = match.groups()
        if named:
            return _NAMED_REFERENCES[named]
        return chr(int(decimal) if decimal else int(hexadecimal, 16))

    return _TELEGRAM_REFERENCE_RE.sub(decode, value)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
