"""JSON that comes from a platform: an object of sane depth, or `BadBody`.

A webhook call with the right secret is still input. Its body may be JSON that is not an update
(an array, a string, null), and `json.loads` raises `RecursionError`, not `ValueError`, on
absurdly deep nesting; anything nested just below Python's recursion limit parses, and then
breaks whatever walks it recursively later (PTB's `de_json`, the Zalo inbox's `json.dump`). So
a body is taken only when it parses, is an object, and is no deeper than `MAX_DEPTH` (a real
update is about ten levels deep); the webhooks answer 400 otherwise, never 500.
"""

from __future__ import annotations

import json
from typing import Any

MAX_DEPTH = 64


class BadBody(ValueError):
    """The body is not a JSON object we can take; the message says why (for the log)."""


def json_object(body: bytes | str) -> dict[str, Any]:
    """The JSON object in `body`; `BadBody` for invalid JSON, another JSON value, or deep nesting."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise BadBody("nested too deep") from None
    except ValueError:  # also UnicodeDecodeError
        raise BadBody("not JSON") from None
    if not isinstance(value, dict):
        raise BadBody(f"a JSON {type(value).__name__}, not an object")
    if _deeper_than(value, MAX_DEPTH):
        raise BadBody("nested too deep")
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest deeper than `limit`; iterative, so depth cannot hurt it."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        pending.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False
