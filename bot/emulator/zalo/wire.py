"""The Zalo Bot API's wire format: request parameters in, the `ok`/`result` envelope out.

Requests are `/bot<token>/<method>`, GET or POST, with parameters in the query string, a form,
multipart or a JSON body; method names are case-sensitive. Every answer is a JSON object
`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`
(shared/api/telegram-zalo-facts.md, section 5). The HTTP status of errors is not documented;
the emulator answers with the error code as status (the client reads either).
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

JSON = dict[str, Any]

MAX_TEXT = 2000  # sendMessage text and sendPhoto caption: 1-2000 characters
SECRET_MIN, SECRET_MAX = 8, 256  # setWebhook's secret_token
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # noqa: S105 (a header name)


class ApiError(Exception):
    """An error answer; `error_code` as in Zalo's table (400, 401, 403, 404, 408, 429)."""

    def __init__(self, error_code: int, description: str) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description

    def response(self) -> web.Response:
        body = {"ok": False, "error_code": self.error_code, "description": self.description}
        return web.json_response(body, status=self.error_code)


def ok_response(result: Any) -> web.Response:
    body: JSON = {"ok": True}
    if result is not None:
        body["result"] = result
    return web.json_response(body)


async def read_params(request: web.Request) -> JSON:
    """Query string plus the body (JSON, form or multipart); values stay as sent."""
    params: JSON = dict(request.query)
    if request.content_type == "application/json" and request.can_read_body:
        try:
            body = await request.json(loads=json.loads)
        except ValueError:
            raise ApiError(400, "Bad request: invalid JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad request: the JSON body must be an object")
        params.update(body)
    elif request.method == "POST" and request.can_read_body:
        for key, value in (await request.post()).items():
            params[key] = value if isinstance(value, str) else getattr(value, "filename", "")
    return params


def text_param(params: JSON, key: str, *, required: bool) -> str | None:
    """A text of 1-2000 characters (a number sent in JSON is taken as its text)."""
    value = params.get(key)
    if value is None or value == "":
        if required:
            raise ApiError(400, f"Bad request: {key} is required")
        return None
    text = str(value)
    if len(text) > MAX_TEXT:
        raise ApiError(400, f"Bad request: {key} must be 1-{MAX_TEXT} characters")
    return text
