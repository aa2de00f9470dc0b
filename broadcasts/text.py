"""Splitting long texts for platforms with a length limit (Telegram 4096, Zalo 2000)."""

from __future__ import annotations


def split_text(text: str, limit: int) -> list[str]:
    """Cut `text` into parts of at most `limit` characters, in order.

    Cuts fall on paragraph boundaries where possible, then on line breaks, then on spaces;
    only a single word longer than `limit` is cut mid-word. No part is empty.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    parts: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = -1
        for separator in ("\n\n", "\n", " "):
            cut = window.rfind(separator, 0, limit + 1)
            if cut > 0:
                break
        if cut <= 0:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
