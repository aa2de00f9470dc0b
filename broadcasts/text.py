"""Splitting long texts for platforms with a length limit (Telegram 4096, Zalo 2000)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser


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


# Telegram's HTML formatting (Bot API, "HTML style"), as far as an author may use it: tag ->
# the attributes kept. Everything else is dropped and its text kept.
ALLOWED_TAGS: dict[str, tuple[str, ...]] = {
    "b": (), "strong": (), "i": (), "em": (), "u": (), "ins": (), "s": (), "strike": (), "del": (),
    "a": ("href",), "code": (), "pre": (), "blockquote": (), "tg-spoiler": (),
}
_SAFE_LINK = re.compile(r"^(https?://|tg://|mailto:)\S+$", re.IGNORECASE)
_BREAKS = frozenset({"br", "p", "div", "li"})  # typed or pasted HTML: their line breaks are kept
_HIDDEN = frozenset({"script", "style", "template"})  # their content is not text: dropped whole


class _Cleaner(HTMLParser):
    """Rewrites HTML into Telegram's subset: allowed tags balanced, text escaped, the rest dropped."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
            return
        if tag in _BREAKS:
            self._break()
            return
        if tag not in ALLOWED_TAGS:
            return
        if tag == "a":
            href = (dict(attrs).get("href") or "").strip()
            if not _SAFE_LINK.match(href):
                return  # a link to nowhere (or to script): its words stay, plain
            self.out.append(f'<a href="{html.escape(href, quote=True)}">')
        else:
            self.out.append(f"<{tag}>")
        self.open.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BREAKS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
            return
        if tag in ("p", "div", "li"):
            self._break()
            return
        if tag not in self.open:
            return
        while self.open:  # close what was left open inside it, then the tag itself
            inner = self.open.pop()
            self.out.append(f"</{inner}>")
            if inner == tag:
                return

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self.out.append(html.escape(data, quote=False))

    def _break(self) -> None:
        if self.out and not "".join(self.out[-2:]).endswith("\n"):
            self.out.append("\n")

    def result(self) -> str:
        self.close()
        while self.open:
            self.out.append(f"</{self.open.pop()}>")
        return "".join(self.out)


def clean_html(text: str) -> str:
    """An author's HTML as Telegram will take it: only `ALLOWED_TAGS` (links to http(s), tg: or
    mailto: only), every tag closed, `<`, `>` and `&` in the text escaped; line breaks kept and
    `<br>`/paragraphs turned into them. Text without tags comes back escaped, nothing lost."""
    cleaner = _Cleaner()
    cleaner.feed(text.replace("\r\n", "\n").replace("\r", "\n"))
    cleaned = cleaner.result()
    return re.sub(r"\n{3,}", "\n\n", cleaned).strip()


def has_formatting(cleaned: str) -> bool:
    """Whether cleaned HTML carries any tag (else it is plain text, escaped)."""
    return _TAG.search(cleaned) is not None
