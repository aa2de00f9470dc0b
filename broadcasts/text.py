"""Splitting long texts for platforms with a length limit (Telegram 4096, Zalo 2000)."""

from __future__ import annotations

import html
import re


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


_TAG = re.compile(r"<(/?)([a-zA-Z-]+)([^>]*)>")


def split_html(text: str, limit: int) -> list[str]:
    """Like `split_text`, for Telegram-style HTML: a tag open at a cut is closed at the end of
    its part and opened again at the start of the next, so no part breaks the formatting.

    Telegram counts the characters after parsing; cutting the markup at `limit` is stricter.
    """
    parts = split_text(text, limit - 64)  # room for the tags carried over
    fixed: list[str] = []
    carried: list[tuple[str, str]] = []  # (name, attributes) of tags open at the last cut
    for part in parts:
        opening = "".join(f"<{name}{attrs}>" for name, attrs in carried)
        stack = list(carried)
        for closing, name, attrs in _TAG.findall(part):
            if closing:
                for index in range(len(stack) - 1, -1, -1):
                    if stack[index][0] == name:
                        del stack[index]
                        break
            else:
                stack.append((name, attrs))
        closing_tags = "".join(f"</{name}>" for name, _ in reversed(stack))
        fixed.append(opening + part + closing_tags)
        carried = stack
    return fixed


def html_to_text(text: str) -> str:
    """Telegram-style HTML as plain text, for platforms without formatting (links keep their URL)."""
    text = re.sub(r'<a\s+href="([^"]*)"[^>]*>(.*?)</a>', r"\2 (\1)", text, flags=re.S)
    return html.unescape(_TAG.sub("", text))
