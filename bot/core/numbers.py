"""Reading a whole number the way a Vietnamese person writes it, never changing its magnitude.

In Vietnamese the dot (or a space) groups thousands and the comma marks a fraction: "1.250"
and "1 250" are one thousand two hundred fifty, "1,5" is one and a half. Stripping every
separator (what this code once did) turned "1,5" into 15 and "1.2.3.4" into 1234, so a figure
in a report could be ten times what was meant without anyone noticing. Here a separator is
only accepted where its meaning is certain — groups of exactly three digits after the first —
and anything else is refused with a reason the person can act on:

- a fraction ("1,5", "2,25", "1.250,5") where a whole number is asked;
- a dot or comma that could be either custom ("12.50" or "1,250" in the English way) is
  ambiguous: we ask again rather than guess;
- anything else ("1.2.3.4", "12a", "mười hai") is not a number.

ASCII digits only: `str.isdigit` also accepts "²", which `int` then rejects.
"""

from __future__ import annotations

import re

# Spaces people (and spreadsheets) put between groups: space, no-break space, narrow no-break space.
_SPACES = " \u00a0\u202f"
_MINUS = "-\u2212\u2013"  # hyphen-minus, minus sign, en dash (phones "smart-punctuate")
_PLAIN = re.compile(r"[0-9]+")
_GROUPED = re.compile(rf"[0-9]{{1,3}}(?:(?P<sep>[.{_SPACES}])[0-9]{{3}})(?:(?P=sep)[0-9]{{3}})*")
_FRACTION = re.compile(rf"[0-9]+(?:[.{_SPACES}][0-9]{{3}})*,[0-9]+")
_ENGLISH = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+\.[0-9]+")
MAX_DIGITS = 15
MAX_KEY = 2**31 - 1  # the largest id an INTEGER primary key holds (PostgreSQL refuses to compare a larger one)


class NumberError(ValueError):
    """Why a text is not an acceptable whole number; `key` names a text in `texts.ANSWER_ERRORS`."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


def parse_whole(text: str) -> int:
    """The whole number `text` means, or `NumberError` saying why it is not one."""
    typed = text.strip()
    if not typed:
        raise NumberError("empty")
    quoted = typed[:40]
    sign, digits = _split_sign(typed)
    if _PLAIN.fullmatch(digits) or _GROUPED.fullmatch(digits):
        bare = re.sub(rf"[.{_SPACES}]", "", digits)
        if len(bare.lstrip("0")) > MAX_DIGITS:
            raise NumberError("not_a_number", text=quoted)
        return sign * int(bare)
    if _ENGLISH.fullmatch(digits):
        raise NumberError("ambiguous_number", text=quoted)
    if _FRACTION.fullmatch(digits):
        whole, _, fraction = digits.partition(",")
        if fraction.strip("0"):
            raise NumberError("not_whole", text=quoted)
        return sign * parse_whole(whole)  # "12,0" is twelve
    raise NumberError("not_a_number", text=quoted)


def typed_id(text: str) -> int | None:
    """A number a person typed to name something (a poll, a broadcast), or None if it is not one.

    A number larger than any key names nothing; it must not reach SQL, where PostgreSQL would fail
    the whole event instead of finding no row.
    """
    try:
        value = parse_whole(text)
    except NumberError:
        return None
    return value if 0 < value <= MAX_KEY else None


def option_number(text: str) -> int | None:
    """The number of a listed option ("2"), in ASCII digits only; None for anything else."""
    typed = text.strip()
    return int(typed) if _PLAIN.fullmatch(typed) and len(typed) <= 6 else None


def show_number(value: int) -> str:
    """A whole number as Vietnamese readers write it: 1.250.000."""
    return f"{value:,}".replace(",", ".")


def _split_sign(typed: str) -> tuple[int, str]:
    if typed[0] in _MINUS:
        return -1, typed[1:].lstrip()
    if typed[0] == "+":
        return 1, typed[1:].lstrip()
    return 1, typed
